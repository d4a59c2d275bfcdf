import shutil
from pathlib import Path

import pytest

from tests.builders import EXAMPLE


def test_the_cache_replays_unchanged_files(tmp_path: Path):
    from recordpack.cache import ScanCache
    from recordpack.pipeline import scan_folder
    from recordpack.serialize import timeline_dict
    from recordpack.timeline import build_timeline

    shutil.copytree(EXAMPLE, tmp_path / "r")
    cache = ScanCache(tmp_path / "c.sqlite")
    cold = timeline_dict(build_timeline(scan_folder(tmp_path / "r", cache=cache)))
    rows = cache.db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    warm = timeline_dict(build_timeline(scan_folder(tmp_path / "r", cache=cache)))
    assert warm == cold and rows == cache.db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert (tmp_path / "c.sqlite").stat().st_mode & 0o777 == 0o600


def test_a_damaged_cache_row_reads_the_folder_again(tmp_path: Path):
    from recordpack.cache import ScanCache
    from recordpack.pipeline import scan_folder
    from recordpack.serialize import timeline_dict
    from recordpack.timeline import build_timeline

    shutil.copytree(EXAMPLE, tmp_path / "r")
    cache = ScanCache(tmp_path / "c.sqlite")
    cold = timeline_dict(build_timeline(scan_folder(tmp_path / "r", cache=cache)))
    assert len(cache.lookup_folder(tmp_path / "r", password=False)) > 5
    cache.db.execute("UPDATE files SET outcome = '{\"found\": [' WHERE rowid = 1")
    cache.db.execute("UPDATE scans SET inventory = '{\"items\": ['")  # damaged as well
    assert cache.lookup_folder(tmp_path / "r", password=False) == {}
    again = timeline_dict(build_timeline(scan_folder(tmp_path / "r", cache=cache)))
    assert again == cold  # read afresh, and the damaged rows replaced
    assert len(cache.lookup_folder(tmp_path / "r", password=False)) > 5
    assert scan_folder(tmp_path / "r", cache=cache) == scan_folder(tmp_path / "r")


def test_a_changed_file_is_not_replayed(tmp_path: Path):
    from recordpack.cache import ScanCache
    from recordpack.pipeline import scan_folder

    shutil.copytree(EXAMPLE, tmp_path / "r")
    cache = ScanCache(tmp_path / "c.sqlite")
    scan_folder(tmp_path / "r", cache=cache)
    known = cache.lookup_folder(tmp_path / "r", password=False)
    changed = next(p for p in known if p.endswith(".pdf"))
    with Path(changed).open("ab") as fh:
        fh.write(b"\n%% appended\n")
    assert changed not in cache.lookup_folder(tmp_path / "r", password=False)
    assert set(cache.lookup_folder(tmp_path / "r", password=False)) == set(known) - {changed}


def _rows(cache: object, table: str) -> int:
    query = {"files": "SELECT COUNT(*) FROM files", "scans": "SELECT COUNT(*) FROM scans"}[table]
    return cache.db.execute(query).fetchone()[0]  # type: ignore[attr-defined]


def test_an_unchanged_folder_is_replayed_whole_and_a_changed_one_read_again(
    tmp_path: Path, monkeypatch
):
    from recordpack.cache import ScanCache
    from recordpack.pipeline import scan_folder
    from recordpack.serialize import timeline_dict
    from recordpack.timeline import build_timeline

    shutil.copytree(EXAMPLE, tmp_path / "r")
    cache = ScanCache(tmp_path / "c.sqlite")
    cold = scan_folder(tmp_path / "r", cache=cache)
    assert _rows(cache, "scans") == 1
    cache.db.execute("DELETE FROM files")  # the files' readings gone: only the inventory is left
    warm = scan_folder(tmp_path / "r", cache=cache)
    assert warm == cold and _rows(cache, "files") == 0  # nothing was read
    assert timeline_dict(build_timeline(warm)) == timeline_dict(build_timeline(cold))
    assert [i.text for i in warm.items] == [i.text for i in cold.items]
    scanned = [(c.ocr, w.ocr) for c, w in zip(cold.items, warm.items, strict=True) if c.ocr]
    assert scanned and all(c == w and c.layers == w.layers for c, w in scanned)  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)
    assert scan_folder("r", cache=cache).root == "r"  # the folder as named this time
    studies = [i.study for i in warm.items if i.study]
    assert studies and all(
        f in i.sources for i in warm.items if i.study for s in i.study.series for _, f in s.files
    )

    (tmp_path / "r" / "new.txt").write_text("DISCHARGE SUMMARY\nDate: 2025-09-01\n")
    again = scan_folder(tmp_path / "r", cache=cache)
    assert _rows(cache, "files") > 5  # read again, the folder having changed
    assert len(again.items) == len(cold.items) + 1 and again == scan_folder(tmp_path / "r")


