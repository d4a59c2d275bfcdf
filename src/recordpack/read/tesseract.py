"""Text for scanned pages and phone photos, with Tesseract.

One Tesseract run per page gives all three things recordpack needs: the text (to classify and
date the record), word confidences, and an invisible text layer (``textonly_pdf``) that is laid
over the page in the packet so the second doctor can search and copy. Tesseract is called
directly: pytesseract cannot ask for several outputs with a config in one run, and OCRmyPDF
would rewrite whole PDFs (as PDF/A, through Ghostscript) where recordpack copies pages as they
are. Each page is its own Tesseract process with ``OMP_THREAD_LIMIT=1``: its own threads
oversubscribe small machines and run about 4x slower (TECH.md section 7).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

from recordpack.models import OcrPage
from recordpack.outputs import process_alive
from recordpack.read.image import fit_to_page

PAGE_TIMEOUT = 180  # seconds for one page; a page that takes longer is left without text


@cache
def tesseract() -> str | None:
    """The path of the tesseract program, if installed."""
    return shutil.which("tesseract")


@cache
def installed_languages() -> frozenset[str]:
    """Languages Tesseract has data for (``eng``, ``deu``, ...)."""
    program = tesseract()
    if not program:
        return frozenset()
    run = subprocess.run([program, "--list-langs"], capture_output=True, text=True, check=False)
    return frozenset(line.strip() for line in run.stdout.splitlines()[1:] if line.strip())


def missing_languages(lang: str) -> list[str]:
    """Languages of ``eng+deu`` style specs that are not installed."""
    return [code for code in lang.split("+") if code not in installed_languages()]


def prepare(image: Image.Image) -> bytes:
    """An upright, greyscale PNG of a page at no more than 300 dpi, as Tesseract reads best.

    The light is evened out (a photo lit from one side, a shadow across a scan) and what lies
    around the sheet (a desk) is made white; the page keeps its size and place, so the text
    layer made on it still lies over the words of the image placed in the packet.
    """
    upright = ImageOps.exif_transpose(fit_to_page(image))
    grey = upright if upright.mode == "1" else even_light(upright.convert("L"))  # a fax: as is
    out = io.BytesIO()
    grey.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def paper_shade(grey: Image.Image) -> Image.Image:
    """The paper's own shade around each point: the lightest grey near it, made on a small copy.

    Print is thin and dark; over a window wider than a stroke the lightest grey is the paper,
    however it is lit.
    """
    return _small_shade(grey).resize(grey.size)


def _small_shade(grey: Image.Image) -> Image.Image:
    small = grey.resize((max(1, grey.width // _SHADE_STEP), max(1, grey.height // _SHADE_STEP)))
    return small.filter(ImageFilter.MaxFilter(_PAPER_WINDOW))


def even_light(grey: Image.Image) -> Image.Image:
    """The page divided by its paper's shade: even light, and no desk around the sheet.

    What is far darker than the sheet (a desk, the fill around a turned scan) is made white,
    with a few pixels more: the sheet's edge against it would otherwise read as a drawn line.
    """
    import numpy as np

    small = _small_shade(grey)
    # the lightest grey spreads past the sheet's edge; the darkest of it is back at the edge
    sheet = np.asarray(small.filter(ImageFilter.MinFilter(_PAPER_WINDOW + 2)), dtype=np.float32)
    desk = sheet < _DESK * float(np.percentile(sheet, 90))
    grown = Image.fromarray((desk * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(5))
    # in 16-bit integers, in place: a 40-megapixel photo must not take floats for every pixel
    evened = np.asarray(grey, dtype=np.uint16) * 255
    evened //= np.maximum(np.asarray(small.resize(grey.size)), 1)
    np.minimum(evened, 255, out=evened)
    evened[np.asarray(grown.resize(grey.size)) > 127] = 255
    return Image.fromarray(evened.astype(np.uint8))


PARTLY_READ = 0.95  # a page with less of its print in words read may have lost text
UNREAD = 0.5  # a page with less read than this may lie on its side or upside down


def read_page(png: bytes, lang: str = "eng") -> OcrPage:
    """Read one page image; a page left mostly unread is read again turned upright.

    Tesseract reads a page on its side or upside down as a few garbled words; its orientation
    detection (``--psm 0``) costs another run, so it is asked only when the first read left
    most of the print unread.
    """
    start = time.perf_counter()
    page = _read(png, lang)
    if page.read_share < UNREAD and (turn := _orientation(png)):
        with Image.open(io.BytesIO(png)) as image:
            turned = io.BytesIO()
            image.rotate(-turn, expand=True).save(turned, "PNG", dpi=(300, 300))
        again = _read(turned.getvalue(), lang)
        if again.read_share > page.read_share:
            page = dataclasses.replace(again, turn=turn)
    return dataclasses.replace(page, seconds=time.perf_counter() - start)


def _read(png: bytes, lang: str) -> OcrPage:
    """Run Tesseract once on one page image: text, text layer and word boxes."""
    with tempfile.TemporaryDirectory(prefix=f"{_TEMP_PREFIX}{os.getpid()}-") as tmp:
        source = Path(tmp) / "page.png"
        source.write_bytes(png)
        base = Path(tmp) / "out"
        _tesseract(
            [str(source), str(base), "-l", lang, "-c", "textonly_pdf=1", "txt", "pdf", "tsv"]
        )
        text = base.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
        layer = base.with_suffix(".pdf").read_bytes()
        tsv = base.with_suffix(".tsv").read_text(encoding="utf-8", errors="replace")
    share = read_share(png, _word_boxes(tsv))
    return OcrPage(text, _mean_confidence(tsv), layer, 0.0, share)


def _tesseract(arguments: list[str]) -> str:
    program = tesseract()
    if not program:
        raise FileNotFoundError("tesseract is not installed")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run(
        [program, *arguments],
        env=env,
        capture_output=True,
        check=True,
        timeout=PAGE_TIMEOUT,
        text=True,
    )
    return run.stdout


_ROTATE_LINE = re.compile(r"^Rotate:\s*(\d+)", re.M)


def _orientation(png: bytes) -> int:
    """Degrees clockwise that turn the page upright (0, 90, 180, 270), by Tesseract's OSD."""
    with tempfile.TemporaryDirectory(prefix=f"{_TEMP_PREFIX}{os.getpid()}-") as tmp:
        source = Path(tmp) / "page.png"
        source.write_bytes(png)
        try:
            found = _ROTATE_LINE.search(_tesseract([str(source), "stdout", "--psm", "0"]))
        except subprocess.CalledProcessError:  # too little text to tell, or no OSD data
            return 0
    turn = int(found[1]) if found else 0
    return turn if turn in (90, 180, 270) else 0


