from pathlib import Path

from recordpack.models import Category, Kind
from recordpack.pipeline import scan_folder
from tests.builders import LAB, dicom_bytes, jpeg_bytes, pdf_bytes, write_pdf


def test_documents_images_and_studies_become_items(tmp_path: Path):
    write_pdf(tmp_path / "labs" / "download (3).pdf", LAB, pages=3)
    (tmp_path / "DICOM" / "IM0001").parent.mkdir()
    for n in (1, 2, 3):
        (tmp_path / "DICOM" / f"IM000{n}").write_bytes(dicom_bytes(instance=n, series=1 + n // 3))
    (tmp_path / "photo.jpg").write_bytes(jpeg_bytes())
    inv = scan_folder(tmp_path)
    by_kind = {item.kind: item for item in inv.items}
    assert set(by_kind) == {Kind.PDF, Kind.DICOM, Kind.JPEG}
    lab = by_kind[Kind.PDF]
    assert (lab.category, lab.pages, str(lab.date)) == (Category.LAB, 3, "2025-03-04")
    study = by_kind[Kind.DICOM]
    assert study.category is Category.IMAGING
    assert study.study.images == 3
    assert [s.images for s in study.study.series] == [2, 1]
    assert (str(study.date), study.date_source, study.modality) == (
        "2025-05-20",
        "dicom:StudyDate",
        "CT",
    )
    photo = by_kind[Kind.JPEG]
    assert (str(photo.date), photo.date_source) == ("2025-03-14", "exif:DateTimeOriginal")
    assert inv.files_seen == 5 and inv.problems == ()


def test_identical_files_count_once_with_every_path(tmp_path: Path):
    data = pdf_bytes(LAB)
    for name in ("a.pdf", "b/copy.pdf"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    dicom = dicom_bytes()
    (tmp_path / "IM1").write_bytes(dicom)
    (tmp_path / "b" / "IM1 copy").write_bytes(dicom)
    inv = scan_folder(tmp_path)
    assert len(inv.items) == 2 and inv.duplicates == 2
    doc = next(i for i in inv.items if i.kind is Kind.PDF)
    assert sorted(s.path for s in doc.sources) == ["a.pdf", "b/copy.pdf"]
    study = next(i for i in inv.items if i.kind is Kind.DICOM)
    assert study.study.images == 1 and len(study.sources) == 2


def test_an_image_stored_twice_differently_is_one_image_and_one_duplicate(tmp_path: Path):
    """Same SOP Instance UID, different bytes (one copy lost its preamble on the way)."""
    (tmp_path / "IM1").write_bytes(dicom_bytes())
    (tmp_path / "copy" / "IM1").parent.mkdir()
    (tmp_path / "copy" / "IM1").write_bytes(dicom_bytes(preamble=False))
    (tmp_path / "IM2").write_bytes(dicom_bytes(instance=2))
    inv = scan_folder(tmp_path)
    [study] = inv.items
    assert study.study.images == 2 and len(study.sources) == 3 and inv.duplicates == 1
    assert all(s.sha256 is None for s in study.sources)  # known by their UIDs
