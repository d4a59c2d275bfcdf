import zipfile
from pathlib import Path

import pytest

from recordpack.models import Severity
from recordpack.pipeline import scan_folder
from tests.builders import LAB, pdf_bytes, problems_by_path, tree_hashes, write_pdf, zip_bytes


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
