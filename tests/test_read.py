import io
import os
from pathlib import Path

import pytest
from pydicom.fileset import FileSet
from pypdf import PdfWriter

from recordpack.errors import InputFolderError
from recordpack.models import Kind, Severity
from recordpack.pipeline import scan_folder
from tests.builders import LAB, dicom_bytes, jpeg_bytes, pdf_bytes, problems_by_path, zip_bytes


def test_types_come_from_content_not_names(tmp_path: Path):
    (tmp_path / "report.jpg").write_bytes(pdf_bytes(LAB))
    (tmp_path / "scan.pdf").write_bytes(jpeg_bytes())
    (tmp_path / "raw-dicom.txt").write_bytes(dicom_bytes(preamble=False))
    kinds = {i.sources[0].path: i.kind for i in scan_folder(tmp_path).items}
    assert kinds == {"report.jpg": Kind.PDF, "scan.pdf": Kind.JPEG, "raw-dicom.txt": Kind.DICOM}


def test_bad_files_are_problems_that_name_the_file_and_the_fix(tmp_path: Path):
    good = pdf_bytes(LAB)
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (tmp_path / "notes.docx").write_bytes(
        zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b""})
    )
    (tmp_path / "random.bin").write_bytes(os.urandom(2000))
    writer = PdfWriter(clone_from=io.BytesIO(good))
    writer.encrypt(user_password="secret", algorithm="AES-256")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    (tmp_path / "locked.pdf").write_bytes(encrypted.getvalue())
    dicom = dicom_bytes()
    (tmp_path / "cut-dicom").write_bytes(dicom[:-40])
    (tmp_path / "broken.jpg").write_bytes(jpeg_bytes()[:30])
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")

    inv = scan_folder(tmp_path)
    found = problems_by_path(inv)
    assert inv.items == ()
    assert "empty file" in found["empty.pdf"].message
    assert "damaged or truncated PDF" in found["truncated.pdf"].message
    assert "encrypted PDF" in found["locked.pdf"].message
    assert "--password" in found["locked.pdf"].hint
    assert "Office document" in found["notes.docx"].message
    assert "not a format" in found["random.bin"].message
    assert "truncated DICOM" in found["cut-dicom"].message
    assert "image" in found["broken.jpg"].message
    assert found[".DS_Store"].severity is Severity.INFO
    assert all(p.severity is Severity.ERROR for k, p in found.items() if k != ".DS_Store")
    assert all(p.hint for k, p in found.items() if k != ".DS_Store")


def test_dicomdir_is_checked_against_its_files(tmp_path: Path):
    staging = tmp_path / "staging"
    staging.mkdir()
    fs = FileSet()
    for n in (1, 2, 3):
        path = staging / f"{n}.dcm"
        path.write_bytes(dicom_bytes(instance=n))
        fs.add(path)
    cd = tmp_path / "records" / "CD"
    fs.write(cd)
    inv = scan_folder(tmp_path / "records")
    [note] = inv.problems
    assert note.severity is Severity.INFO and "lists 3 images, all found" in note.message
    victim = next(p for p in cd.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    victim.unlink()
    [warning] = scan_folder(tmp_path / "records").problems
    assert warning.severity is Severity.WARNING and "1 of them are not here" in warning.message


def test_a_missing_folder_is_an_error_with_a_hint(tmp_path: Path):
    with pytest.raises(InputFolderError, match="not a folder"):
        scan_folder(tmp_path / "nope")
