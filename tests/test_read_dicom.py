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
