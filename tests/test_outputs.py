import errno
import os
import subprocess
from pathlib import Path

import pytest

from recordpack.errors import OutputError
from recordpack.outputs import (
    Staging,
    check_targets,
    refuse_inside,
    remove_stale,
    write_atomically,
    write_private,
)


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


def finished_pid() -> int:
    """The id of a process that has ended (ids are not reused at once)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_staged_outputs_appear_together_or_not_at_all(tmp_path: Path):
    with Staging() as staging:
        staging.file(tmp_path / "packet.pdf", b"pdf")
        (staging.folder(tmp_path / "bundle") / "INDEX.HTM").write_text("x")
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []
        staging.commit()
    assert (tmp_path / "packet.pdf").read_bytes() == b"pdf"
    assert (tmp_path / "bundle" / "INDEX.HTM").is_file()
    with pytest.raises(RuntimeError), Staging() as staging:
        staging.file(tmp_path / "packet.pdf", b"new")
        staging.folder(tmp_path / "bundle")
        raise RuntimeError("the bundle step failed")
    assert (tmp_path / "packet.pdf").read_bytes() == b"pdf"  # the old pair, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "packet.pdf"]


def test_temporaries_of_killed_runs_are_removed_and_live_ones_kept(tmp_path: Path):
    dead, live = finished_pid(), subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / f".packet.pdf.{dead}.abc.part").write_bytes(b"half")
        (tmp_path / f".packet.zip.{dead}.xyz").mkdir()
        (tmp_path / f".packet.pdf.{live.pid}.def.part").write_bytes(b"writing")
        (tmp_path / ".other.pdf.1.x.part").write_bytes(b"not ours to judge")
        write_atomically(tmp_path / "packet.pdf", b"new")
        remove_stale(tmp_path / "packet.zip")
        names = sorted(p.name for p in tmp_path.iterdir())
        assert names == sorted(
            [f".packet.pdf.{live.pid}.def.part", ".other.pdf.1.x.part", "packet.pdf"]
        )
    finally:
        live.kill()
        live.wait()


def test_a_failed_commit_puts_every_old_output_back(tmp_path: Path):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "old").write_text("old bundle")
    (tmp_path / "packet.pdf").write_bytes(b"old packet")
    with Staging() as staging:
        staging.file(tmp_path / "packet.pdf", b"new packet")
        (staging.folder(tmp_path / "bundle") / "new").write_text("new bundle")
        (tmp_path / "fhir.json").write_bytes(b"old fhir")
        staging.reserve(tmp_path / "fhir.json").unlink()  # the last rename cannot happen
        with pytest.raises(OutputError, match="cannot be put in place"):
            staging.commit()
    assert (tmp_path / "packet.pdf").read_bytes() == b"old packet"
    assert (tmp_path / "fhir.json").read_bytes() == b"old fhir"
    assert [p.name for p in (tmp_path / "bundle").iterdir()] == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "fhir.json", "packet.pdf"]


def test_an_output_is_checked_before_anything_is_written(tmp_path: Path):
    records = tmp_path / "records"
    records.mkdir()
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "01-cascade-pathology.pdf").write_bytes(b"%PDF")
    check_targets(records, {"letters": letters})  # recordpack's own letters
    (letters / "reply.docx").write_bytes(b"x")
    with pytest.raises(OutputError, match=r"holds reply\.docx"):
        check_targets(records, {"letters": letters})
    with pytest.raises(OutputError, match="is a link"):
        (tmp_path / "link.pdf").symlink_to(tmp_path / "elsewhere.pdf")
        check_targets(records, {"packet": tmp_path / "link.pdf"})
    check_targets(records, {"packet": tmp_path / "link.pdf"}, force=True)
    with pytest.raises(OutputError, match="inside the records folder"):
        check_targets(records, {"packet": records / "p.pdf"})
    (records / "old-bundle").mkdir()
    (records / "old-bundle" / "x").write_text("x")
    with pytest.raises(OutputError, match="not a bundle"):  # inside: never forced away
        check_targets(records, {"bundle": records / "old-bundle"}, allow_inside=True, force=True)
