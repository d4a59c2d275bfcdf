"""The packet as a FHIR R4 document Bundle (``build --fhir``), for systems that import FHIR.

A document Bundle: the Composition first (the cover's sections: the question, the checklist,
the records, what was left out), then the Patient, one DocumentReference per document (its
LOINC type, date, title, the original file's size and SHA-1, and its pages in packet.pdf by
URL) and one ImagingStudy per DICOM study (UIDs, modalities, series and counts). Codes are data
(``data/fhir.toml``). Nothing is fetched or sent: the Bundle is a file beside the packet.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import html
import uuid
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from recordpack import __version__
from recordpack.checklist import Status
from recordpack.models import MEDIA_TYPES, Item, Severity
from recordpack.patient import Patient
from recordpack.results import Packet
from recordpack.rules import read_toml
from recordpack.sources import Records

_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_GENDER = {"f": "female", "female": "female", "m": "male", "male": "male", "x": "other"}
_NAMESPACE = uuid.UUID("6f1c2a0e-3b1d-5a4e-9c57-0d7e2b8f4a11")  # stable ids for the same items


@cache
def _codes() -> dict[str, Any]:
    return read_toml(Path(str(resources.files("recordpack") / "data" / "fhir.toml")))


def fhir_document(packet: Packet, *, created: dt.datetime | None = None) -> dict[str, Any]:
    """The FHIR R4 document Bundle of a built packet, as JSON-ready data.

    Attachment URLs name the packet by its file name, relative to the folder it is in.
    """
    created = created or dt.datetime.now(dt.UTC)
    stamp = created.isoformat(timespec="seconds")
    sha256, sha1 = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)
    with packet.file.open("rb") as fh:  # streamed once for both: at XL the packet is tens of MB
        while chunk := fh.read(1 << 20):
            sha256.update(chunk)
            sha1.update(chunk)
    ids = _Ids(sha256.hexdigest(), packet.name)
    pages = packet.pages
    resources_: list[dict[str, Any]] = [_patient(packet.patient, ids.patient)]
    resources_.append(_packet_reference(packet.file, _attachment_hash(sha1.digest()), ids, stamp))
    for item in packet.timeline.items:
        if item.study is not None:
            resources_.append(_imaging_study(item, ids))
        else:
            resources_.append(_document(item, packet.records, pages.get(item.index), ids, stamp))
    composition = _composition(packet, ids, stamp)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{ids.bundle}"},
        "type": "document",
        "timestamp": stamp,
        "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in [composition, *resources_]
        ],
    }


class _Ids:
    """Resource ids: the same packet gives the same ids, so a re-import updates, not adds."""

    def __init__(self, packet_sha: str, packet_name: str) -> None:
        self.seed = packet_sha
        self.packet_name = packet_name
        self.bundle = self.of("bundle")
        self.patient = self.of("patient")
        self.composition = self.of("composition")
        self.packet = self.of("packet")

    def of(self, name: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.seed}:{name}"))

    def item(self, item: Item) -> str:
        return self.of(f"item:{item.id}")


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _patient(patient: Patient, resource_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": resource_id}
    if patient.identifiers:
        resource["identifier"] = [
            {"type": {"text": key}, "value": value} for key, value in patient.identifiers if value
        ]
    if patient.name:
        resource["name"] = [{"text": patient.name}]
    if gender := _GENDER.get(patient.sex.strip().lower()):
        resource["gender"] = gender
    if patient.dob:
        resource["birthDate"] = patient.dob.isoformat()
    return resource


def document_type(category: str) -> tuple[str, str]:
    """The LOINC document type code and its display for a category ("" when none fits)."""
    code, display = _codes()["document-type"].get(category, ["", category])
    return str(code), str(display)


def _type(category: str) -> dict[str, Any]:
    code, display = document_type(category)
    concept: dict[str, Any] = {"text": display}
    if code:
        concept["coding"] = [{"system": "http://loinc.org", "code": code, "display": display}]
    return concept


def _sha1(data: bytes) -> str:
    """FHIR's Attachment.hash: the SHA-1 of the data, base64 (the manifest carries SHA-256)."""
    return _attachment_hash(hashlib.sha1(data, usedforsecurity=False).digest())


def _attachment_hash(sha1: bytes) -> str:
    return base64.b64encode(sha1).decode()


def _packet_reference(packet: Path, sha1: str, ids: _Ids, stamp: str) -> dict[str, Any]:
    code, display = _codes()["packet"]["code"]
    return {
        "resourceType": "DocumentReference",
        "id": ids.packet,
        "status": "current",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": code, "display": display}],
            "text": "Records for a second opinion",
        },
        "subject": _ref(ids.patient),
        "date": stamp,
        "description": "The packet: a cover for the reviewing doctor, then every record",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": ids.packet_name,
                    "title": ids.packet_name,
                    "size": packet.stat().st_size,
                    "hash": sha1,
                }
            }
        ],
    }


