from pathlib import Path

from recordpack.models import Category, Kind
from recordpack.pipeline import scan_folder
from tests.builders import LAB, pdf_bytes


def test_encapsulated_pdf_in_dicom_is_a_document(tmp_path: Path):
    from tests.builders import dicom_dataset

    ds = dicom_dataset(modality="DOC")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    del ds.PixelData
    ds.EncapsulatedDocument = pdf_bytes(LAB)
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.save_as(tmp_path / "report.dcm", enforce_file_format=True)
    [item] = scan_folder(tmp_path).items
    assert (item.category, item.kind) == (Category.LAB, Kind.DICOM)


def test_an_absurdly_long_description_is_cut_to_size(tmp_path: Path):
    from recordpack.read.dicom import MAX_VALUE
    from tests.builders import dicom_dataset

    ds = dicom_dataset()
    ds.StudyDescription = "MR BREAST " * 6700  # 67,000 characters, where DICOM allows 64
    ds.save_as(tmp_path / "IM1", enforce_file_format=True)
    [item] = scan_folder(tmp_path).items
    assert len(item.study.description) <= MAX_VALUE
    assert len(item.title) <= 90


def test_header_text_reads_first_values_raw_file_meta_and_other_character_sets(tmp_path: Path):
    """What the bundle's DICOMDIR is written from: as pydicom would show it, first values only."""
    from recordpack.read.dicom import header_text
    from tests.builders import dicom_dataset

    ds = dicom_dataset()
    ds.StudyDescription = "CT  CHEST\\second value"
    ds.save_as(tmp_path / "IM1", enforce_file_format=True)
    keys = (
        "PatientName",
        "StudyDescription",
        "StudyID",
        "SeriesNumber",
        "ReferringPhysicianName",
        "TransferSyntaxUID",
        "MediaStorageSOPClassUID",
    )
    values = header_text(tmp_path / "IM1", keys)
    assert values == {
        "PatientName": "TEST^PATIENT",
        "StudyDescription": "CT  CHEST",
        "StudyID": "1",
        "SeriesNumber": "1",
        "ReferringPhysicianName": "",
        "TransferSyntaxUID": ds.file_meta.TransferSyntaxUID,
        "MediaStorageSOPClassUID": ds.file_meta.MediaStorageSOPClassUID,
    }

    ds.SpecificCharacterSet = "ISO_IR 144"  # Cyrillic: decoded by pydicom, not from raw bytes
    ds.PatientName = "Иванов^Иван"
    ds.save_as(tmp_path / "IM2", enforce_file_format=True)
    assert header_text(tmp_path / "IM2", ["PatientName"]) == {"PatientName": "Иванов^Иван"}


def test_a_study_in_another_character_set_keeps_its_letters(tmp_path: Path):
    """pydicom reads the character set itself; its name must not be taken for missing."""
    from tests.builders import dicom_dataset

    ds = dicom_dataset(description="ГРУДНАЯ ПОЛОСТЬ")
    ds.SpecificCharacterSet = "ISO_IR 144"
    ds.PatientName = "Иванов^Иван"
    ds.save_as(tmp_path / "IM1", enforce_file_format=True)
    [item] = scan_folder(tmp_path).items
    assert item.study.description == "ГРУДНАЯ ПОЛОСТЬ"
    assert item.identity.name == "Иванов Иван"
