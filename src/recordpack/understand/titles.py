"""The title an item gets in the index: what a doctor would write, taken from the document.

Best first: the document's own title line; else the kind of record and its subject, read from
the line under (or beside) a header such as "PROCEDURE:" or "EXAM:" (``data/rules/titles.toml``);
else the kind of test or note the text names ("Transthoracic echocardiogram", "MRI left knee");
else the kind of record alone, with its sender when the first lines name one ("Medication list
from Get Well Clinic"). The file name is the last resort, and says so: "Untitled (scan0159.pdf)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from recordpack.models import Category
from recordpack.rules import check_keys, load_rules, require

MAX_TITLE = 90
SUBJECT_LINES = 60  # a subject header sits in a document's first lines
KIND_CHARACTERS = 1500  # a document says what kind of test it is near its start
SENDER_LINES = 3  # a letterhead is at the top
_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-•*])\s*")
_SHORT_LINE = 10  # words: a line this short naming a study and a body part is the study's name


@dataclass(frozen=True, slots=True)
class _TitleRule:
    name: str
    subject: re.Pattern[str] | None
    kinds: tuple[tuple[str, re.Pattern[str]], ...] = ()  # display name, what the text may say
    general: tuple[tuple[str, re.Pattern[str]], ...] = ()  # only when no other kind is named


@dataclass(frozen=True, slots=True)
class _Words:
    parts: re.Pattern[str]
    senders: re.Pattern[str]


@cache
def _rules() -> dict[Category, _TitleRule]:
    data = load_rules("titles.toml")
    where = "data/rules/titles.toml"
    check_keys(data, ("category", "words"), where)
    table = require(data, "category", dict, where)
    check_keys(table, [c.value for c in Category], f"{where} [category]")
    rules = {}
    for category in Category:
        entry = require(table, category.value, dict, f"{where} [category]")
        here = f"{where} [category.{category.value}]"
        check_keys(entry, ("name", "subject", "kinds", "general"), here)
        words = require(entry, "subject", list, here)
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"^\s*(?:{alternatives})\s*:\s*(.*)$", re.I) if words else None
        kinds, general = (
            tuple((name, _mentions(said)) for name, said in entry.get(key, {}).items())
            for key in ("kinds", "general")
        )
        rules[category] = _TitleRule(require(entry, "name", str, here), pattern, kinds, general)
    return rules


@cache
def _words() -> _Words:
    data = load_rules("titles.toml")
    words = require(data, "words", dict, "data/rules/titles.toml")
    check_keys(words, ("parts", "senders"), "data/rules/titles.toml [words]")
    return _Words(_mentions(words["parts"]), _mentions(words["senders"]))


def _mentions(words: list[str]) -> re.Pattern[str]:
    """Whole-word mentions of any of ``words``, the longest first; a short one only in capitals.

    "CT" or "EEG" in capitals is the test; "ct" is part of another word or sentence, and a
    capital abbreviation before a postal code ("Hartford, CT 06101") is a place.
    """
    long = [re.escape(w).replace(r"\ ", r"\s+") for w in words if len(w) > 3]
    short = [re.escape(w.upper()) for w in words if len(w) <= 3]
    ordered = "|".join(sorted(long, key=len, reverse=True))
    either = [f"(?i:{ordered})" if long else "", *short]
    alternatives = "|".join(x for x in either if x)
    return re.compile(rf"(?<![\w-])(?:{alternatives})[sS]?(?![\w-])(?!\s+\d{{5}})")


def title_for(text: str, category: Category, own: str, file_name: str) -> str:
    """The index title of a document of ``category`` whose own title line is ``own``."""
    if own.strip():
        return clean_title(own)
    rule = _rules()[category]
    subject = _subject(text, rule.subject) if rule.subject else ""
    if subject and any(said.search(subject.upper()) for _, said in rule.kinds + rule.general):
        return clean_title(subject)  # "CT head", not "CT: CT head"
    kind = _kind(text, rule, category)
    if (kind or rule.name) and subject:
        return clean_title(f"{kind or rule.name}: {subject}")
    if kind or subject:
        return clean_title(kind or subject)
    sender = _sender(text)
    if sender:
        return clean_title(f"{rule.name or 'Document'} from {sender}")
    return clean_title(rule.name) or f"Untitled ({file_name})"


def _kind(text: str, rule: _TitleRule, category: Category) -> str:
    """The kind of test or note the document's start names first ("Holter monitor"), or ""."""
    start = text[:KIND_CHARACTERS]
    for kinds in (rule.kinds, rule.general):
        found = [(m.start(), name, m) for name, said in kinds if (m := said.search(start))]
        if found:
            break
    else:
        return ""
    _, name, match = min(found, key=lambda f: f[0])
    if category is not Category.RADIOLOGY:
        return name
    line = start[start.rfind("\n", 0, match.start()) + 1 :].split("\n", 1)[0]
    part = _words().parts.search(line) if len(line.split()) <= _SHORT_LINE else None
    return f"{name} {part.group(0).lower()}" if part else name


def _sender(text: str) -> str:
    """An organisation named on one of the first lines, as a letterhead does, or ""."""
    lines = [x.strip() for x in text.splitlines() if x.strip()][:SENDER_LINES]
    return next((x for x in lines if len(x.split()) <= 8 and _words().senders.search(x)), "")


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