def _document(
    item: Item, records: Records, pages: tuple[int, int] | None, ids: _Ids, stamp: str
) -> dict[str, Any]:
    content = []
    if pages:
        first, last = pages
        where = f"page {first}" if first == last else f"pages {first}-{last}"
        title = f"{item.title} ({where} of {ids.packet_name})"
        url = f"{ids.packet_name}#page={first}"
        content.append(
            {"attachment": {"contentType": "application/pdf", "url": url, "title": title}}
        )
    for source in item.sources:
        mime = MEDIA_TYPES.get(source.kind, "application/octet-stream")
        attachment: dict[str, Any] = {
            "contentType": mime,
            "title": source.where,
            "size": source.size,
        }
        # changed since the scan: listed without a hash rather than with a wrong one
        with contextlib.suppress(OSError):
            attachment["hash"] = _sha1(records.read(source))
        content.append({"attachment": attachment})
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": ids.item(item),
        "status": "current",
        "type": _type(item.category.value),
        "category": [{"text": item.category.value}],
        "subject": _ref(ids.patient),
        "date": stamp,
        "description": item.title,
        "content": content,
    }
    if item.date and not item.file_dated:
        resource["context"] = {"period": {"start": item.date.isoformat()}}
    return resource


def _imaging_study(item: Item, ids: _Ids) -> dict[str, Any]:
    study = item.study
    assert study is not None  # noqa: S101 - only studies come here
    series = []
    for number, s in enumerate(study.series, start=1):
        entry: dict[str, Any] = {
            "uid": s.uid or _uid(f"{item.id}:{number}"),
            "modality": {"system": _DCM, "code": s.modality or "OT"},
            "numberOfInstances": s.images,
        }
        if s.number is not None and s.number >= 0:
            entry["number"] = s.number
        if s.description:
            entry["description"] = s.description
        if s.body_part:
            entry["bodySite"] = {"display": s.body_part}
        series.append(entry)
    modalities = sorted({s.modality for s in study.series if s.modality})
    resource: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "id": ids.item(item),
        "status": "available",
        "subject": _ref(ids.patient),
        "modality": [{"system": _DCM, "code": m} for m in modalities],
        "numberOfSeries": len(series),
        "numberOfInstances": study.images,
        "description": item.title,
        "series": series,
    }
    if study.uid:
        resource["identifier"] = [{"system": "urn:dicom:uid", "value": f"urn:oid:{study.uid}"}]
    if item.date:
        resource["started"] = item.date.isoformat()
    if not modalities:
        del resource["modality"]
    return resource


def _uid(seed: str) -> str:
    """A DICOM UID (2.25 root) for a series whose files carry none."""
    return f"2.25.{uuid.uuid5(_NAMESPACE, seed).int}"


def _composition(packet: Packet, ids: _Ids, stamp: str) -> dict[str, Any]:
    patient, timeline, pages = packet.patient, packet.timeline, packet.pages
    report = packet.check.report
    code, display = _codes()["packet"]["code"]
    sections = []
    if patient.questions:
        sections.append(_section("The question for the second opinion", patient.questions))
    statuses = [
        f"{r.item.label}: {r.status.value}"
        + ("" if r.status is Status.PRESENT else f" ({r.reason})")
        for r in report.results
    ]
    sections.append(_section(f"Checklist: {report.checklist.title}", statuses))
    lines = []
    for item in timeline.items:
        when = item.date.isoformat() if item.date else "undated"
        first_last = pages.get(item.index)
        where = f", pages {first_last[0]}-{first_last[1]}" if first_last else ""
        lines.append(f"#{item.index} {when} {item.category.value}: {item.title}{where}")
    records = _section("Records", lines)
    records["entry"] = [_ref(ids.packet), *(_ref(ids.item(item)) for item in timeline.items)]
    sections.append(records)
    left_out = [f"{p.path}: {p.message}" for p in packet.problems if p.severity is Severity.ERROR]
    if left_out:
        sections.append(_section("Files not included", left_out))
    title = f"Records for a second opinion: {report.checklist.title}"
    return {
        "resourceType": "Composition",
        "id": ids.composition,
        "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
        "subject": _ref(ids.patient),
        "date": stamp,
        "author": [{"display": f"recordpack {__version__}"}],
        "title": title,
        "section": sections,
    }


def _section(title: str, lines: Sequence[str]) -> dict[str, Any]:
    """A section with its words as narrative: a list, escaped (record titles are not trusted)."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = f"<ul>{items}</ul>" if items else "<p>None.</p>"  # a narrative is never empty
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'
    return {"title": title, "text": {"status": "generated", "div": div}}
