"""The title an item gets in the index: what a doctor would write, taken from the document.

Best first: the document's own title line; else the kind of record and its subject, read from
the line under (or beside) a header such as "PROCEDURE:" or "EXAM:" (``data/rules/titles.toml``);
else the kind of record alone. The file name is the last resort, and says so:
"Untitled (scan0159.pdf)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from recordpack.models import Category
from recordpack.rules import check_keys, load_rules, require

MAX_TITLE = 90
SUBJECT_LINES = 60  # a subject header sits in a document's first lines
_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-•*])\s*")


@dataclass(frozen=True, slots=True)
class _TitleRule:
    name: str
    subject: re.Pattern[str] | None


@cache
def _rules() -> dict[Category, _TitleRule]:
    data = load_rules("titles.toml")
    where = "data/rules/titles.toml"
    check_keys(data, ("category",), where)
    table = require(data, "category", dict, where)
    check_keys(table, [c.value for c in Category], f"{where} [category]")
    rules = {}
    for category in Category:
        entry = require(table, category.value, dict, f"{where} [category]")
        here = f"{where} [category.{category.value}]"
        check_keys(entry, ("name", "subject"), here)
        words = require(entry, "subject", list, here)
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"^\s*(?:{alternatives})\s*:\s*(.*)$", re.I) if words else None
        rules[category] = _TitleRule(require(entry, "name", str, here), pattern)
    return rules


def title_for(text: str, category: Category, own: str, file_name: str) -> str:
    """The index title of a document of ``category`` whose own title line is ``own``."""
    if own.strip():
        return clean_title(own)
    rule = _rules()[category]
    subject = _subject(text, rule.subject) if rule.subject else ""
    if rule.name and subject:
        return clean_title(f"{rule.name}: {subject}")
    return clean_title(rule.name or subject) or f"Untitled ({file_name})"


def category_name(category: Category) -> str:
    """The title a document gets when it names nothing but its kind ("Imaging report")."""
    return _rules()[category].name


def _subject(text: str, pattern: re.Pattern[str]) -> str:
    """What the first subject header names: the rest of its line, else the next line."""
    lines = text.splitlines()[:SUBJECT_LINES]
    for n, line in enumerate(lines):
        if m := pattern.match(line):
            rest = m.group(1).strip(" :")
            following = next((x.strip() for x in lines[n + 1 : n + 3] if x.strip(" :")), "")
            candidate = rest or following
            candidate = _NUMBERED.sub("", candidate).strip(" .,;:")
            if len(candidate) >= 3 and not candidate.endswith(":"):
                return _sentence_case(candidate)
    return ""


def _sentence_case(text: str) -> str:
    """SHOUTED subjects read as sentences: "LEFT UPPER LOBECTOMY" -> "Left upper lobectomy"."""
    return text[:1].upper() + text[1:].lower() if text.isupper() else text


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_title(title: str) -> str:
    r"""One line of printable text, at most MAX_TITLE characters (shortened with …).

    Control characters go: a title carrying a terminal escape ("\x1b[2J") must not act on the
    screen, the PDF or a spreadsheet.
    """
    title = " ".join(_CONTROLS.sub(" ", title).split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip(" ,;") + "…"
