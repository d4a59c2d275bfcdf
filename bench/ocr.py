"""How much of a scanned page's text OCR keeps, and whether a page that lost text is flagged.

    python bench/ocr.py ../shared/corpus --pages 12      # prints the table, writes bench/ocr.md

Real reports of the corpus (first pages of its text PDFs, development part only) are
rasterized at 200 dpi with poppler and damaged as scans and phone photos are: turned a little
or on their side, blurred, speckled, JPEG-compressed, photographed at an angle with uneven
light. Each page is read as recordpack reads a scan and, for the time, by plain Tesseract on
the same image. Word recall is the share of the page's own words (from its text layer, with
repeats) found in the OCR text. A page counts as flagged when recordpack notes it as partly
unreadable; the target is that every page below 0.90 recall is flagged.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter

from recordpack.read import tesseract

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from accuracy import held_out  # noqa: E402

_WORD = re.compile(r"[^\W_]{2,}")


def _turn(angle: float) -> Callable[[Image.Image], Image.Image]:
    return lambda im: im.rotate(angle, expand=True, fillcolor=255, resample=Image.BICUBIC)


def _blur(im: Image.Image) -> Image.Image:
    return im.filter(ImageFilter.GaussianBlur(1.2))


def _noise(im: Image.Image) -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(7)
    grey = np.asarray(im, dtype=np.int16) + rng.normal(0, 28, (im.height, im.width))
    return Image.fromarray(grey.clip(0, 255).astype("uint8"))


def _jpeg(im: Image.Image) -> Image.Image:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=25)
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def _photo(im: Image.Image) -> Image.Image:
    """A page photographed from above at a slant, lit from one side, on a darker desk."""
    import numpy as np

    w, h = im.size
    desk = Image.new("L", (int(w * 1.15), int(h * 1.1)), 90)
    slant = im.transform(
        im.size,
        Image.Transform.PERSPECTIVE,
        (1.0, 0.04, -0.02 * w, 0.01, 1.0, 0.0, 0.00003, 0.00001),
        resample=Image.BICUBIC,
        fillcolor=90,
    )
    desk.paste(slant, (int(w * 0.07), int(h * 0.05)))
    shade = np.linspace(1.0, 0.62, desk.width)[None, :]
    lit = np.asarray(desk, dtype=float) * shade
    return _turn(1.5)(Image.fromarray(lit.clip(0, 255).astype("uint8")))


CONDITIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "clean, 200 dpi": lambda im: im,
    "turned 1°": _turn(1.0),
    "turned 3°": _turn(3.0),
    "turned 5°": _turn(5.0),
    "on its side (90°)": _turn(90),
    "upside down (180°)": _turn(180),
    "turned 270°": _turn(270),
    "blurred": _blur,
    "speckled": _noise,
    "JPEG quality 25": _jpeg,
    "phone photo (slant, shade)": _photo,
}


def _words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in _WORD.findall(text))


def _recall(source: Counter[str], read: Counter[str]) -> float:
    total = sum(source.values())
    return sum((source & read).values()) / total if total else 1.0


def _plain(png: bytes) -> float:
    """Seconds plain Tesseract takes on the same image (text only, one thread)."""
    program = tesseract.tesseract()
    assert program  # noqa: S101
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        path.write_bytes(png)
        start = time.perf_counter()
        subprocess.run(
            [program, str(path), "stdout"],
            capture_output=True,
            check=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
        return time.perf_counter() - start


@dataclass(frozen=True)
class Row:
    """One damaged page, read."""

    page: str
    condition: str
    recall: float
    share: float  # the share of its print read as words
    flagged: bool
    seconds: float
    plain: float


def _one(job: tuple[str, str, bytes, str]) -> Row:
    name, condition, page_png, source_text = job
    with Image.open(io.BytesIO(page_png)) as page:
        damaged = CONDITIONS[condition](page.convert("L"))
    raw = io.BytesIO()
    damaged.save(raw, "PNG")
    start = time.perf_counter()
    read = tesseract.read_page(tesseract.prepare(damaged))
    ours = time.perf_counter() - start
    recall = _recall(_words(source_text), _words(read.text))
    flagged = read.read_share < tesseract.PARTLY_READ
    return Row(name, condition, recall, read.read_share, flagged, ours, _plain(raw.getvalue()))


def pages(corpus: Path, count: int) -> list[tuple[str, bytes, str]]:
    """The first page of the corpus's text PDFs (development part), as 200 dpi grey PNGs."""
    truth = json.loads((corpus / "truth.json").read_text())
    chosen = []
    for key in sorted(truth):
        path = corpus / key
        if held_out(key) or path.suffix.lower() != ".pdf" or "!" in key:
            continue
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if len(_WORD.findall(text)) < 80:  # a page with little text says little about recall
            continue
        png = subprocess.run(
            ["pdftoppm", "-f", "1", "-l", "1", "-r", "200", "-gray", "-png", str(path)],
            capture_output=True,
            check=True,
        ).stdout
        chosen.append((key, png, text))
        if len(chosen) == count:
            break
    return chosen


def table(rows: list[Row]) -> str:
    """The results as Markdown, one row per condition."""
    out = [
        "| condition | pages | mean recall | lowest | below 0.90 | of them flagged | flagged "
        "| s/page | plain Tesseract s/page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for condition in CONDITIONS:
        group = [r for r in rows if r.condition == condition]
        recall = [r.recall for r in group]
        low = [r for r in group if r.recall < 0.90]
        out.append(
            f"| {condition} | {len(group)} | {sum(recall) / len(recall):.3f} | {min(recall):.3f} "
            f"| {len(low)} | {sum(r.flagged for r in low)} | {sum(r.flagged for r in group)} "
            f"| {sum(r.seconds for r in group) / len(group):.2f} "
            f"| {sum(r.plain for r in group) / len(group):.2f} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    """Measure, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "ocr.md")
    args = parser.parse_args()
    if not (shutil.which("pdftoppm") and tesseract.tesseract()):
        print("needs poppler-utils (pdftoppm, pdftotext) and tesseract", file=sys.stderr)
        return 2
    chosen = pages(args.corpus, args.pages)
    jobs = [(name, condition, png, text) for name, png, text in chosen for condition in CONDITIONS]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    text = "# OCR: words kept on damaged scans\n\n" + table(rows)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
