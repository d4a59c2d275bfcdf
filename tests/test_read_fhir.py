import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from recordpack.errors import ReadError
from recordpack.members import looks_like_fhir
from recordpack.models import Category
from recordpack.options import BuildOptions, ReadOptions
from recordpack.pipeline import build_packet, scan_folder
from recordpack.read.fhir import read_fhir
from tests.builders import json_values

PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"given": ["Ana", "M"], "family": "Rivera"}],
    "birthDate": "1961-04-02",
    "identifier": [{"system": "urn:mrn", "value": "MRN5521"}],
}


def observation(oid: str, name: str, value: float, unit: str, low: float, high: float) -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"text": name},
        "valueQuantity": {"value": value, "unit": unit},
        "referenceRange": [{"low": {"value": low}, "high": {"value": high}}],
        "effectiveDateTime": "2025-05-30T08:10:00-05:00",
    }


def lab_bundle() -> dict[str, Any]:
    """A portal's lab export: Patient, a DiagnosticReport (LAB) and its Observations."""
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r1",
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}
        ],
        "code": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "58410-2",
                    "display": "CBC panel - Blood by Automated count",
                }
            ]
        },
        "effectiveDateTime": "2025-05-30T08:10:00-05:00",
        "issued": "2025-05-31T12:00:00Z",
        "result": [{"reference": "Observation/o1"}, {"reference": "Observation/o2"}],
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2026-01-02T10:00:00Z",
        "entry": [
            {"resource": r}
            for r in (
                PATIENT,
                report,
                observation("o1", "Hemoglobin", 11.2, "g/dL", 12, 15.5),
                observation("o2", "Platelets", 250, "10*3/uL", 150, 400),
            )
        ],
    }


def radiology_report() -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "category": [{"coding": [{"code": "RAD"}]}],
        "code": {"text": "CT chest with contrast"},
        "effectivePeriod": {"start": "2025-04-11T09:00:00Z"},
        "conclusion": "Spiculated 14 mm nodule in the right upper lobe.",
    }


def consult_document() -> dict[str, Any]:
    """A FHIR document: a Composition (consult note, LOINC 11488-4) with narrative sections."""
    composition = {
        "resourceType": "Composition",
        "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "title": "Thoracic surgery consultation",
        "date": "2025-04-20T16:00:00Z",
        "event": [{"period": {"start": "2025-04-18"}}],
        "section": [
            {
                "title": "Assessment",
                "text": {
                    "status": "generated",
                    "div": "<div xmlns='http://www.w3.org/1999/xhtml'>"
                    "<p>Nodule &amp; emphysema.</p>"
                    "<table><tr><th>Test</th><th>Value</th></tr><tr><td>FEV1</td><td>61%</td>"
                    "</tr></table></div>",
                },
            },
        ],
    }
    return {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [{"resource": composition}, {"resource": PATIENT}],
    }


def test_a_lab_bundle_reads_as_a_table_of_results_with_the_patient():
    data = json.dumps(lab_bundle(), indent=2).encode()
    assert looks_like_fhir(data[:4096])
    reading = read_fhir(data)
    assert reading.doc_type == "v2-0074 LAB"  # the panel's LOINC code is not a document type
    assert reading.title == "CBC panel - Blood by Automated count"
    assert reading.dates["fhir:effective"] == dt.date(2025, 5, 30)
    assert next(iter(reading.dates)) == "fhir:effective"
    assert "Hemoglobin | 11.2 | g/dL | 12-15.5" in reading.text
    assert "Patient: Ana M Rivera" in reading.text and "Date of birth: 1961-04-02" in reading.text
    assert "{" not in reading.text


def test_the_stated_type_decides_the_category_date_and_identity(tmp_path: Path):
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle()))
    (tmp_path / "ct.json").write_text(json.dumps(radiology_report()))
    (tmp_path / "consult.json").write_text(json.dumps(consult_document()))
    items = {i.sources[0].path: i for i in scan_folder(tmp_path, ReadOptions(ocr_lang=None)).items}
    labs, ct, consult = items["labs.json"], items["ct.json"], items["consult.json"]
    assert (labs.category, str(labs.date), labs.date_source) == (
        Category.LAB,
        "2025-05-30",
        "fhir:effective",
    )
    assert "v2-0074 LAB" in labs.reason
    assert labs.identity.name == "Ana M Rivera" and labs.identity.dob == dt.date(1961, 4, 2)
    assert (ct.category, str(ct.date), ct.title) == (
        Category.RADIOLOGY,
        "2025-04-11",
        "CT chest with contrast",
    )
    assert "Spiculated 14 mm nodule" in ct.text
    assert consult.category is Category.CLINICAL_NOTE and "LOINC 11488-4" in consult.reason
    assert (str(consult.date), consult.date_source) == ("2025-04-18", "fhir:event")
    assert "ASSESSMENT:" in consult.text and "FEV1 | 61%" in consult.text
    assert "Nodule & emphysema." in consult.text


def test_only_the_export_time_is_a_file_date(tmp_path: Path):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2026-01-02T10:00:00Z",
        "entry": [{"resource": {"resourceType": "Patient", "name": [{"text": "A B"}]}}],
    }
    (tmp_path / "export.json").write_text(json.dumps(bundle))
    [item] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).items
    assert item.date_source == "fhir:timestamp" and item.file_dated


