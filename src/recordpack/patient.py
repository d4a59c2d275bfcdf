"""The patient file (``patient.toml``): who the packet is for, the consult, and physical items."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recordpack.checklist import PhysicalRecord
from recordpack.errors import RuleDataError
from recordpack.rules import check_keys, read_toml

PATIENT_FILE = "patient.toml"  # may live in the records folder; it is read, never a record
_KEYS = (
    "name",
    "dob",
    "sex",
    "identifiers",
    "condition",
    "consult_date",
    "questions",
    "treating",
    "referring",
    "medications",
    "allergies",
    "history",
    "physical",
    "address",
    "phone",
    "email",
    "provider",
    "request",
)
_PHYSICAL_KEYS = (
    "what",
    "item",
    "from",
    "accession",
    "requested",
    "shipped",
    "received",
    "tracking",
)
_PROVIDER_KEYS = ("name", "department", "address", "fax", "email", "phone", "holds")
_REQUEST_KEYS = ("provider", "sent", "jurisdiction", "received", "items")


@dataclass(frozen=True, slots=True)
class Provider:
    """A holder of records: where a request letter goes, and what it holds.

    ``holds`` names checklist item ids or record categories ("pathology", "imaging"), so that
    each missing item is asked of the provider that has it.
    """

    name: str
    department: str = ""
    address: str = ""
    fax: str = ""
    email: str = ""
    phone: str = ""
    holds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SentRequest:
    """A request for records that was sent: to whom, when, under which law, and if answered."""

    provider: str
    sent: dt.date
    jurisdiction: str = "us"
    received: dt.date | None = None
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Patient:
    """What is known about the patient and the consult; every field may be missing."""

    name: str = ""
    dob: dt.date | None = None
    sex: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()
    condition: str = ""
    consult_date: dt.date | None = None
    questions: tuple[str, ...] = ()
    treating: tuple[str, ...] = ()
    referring: str = ""
    medications: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    history: str = ""
    physical: tuple[PhysicalRecord, ...] = ()
    address: str = ""
    phone: str = ""
    email: str = ""
    providers: tuple[Provider, ...] = ()
    requests: tuple[SentRequest, ...] = ()


def load_patient(path: Path | None) -> Patient:
    """Read a patient file; errors name the file and the key."""
    if path is None:
        return Patient()
    return parse_patient(read_toml(path), path)


def parse_patient(data: dict[str, Any], path: Path | str) -> Patient:
    """A patient from a patient file's TOML; ``path`` names it in errors."""
    check_keys(data, _KEYS, str(path))
    physical = _tables(data, "physical", str(path))
    identifiers = data.get("identifiers", {})
    if not isinstance(identifiers, dict):
        raise RuleDataError(
            f"{path}: 'identifiers' must be a table, e.g. [identifiers] MRN = \"123\""
        )
    return Patient(
        name=str(data.get("name", "")),
        dob=_date(data, "dob", str(path)),
        sex=str(data.get("sex", "")),
        identifiers=tuple((str(k), str(v)) for k, v in identifiers.items()),
        condition=str(data.get("condition", "")),
        consult_date=_date(data, "consult_date", str(path)),
        questions=_strings(data, "questions", str(path)),
        treating=_strings(data, "treating", str(path)),
        referring=str(data.get("referring", "")),
        medications=_strings(data, "medications", str(path)),
        allergies=_strings(data, "allergies", str(path)),
        history=str(data.get("history", "")),
        physical=tuple(
            _physical(entry, f"{path}: physical #{n}") for n, entry in enumerate(physical, 1)
        ),
        address=str(data.get("address", "")),
        phone=str(data.get("phone", "")),
        email=str(data.get("email", "")),
        providers=tuple(
            _provider(entry, f"{path}: provider #{n}")
            for n, entry in enumerate(_tables(data, "provider", str(path)), 1)
        ),
        requests=tuple(
            _request(entry, f"{path}: request #{n}")
            for n, entry in enumerate(_tables(data, "request", str(path)), 1)
        ),
    )


def resolve_patient(
    folder: Path,
    patient_file: Path | None = None,
    *,
    name: str | None = None,
    dob: dt.date | None = None,
    condition: str | None = None,
    questions: tuple[str, ...] = (),
    default_condition: str | None = None,
) -> Patient:
    """The patient of one build: the given file, else the folder's own, with flags on top.

    Precedence: a flag beats the patient file, which beats a clinic's default condition.
    """
    own = folder / PATIENT_FILE
    path = patient_file or (own if own.is_file() else None)
    patient = load_patient(path)
    return replace(
        patient,
        name=name or patient.name,
        dob=dob or patient.dob,
        condition=condition or patient.condition or default_condition or "",
        questions=questions or patient.questions,
    )


