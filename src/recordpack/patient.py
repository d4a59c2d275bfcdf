"""The patient file (``patient.toml``): who the packet is for, the consult, and physical items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recordpack.checklist import PhysicalRecord
from recordpack.errors import RuleDataError
from recordpack.rules import read_toml


@dataclass(frozen=True, slots=True)
class Patient:
    """What is known about the patient and the consult; every field may be missing."""

    name: str = ""
    dob: dt.date | None = None
    condition: str = ""
    consult_date: dt.date | None = None
    physical: tuple[PhysicalRecord, ...] = ()


def load_patient(path: Path | None) -> Patient:
    """Read a patient file; errors name the file and the key."""
    if path is None:
        return Patient()
    data = read_toml(path)
    physical = data.get("physical", [])
    if not isinstance(physical, list):
        raise RuleDataError(f"{path}: 'physical' must be a list of [[physical]] tables")
    return Patient(
        name=str(data.get("name", "")),
        dob=_date(data, "dob", str(path)),
        condition=str(data.get("condition", "")),
        consult_date=_date(data, "consult_date", str(path)),
        physical=tuple(
            _physical(entry, f"{path}: physical #{n}") for n, entry in enumerate(physical, 1)
        ),
    )


def _date(data: dict[str, Any], key: str, where: str) -> dt.date | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleDataError(f"{where}: key '{key}' must be a date like 2026-10-02") from None


def _physical(entry: Any, where: str) -> PhysicalRecord:
    if not isinstance(entry, dict) or not entry.get("what"):
        raise RuleDataError(f"{where}: needs 'what' (e.g. \"pathology slides\")")
    return PhysicalRecord(
        what=str(entry["what"]),
        item=str(entry.get("item", "")),
        source=str(entry.get("from", "")),
        requested=_date(entry, "requested", where),
        shipped=_date(entry, "shipped", where),
        received=_date(entry, "received", where),
        tracking=str(entry.get("tracking", "")),
    )
