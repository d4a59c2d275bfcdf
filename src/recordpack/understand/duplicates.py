"""The same report twice becomes one item: the best copy in the packet, the others named.

A portal PDF and a photo of it, a fax, a copy inside a download-all: the best copy goes in the
packet, the others are named on the notes page.

Identical files are already one item (same SHA-256). Copies that differ in their bytes are
found by what they say: the same category, the same stated date, nearly all the words of the
shorter in the longer, and the same numbers. Text alone never merges: a note written by copying
the last visit's note forward shares half its words, but not its date or its numbers.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Sequence

from recordpack.models import Item, Problem, Severity

WORDS = 0.85  # share of the shorter copy's words found in the longer
NUMBERS = 0.9  # share of the shorter copy's numbers in the longer, when one was read by OCR
MIN_WORDS = 12  # fewer distinct words say too little to call two documents the same
_WORD = re.compile(r"[^\W\d_]{4,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def collapse_copies(items: Sequence[Item]) -> tuple[list[Item], list[Problem]]:
    """Items with each report's copies folded into its best copy, and a note per copy folded."""
    buckets: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        if item.study is None and item.date and not item.file_dated:
            buckets[(item.category.value, item.date.isoformat())].append(item)
    folded: dict[str, Item] = {}  # id of a copy folded -> the item it went into
    kept: dict[str, Item] = {}
    for bucket in buckets.values():
        for best, copies in _groups(bucket):
            kept[best.id] = dataclasses.replace(
                best, sources=(*best.sources, *(s for c in copies for s in c.sources))
            )
            folded |= {copy.id: best for copy in copies}
    notes = [_note(copy, folded[copy.id]) for copy in items if copy.id in folded]
    result = [kept.get(i.id, i) for i in items if i.id not in folded]
    return result, notes


def _groups(bucket: list[Item]) -> list[tuple[Item, list[Item]]]:
    """Copies of one report among items of one category and date: (best copy, the others)."""
    if len(bucket) < 2:
        return []
    prints = {item.id: _fingerprint(item) for item in bucket}  # once each, not once per pair
    groups: list[list[Item]] = []
    for item in sorted(bucket, key=_quality, reverse=True):
        home = next((g for g in groups if _same(g[0], item, prints)), None)
        if home is None:
            groups.append([item])
        else:
            home.append(item)
    return [(g[0], g[1:]) for g in groups if len(g) > 1]


def _ocr(item: Item) -> bool:
    return item.ocr is not None or item.scanned


def _quality(item: Item) -> tuple[bool, bool, int, int]:
    """Best copy first: a text layer (not OCR), a whole file, more pages, more text."""
    whole = not any(s.pages for s in item.sources)
    return not _ocr(item), whole, item.pages or 0, len(item.text)


def _fingerprint(item: Item) -> tuple[frozenset[str], frozenset[str]]:
    """A copy's distinct words and numbers."""
    text = item.text.lower()
    return frozenset(_WORD.findall(text)), frozenset(_NUMBER.findall(text))


def _same(a: Item, b: Item, prints: dict[str, tuple[frozenset[str], frozenset[str]]]) -> bool:
    """Nearly all words, and the numbers, of the shorter copy are in the longer.

    Between two text layers every number must be found (a note copied forward changes a few);
    a copy read by OCR may have misread some.
    """
    (words_a, numbers_a), (words_b, numbers_b) = prints[a.id], prints[b.id]
    if min(len(words_a), len(words_b)) < MIN_WORDS:
        return False
    if len(words_a & words_b) / min(len(words_a), len(words_b)) < WORDS:
        return False
    if not (_ocr(a) or _ocr(b)):  # every number of the shorter text in the longer
        return numbers_a <= numbers_b if len(words_a) <= len(words_b) else numbers_b <= numbers_a
    fewer = min(len(numbers_a), len(numbers_b))
    return len(numbers_a & numbers_b) >= NUMBERS * fewer if fewer else numbers_a == numbers_b


def _note(copy: Item, best: Item) -> Problem:
    source = copy.sources[0]
    return Problem(
        source.display,
        Severity.INFO,
        f"another copy of '{best.title}' ({source.where}): the same date, text and numbers as"
        f" {best.sources[0].where}, which is the copy in the packet",
        "nothing to do, unless they are different reports: then check both files",
    )