def test_attachments_text_is_read_and_other_attachments_are_named():
    note = base64.b64encode(b"PROGRESS NOTE\nDoing well after lobectomy.").decode()
    reference = {
        "resourceType": "DocumentReference",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": "11506-3"}],
            "text": "Progress note",
        },
        "date": "2026-01-02T00:00:00Z",
        "context": {"period": {"start": "2025-06-12"}},
        "content": [
            {"attachment": {"contentType": "text/plain", "data": note}},
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": "Scanned letter",
                    "url": "https://portal.example/doc/9",
                }
            },
        ],
    }
    reading = read_fhir(json.dumps(reference).encode())
    assert "Doing well after lobectomy." in reading.text
    assert (reading.doc_type, next(iter(reading.dates))) == ("11506-3", "fhir:period")
    [warning] = reading.warnings
    assert "Scanned letter" in warning.message and "PDF" in warning.hint


def test_the_packet_shows_the_results_not_json(tmp_path: Path):
    records = tmp_path / "r"
    records.mkdir()
    (records / "labs.json").write_text(json.dumps(lab_bundle()))
    build_packet(records, BuildOptions(output=tmp_path / "p.pdf", read=ReadOptions(ocr_lang=None)))
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "p.pdf").pages)
    assert "Hemoglobin" in text and "resourceType" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"resourceType": "Bundle", "entry": [', "damaged FHIR JSON"),
        (
            b'{"resourceType": "Bundle", "entry": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
            "damaged FHIR JSON",
        ),
        (b'{"resourceType": 7, "id": "x"}', "without FHIR resources"),
        (b'{"resourceType": "Bundle", "x": "\xff\xfe"}', "damaged FHIR JSON"),
    ],
)
def test_damaged_or_empty_fhir_is_a_problem_with_a_hint(data: bytes, message: str, tmp_path: Path):
    with pytest.raises(ReadError, match=message):
        read_fhir(data)
    (tmp_path / "bad.json").write_bytes(data)
    outcome = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    [problem] = outcome.problems
    assert problem.path == "bad.json" and message in problem.message and problem.hint


def test_fields_of_the_wrong_shape_are_skipped_not_fatal():
    odd = {
        "resourceType": "DiagnosticReport",
        "code": "not a concept",
        "result": "x",
        "category": [1, None, {"coding": "x"}],
        "effectiveDateTime": "yesterday",
        "presentedForm": [{"contentType": "text/plain", "data": "%%% not base64"}],
        "contained": [{"resourceType": "Observation", "valueQuantity": [1]}],
    }
    reading = read_fhir(json.dumps(odd).encode())
    assert reading.doc_type == "FHIR" and reading.dates == {}


JSON = json_values(
    "resourceType entry resource code coding result reference section text div content "
    "attachment data contentType valueQuantity referenceRange low name given birthDate "
    "effectiveDateTime title".split()
)
TYPES = st.sampled_from(
    ["Bundle", "DiagnosticReport", "DocumentReference", "Composition", "Observation", "Patient"]
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(resource_type=TYPES, body=st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_any_json_under_a_resource_type_reads_or_is_a_read_error(
    resource_type: str, body: dict[str, Any]
):
    data = json.dumps({**body, "resourceType": resource_type}).encode()
    try:
        reading = read_fhir(data)
    except ReadError as exc:
        assert exc.hint
    else:
        assert isinstance(reading.text, str)


def test_a_pdf_carried_in_the_file_is_a_record_in_the_packet_and_the_bundle(tmp_path: Path):
    from tests.builders import pdf_bytes

    letter = pdf_bytes(
        [
            "OPERATIVE REPORT",
            "Date of surgery: 06/12/2025",
            "POSTOPERATIVE DIAGNOSIS:",
            "Left upper lobe adenocarcinoma.",
        ]
    )
    reference = {
        "resourceType": "DocumentReference",
        "type": {"text": "Operative note"},
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": "Op note",
                    "data": base64.b64encode(letter).decode(),
                }
            },
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": "Scanned letter",
                    "url": "https://portal.example/doc/9",
                }
            },
        ],
    }
    records = tmp_path / "r"
    records.mkdir()
    (records / "export.json").write_text(json.dumps(reference))
    inventory = scan_folder(records, ReadOptions(ocr_lang=None))
    attached = next(i for i in inventory.items if i.sources[0].archive == "export.json")
    assert attached.sources[0].display == "export.json!attachment-1.pdf"
    assert attached.category is Category.PROCEDURE and str(attached.date) == "2025-06-12"
    [warning] = [p for p in inventory.problems if "not shown" in p.message]
    assert "Scanned letter" in warning.message and "Op note" not in warning.message
    result = build_packet(
        records,
        BuildOptions(
            output=tmp_path / "p.pdf", bundle=tmp_path / "b", read=ReadOptions(ocr_lang=None)
        ),
    )
    placed = next(p for p in result.placed if p.item.id == attached.id)
    page = PdfReader(tmp_path / "p.pdf").pages[placed.first_page - 1].extract_text()
    assert "Left upper lobe adenocarcinoma." in page
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["archive"] == "export.json")
    assert entry["path"] == "attachment-1.pdf"
    assert entry["sha256"] == hashlib.sha256(letter).hexdigest()  # as the file carried it
