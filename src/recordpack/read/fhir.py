"""HL7 FHIR R4 JSON (portal and app exports): read as records, not as JSON text.

A Bundle (a FHIR document with its Composition, or a collection of reports), a single
DiagnosticReport or a DocumentReference becomes one readable text: the title, the patient's
name and date of birth (so the identity check sees them), each section or report with its
results as table rows, and any text or XHTML attached to a report. A PDF or an image attached
in the file itself (``presentedForm``, a DocumentReference's content) is a file of its own,
named ``attachment-N.pdf`` inside the JSON as a member is inside a zip (:mod:`~recordpack.members`):
it is read, placed and bundled as any record; only a link to elsewhere is named and not shown.
The type comes from a LOINC document code or the report's diagnostic
service (HL7 v2 table 0074: LAB, RAD, PAT, ...), the date from the clinically relevant time
(``effective``, the document's period), never from when the file was made. Any field may be
missing or of the wrong shape: a reader of untrusted JSON takes what it can and never fails on
structure, only on JSON that does not parse.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from html.parser import HTMLParser
from typing import Any

from recordpack.errors import ReadError
from recordpack.members import (
    MAX_RESOURCES,
    REPORTS,
    attached_file,
    attachments,
    content_type,
    fhir_resources,
)
from recordpack.models import Kind, Notice, Reading, Severity
from recordpack.read.cda import document_types
from recordpack.read.dicom import parse_da

MAX_NARRATIVE = 256 * 1024  # characters of one narrative or attached text: enough to classify
_TEXTS = ("text/plain", "text/html", "application/xhtml+xml")


def read_fhir(data: bytes) -> Reading:
    """A FHIR resource or bundle's type, title, dates and content as text."""
    try:
        root = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReadError(
            f"damaged FHIR JSON ({type(exc).__name__})",
            "export the record again from the portal or app, or print it to PDF",
        ) from exc
    resources = fhir_resources(root)
    if not resources:
        raise ReadError("a JSON file without FHIR resources", "export the record as PDF")
    by_ref = {f"{r.get('resourceType')}/{r.get('id')}": r for r in resources if r.get("id")}
    main = next((r for kind in REPORTS for r in resources if r["resourceType"] == kind), None)
    reports = [r for r in resources if r["resourceType"] in REPORTS[1:]]
    lines = _patient_lines(resources)
    title, doc_type, dates = _header(main, len(reports))
    if main is None and (latest := _latest(resources)):
        dates["fhir:effective"] = latest  # results alone: the most recent one dates them
    if isinstance(root, dict) and (stamp := _date(root.get("timestamp"))):
        dates.setdefault("fhir:timestamp", stamp)  # when the export was made: a file date
    lines += _composition_lines(main) if main and main["resourceType"] == "Composition" else []
    for report in reports:
        lines += _report_lines(report, by_ref, heading=len(reports) > 1)
    if not reports and not (main and main["resourceType"] == "Composition"):
        lines += _observation_lines([r for r in resources if r["resourceType"] == "Observation"])
    warnings = _attachment_warnings(reports)
    text = "\n".join([title.upper(), *lines] if title else lines).strip()
    return Reading(
        kind=Kind.TEXT,
        text=text,
        pages=None,
        title=title,
        dates=dates,
        doc_type=doc_type,
        warnings=warnings,
    )


