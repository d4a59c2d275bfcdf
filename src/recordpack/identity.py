"""Identity and language checks that second-opinion programs demand.

Programs refuse records whose name or date of birth differ from the patient's (City of Hope:
"must exactly match"), and ask for English records. This collects the names, birth dates and
record numbers printed on each document or stored in DICOM headers, compares them with the
patient file (or with each other), and flags documents that look not to be in English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from recordpack.dates import find_dates
from recordpack.models import DateOrder, Item, Timeline

_NAME = re.compile(
    r"(?:^|\s)(?:patient name|patient|name|pt)\s*[:#]\s*([A-Za-zÀ-ÿ' ,.-]{3,60}?)"
    r"(?=\s{2,}|\s+(?:dob|d\.o\.b|date of birth|mrn|age|sex)\b|$)",
    re.I | re.M,
)
_DOB = re.compile(
    r"(?:dob|d\.o\.b\.?|date of birth|birth date)\s*[:#]?\s*([0-9A-Za-z ,./-]{6,20})", re.I
)
_MRN = re.compile(
    r"(?:mrn|medical record (?:#|no\.?|number)|mr#)\s*[:#]?\s*([A-Z0-9-]{3,20})", re.I
)
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "with",
        "is",
        "for",
        "was",
        "no",
        "not",
        "on",
        "at",
        "by",
        "patient",
        "date",
        "report",
    ]
)
_OTHER = frozenset(
    [
        "der",
        "die",
        "und",
        "mit",
        "nicht",
        "le",
        "la",
        "les",
        "des",
        "et",
        "avec",
        "pour",
        "el",
        "los",
        "las",
        "con",
        "para",
        "del",
        "il",
        "della",
        "het",
        "een",
        "van",
    ]
)


@dataclass(frozen=True, slots=True)
class Identity:
    """What one item says about whose record it is."""

    name: str = ""
    dob: dt.date | None = None
    mrn: str = ""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A field whose value on some items differs from the expected one."""

    field: str
    expected: str
    found: str
    items: tuple[int, ...]


def normal_name(name: str) -> str:
    """Names without case, punctuation, initials or order: ``DOE, JANE M`` == ``Jane Doe``."""
    words = re.sub(r"[\W\d_]+", " ", name.lower()).split()
    return " ".join(sorted(w for w in words if len(w) > 1))  # initials are often left out


def identity_of(item: Item, order: DateOrder = DateOrder.MDY) -> Identity:
    """The name, date of birth and record number on one item (DICOM headers or text)."""
    identities = item.facts.get("identities")
    if isinstance(identities, list) and identities:
        name, mrn, dob = identities[0]
        return Identity(str(name), _dicom_date(str(dob)), str(mrn))
    head = "\n".join(item.text.splitlines()[:25])
    name = m.group(1).strip(" ,.") if (m := _NAME.search(head)) else ""
    dob = None
    if m := _DOB.search(head):
        found = find_dates(m.group(1), order)
        dob = found[0].date if found else None
    mrn = m.group(1) if (m := _MRN.search(head)) else ""
    return Identity(name, dob, mrn)


def _dicom_date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007
    except ValueError:
        return None


def check_identity(
    timeline: Timeline,
    *,
    name: str = "",
    dob: dt.date | None = None,
    order: DateOrder = DateOrder.MDY,
) -> list[Mismatch]:
    """Mismatches of name and date of birth against the patient file, or against the majority."""
    ids = {item.index: identity_of(item, order) for item in timeline.items}
    mismatches: list[Mismatch] = []
    fields: list[tuple[str, str, dict[int, str]]] = [
        ("name", normal_name(name), {i: normal_name(v.name) for i, v in ids.items() if v.name}),
        (
            "dob",
            dob.isoformat() if dob else "",
            {i: v.dob.isoformat() for i, v in ids.items() if v.dob},
        ),
    ]
    for field, expected, values in fields:
        if not values:
            continue
        want = expected or Counter(values.values()).most_common(1)[0][0]
        wrong: dict[str, list[int]] = {}
        for index, value in values.items():
            if value != want:
                wrong.setdefault(value, []).append(index)
        mismatches.extend(
            Mismatch(field, want, value, tuple(sorted(indexes))) for value, indexes in wrong.items()
        )
    return mismatches


def may_need_translation(item: Item) -> bool:
    """Enough text, and more common French/German/Spanish/Italian/Dutch words than English."""
    words = re.findall(r"[a-zà-ÿ]+", item.text.lower())
    if len(words) < 40:
        return False
    english = sum(w in _ENGLISH for w in words)
    other = sum(w in _OTHER for w in words)
    return other > english