READ_CONFIDENCE = 40  # a word read with less confidence than this is not counted as read
_INK_WIDTH = 1000  # pixels across: enough to see lines of text, quick to count
_RULE = 0.5  # a row or column with ink across half the page is a drawn line, not text
_RIM = 0.02  # of the image's width and height, at each side: no print sits there
_SHADE_STEP = 4  # the paper's shade is found on a copy this many times smaller
_PAPER_WINDOW = 5  # pixels of that copy: wider than a stroke, narrower than a shadow
_DESK = 0.6  # darker than this share of the sheet's light: not the sheet (a desk, a border)
_INK_CONTRAST = 40  # grey levels darker than the paper around it: print, even smeared or shaded


def read_share(png: bytes, words: list[tuple[int, int, int, int]]) -> float:
    """The share of a page's ink that lies in words Tesseract read (0-1; 1 for a blank page).

    Tesseract's own confidence stays high on what it reads and says nothing of what it missed
    (the right half of a photographed letter, a skewed block); the ink it did not read as words
    does. Ink is what is darker than the paper around it, so shade and a desk around the sheet
    are not ink and smeared print still is; specks are smoothed away, and drawn lines (table
    rules, underlines) and the image's rim (a sheet's edge, a turned scan's fill) not counted.
    """
    import numpy as np

    with Image.open(io.BytesIO(png)) as image:
        scale = min(1.0, _INK_WIDTH / max(1, image.width))
        small = image.convert("L").resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        )
    smooth = small.filter(ImageFilter.MedianFilter(3))
    paper = paper_shade(smooth)
    grey = np.asarray(smooth, dtype=np.int16)
    ink = np.asarray(paper, dtype=np.int16) - grey > _INK_CONTRAST
    ink[ink.mean(axis=1) > _RULE, :] = False
    ink[:, ink.mean(axis=0) > _RULE] = False
    rim_y, rim_x = round(ink.shape[0] * _RIM), round(ink.shape[1] * _RIM)
    ink[:rim_y, :] = ink[-rim_y:, :] = False  # the sheet's own edge, a turned scan's fill
    ink[:, :rim_x] = ink[:, -rim_x:] = False
    total = int(ink.sum())
    if total < ink.size * 0.0005:  # a blank page, or a few specks
        return 1.0
    covered = np.zeros_like(ink)
    pad = 2
    for left, top, width, height in words:
        x0, y0 = int(left * scale) - pad, int(top * scale) - pad
        x1, y1 = int((left + width) * scale) + pad + 1, int((top + height) * scale) + pad + 1
        covered[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return round(float(ink[covered].sum()) / total, 3)


def _words(tsv: str) -> list[tuple[float, tuple[int, int, int, int]]]:
    """Each recognised word (a row of level 5 with text): its confidence and its box."""
    words = []
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) == 12 and fields[0] == "5" and fields[11].strip():
            try:
                box = (int(fields[6]), int(fields[7]), int(fields[8]), int(fields[9]))
                words.append((float(fields[10]), box))
            except ValueError:
                continue
    return words


def _word_boxes(tsv: str) -> list[tuple[int, int, int, int]]:
    """The boxes (left, top, width, height) of the words read with some confidence."""
    return [box for confidence, box in _words(tsv) if confidence >= READ_CONFIDENCE]


def _mean_confidence(tsv: str) -> float:
    """Mean confidence of the recognised words."""
    values = [confidence for confidence, _ in _words(tsv)]
    return round(sum(values) / len(values), 1) if values else 0.0


_TEMP_PREFIX = "recordpack-ocr-"


def remove_stale_folders() -> None:
    """Remove the page folders of OCR runs that were killed outright (their process is gone)."""
    pattern = re.compile(rf"^{_TEMP_PREFIX}(\d+)-")
    with contextlib.suppress(OSError):
        for entry in Path(tempfile.gettempdir()).iterdir():
            m = pattern.match(entry.name)
            if m and entry.is_dir() and not entry.is_symlink() and not process_alive(int(m[1])):
                shutil.rmtree(entry, ignore_errors=True)


def read_pages(
    pages: Sequence[bytes],
    lang: str,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[OcrPage | None]:
    """OCR many pages, each in its own Tesseract process; a failed page gives None."""
    results: list[OcrPage | None] = [None] * len(pages)

    def one(index: int) -> tuple[int, OcrPage | None]:
        try:
            return index, read_page(pages[index], lang)
        except (subprocess.SubprocessError, OSError):
            return index, None

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for done, (index, page) in enumerate(pool.map(one, range(len(pages))), start=1):
            results[index] = page
            if progress:
                progress(done, len(pages))
    return results
