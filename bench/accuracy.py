"""How right recordpack reads real records: categories, dates, titles and language flags.

    python bench/accuracy.py ../shared/corpus      # prints the tables, writes bench/accuracy.md

The corpus is a folder with ``documents/`` (real records, any layout) and ``truth.json``:
``documents/<path>`` (zip members ``name.zip!member``) -> category (``a|b``: either counts),
date (ISO, or null when the document states none), language and a human title. Nothing of the
corpus is copied into recordpack: this script only measures.

Targets: 95% of categories overall and 90% in every category with 10 or more documents; 95% of
stated dates right; no date of birth used as a date; 10% or fewer titles taken from file names.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recordpack.check import may_need_translation
from recordpack.models import Item
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Row:
    """One labelled document and what recordpack made of it."""

    key: str
    truth: dict[str, str | None]
    item: Item | None

    @property
    def wanted(self) -> list[str]:
        """The categories that count as right."""
        return str(self.truth["category"]).split("|")

    @property
    def category_right(self) -> bool:
        """Read as one of the labelled categories."""
        return self.item is not None and self.item.category.value in self.wanted

    @property
    def by_file_name(self) -> bool:
        """Titled by its file name: a title a doctor cannot use."""
        if self.item is None:
            return True
        name = PurePosixPath(self.key.split("!")[-1]).name
        return name in self.item.title or PurePosixPath(name).stem == self.item.title


def measure(corpus: Path) -> list[Row]:
    """Scan the corpus's documents and pair every labelled document with its item."""
    truth: dict[str, dict[str, str | None]] = json.loads((corpus / "truth.json").read_text())
    inventory = scan_folder(corpus / "documents", ReadOptions(ocr_lang=None))
    items = {f"documents/{s.display}": i for i in inventory.items for s in i.sources}
    return [Row(key, labels, items.get(key)) for key, labels in sorted(truth.items())]


def report(rows: list[Row]) -> str:
    """The tables, as Markdown."""
    lines = ["# Accuracy on real records", ""]
    right = sum(r.category_right for r in rows)
    lines += [
        f"Documents: {len(rows)}; category right: {right} ({100 * right / len(rows):.1f}%).",
        "",
    ]
    lines += _per_category(rows) + _confusion(rows) + _dates(rows) + _titles(rows) + _language(rows)
    return "\n".join(lines) + "\n"


def _per_category(rows: list[Row]) -> list[str]:
    by: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by[r.wanted[0]].append(r)
    out = ["## Categories", "", "| category | documents | right | % |", "|---|---:|---:|---:|"]
    for category, group in sorted(by.items(), key=lambda kv: -len(kv[1])):
        ok = sum(r.category_right for r in group)
        out.append(f"| {category} | {len(group)} | {ok} | {100 * ok / len(group):.0f} |")
    return [*out, ""]


def _confusion(rows: list[Row]) -> list[str]:
    pairs = Counter(
        (r.wanted[0], r.item.category.value if r.item else "(not read)")
        for r in rows
        if not r.category_right
    )
    out = ["## Confusions (labelled → read as)", "", "| labelled | read as | documents |",
           "|---|---|---:|"]  # fmt: skip
    out += [f"| {a} | {b} | {n} |" for (a, b), n in pairs.most_common()]
    return [*out, ""]


def _dates(rows: list[Row]) -> list[str]:
    stated = [r for r in rows if r.truth["date"]]
    right = [
        r for r in stated if r.item and r.item.date and r.item.date.isoformat() == r.truth["date"]
    ]
    unstated = [r for r in rows if not r.truth["date"]]
    invented = [
        r
        for r in unstated
        if r.item and r.item.date and r.item.date_source.startswith(("text", "ocr"))
    ]
    file_dated = [r for r in rows if r.item and r.item.file_dated]
    births = [r for r in rows if r.item and r.item.date and r.item.date == r.item.identity.dob]
    pct = 100 * len(right) / len(stated) if stated else 100.0
    return [
        "## Dates", "",
        f"- stated dates right: {len(right)} of {len(stated)} ({pct:.1f}%)",
        f"- a date read from the text where the document states none: {len(invented)} of "
        f"{len(unstated)}",
        f"- dated only by the file (PDF creation, EXIF, C-CDA creation): {len(file_dated)}",
        f"- date of birth used as the date: {len(births)}", "",
    ]  # fmt: skip


def _titles(rows: list[Row]) -> list[str]:
    named = sum(r.by_file_name for r in rows)
    return ["## Titles", "", f"- titled by file name: {named} of {len(rows)} "
            f"({100 * named / len(rows):.1f}%)", ""]  # fmt: skip


def _language(rows: list[Row]) -> list[str]:
    foreign = [r for r in rows if r.truth.get("language") not in (None, "en")]
    flagged = [r for r in rows if r.item and may_need_translation(r.item)]
    hit = [r for r in flagged if r in foreign]
    return ["## Language", "", f"- not in English: {len(foreign)}; flagged: {len(flagged)}, "
            f"of which not in English: {len(hit)}", ""]  # fmt: skip


def main() -> int:
    """Measure, print and write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "accuracy.md")
    parser.add_argument("--misses", action="store_true", help="list each wrong category")
    args = parser.parse_args()
    rows = measure(args.corpus)
    text = report(rows)
    args.out.write_text(text)
    print(text)
    if args.misses:
        for r in rows:
            if not r.category_right:
                got = r.item.category.value if r.item else "-"
                reason = r.item.reason if r.item else ""
                print(f"{r.key}\t{r.truth['category']}\t{got}\t{reason[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