def _tables(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise RuleDataError(f"{where}: '{key}' must be a list of [[{key}]] tables")
    return value


def _provider(entry: Any, where: str) -> Provider:
    if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
        raise RuleDataError(f"{where}: needs 'name' (e.g. \"Cascade Pathology Associates\")")
    check_keys(entry, _PROVIDER_KEYS, where)
    return Provider(
        name=str(entry["name"]).strip(),
        **{k: str(entry.get(k, "")).strip() for k in _PROVIDER_KEYS[1:6]},
        holds=_strings(entry, "holds", where),
    )


def _request(entry: Any, where: str) -> SentRequest:
    if not isinstance(entry, dict) or not entry.get("provider") or not entry.get("sent"):
        raise RuleDataError(f"{where}: needs 'provider' (a provider's name) and 'sent' (a date)")
    check_keys(entry, _REQUEST_KEYS, where)
    sent = _date(entry, "sent", where)
    assert sent is not None  # noqa: S101 - checked above
    return SentRequest(
        provider=str(entry["provider"]).strip(),
        sent=sent,
        jurisdiction=str(entry.get("jurisdiction", "us")).strip().lower(),
        received=_date(entry, "received", where),
        items=_strings(entry, "items", where),
    )


def _strings(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleDataError(f"{where}: key '{key}' must be a list of strings")
    return tuple(v for v in value if v.strip())


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
    check_keys(entry, _PHYSICAL_KEYS, where)
    return PhysicalRecord(
        what=str(entry["what"]),
        item=str(entry.get("item", "")),
        source=str(entry.get("from", "")),
        requested=_date(entry, "requested", where),
        shipped=_date(entry, "shipped", where),
        received=_date(entry, "received", where),
        tracking=str(entry.get("tracking", "")),
        accession=str(entry.get("accession", "")),
    )


TEMPLATE = """\
# recordpack patient file: who the packet is for and what the second doctor is asked.
# Every field may stay empty; the packet's cover shows what is known.
# Dates are written YYYY-MM-DD, without quotes.

name = {name}                      # as on your ID: programs refuse records with a different name
dob = {dob}                         # date of birth, e.g. 1968-07-22
sex = {sex}
condition = {condition}             # a checklist id or alias: `recordpack checklists` lists them
consult_date = {consult_date}       # the date of the second-opinion consult

# The question(s) for the second doctor: the most useful lines in the packet.
questions = [{questions}]

treating = []                       # e.g. ["Dr Michael Okafor, medical oncology"]
referring = ""                      # the doctor who referred you for this opinion
address = ""                        # yours: request letters say where to send copies
phone = ""
email = ""
medications = []                    # e.g. ["letrozole 2.5 mg daily"]
allergies = []                      # e.g. ["penicillin (rash)"]
history = \"\"\"
\"\"\"

[identifiers]                       # record numbers, e.g. MRN = "448812"

# Slides, tissue blocks and imaging CDs travel by courier; track them here and the packet
# includes a transmittal sheet to print and put in the box. Copy the block for each item.
# [[physical]]
# what = "pathology slides and blocks"
# from = "Cascade Pathology Associates"
# accession = "S25-10422"
# requested = 2026-10-02
# shipped = 2026-10-09
# received = 2026-10-14
# tracking = "1Z999AA10123456784"

# Who holds your records: `recordpack request` writes each one a letter asking for what the
# checklist finds missing. `holds` lists record categories or checklist item ids.
# [[provider]]
# name = "Cascade Pathology Associates"
# department = "Medical records"
# address = "1200 NW Example Ave, Portland, OR 97209"
# fax = "+1 503 555 0100"
# email = ""
# holds = ["pathology"]

# Requests you sent: `recordpack check` shows when each answer is due and flags late ones.
# [[request]]
# provider = "Cascade Pathology Associates"
# sent = 2026-11-10
# jurisdiction = "us"               # us, uk or eu
# received = 2026-11-20             # once the records arrived
"""


def patient_template(
    *,
    name: str = "",
    dob: str = "",
    sex: str = "",
    condition: str = "",
    consult_date: str = "",
    question: str = "",
) -> str:
    """The commented patient.toml that ``recordpack init`` writes, with any answers filled in."""

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML string

    def date(value: str) -> str:
        return value if value else '""'

    return TEMPLATE.format(
        name=text(name),
        dob=date(dob),
        sex=text(sex),
        condition=text(condition),
        consult_date=date(consult_date),
        questions=text(question) if question else "",
    )
