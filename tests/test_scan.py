import io
import os
import zipfile
from pathlib import Path

import pytest
from pydicom.fileset import FileSet
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from recordpack.errors import InputFolderError
from recordpack.models import Category, Kind, Severity
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from tests.builders import dicom_bytes, jpeg_bytes, pdf_bytes, tree_hashes, write_pdf

LAB = ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Hemoglobin 13 g/dL  Reference range 12-15"]


def problems_by_path(inventory):
    return {p.path: p for p in inventory.problems}


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
        _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b""})
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


def test_the_right_password_opens_an_encrypted_pdf(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(LAB)))
    writer.encrypt(user_password="secret", algorithm="AES-256")
    writer.write(tmp_path / "locked.pdf")
    [item] = scan_folder(tmp_path, ReadOptions(password="secret")).items
    assert item.category is Category.LAB


def test_pdf_javascript_is_reported(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(LAB)))
    writer.add_open_action(JavaScript("app.alert('hi');"))
    writer.write(tmp_path / "js.pdf")
    inv = scan_folder(tmp_path)
    assert len(inv.items) == 1
    [problem] = inv.problems
    assert problem.severity is Severity.WARNING and "JavaScript" in problem.message


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return out.getvalue()


def test_zips_are_read_in_place_and_hostile_members_refused(tmp_path: Path):
    inner = _zip({"labs/cbc.pdf": pdf_bytes(LAB)})
    data = _zip(
        {
            "portal/report.pdf": pdf_bytes(
                [
                    "OPERATIVE REPORT",
                    "Date of surgery: 01/02/2025",
                    "Surgeon: X",
                    "Estimated blood loss: 5 mL",
                ]
            ),
            "../../evil.pdf": pdf_bytes(LAB),
            "/etc/passwd": b"root:x:0:0",
            "bomb.txt": b"0" * (40 * 2**20),
            "nested.zip": inner,
            "__MACOSX/._report.pdf": b"junk",
        }
    )
    (tmp_path / "download.zip").write_bytes(data)
    before = tree_hashes(tmp_path)
    inv = scan_folder(tmp_path)
    assert tree_hashes(tmp_path) == before  # nothing extracted
    sources = sorted((i.sources[0].archive, i.sources[0].path) for i in inv.items)
    assert sources == [
        ("download.zip", "portal/report.pdf"),
        ("download.zip!nested.zip", "labs/cbc.pdf"),
    ]
    found = problems_by_path(inv)
    assert "unsafe path" in found["download.zip!../../evil.pdf"].message
    assert "unsafe path" in found["download.zip!/etc/passwd"].message
    assert "zip bomb" in found["download.zip!bomb.txt"].message
    assert found["download.zip!__MACOSX/._report.pdf"].severity is Severity.INFO
    assert inv.files_seen == 8  # the zip, its 6 members and the nested member


def test_encrypted_and_damaged_zips(tmp_path: Path):
    data = bytearray(_zip({"secret.pdf": pdf_bytes(LAB)}, zipfile.ZIP_STORED))
    data[6] |= 0x1  # mark the member encrypted in the local header
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 0x1  # and in the central directory
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    (tmp_path / "cut.zip").write_bytes(_zip({"a.pdf": pdf_bytes(LAB)})[:100])
    found = problems_by_path(scan_folder(tmp_path))
    assert "password-protected" in found["locked.zip!secret.pdf"].message
    assert "damaged zip" in found["cut.zip"].message


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


def test_links_loops_and_odd_names(tmp_path: Path):
    write_pdf(tmp_path / "real" / "lab.pdf", LAB)
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    (tmp_path / "self").symlink_to(tmp_path / "self")
    os.mkfifo(tmp_path / "pipe")
    odd = os.fsencode(tmp_path) + b"/caf\xe9 results.pdf"  # Latin-1 name, not valid UTF-8
    fd = os.open(odd, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, pdf_bytes(LAB))
    os.close(fd)
    inv = scan_folder(tmp_path)
    found = problems_by_path(inv)
    assert "broken link" in found["gone.pdf"].message
    assert "loops back" in found["real/loop"].message
    assert "link" in found["self"].message
    assert found["pipe"].severity is Severity.INFO
    assert len(inv.items) == 1  # the lab and its odd-named twin are the same content
    assert len(inv.items[0].sources) == 2


def test_unreadable_files_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_pdf(tmp_path / "ok.pdf", LAB)
    write_pdf(tmp_path / "private.pdf", ["x"])
    real_open = Path.open

    def deny(self: Path, *args, **kwargs):  # root reads anything, so refuse as the OS would
        if self.name == "private.pdf":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    inv = scan_folder(tmp_path)
    assert len(inv.items) == 1
    assert "permission denied" in problems_by_path(inv)["private.pdf"].message


def test_decompression_bomb_images_are_refused(tmp_path: Path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20000, 10000)).save(out, "PNG")  # 200 MP, tiny on disk
    (tmp_path / "huge.png").write_bytes(out.getvalue())
    [problem] = scan_folder(tmp_path).problems
    assert "too large" in problem.message


def test_a_missing_folder_is_an_error_with_a_hint(tmp_path: Path):
    with pytest.raises(InputFolderError, match="not a folder"):
        scan_folder(tmp_path / "nope")


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


def test_heic_without_the_extra_is_a_clear_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from recordpack.read import image

    monkeypatch.setattr(image, "HEIC_SUPPORT", False)
    (tmp_path / "IMG_1.HEIC").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    [problem] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    assert "HEIC photo" in problem.message and "recordpack[heic]" in problem.hint
