"""How well recordpack finds the reports inside one PDF, on streams made from real documents.

    python bench/split.py ../shared/corpus [--streams 300] [--seed 1]   # writes bench/split.md

Each stream joins 3-10 of the corpus's PDFs at random, the way portals and records offices do:
some with a portal footer counting the whole file ("Page 7 of 23"), some with a blank separator
between reports. Besides the streams, every multi-page PDF of the corpus is tried alone (it must
stay one report). The corpus is split in two by a hash of each file's name: ``dev`` (what the
rules were tuned on) and ``held-out`` (never looked at while tuning); both are reported.
Nothing of the corpus is copied into recordpack: this script only measures.

Targets: boundary F1 >= 0.95, >= 80% of streams without an error, <= 1% of single documents
split.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from fpdf import FPDF

from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.read.pdf import read_pdf
from recordpack.understand.split import split_pages

HERE = Path(__file__).parent
ITEM_STREAMS = 40  # streams of each part scanned whole, to check each report's item


def held_out(path: Path) -> bool:
    """A fixed fifth of the corpus, by a hash of the file's name: never used to tune."""
    return hashlib.sha256(path.name.encode()).digest()[0] % 5 == 0


@dataclass
class Score:
    """Boundaries found against boundaries made, over many streams."""

    hits: int = 0
    false: int = 0
    missed: int = 0
    streams: int = 0
    clean: int = 0
    singles: int = 0
    singles_split: int = 0
    seconds: float = 0.0
    pages: int = 0
    reports: int = 0  # reports of the streams scanned whole
    reports_right: int = 0  # ...that are items of their own, with a right category and date

    def add(self, made: set[int], found: set[int]) -> None:
        """Count one stream: the boundaries made in it, and those found."""
        self.hits += len(made & found)
        self.false += len(found - made)
        self.missed += len(made - found)
        self.streams += 1
        self.clean += made == found

    def row(self, name: str) -> str:
        """The part's row of the table."""
        p = self.hits / max(1, self.hits + self.false)
        r = self.hits / max(1, self.hits + self.missed)
        f1 = 2 * p * r / max(1e-9, p + r)
        ms = 1000 * self.seconds / max(1, self.pages)
        right = self.reports_right / max(1, self.reports)
        return (
            f"| {name} | {self.streams} | {p:.3f} | {r:.3f} | {f1:.3f} | "
            f"{self.clean / max(1, self.streams):.0%} | {self.singles_split}/{self.singles} | "
            f"{right:.0%} of {self.reports} | {ms:.1f} |"
        )


def footer(width: float, height: float, text: str) -> pikepdf.Pdf:
    """A one-page PDF holding only a portal's footer line, to lay over a page."""
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.add_page()
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(20, height - 18)
    pdf.cell(text=text)
    return pikepdf.open(io.BytesIO(bytes(pdf.output())))


def stream(files: list[Path], rng: random.Random) -> tuple[bytes, set[int]]:
    """Join files into one PDF; the page index where each report after the first begins."""
    out = pikepdf.new()
    starts: set[int] = set()
    blank = rng.random() < 0.2
    for n, path in enumerate(files):
        if n:
            if blank:
                out.add_blank_page(page_size=(612, 792))
            starts.add(len(out.pages))
        with pikepdf.open(path) as src:
            out.pages.extend(src.pages)
    if rng.random() < 0.5:  # the portal counts the file's pages on every page
        total = len(out.pages)
        for n, page in enumerate(out.pages):
            box = [float(v) for v in page.mediabox]
            line = f"Patient portal  Page {n + 1} of {total}"
            over = footer(box[2] - box[0], box[3] - box[1], line)
            page.add_overlay(over.pages[0])
    data = io.BytesIO()
    out.save(data)
    return data.getvalue(), starts


def items_right(data: bytes, picked: list[Path], made: set[int], truth: dict[str, Any]) -> int:
    """How many of the stream's reports a scan makes items of their own, category and date right.

    An item counts when it has exactly the report's pages; its category must be one the
    corpus allows, and its date the stated one (any date when the report states none).
    """
    starts = sorted({0, *made})
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "download.pdf").write_bytes(data)
        inventory = scan_folder(tmp, ReadOptions(ocr_lang=None))
    total = len(read_pdf(io.BytesIO(data)).page_texts)
    ends = [*starts[1:], total]
    items = {(i.sources[0].pages or (1, total)): i for i in inventory.items}
    right = 0
    for path, first, end in zip(picked, starts, ends, strict=True):
        item, wanted = items.get((first + 1, end)), truth[f"documents/{path.name}"]
        date = wanted.get("date")
        right += bool(
            item
            and item.category.value in str(wanted["category"]).split("|")
            and (date is None or (item.date and item.date.isoformat() == date))
        )
    return right


def measure(files: list[Path], n: int, rng: random.Random, truth: dict[str, Any]) -> Score:
    """Split ``n`` random streams of ``files``, and try each multi-page file alone."""
    score = Score()
    for number in range(n):
        picked = rng.sample(files, min(len(files), rng.randint(3, 10)))
        data, made = stream(picked, rng)
        if number < ITEM_STREAMS:
            score.reports += len(picked)
            score.reports_right += items_right(data, picked, made, truth)
        started = time.perf_counter()
        reading = read_pdf(io.BytesIO(data))
        found = {s.first for s in split_pages(reading)} - {0}
        score.seconds += time.perf_counter() - started
        score.pages += reading.pages or 0
        score.add(made, found)
    for path in files:
        reading = read_pdf(path.open("rb"))
        if (reading.pages or 0) > 1:
            score.singles += 1
            score.singles_split += len(split_pages(reading)) > 1
    return score


def main() -> int:
    """Measure both parts of the corpus and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pdfs = []
    for path in sorted((args.corpus / "documents").glob("*.pdf")):
        try:
            read_pdf(path.open("rb"))
            pikepdf.open(path).close()
        except Exception:  # noqa: S112 - a file either reader refuses is no test of splitting
            continue
        pdfs.append(path)
    rng = random.Random(args.seed)
    truth = json.loads((args.corpus / "truth.json").read_text())
    parts = {
        "dev": [p for p in pdfs if not held_out(p)],
        "held-out": [p for p in pdfs if held_out(p)],
    }
    rows = [
        "| part | streams | precision | recall | F1 | streams without an error "
        "| single documents split | reports as items, category and date right | ms per page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, files in parts.items():
        count = args.streams if name == "dev" else max(50, args.streams // 4)
        rows.append(measure(files, count, rng, truth).row(f"{name} ({len(files)} PDFs)"))
    text = "\n".join(["# Finding the reports inside one PDF", "", *rows, ""])
    print(text)
    (HERE / "split.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