def _header(main: dict[str, Any] | None, reports: int) -> tuple[str, str, dict[str, dt.date]]:
    """Title, document type and dates of the bundle's main resource."""
    if main is None:
        return "Results", "FHIR", {}
    kind = main["resourceType"]
    title = _str(main.get("title")) or _str(main.get("description")) or _concept(main.get("type"))
    title = title or _concept(main.get("code"))
    if kind == "DiagnosticReport" and reports > 1:
        title = f"{reports} reports"
    stated = [_loinc(main.get("type")), _loinc(main.get("code")), _service(main)]
    known = document_types()  # a panel's LOINC code ("CBC") is not a document type: go on
    doc_type = next((t for t in stated if t in known), "") or next((t for t in stated if t), "FHIR")
    dates: dict[str, dt.date] = {}
    for source, value in (
        ("fhir:effective", main.get("effectiveDateTime")),
        ("fhir:effective", _dict(main.get("effectivePeriod")).get("start")),
        ("fhir:period", _dict(_dict(main.get("context")).get("period")).get("start")),
        ("fhir:event", _event_start(main)),
        ("fhir:date", main.get("date") if kind == "Composition" else None),
        ("fhir:issued", main.get("issued")),
        ("fhir:indexed", main.get("date") if kind == "DocumentReference" else None),
    ):
        if (found := _date(value)) and source not in dates:
            dates[source] = found
    return title, doc_type, dates


def _latest(resources: list[dict[str, Any]]) -> dt.date | None:
    found = [
        _date(r.get("effectiveDateTime")) for r in resources if r["resourceType"] == "Observation"
    ]
    return max((d for d in found if d), default=None)


def _event_start(main: dict[str, Any]) -> Any:
    events = _list(main.get("event"))
    return _dict(_dict(events[0]).get("period")).get("start") if events else None


def _service(report: dict[str, Any]) -> str:
    """A DiagnosticReport's diagnostic service section (v2-0074), as "v2-0074 LAB"."""
    for concept in _list(report.get("category")):
        for coding in _list(_dict(concept).get("coding")):
            if code := _str(_dict(coding).get("code")):
                return f"v2-0074 {code.upper()}"
    return ""


def _loinc(concept: Any) -> str:
    for coding in _list(_dict(concept).get("coding")):
        coding = _dict(coding)
        if "loinc" in _str(coding.get("system")).lower() and (code := _str(coding.get("code"))):
            return code
    return ""


def _patient_lines(resources: list[dict[str, Any]]) -> list[str]:
    patient = next((r for r in resources if r["resourceType"] == "Patient"), None)
    if patient is None:
        return []
    names = [_dict(n) for n in _list(patient.get("name"))]
    name = next((_str(n.get("text")) for n in names if n.get("text")), "")
    if not name and names:
        given = " ".join(_str(g) for g in _list(names[0].get("given")))
        name = f"{given} {_str(names[0].get('family'))}".strip()
    mrn = next((_str(_dict(i).get("value")) for i in _list(patient.get("identifier"))), "")
    lines = [f"Patient: {name}"] if name else []
    if birth := _date(patient.get("birthDate")):
        lines.append(f"Date of birth: {birth.isoformat()}")
    return lines + ([f"MRN: {mrn}"] if mrn else [])