def test_an_inventory_that_would_not_come_out_the_same_is_not_kept(tmp_path: Path):
    from recordpack.cache import ScanCache
    from recordpack.options import Limits, ReadOptions
    from recordpack.pipeline import scan_folder
    from tests.builders import LAB, write_pdf

    shutil.copytree(EXAMPLE, tmp_path / "r")
    write_pdf(tmp_path / "r" / "long.pdf", LAB, pages=3)
    cache = ScanCache(tmp_path / "c.sqlite")
    scan_folder(tmp_path / "r", ReadOptions(limits=Limits(pages=2)), cache=cache)  # limit hit
    scan_folder(tmp_path / "r", ReadOptions(ocr_lang="zzz"), cache=cache)  # a scan left unread
    scan_folder(tmp_path / "r", ReadOptions(password="secret"), cache=cache)  # not kept
    assert _rows(cache, "scans") == 0 and _rows(cache, "files") > 5
    scan_folder(tmp_path / "r", ReadOptions(ocr_lang=None), cache=cache)
    assert _rows(cache, "scans") == 1


def _small_records(root: Path) -> Path:
    from tests.builders import write_pdf

    write_pdf(root / "lab.pdf", ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025"])
    return root


def test_an_unusable_cache_is_a_warning_and_the_command_goes_on(tmp_path: Path, monkeypatch):
    import sqlite3

    from typer.testing import CliRunner

    from recordpack import cache as caching
    from recordpack.cli import app

    records = _small_records(tmp_path / "records")
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"not a database at all" * 100)
    (tmp_path / "a-file").write_text("x")
    locked = tmp_path / "locked.sqlite"
    caching.ScanCache(locked).close()
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(caching, "LOCK_WAIT", 0.1)
    cases = {
        damaged: "was damaged",
        tmp_path / "a-file" / "c.sqlite": "cannot be used",
        locked: "cannot be used (database is locked)",
    }
    try:
        for path, said in cases.items():
            result = CliRunner().invoke(
                app, ["timeline", str(records), "--cache", str(path), "--no-ocr", "--json"]
            )
            assert result.exit_code == 0, result.output
            assert said in result.stderr and "warning" in result.stderr
            assert "COMPLETE BLOOD COUNT" in result.stdout or '"lab"' in result.stdout
    finally:
        holder.close()
    assert damaged.with_name("damaged.sqlite.damaged").read_bytes().startswith(b"not a database")
    assert caching.ScanCache(damaged).warning == ""  # made anew, usable


FULL_DISK = """
import resource, signal, sys
# a write past the limit fails (EFBIG), as on a full disk
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
from recordpack.cli import main
sys.argv = ["recordpack", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_a_full_disk_is_an_exit_code_with_a_message_never_an_internal_error(tmp_path: Path):
    import subprocess
    import sys

    records = _small_records(tmp_path / "records")
    run = [sys.executable, "-c", FULL_DISK]
    scan = subprocess.run(
        [*run, "scan", str(records), "--cache", str(tmp_path / "c.sqlite"), "--no-ocr", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert scan.returncode == 0, scan.stderr
    assert "cache cannot be used" in scan.stderr
    build = subprocess.run(
        [
            *run,
            "build",
            str(records),
            "-o",
            str(tmp_path / "out" / "p.pdf"),
            "--no-cache",
            "--no-ocr",
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 4, build.stderr
    assert "cannot write" in build.stderr and "Traceback" not in build.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no temporary left behind


def test_a_file_name_that_is_not_utf8_is_read_and_kept_out_of_the_cache(tmp_path: Path):
    import os

    from recordpack.cache import ScanCache
    from recordpack.pipeline import scan_folder
    from tests.builders import pdf_bytes

    records = tmp_path / "records"
    records.mkdir()
    name = os.fsencode(records) + b"/lab-\xff\xfe.pdf"
    with open(name, "wb") as fh:  # noqa: PTH123 - a name only bytes can spell
        fh.write(pdf_bytes(["COMPLETE BLOOD COUNT", "Collected: 03/04/2025"]))
    cache = ScanCache(tmp_path / "c.sqlite")
    for _ in range(2):
        inventory = scan_folder(records, cache=cache)
        assert len(inventory.items) == 1 and cache.warning == ""
