"""How right recordpack reads real records: categories, dates, titles and language flags.

    python bench/accuracy.py ../shared/corpus      # prints the tables, writes bench/accuracy.md

The corpus is a folder with ``documents/`` (real records, any layout) and ``truth.json``:
``documents/<path>`` (zip members ``name.zip!member``) -> category (``a|b``: either counts),
date (ISO, or null when the document states none), language and a human title. Nothing of the
corpus is copied into recordpack: this script only measures.

Targets: 95% of categories overall and 90% in every category with 10 or more documents; 95% of
stated dates right; no undated document given a date from its text (that date is another
event's); no date of birth used as a date; 15% or fewer titles that only name the category, 5%
or fewer untitled; every labelled conclusion quoted whole and no wrong quote.

A fixed third of the corpus (by a hash of each path) is held out: rules are changed looking at
the other two thirds only, and both parts are reported, so a rule that fits the development
part more than it generalizes shows as a gap between them.

``conclusions.json`` labels, for reports of the corpus, the lines (0-based, first and last, in
the text recordpack reads) of the section that is the report's conclusion, or null when it has
none. Only line numbers: no text of the corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recordpack.check import may_need_translation
from recordpack.models import Item
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.understand.titles import category_name

HERE = Path(__file__).parent
CONCLUSIONS = json.loads((HERE / "conclusions.json").read_text())


def held_out(key: str) -> bool:
    """The fixed third of the corpus that rules are never tuned on."""
    return hashlib.sha256(key.encode()).digest()[0] % 3 == 0


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
    def category_only(self) -> bool:
        """Titled only by its category ("Imaging report"): twelve of them cannot be told apart."""
        return self.item is not None and self.item.title == category_name(self.item.category)

    @property
    def untitled(self) -> bool:
        """No title of its own: "Untitled (scan0159.pdf)"."""
        return self.item is None or self.item.title.startswith("Untitled (")

    @property
    def conclusion(self) -> str:
        """How the report's conclusion was quoted, against its label; "" when not labelled.

        right, cut, too long, wrong, missed, or invented (a quote where the report has none).
        """
        if self.key not in CONCLUSIONS:
            return ""
        quote = self.item.findings if self.item else ""
        span = CONCLUSIONS[self.key]
        if span is None:
            return "invented" if quote else "right"
        if not quote:
            return "missed"
        lines = self.item.text.splitlines() if self.item else []
        first, last = span
        head = lines[first].split(":", 1)[1] if ":" in lines[first] else ""
        wanted = " ".join(" ".join([head, *lines[first + 1 : last + 1]]).split()).lstrip(":;,. ")
        shortened = quote.endswith("…") and wanted.startswith(quote[:-1])
        if quote == wanted or shortened:
            return "right"
        if wanted.startswith(quote):
            return "cut"
        return "too long" if quote.startswith(wanted) else "wrong"

    @property
    def date_right(self) -> bool:
        """The stated date, read as labelled."""
        date = self.item.date if self.item else None
        return date is not None and date.isoformat() == self.truth["date"]

    @property
    def date_invented(self) -> bool:
        """Dated from its text where the document states no date of its own."""
        item = self.item
        return bool(
            not self.truth["date"]
            and item
            and item.date
            and item.date_source.startswith(("text", "ocr"))
        )

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
    lines += _parts(rows)
    lines += _per_category(rows) + _confusion(rows) + _dates(rows) + _titles(rows)
    lines += _conclusions(rows) + _language(rows)
    return "\n".join(lines) + "\n"


def _measures(rows: list[Row]) -> dict[str, str]:
    """The headline measures of a set of rows, as table cells."""

    def share(hits: int, of: int) -> str:
        return f"{hits}/{of} ({100 * hits / of:.1f}%)" if of else "-"

    stated = [r for r in rows if r.truth["date"]]
    dated = sum(r.date_right for r in stated)
    labelled = [r for r in rows if r.conclusion]
    return {
        "category right": share(sum(r.category_right for r in rows), len(rows)),
        "stated date right": share(dated, len(stated)),
        "undated, given a date from its text": str(sum(r.date_invented for r in rows)),
        "title only the category": share(sum(r.category_only for r in rows), len(rows)),
        "untitled": share(sum(r.untitled for r in rows), len(rows)),
        "conclusion quoted right": share(
            sum(r.conclusion == "right" for r in labelled), len(labelled)
        ),
        "conclusion wrong or invented": str(
            sum(r.conclusion in ("wrong", "invented") for r in labelled)
        ),
    }


def _parts(rows: list[Row]) -> list[str]:
    dev = _measures([r for r in rows if not held_out(r.key)])
    held = _measures([r for r in rows if held_out(r.key)])
    whole = _measures(rows)
    out = ["## Development and held-out parts", ""]
    out += ["| measure | development (2/3) | held out (1/3) | all |", "|---|---:|---:|---:|"]
    out += [f"| {name} | {dev[name]} | {held[name]} | {whole[name]} |" for name in whole]
    return [*out, ""]


def _conclusions(rows: list[Row]) -> list[str]:
    outcomes = Counter(r.conclusion for r in rows if r.conclusion)
    out = [
        "## Key findings",
        "",
        f"Reports labelled: {sum(outcomes.values())}.",
        "",
        "| quote | reports |",
        "|---|---:|",
    ]
    out += [f"| {name} | {n} |" for name, n in outcomes.most_common()]
    return [*out, ""]


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
    out = [
        "## Confusions (labelled → read as)",
        "",
        "| labelled | read as | documents |",
        "|---|---|---:|",
    ]
    out += [f"| {a} | {b} | {n} |" for (a, b), n in pairs.most_common()]
    return [*out, ""]


def _dates(rows: list[Row]) -> list[str]:
    stated = [r for r in rows if r.truth["date"]]
    right = [r for r in stated if r.date_right]
    unstated = [r for r in rows if not r.truth["date"]]
    invented = [r for r in unstated if r.date_invented]
    file_dated = [r for r in rows if r.item and r.item.file_dated]
    births = [r for r in rows if r.item and r.item.date and r.item.date == r.item.identity.dob]
    pct = 100 * len(right) / len(stated) if stated else 100.0
    return [
        "## Dates",
        "",
        f"- stated dates right: {len(right)} of {len(stated)} ({pct:.1f}%)",
        f"- a date read from the text where the document states none: {len(invented)} of "
        f"{len(unstated)}",
        f"- dated only by the file (PDF creation, EXIF, C-CDA creation): {len(file_dated)}",
        f"- date of birth used as the date: {len(births)}",
        "",
    ]


def _titles(rows: list[Row]) -> list[str]:
    named = sum(r.by_file_name for r in rows)
    only = Counter(r.item.title for r in rows if r.category_only and r.item)
    return [
        "## Titles",
        "",
        f"- titled by file name: {named} of {len(rows)} ({100 * named / len(rows):.1f}%)",
        "- only the category: " + ", ".join(f"{t} {n}" for t, n in only.most_common()),
        "",
    ]


def _language(rows: list[Row]) -> list[str]:
    foreign = [r for r in rows if r.truth.get("language") not in (None, "en")]
    flagged = [r for r in rows if r.item and may_need_translation(r.item)]
    hit = [r for r in flagged if r in foreign]
    return [
        "## Language",
        "",
        f"- not in English: {len(foreign)}; flagged: {len(flagged)}, "
        f"of which not in English: {len(hit)}",
        "",
    ]


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
