import errno
import os
from pathlib import Path

import pytest

from recordpack.errors import OutputError
from recordpack.outputs import refuse_inside, write_atomically, write_private


def test_outputs_are_owner_only_and_replace_whole(tmp_path: Path):
    target = tmp_path / "out" / "packet.pdf"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["packet.pdf"]


def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "packet.pdf"
    write_atomically(target, b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["packet.pdf"]


def test_private_files_get_private_folders(tmp_path: Path):
    write_private(tmp_path / "DICOM" / "ST000001" / "IM000001", b"x")
    assert (tmp_path / "DICOM").stat().st_mode & 0o777 == 0o700
    with pytest.raises(FileExistsError):
        write_private(tmp_path / "DICOM" / "ST000001" / "IM000001", b"y")  # never overwrites


def test_nothing_is_written_into_the_records_folder(tmp_path: Path):
    records = tmp_path / "records"
    records.mkdir()
    with pytest.raises(OutputError, match="inside the records folder"):
        refuse_inside(records, [tmp_path / "ok.pdf", records / "sub" / "packet.pdf"])
    refuse_inside(records, [records / "packet.pdf"], allowed=True)
    refuse_inside(records, [tmp_path / "packet.pdf", None])
