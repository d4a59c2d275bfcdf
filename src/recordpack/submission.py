"""The bundle's IHE XDM submission set: ``IHE_XDM/SUBSET01/`` with its ``METADATA.XML``.

XDM (IHE ITI TF-1 ch. 16) is how documents travel on a CD, a USB stick or in a zip so that a
receiving system can import them: the documents under ``IHE_XDM/<subset>/`` with 8.3 names,
and an ebRIM ``SubmitObjectsRequest`` that lists each (title, type, size, SHA-1, the time of
the service it records) with the patient and the submission set. The packet is always one of
the documents; with the full profile, every original document is too. The scheme ids below are
the fixed ones of the XDS metadata model (ITI TF-3 4.2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET  # writing only; reading uses defusedxml

import pikepdf

from recordpack.assemble import extract_pages
from recordpack.fhir import document_type
from recordpack.models import MEDIA_TYPES, Item, Kind, Source
from recordpack.outputs import copy_private, open_private, write_private
from recordpack.patient import Patient
from recordpack.sources import Records

SUBSET = "IHE_XDM/SUBSET01"
_RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
_LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
_DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
_SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
_SCHEME = {
    "class": "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    "confidentiality": "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
    "format": "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
    "facility": "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
    "practice": "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
    "type": "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
    "content": "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500",
}
_IDENTIFIER = {
    "entry.patientId": "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427",
    "entry.uniqueId": "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab",
    "set.patientId": "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
    "set.uniqueId": "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
    "set.sourceId": "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832",
}
_LOINC = "2.16.840.1.113883.6.1"
_FORMAT = {Kind.PDF: "urn:ihe:iti:xds-sd:pdf:2008", Kind.TEXT: "urn:ihe:iti:xds-sd:text:2008"}
_EXTENSION = {
    Kind.PDF: "PDF",
    Kind.JPEG: "JPG",
    Kind.PNG: "PNG",
    Kind.TIFF: "TIF",
    Kind.HEIC: "HEI",
    Kind.TEXT: "TXT",
}
_NAMESPACE = uuid.UUID("0b6f1f7e-8f0a-5b7e-a3c2-52d1c6a0e9b3")


@dataclass(frozen=True, slots=True)
class Document:
    """One document of the submission set: its 8.3 name and what the index says of it."""

    name: str
    title: str
    kind: Kind
    category: str
    service: dt.date | None
    size: int
    sha1: str
    source: Source | None = None  # the original it is a copy of (None: the packet)
    sha256: str | None = None  # the copy's own: one report's pages differ from their file


def write_submission(
    work: Path,
    records: Records,
    items: Sequence[Item],
    patient: Patient,
    *,
    originals: bool,
    created: dt.datetime | None = None,
) -> list[Document]:
    """Write the submission set into the bundle folder ``work``; return its documents.

    The packet (and, with ``originals``, each original document) is copied under
    IHE_XDM/SUBSET01/ with an 8.3 name, and METADATA.XML lists them.
    """
    created = created or dt.datetime.now(dt.UTC)
    folder = work / SUBSET
    folder.mkdir(parents=True, mode=0o700)
    (work / "IHE_XDM").chmod(0o700)
    copy_private(work / "packet.pdf", folder / "DOC00001.PDF")
    documents = [
        _describe(folder / "DOC00001.PDF", "Records for a second opinion", Kind.PDF, "packet", None)
    ]
    if originals:
        seen: set[str] = set()  # identical files (same SHA-256) travel once
        for item in (i for i in items if i.study is None):
            for source in item.sources:
                if source.kind is Kind.DICOM or source.identity in seen:
                    continue  # DICOM travels in DICOM/, with its DICOMDIR
                seen.add(source.identity)
                name = f"DOC{len(documents) + 1:05d}.{_EXTENSION.get(source.kind, 'BIN')}"
                _copy_original(records, source, folder / name)
                service = None if item.file_dated else item.date
                documents.append(
                    _describe(
                        folder / name, item.title, source.kind, item.category.value, service, source
                    )
                )
    with open_private(folder / "METADATA.XML") as out:
        out.writelines(metadata(documents, patient, created))
    return documents


def _copy_original(records: Records, source: Source, target: Path) -> None:
    """A document as it is; one report of a file of several as its own pages.

    A file whose pages cannot be taken apart (a page tree qpdf reads shorter than the scan
    did) goes whole: the report is in it, and nothing stops the bundle.
    """
    if not source.pages:
        records.copy(source, target)
        return
    data = records.read(source)
    try:
        write_private(target, extract_pages(data, source.pages))
    except (ValueError, pikepdf.PdfError):
        write_private(target, data)


def _describe(
    path: Path,
    title: str,
    kind: Kind,
    category: str,
    service: dt.date | None,
    source: Source | None = None,
) -> Document:
    sha1, sha256 = hashlib.sha1(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as fh:  # read once for both
        while chunk := fh.read(1 << 20):
            sha1.update(chunk)
            sha256.update(chunk)
    size = path.stat().st_size
    return Document(
        path.name,
        title,
        kind,
        category,
        service,
        size,
        sha1.hexdigest(),
        source,
        sha256.hexdigest(),
    )


def metadata(
    documents: Sequence[Document], patient: Patient, created: dt.datetime
) -> Iterator[bytes]:
    """The submission set's METADATA.XML (an ebRIM SubmitObjectsRequest), in pieces.

    Written one registry object at a time: a tree of every entry held at once took 40 MB for
    1,300 documents, at the point of a build where memory is highest.
    """
    ET.register_namespace("rim", _RIM)
    ET.register_namespace("lcm", _LCM)
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<lcm:SubmitObjectsRequest xmlns:lcm="{_LCM}"'
        f' xmlns:rim="{_RIM}">\n<rim:RegistryObjectList>\n'
    ).encode()
    seed = "".join(d.sha1 for d in documents)
    patient_id = _patient_id(patient)
    when = created.strftime("%Y%m%d%H%M%S")
    set_id = _uuid(seed, "set")
    package = ET.Element(
        f"{{{_RIM}}}RegistryPackage",
        id=set_id,
        objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage",
    )
    _slot(package, "submissionTime", when)
    _name(package, "Records for a second opinion")
    _element(
        package,
        "Classification",
        id=_uuid(seed, "set-node"),
        classifiedObject=set_id,
        classificationNode=_SUBMISSION_SET,
    )
    _code(package, "content", set_id, "60591-5", "Patient summary Document", _LOINC)
    _identifier(package, "set.uniqueId", set_id, _oid(seed, "set"), "XDSSubmissionSet.uniqueId")
    _identifier(
        package, "set.sourceId", set_id, _oid("recordpack", "source"), "XDSSubmissionSet.sourceId"
    )
    _identifier(package, "set.patientId", set_id, patient_id, "XDSSubmissionSet.patientId")
    yield _piece(package)
    for number, document in enumerate(documents, start=1):
        entry_id = _uuid(seed, f"doc{number}")
        yield _piece(_entry(document, entry_id, patient, patient_id, when, seed))
        association = ET.Element(
            f"{{{_RIM}}}Association",
            id=_uuid(seed, f"assoc{number}"),
            associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
            sourceObject=set_id,
            targetObject=entry_id,
        )
        _slot(association, "SubmissionSetStatus", "Original")
        yield _piece(association)
    yield b"</rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n"


def _piece(element: ET.Element) -> bytes:
    """One registry object as indented XML (it declares the rim namespace itself)."""
    ET.indent(element, space="  ", level=1)
    return ET.tostring(element, encoding="unicode").encode() + b"\n"


def _entry(
    document: Document,
    entry_id: str,
    patient: Patient,
    patient_id: str,
    when: str,
    seed: str,
) -> ET.Element:
    mime = MEDIA_TYPES.get(document.kind, "application/octet-stream")
    entry = ET.Element(
        f"{{{_RIM}}}ExtrinsicObject", id=entry_id, objectType=_DOCUMENT_ENTRY, mimeType=mime
    )
    _slot(entry, "creationTime", when)
    _slot(entry, "hash", document.sha1)
    _slot(entry, "size", str(document.size))
    _slot(entry, "languageCode", "en-US")
    if document.service:
        _slot(entry, "serviceStartTime", document.service.strftime("%Y%m%d"))
    _slot(entry, "sourcePatientId", patient_id)
    _slot(entry, "sourcePatientInfo", *_patient_info(patient, patient_id))
    _slot(entry, "URI", document.name)
    _name(entry, document.title)
    code, display = document_type(document.category)
    _code(entry, "class", entry_id, code or "34109-9", display if code else "Note", _LOINC)
    _code(entry, "type", entry_id, code or "34109-9", display if code else "Note", _LOINC)
    _code(entry, "confidentiality", entry_id, "N", "Normal", "2.16.840.1.113883.5.25")
    form = _FORMAT.get(document.kind, "urn:ihe:iti:xds:2017:mimeTypeSufficient")
    _code(entry, "format", entry_id, form, "Format", "1.3.6.1.4.1.19376.1.2.3")
    _code(entry, "facility", entry_id, "OF", "Outpatient facility", "2.16.840.1.113883.5.10588")
    _code(entry, "practice", entry_id, "394802001", "General medicine", "2.16.840.1.113883.6.96")
    _identifier(entry, "entry.patientId", entry_id, patient_id, "XDSDocumentEntry.patientId")
    _identifier(
        entry, "entry.uniqueId", entry_id, _oid(seed, entry_id), "XDSDocumentEntry.uniqueId"
    )
    return entry


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{_RIM}}}{tag}", attributes)


def _slot(parent: ET.Element, name: str, *values: str) -> None:
    slot = _element(parent, "Slot", name=name)
    listed = _element(slot, "ValueList")
    for value in values:
        _element(listed, "Value").text = value


def _name(parent: ET.Element, text: str) -> None:
    _element(_element(parent, "Name"), "LocalizedString", value=" ".join(text.split())[:200])


def _code(
    parent: ET.Element, scheme: str, owner: str, code: str, display: str, system: str
) -> None:
    found = _element(
        parent,
        "Classification",
        id=_uuid(owner, scheme),
        classificationScheme=_SCHEME[scheme],
        classifiedObject=owner,
        nodeRepresentation=code,
    )
    _slot(found, "codingScheme", system)
    _name(found, display)


def _identifier(parent: ET.Element, kind: str, owner: str, value: str, label: str) -> None:
    found = _element(
        parent,
        "ExternalIdentifier",
        id=_uuid(owner, kind),
        value=value,
        identificationScheme=_IDENTIFIER[kind],
        registryObject=owner,
    )
    _name(found, label)


def _patient_id(patient: Patient) -> str:
    """The patient as an HL7 CX: the record number in a local domain named for its label.

    The sender's assigning authority is not known here; the receiver reconciles the patient
    by hand, as XDM expects of media.
    """
    label, value = next(((k, v) for k, v in patient.identifiers if v), ("", ""))
    if not value:
        value = hashlib.sha256(f"{patient.name}|{patient.dob}".encode()).hexdigest()[:16]
        label = "recordpack"
    return f"{_cx(value)}^^^&{_oid('domain', label.lower())}&ISO"


def _patient_info(patient: Patient, patient_id: str) -> list[str]:
    lines = [f"PID-3|{patient_id}"]
    if patient.name:
        *given, family = patient.name.split()
        lines.append(f"PID-5|{_cx(family)}^{_cx(' '.join(given))}")
    if patient.dob:
        lines.append(f"PID-7|{patient.dob.strftime('%Y%m%d')}")
    sex = patient.sex.strip().upper()[:1]
    lines.append(f"PID-8|{sex if sex in ('F', 'M') else 'U'}")
    return lines


def _cx(text: str) -> str:
    """A value for an HL7 v2 field: its delimiters dropped."""
    return "".join(c for c in text if c not in "^&|~\\")


def _uuid(seed: str, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{seed}:{name}')}"


def _oid(seed: str, name: str) -> str:
    return f"2.25.{uuid.uuid5(_NAMESPACE, f'{seed}:{name}').int}"
