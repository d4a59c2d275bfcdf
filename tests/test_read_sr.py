import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from recordpack.models import Category, Severity
from recordpack.options import BuildOptions, ReadOptions
from recordpack.pipeline import build_packet, scan_folder
from recordpack.read.sr import is_structured_report
from tests.builders import dicom_bytes

BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
KEY_OBJECT_SELECTION = "1.2.840.10008.5.1.4.1.1.88.59"


def concept(meaning: str, code: str = "121071") -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
    return item


def content(kind: str, name: str, value: object = None, children: list | None = None) -> Dataset:
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = kind
    item.ConceptNameCodeSequence = [concept(name)]
    if kind == "TEXT":
        item.TextValue = value
    elif kind == "NUM":
        measured = Dataset()
        measured.NumericValue = value
        measured.MeasurementUnitsCodeSequence = [concept("mm", "mm")]
        item.MeasuredValueSequence = [measured]
    elif kind == "CONTAINER":
        item.ContinuityOfContent = "SEPARATE"
    if children:
        item.ContentSequence = children
    return item


def sr_bytes(*, verified: bool = True, sop_class: str = BASIC_TEXT_SR) -> bytes:
    """A Basic Text SR as a PACS exports a radiology report."""
    sop = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = sop_class, sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = sop_class, sop, "SR"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.StudyDate, ds.ContentDate = "20250520", "20250521"
    ds.StudyDescription = "CT CHEST W CONTRAST"
    ds.PatientName, ds.PatientBirthDate, ds.PatientID = "RIVERA^ANA", "19610402", "P77"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = [concept("Imaging Report", "18748-4")]
    ds.VerificationFlag = "VERIFIED" if verified else "UNVERIFIED"
    ds.CompletionFlag = "COMPLETE"
    ds.ContentSequence = [
        content(
            "CONTAINER",
            "Findings",
            children=[
                content("TEXT", "Finding", "Spiculated nodule in the right upper lobe."),
                content("NUM", "Diameter", "14"),
            ],
        ),
        content(
            "CONTAINER",
            "Impression",
            children=[
                content("TEXT", "Impression", "Suspicious for primary lung cancer."),
            ],
        ),
    ]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_a_structured_report_is_a_radiology_document_with_its_sections(tmp_path: Path):
    (tmp_path / "report.dcm").write_bytes(sr_bytes())
    (tmp_path / "image.dcm").write_bytes(dicom_bytes())
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    [report] = [i for i in inventory.items if i.category is Category.RADIOLOGY]
    assert report.title == "CT CHEST W CONTRAST" and "DICOM SR" in report.reason
    assert (report.date, report.date_source) == (dt.date(2025, 5, 20), "dicom:StudyDate")
    assert "FINDINGS:" in report.text and "Diameter: 14 mm" in report.text
    assert "Suspicious for primary lung cancer." in report.text
    assert report.identity.name == "ANA RIVERA" and report.identity.dob == dt.date(1961, 4, 2)
    assert [i.category for i in inventory.items].count(Category.IMAGING) == 1


def test_the_packet_shows_the_report_text(tmp_path: Path):
    records = tmp_path / "r"
    records.mkdir()
    (records / "report.dcm").write_bytes(sr_bytes())
    build_packet(records, BuildOptions(output=tmp_path / "p.pdf", read=ReadOptions(ocr_lang=None)))
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "p.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Spiculated nodule in the right upper lobe." in text


def test_an_unverified_report_is_flagged(tmp_path: Path):
    (tmp_path / "prelim.dcm").write_bytes(sr_bytes(verified=False))
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    [warning] = [p for p in inventory.problems if p.severity is Severity.WARNING]
    assert "UNVERIFIED" in warning.message and warning.hint
    assert len(inventory.items) == 1  # flagged, still in the packet


def test_a_key_object_selection_is_not_a_report():
    assert is_structured_report(BASIC_TEXT_SR)
    assert not is_structured_report(KEY_OBJECT_SELECTION)
    assert not is_structured_report("1.2.840.10008.5.1.4.1.1.2")  # CT image


@pytest.mark.parametrize("cut", [60, 400])
def test_a_report_cut_short_is_flagged_not_silently_shortened(cut: int, tmp_path: Path):
    data = sr_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[: len(data) - cut])
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    [problem] = inventory.problems
    assert problem.path == "cut.dcm" and "cut short" in problem.message and problem.hint


def test_garbage_inside_a_report_is_a_problem_not_a_crash(tmp_path: Path):
    data = bytearray(sr_bytes())
    start = data.find(b"Spiculated") - 12
    data[start : start + 8] = b"\xff" * 8
    (tmp_path / "bad.dcm").write_bytes(bytes(data))
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    assert len(inventory.items) + len(inventory.problems) >= 1
    assert all(p.path == "bad.dcm" and p.hint for p in inventory.problems)
