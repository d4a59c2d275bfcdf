"""How well recordpack folds copies of one report into one item, and keeps near-misses apart.

    python bench/duplicates.py ../shared/corpus [--n 60] [--seed 1]   # writes bench/duplicates.md

From the corpus's PDFs that state their date, a records folder is made: each original, and for
each one a copy of one kind in turn: re-rendered (its text laid out again in another font, as a
second portal prints it), rasterized (its first page as a 150 dpi JPEG photo, read by OCR), or
a near-miss (the text copied forward, its measurements changed and numeric dates kept, as in
a second note of the day; a text without measurements is re-rendered instead). Copies must be
folded into their original; near-misses must not. Precision is folds that are right among all
folds; recall is copies folded among copies made.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from fpdf import FPDF

from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.read.pdf import read_pdf

HERE = Path(__file__).parent
KINDS = ("re-rendered", "rasterized", "near-miss")
# a measurement (2-3 digits, not part of a numeric date): a later visit's vitals and results
_MEASURE = re.compile(r"(?<![\d/.:-])\d{2,3}(?![\d/:-])")


def rerender(texts: tuple[str, ...], target: Path, change: bool = False) -> None:
    """The pages' text laid out again; ``change`` moves its numbers, as a later visit would."""
    pdf = FPDF()
    pdf.set_font("Courier", size=9)
    for text in texts:
        if change:
            text = _MEASURE.sub(lambda m: str(int(m.group(0)) + 3), text)
        pdf.add_page()
        body = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(w=0, h=4, text=body or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))


def rasterize(source: Path, target: Path) -> None:
    """The first page as a photo of it."""
    stem = target.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-jpeg",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(stem),
        ],
        check=True,
        capture_output=True,
    )


def make_folder(pdfs: list[Path], folder: Path) -> dict[str, tuple[str, str]]:
    """Originals and their copies; copy name -> (original name, kind)."""
    made: dict[str, tuple[str, str]] = {}
    for n, path in enumerate(pdfs):
        original = f"d{n:03d}.pdf"
        shutil.copy(path, folder / original)
        kind = KINDS[n % len(KINDS)]
        texts = read_pdf(path.open("rb")).page_texts
        if kind == "rasterized":
            if len(texts) > 1:
                kind = "re-rendered"  # a photo of page 1 of several is not the whole report
            else:
                rasterize(path, folder / f"c{n:03d}.jpg")
                made[f"c{n:03d}.jpg"] = (original, kind)
                continue
        if kind == "near-miss" and not any(_MEASURE.search(t) for t in texts):
            kind = "re-rendered"  # nothing to change: it would be a true copy
        rerender(texts, folder / f"c{n:03d}.pdf", change=kind == "near-miss")
        made[f"c{n:03d}.pdf"] = (original, kind)
    return made


def main() -> int:
    """Build the folder, scan it, and count folds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    truth = json.loads((args.corpus / "truth.json").read_text())
    dated = sorted(
        args.corpus / k
        for k, v in truth.items()
        if k.endswith(".pdf") and "!" not in k and v.get("date")
    )
    pdfs = random.Random(args.seed).sample(dated, min(args.n, len(dated)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = make_folder(pdfs, folder)
        inventory = scan_folder(folder, ReadOptions(ocr_lang="eng"))
    together = {s.path: {t.path for t in i.sources} for i in inventory.items for s in i.sources}
    rows, right, wrong = [], 0, 0
    for kind in KINDS:
        copies = [(c, o) for c, (o, k) in made.items() if k == kind]
        folded = sum(o in together.get(c, ()) for c, o in copies)
        rows.append(f"| {kind} | {len(copies)} | {folded} |")
        if kind == "near-miss":
            wrong += folded
        else:
            right += folded
    originals = {o for o, _ in made.values()}
    wrong += sum(len(group & originals) > 1 for group in map(frozenset, together.values())) // 2
    wanted = sum(k != "near-miss" for _, k in made.values())
    precision = right / max(1, right + wrong)
    recall = right / max(1, wanted)
    text = "\n".join(
        [
            "# Copies of one report",
            "",
            f"{len(pdfs)} dated PDFs of the corpus. "
            f"Precision {precision:.3f}, recall {recall:.3f}.",
            "",
            "| copy | made | folded into its original |",
            "|---|---:|---:|",
            *rows,
            "",
        ]
    )
    print(text)
    (HERE / "duplicates.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