def _composition_lines(composition: dict[str, Any], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for section in _list(composition.get("section"))[:MAX_RESOURCES]:
        section = _dict(section)
        if heading := _str(section.get("title")) or _concept(section.get("code")):
            lines += ["", f"{heading.upper()}:"]
        lines += _narrative(section.get("text"))
        if depth < 5:
            lines += _composition_lines(section, depth + 1)
    return lines


def _report_lines(
    report: dict[str, Any], by_ref: dict[str, dict[str, Any]], *, heading: bool
) -> list[str]:
    """A report's heading, results as table rows, conclusion and any text it carries."""
    lines = (
        ["", f"{_concept(report.get('code')) or _concept(report.get('type'))}:"] if heading else []
    )
    results = [by_ref.get(_str(_dict(r).get("reference"))) for r in _list(report.get("result"))]
    lines += _observation_lines([r for r in results if r])
    if conclusion := _str(report.get("conclusion")):
        lines += ["", "CONCLUSION:", conclusion]
    lines += _narrative(report.get("text")) if not results and not conclusion else []
    for form in attachments(report):
        lines += _attached_text(form)
    return lines


def _observation_lines(observations: list[dict[str, Any]]) -> list[str]:
    """Results as rows under the column headings a lab printout has."""
    rows = [_observation_row(o) for o in observations[:MAX_RESOURCES]]
    if not rows:
        return []
    return ["", "Test | Value | Units | Reference range | Flag | Date", *rows]


def _observation_row(observation: dict[str, Any]) -> str:
    quantity = _dict(observation.get("valueQuantity"))
    value = _str(quantity.get("value")) or _str(observation.get("valueString"))
    value = value or _concept(observation.get("valueCodeableConcept"))
    ranges = [_dict(r) for r in _list(observation.get("referenceRange"))]
    span = ""
    if ranges:
        low, high = _dict(ranges[0].get("low")), _dict(ranges[0].get("high"))
        span = _str(ranges[0].get("text")) or "-".join(
            _str(x.get("value")) for x in (low, high) if x.get("value") is not None
        )
    flags = [_concept(c) for c in _list(observation.get("interpretation"))]
    when = _date(observation.get("effectiveDateTime"))
    cells = [
        _concept(observation.get("code")),
        value,
        _str(quantity.get("unit")),
        span,
        ", ".join(f for f in flags if f),
        when.isoformat() if when else "",
    ]
    return " | ".join(cells)


def _attached_text(form: dict[str, Any]) -> list[str]:
    """An attachment's text when it is text carried in the file itself."""
    kind = content_type(form)
    if kind not in _TEXTS or not form.get("data"):
        return []
    data = form.get("data")
    try:
        raw = base64.b64decode(data[: MAX_NARRATIVE * 2] if isinstance(data, str) else "")
    except (binascii.Error, ValueError):
        return []
    text = raw.decode("utf-8", errors="replace")
    return ["", *(_html_lines(text) if kind != "text/plain" else text.splitlines())]


def _attachment_warnings(reports: list[dict[str, Any]]) -> tuple[Notice, ...]:
    """Attachments neither text nor a file carried inline are named: they are not in the packet.

    A link to elsewhere, another type, or data that does not decode: the packet must not claim
    to hold them.
    """
    others = []
    for form in (f for report in reports for f in attachments(report)):
        kind = content_type(form) or "unknown type"
        inline = (kind in _TEXTS and form.get("data")) or attached_file(form) is not None
        if not inline:
            others.append(_str(form.get("title")) or kind)
    if not others:
        return ()
    return (
        Notice(
            f"{len(others)} attachment(s) not shown from this FHIR file: "
            + ", ".join(sorted(set(others))[:5]),
            "export those documents from the portal as PDF and add them to the folder",
            Severity.WARNING,
        ),
    )


def _narrative(text: Any) -> list[str]:
    div = _dict(text).get("div")
    return _html_lines(div[:MAX_NARRATIVE]) if isinstance(div, str) else []


class _Lines(HTMLParser):
    """XHTML narrative as lines: a line per block, table cells joined by " | "."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.flush()
        elif tag in ("td", "th") and self.current:
            self.current.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def flush(self) -> None:
        if line := " ".join("".join(self.current).split()):
            self.lines.append(line)
        self.current = []


def _html_lines(markup: str) -> list[str]:
    parser = _Lines()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return parser.lines


def _concept(value: Any) -> str:
    """A CodeableConcept's words: its text, else the first coding's display, else its code."""
    concept = _dict(value)
    if text := _str(concept.get("text")):
        return text
    codings = [_dict(c) for c in _list(concept.get("coding"))]
    return next((_str(c.get("display")) for c in codings if c.get("display")), "") or next(
        (_str(c.get("code")) for c in codings if c.get("code")), ""
    )


def _date(value: Any) -> dt.date | None:
    """A FHIR date or dateTime (``2024-03-01T10:00:00Z``): its date part."""
    text = _str(value)
    return parse_da(text[:10].replace("-", "")) if len(text) >= 10 else None


def _str(value: Any) -> str:
    return " ".join(str(value).split())[:1024] if isinstance(value, str | int | float) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
