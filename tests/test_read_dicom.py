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


def test_an_element_of_an_unknown_value_representation_is_left_out_not_fatal(tmp_path: Path):
    """A damaged header the scan accepts must not stop the bundle that reads it back."""
    from recordpack.options import BuildOptions, ReadOptions
    from recordpack.pipeline import build_packet
    from recordpack.read.dicom import header_text
    from tests.builders import dicom_dataset

    ds = dicom_dataset()
    ds.StudyTime = "093000"
    ds.save_as(tmp_path / "good.dcm", enforce_file_format=True, implicit_vr=False)
    data = (tmp_path / "good.dcm").read_bytes()
    at = data.index(b"\x08\x00\x30\x00TM")  # (0008,0030) StudyTime, explicit VR "TM"
    records = tmp_path / "r"
    records.mkdir()
    # its VR made "T\0" and its length 0, as a damaged copy may have it: pydicom gives up on it
    (records / "IM1").write_bytes(data[: at + 4] + b"T\x00\x00\x00" + data[at + 14 :])
    values = header_text(records / "IM1", ["StudyTime", "StudyDescription", "PatientName"])
    assert values["StudyTime"] == "" and values["PatientName"] == "TEST^PATIENT"
    result = build_packet(
        records,
        BuildOptions(
            output=tmp_path / "p.pdf", bundle=tmp_path / "b", read=ReadOptions(ocr_lang=None)
        ),
    )
    assert result.bundle is not None and (tmp_path / "b" / "DICOMDIR").exists()
