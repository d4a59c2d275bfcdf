"""Stage 4, check: the timeline against a condition's checklist, and the patient's identity.

Second-opinion programs refuse records whose name or date of birth differ from the patient's
(City of Hope: "must exactly match"), and ask for English records. The checklist says what is
present, missing or stale; the identity check compares what each item says (read once, by the
understand stage) with the patient file, or with the majority; the language check flags items
that look not to be in English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from recordpack.checklist import evaluate_checklist, load_checklist
from recordpack.models import Item, Timeline
from recordpack.options import today
from recordpack.patient import Patient
from recordpack.request import request_states
from recordpack.results import CheckResult, Mismatch

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


def check_records(
    timeline: Timeline, *, checklist: str | None, patient: Patient, consult_date: dt.date
) -> CheckResult:
    """Evaluate a checklist (by name, alias or path; else the patient's condition, else general)."""
    chosen = load_checklist(checklist or patient.condition or None)
    report = evaluate_checklist(
        chosen, timeline, consult_date=consult_date, physical=patient.physical
    )
    mismatches = check_identity(timeline, name=patient.name, dob=patient.dob)
    translation = [item for item in timeline.items if may_need_translation(item)]
    requests = request_states(patient, today())
    return CheckResult(report, mismatches, translation, requests)


def normal_name(name: str) -> str:
    """Names without case, punctuation, initials or order: ``DOE, JANE M`` == ``Jane Doe``."""
    words = re.sub(r"[\W\d_]+", " ", name.lower()).split()
    return " ".join(sorted(w for w in words if len(w) > 1))  # initials are often left out


def check_identity(
    timeline: Timeline, *, name: str = "", dob: dt.date | None = None
) -> list[Mismatch]:
    """Mismatches of name and date of birth against the patient file, or against the majority."""
    ids = {item.index: item.identity for item in timeline.items}
    fields: list[tuple[str, str, dict[int, str]]] = [
        ("name", normal_name(name), {i: normal_name(v.name) for i, v in ids.items() if v.name}),
        (
            "dob",
            dob.isoformat() if dob else "",
            {i: v.dob.isoformat() for i, v in ids.items() if v.dob},
        ),
    ]
    mismatches: list[Mismatch] = []
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
