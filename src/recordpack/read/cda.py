"""HL7 C-CDA documents (portal exports): read as records, not as XML text.

The document type comes from its LOINC code (``data/rules/document-types.toml``), the title
from its ``<title>``, the date from the header date its type defines (service event for
procedures, encounter for visits and discharges), and the text from its header (who the patient
is, who wrote it, where, when) and its sections (each title, then its narrative), so the packet
shows a readable page, never raw XML. Parsed with
defusedxml: entity expansion ("billion laughs") and external entities are refused.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from recordpack.errors import ReadError
from recordpack.models import Kind, Reading
from recordpack.read.dicom import parse_da
from recordpack.rules import load_rules

NS = {"v3": "urn:hl7-org:v3"}
_PROCEDURES = {"11504-8", "28570-0", "18745-0", "34121-4"}  # op, procedure, cath, interventional
_DISCHARGES = {"18842-5", "18761-7", "28574-2", "11490-0"}


def looks_like_cda(head: bytes) -> bool:
    """A ClinicalDocument root in the file's first bytes."""
    return b"<ClinicalDocument" in head[:4096] and b"urn:hl7-org:v3" in head[:4096]


@cache
def document_types() -> dict[str, str]:
    """Stated document type (a LOINC code, or "v2-0074 RAD") -> category."""
    rules = load_rules("document-types.toml")
    types = {str(k): str(v) for k, v in rules["loinc"].items()}
    services = rules.get("diagnostic-service", {})
    others = {str(k): str(v) for k, v in rules.get("other", {}).items()}
    return types | {f"v2-0074 {k}": str(v) for k, v in services.items()} | others


def read_cda(data: bytes) -> Reading:
    """A C-CDA document's type, title, date and sections as text."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=False)
    except DefusedXmlException as exc:
        raise ReadError(
            f"XML with entity declarations, refused ({type(exc).__name__})",
            "export the document again from the portal, or print it to PDF",
        ) from exc
    except ElementTree.ParseError as exc:
        raise ReadError(
            f"damaged C-CDA XML ({exc})", "export the document again from the portal"
        ) from exc
    code = _attr(root, "v3:code", "code")
    title = " ".join(_text(root.find("v3:title", NS)).split())
    dates = _dates(root, code)
    text = "\n".join([title.upper()] if title else []) + "\n" + _header(root) + "\n\n"
    return Reading(
        kind=Kind.TEXT,
        text=(text + _sections(root)).strip(),
        pages=None,
        title=title,
        dates=dates,
        doc_type=code,
    )


_HEADER = (  # label, path from the root, what to read there
    ("Patient", "v3:recordTarget/v3:patientRole/v3:patient/v3:name", "name"),
    ("Date of birth", "v3:recordTarget/v3:patientRole/v3:patient/v3:birthTime", "time"),
    ("Sex", "v3:recordTarget/v3:patientRole/v3:patient/v3:administrativeGenderCode", "code"),
    ("Author", "v3:author/v3:assignedAuthor/v3:assignedPerson/v3:name", "name"),
    (
        "Author's organisation",
        "v3:author/v3:assignedAuthor/v3:representedOrganization/v3:name",
        "text",
    ),
    (
        "Organisation",
        "v3:custodian/v3:assignedCustodian/v3:representedCustodianOrganization/v3:name",
        "text",
    ),
    ("Signed by", "v3:legalAuthenticator/v3:assignedEntity/v3:assignedPerson/v3:name", "name"),
    ("Service", "v3:documentationOf/v3:serviceEvent/v3:effectiveTime", "period"),
    ("Encounter", "v3:componentOf/v3:encompassingEncounter/v3:effectiveTime", "period"),
    (
        "Facility",
        "v3:componentOf/v3:encompassingEncounter/v3:location/v3:healthCareFacility/"
        "v3:location/v3:name",
        "text",
    ),
    ("Document created", "v3:effectiveTime", "time"),
)


def _header(root: Any) -> str:
    """Who the patient is, who wrote the document, where and when, as labelled lines.

    The header is what a reader of the printed document sees first; without it a page of
    sections never says whose it is or who is responsible for it.
    """
    lines = []
    for label, path, what in _HEADER:
        element = root.find(path, NS)
        if element is None:
            continue
        value = _header_value(element, what)
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def _header_value(element: Any, what: str) -> str:
    if what == "name":
        parts = [_text(p) for p in element if p.tag.endswith(("prefix", "given", "family"))]
        return " ".join(" ".join(parts).split()) or " ".join(_text(element).split())
    if what == "time":
        date = _parse(element.get("value", ""))
        return date.isoformat() if date else ""
    if what == "code":
        return str(element.get("displayName") or element.get("code") or "")
    if what == "period":
        low, high = _time(element, ".", "low"), _time(element, ".", "high")
        if element.get("value"):
            low = _parse(element.get("value", ""))
        span = [d.isoformat() for d in (low, high) if d]
        return " to ".join(dict.fromkeys(span))
    return " ".join(_text(element).split())


def _dates(root: Any, code: str) -> dict[str, dt.date]:
    """The header dates in the order the document type wants them."""
    service = _time(root, "v3:documentationOf/v3:serviceEvent/v3:effectiveTime", "low")
    encounter = "v3:componentOf/v3:encompassingEncounter/v3:effectiveTime"
    start, end = _time(root, encounter, "low"), _time(root, encounter, "high")
    if code in _PROCEDURES:
        ordered = [("cda:serviceEvent", service), ("cda:encounter", start)]
    elif code in _DISCHARGES:
        ordered = [("cda:discharge", end), ("cda:encounter", start)]
    else:
        ordered = [("cda:encounter", start)]
    found = {source: date for source, date in ordered if date}
    if created := _parse(_attr(root, "v3:effectiveTime", "value")):
        found["cda:created"] = created  # when the document was made: a file date, last
    return found


def _time(root: Any, path: str, end: str) -> dt.date | None:
    element = root.find(path, NS)
    if element is None:
        return None
    value = element.get("value") or _attr(element, f"v3:{end}", "value")
    return _parse(value)


def _attr(element: Any, path: str, name: str) -> str:
    found = element.find(path, NS)
    return str(found.get(name, "")) if found is not None else ""


def _parse(value: str) -> dt.date | None:
    """An HL7 TS value (``20250301120000+0500``): its date part, read as a DICOM DA is."""
    return parse_da((value or "")[:8])


def _sections(root: Any) -> str:
    """Each section's title and narrative, as plain lines."""
    lines: list[str] = []
    for section in root.iterfind(".//v3:section", NS):
        heading = " ".join(_text(section.find("v3:title", NS)).split())
        narrative = section.find("v3:text", NS)
        body = _narrative(narrative) if narrative is not None else ""
        if heading or body:
            lines += ["", f"{heading.upper()}:" if heading else "", body]
    return "\n".join(line for line in lines if line is not None).strip()


def _narrative(element: Any) -> str:
    """Narrative blocks as lines: a table row per line, cells joined by " | "."""
    rows = []
    for tr in element.iterfind(".//v3:tr", NS):
        cells = [" ".join(_text(c).split()) for c in tr if c.tag.endswith(("td", "th"))]
        rows.append(" | ".join(c for c in cells if c))
    if rows:
        return "\n".join(r for r in rows if r)
    return "\n".join(x.strip() for x in _text(element).splitlines() if x.strip())


def _text(element: Any) -> str:
    return "".join(element.itertext()) if element is not None else ""
