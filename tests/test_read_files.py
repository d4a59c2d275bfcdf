import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from recordpack.cache import ScanCache
from recordpack.models import Severity
from recordpack.options import Limits, ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.read.files import read_disk_file, time_limit
from tests.builders import (
    LAB,
    dicom_bytes,
    pdf_bytes,
    problems_by_path,
    tree_hashes,
    write_pdf,
    zip_bytes,
)


def test_zips_are_read_in_place_and_hostile_members_refused(tmp_path: Path):
    inner = zip_bytes({"labs/cbc.pdf": pdf_bytes(LAB)})
    data = zip_bytes(
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
    data = bytearray(zip_bytes({"secret.pdf": pdf_bytes(LAB)}, zipfile.ZIP_STORED))
    data[6] |= 0x1  # mark the member encrypted in the local header
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 0x1  # and in the central directory
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    (tmp_path / "cut.zip").write_bytes(zip_bytes({"a.pdf": pdf_bytes(LAB)})[:100])
    found = problems_by_path(scan_folder(tmp_path))
    assert "password-protected" in found["locked.zip!secret.pdf"].message
    assert "damaged zip" in found["cut.zip"].message


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


SEEDS = {
    "pdf": pdf_bytes(LAB, pages=2),
    "dicom": dicom_bytes(),
    "zip": zip_bytes({"labs/cbc.pdf": pdf_bytes(LAB), "IM1": dicom_bytes()}),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=6),
    cut=st.floats(0.05, 1),
)
def test_a_damaged_file_is_a_problem_never_a_crash(seed: str, edits, cut: float):
    """Real files, damaged as downloads and copies damage them: bytes overwritten, cut short."""
    data = bytearray(SEEDS[seed])
    for where, junk in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(junk)] = junk
    data = data[: max(1, int(len(data) * cut))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record"
        path.write_bytes(bytes(data))
        outcome = read_disk_file("record", path, ReadOptions())
    assert outcome.found or outcome.problems  # in the record set, or listed with a reason
    for problem in outcome.problems:
        assert problem.message and problem.path.startswith("record")


def test_a_reader_crashing_is_a_problem_for_that_file(tmp_path: Path, monkeypatch):
    from recordpack.read import files

    def crash(stream, *, password=None, max_pages=None):
        raise IndexError("Dana Whitfield's report")  # as a parser's own bug would

    monkeypatch.setattr(files.pdf, "read_pdf", crash)
    (tmp_path / "a.pdf").write_bytes(pdf_bytes(LAB))
    [problem] = read_disk_file("a.pdf", tmp_path / "a.pdf", ReadOptions()).problems
    assert "pdf reader failed on it (IndexError)" in problem.message
    assert "Whitfield" not in problem.message  # what a parser says may quote the record


def test_found_by_the_property_test_a_dicom_pydicom_cannot_decode(tmp_path: Path):
    """One byte changed in a header's VR made pydicom raise NotImplementedError: the run crashed."""
    data = bytearray(dicom_bytes())
    data[int(0.13671875 * (len(data) - 1))] = 0x04
    (tmp_path / "IM1").write_bytes(bytes(data))
    [problem] = read_disk_file("IM1", tmp_path / "IM1", ReadOptions()).problems
    assert problem.severity is Severity.ERROR and "dicom reader failed" in problem.message


def test_an_empty_zip_is_listed_not_lost(tmp_path: Path):
    (tmp_path / "portal.zip").write_bytes(zip_bytes({}))
    [problem] = scan_folder(tmp_path).problems
    assert problem.path == "portal.zip" and "holds no files" in problem.message


def test_the_index_files_of_an_xdm_export_are_not_records(tmp_path: Path):
    from tests.test_read_cda import cda

    layout = {
        "README.TXT": b"This medium holds records.",
        "INDEX.HTM": b"<html><body><a href='IHE_XDM/SUBSET01/DOC0001.XML'>Operative report</a>",
        "IHE_XDM/SUBSET01/METADATA.XML": b"<SubmitObjectsRequest/>",
        "IHE_XDM/SUBSET01/DOC0001.XML": cda("11504-8", "Operative Report"),
    }
    (tmp_path / "portal.zip").write_bytes(zip_bytes(layout))
    disk = tmp_path / "usb"
    for name, data in layout.items():
        (disk / name).parent.mkdir(parents=True, exist_ok=True)
        (disk / name).write_bytes(data)
    (tmp_path / "zipped").mkdir()
    (tmp_path / "portal.zip").rename(tmp_path / "zipped" / "portal.zip")
    in_zip = scan_folder(tmp_path / "zipped", ReadOptions(ocr_lang=None))
    for inventory in (in_zip, scan_folder(disk, ReadOptions(ocr_lang=None))):
        [item] = inventory.items
        assert item.title == "Operative Report"
        notes = [p for p in inventory.problems if "IHE XDM" in p.message]
        assert len(notes) == 3 and all(p.severity is Severity.INFO for p in notes)


def limited(**limits: int) -> ReadOptions:
    return ReadOptions(ocr_lang=None, limits=Limits(**limits))


def test_a_zip_with_more_members_than_the_limit_is_listed_with_how_to_raise_it(tmp_path: Path):
    members = {f"lab{n}.pdf": pdf_bytes(LAB) for n in range(6)}
    (tmp_path / "portal.zip").write_bytes(zip_bytes(members))
    inventory = scan_folder(tmp_path, limited(members=5))
    [problem] = inventory.problems
    assert problem.path == "portal.zip" and "6 files" in problem.message
    assert "--limit members=50" in problem.hint and not inventory.items
    assert len(scan_folder(tmp_path, limited(members=6)).items) == 1  # identical: counted once


def test_an_overlapping_zip_bomb_is_refused_as_a_whole(tmp_path: Path):
    """Members each under the per-member ratio check, together 1000:1."""
    members = {f"part{n}.txt": b"\0" * (9 * 2**20) for n in range(12)}
    (tmp_path / "export.zip").write_bytes(zip_bytes(members))
    before = tree_hashes(tmp_path)
    [problem] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    assert "zip bomb" in problem.message and problem.path == "export.zip"
    assert tree_hashes(tmp_path) == before


def test_documents_past_the_page_and_pixel_limits_are_listed(tmp_path: Path):
    (tmp_path / "long.pdf").write_bytes(pdf_bytes(LAB, pages=3))
    Image.new("L", (2000, 1000), 255).save(tmp_path / "huge.png")
    problems = problems_by_path(scan_folder(tmp_path, limited(pages=2, megapixels=1)))
    assert "3 pages" in problems["long.pdf"].message
    assert "--limit pages=20" in problems["long.pdf"].hint
    assert "more than 1 megapixels" in problems["huge.png"].message
    assert "--limit megapixels=2" in problems["huge.png"].hint
    assert not scan_folder(tmp_path, limited(pages=3, megapixels=2)).problems


def test_a_limited_file_is_read_again_once_the_limit_is_raised(tmp_path: Path):
    records, cache = tmp_path / "r", tmp_path / "cache.sqlite"
    records.mkdir()
    (records / "long.pdf").write_bytes(pdf_bytes(LAB, pages=3))
    first = scan_folder(records, limited(pages=2), cache=ScanCache(cache))
    assert not first.items
    assert len(scan_folder(records, limited(pages=3), cache=ScanCache(cache)).items) == 1


def test_the_time_limit_stops_a_runaway_parser():
    start = time.monotonic()
    with pytest.raises(BaseException) as stopped, time_limit(1):
        while True:
            pass
    assert not isinstance(stopped.value, Exception)  # passes through parsers' catch-alls
    assert time.monotonic() - start < 5
    with time_limit(1):
        pass
    time.sleep(1.2)  # disarmed when the block ends: nothing fires later


def _bytes_read() -> int:
    """Bytes this process has read through system calls so far (Linux)."""
    io_stats = Path("/proc/self/io").read_text()
    return int(next(line for line in io_stats.splitlines() if line.startswith("rchar:"))[7:])


def test_an_image_is_read_to_the_end_of_its_header_and_a_document_whole(tmp_path: Path):
    """8 MB of pixels are not read (a CD is slow), nor hashed; a PDF in DICOM is a document."""
    import hashlib

    from tests.builders import dicom_dataset

    ds = dicom_dataset()
    ds.Rows = ds.Columns = 2048
    ds.PixelData = bytes(2048 * 2048 * 2)
    ds.save_as(tmp_path / "IM1", enforce_file_format=True)
    before = _bytes_read()
    [found] = read_disk_file("IM1", tmp_path / "IM1", ReadOptions()).found
    assert _bytes_read() - before < 64 * 1024
    assert found.source.sha256 is None and found.source.size > 8 * 2**20
    assert found.reading.dicom and found.reading.dicom.sop_uid == ds.SOPInstanceUID

    doc = dicom_dataset(modality="DOC")
    doc.SOPClassUID = doc.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    del doc.PixelData
    doc.EncapsulatedDocument = pdf_bytes(LAB)
    doc.save_as(tmp_path / "report.dcm", enforce_file_format=True)
    [found] = read_disk_file("report.dcm", tmp_path / "report.dcm", ReadOptions()).found
    digest = hashlib.sha256((tmp_path / "report.dcm").read_bytes()).hexdigest()
    assert found.reading.dicom is None and found.source.sha256 == digest
