"""The stages in order, for commands that need more than one of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from recordpack.checklist import ChecklistReport, evaluate_checklist, load_checklist
from recordpack.identity import Mismatch, check_identity, may_need_translation
from recordpack.models import DateOrder, Item, Timeline
from recordpack.patient import Patient


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A checklist report with the identity and language findings that go with it."""

    report: ChecklistReport
    mismatches: list[Mismatch]
    translation: list[Item]


def check_records(
    timeline: Timeline,
    *,
    checklist: str | None,
    patient: Patient,
    consult_date: dt.date,
    date_order: DateOrder = DateOrder.MDY,
) -> CheckResult:
    """Evaluate a checklist (by name, alias or path; else the patient's condition, else general)."""
    chosen = load_checklist(checklist or patient.condition or None)
    report = evaluate_checklist(
        chosen, timeline, consult_date=consult_date, physical=patient.physical
    )
    mismatches = check_identity(timeline, name=patient.name, dob=patient.dob, order=date_order)
    translation = [item for item in timeline.items if may_need_translation(item)]
    return CheckResult(report, mismatches, translation)
