"""The conclusion of a report, quoted verbatim for the cover: never paraphrased or generated.

A conclusion is the section under a conclusion heading (``data/rules/findings.toml``): a line of
its own or a line that starts with the heading and a colon, singular or plural, in English,
Dutch, German, French or Spanish. The highest-ranked heading a report has wins (a summary or a
final diagnosis over an interpretation paragraph). The section runs to the next section, a
signature, or a blank line that neither a numbered list nor an unfinished sentence runs across.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from recordpack.models import Category
from recordpack.rules import check_keys, load_rules

MAX_SECTION = 1200  # characters kept of a conclusion: longer is a report body, not a conclusion
QUOTED = frozenset(
    {
        Category.PATHOLOGY,
        Category.RADIOLOGY,
        Category.GENETICS,
        Category.CARDIOLOGY,
        Category.PROCEDURE,
    }
)
_BULLET = r"(?:[-*•#>]+\s*|\d{1,2}[.)]\s*|[A-Z][.)]\s+)?"  # a list mark before a heading
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|\(?[a-zA-Z0-9]\)|[A-Z]\.)\s")
_LABEL = re.compile(r"^\s*[A-Z][A-Z0-9 /&-]{1,48}(?:\([^)]{0,40}\))?\s*:")  # "COMPARISON:"
_CAPS_HEADING = re.compile(r"^\s*[A-Z][A-Z/&-]*(?: [A-Z/&-]+){0,3}\s*$")  # "PLAN", "COMMENT"
_RULE = re.compile(r"^\s*[-=_*~]{5,}\s*$")  # a drawn line between sections
_SAME = re.compile(r"^(?:same|as above|same as above|idem)\W*$", re.I)  # "Postoperative: same."
_FINISHED = re.compile(r"[.!?;:)\]]\s*$")


RANKS = ("summary", "conclusion", "diagnosis", "interpretation")  # most telling first


@dataclass(frozen=True, slots=True)
class _Rules:
    headings: dict[Category, tuple[re.Pattern[str], ...]]  # by rank, most telling first
    ends: re.Pattern[str]
    pending: tuple[str, ...]
    pending_longest: int


@cache
def _rules() -> _Rules:
    data = load_rules("findings.toml")
    where = "data/rules/findings.toml"
    check_keys(data, ["ranks", "extra", "not", "ends", "pending"], where)
    check_keys(data["ranks"], RANKS, f"{where} [ranks]")
    quoted = [c.value for c in QUOTED]
    check_keys(data["extra"], quoted, f"{where} [extra]")
    check_keys(data["not"], quoted, f"{where} [not]")
    headings = {}
    for category in QUOTED:
        extra, skip = data["extra"].get(category.value, {}), data["not"].get(category.value, [])
        check_keys(extra, RANKS, f"{where} [extra.{category.value}]")
        headings[category] = tuple(
            _heading([w for w in data["ranks"][rank] + extra.get(rank, []) if w not in skip])
            for rank in RANKS
        )
    starts, sections = (_words(data["ends"][key]) for key in ("starts", "sections"))
    pending = data["pending"]
    ends = rf"^(?:(?:{starts})|(?:{sections})s?\s*(?::|$))"
    return _Rules(
        headings, re.compile(ends, re.I), tuple(pending["words"]), int(pending["longest"])
    )


def _heading(words: list[str]) -> re.Pattern[str]:
    """A heading line: alone, or with a colon and the conclusion's first words after it."""
    return re.compile(
        rf"^\s*{_BULLET}(?:{_words(words)})s?(?:\s*[/&]\s*\w+(?:\s\w+)?)?[\s*_=]*(?::\s*(.*)|-?\s*)$",
        re.I,
    )


def _words(words: list[str]) -> str:
    """Alternatives for a pattern, the longest first, any run of spaces between words."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def key_findings(text: str, category: Category) -> str:
    """The report's own conclusion, verbatim (whitespace folded), or ""."""
    if category not in QUOTED:
        return ""
    lines = text.splitlines()
    for pattern in _rules().headings[category]:
        for n, line in enumerate(lines):
            if not (m := pattern.match(line)):
                continue
            quote = _section(m.group(1) or "", lines[n + 1 :])
            if quote and not _SAME.match(quote):
                return quote
    return ""


def is_pending(quote: str) -> bool:
    """A quote that only says the result will follow: shown as pending, never as a finding."""
    rules = _rules()
    low = quote.lower()
    return len(quote) <= rules.pending_longest and any(w in low for w in rules.pending)


def _section(rest: str, following: list[str]) -> str:
    parts = [rest.strip()] if rest.strip() else []
    blank = False
    for line in following:
        if not line.strip():
            blank = bool(parts)
            continue
        if parts and _ends(line, parts[-1]):
            break
        if blank and not _runs_on(parts, line):
            break
        blank = False
        parts.append(line.strip())
        if sum(len(p) for p in parts) > MAX_SECTION:
            break
    quote = " ".join(" ".join(parts).split()).lstrip(":;,. ")  # a colon extraction left alone
    return quote if len(quote) <= MAX_SECTION else quote[: MAX_SECTION - 1].rstrip(" ,;") + "…"


def _ends(line: str, before: str) -> bool:
    """Another section, a signature or page furniture starts on this line.

    A short upper-case line is a heading ("PLAN") only after a finished sentence: in a report
    written in capitals it may be the conclusion going on.
    """
    if _LABEL.match(line) or _RULE.match(line) or _rules().ends.match(line.strip()):
        return True
    return bool(_CAPS_HEADING.match(line) and _FINISHED.search(before))


def _runs_on(parts: list[str], line: str) -> bool:
    """After a blank line: a numbered list goes on, or a sentence cut by the blank line does."""
    if _LIST_ITEM.match(line) and any(_LIST_ITEM.match(p) for p in parts):
        return True
    first = line.strip()[:1]
    return not _FINISHED.search(parts[-1]) and (first.islower() or first.isdigit())
