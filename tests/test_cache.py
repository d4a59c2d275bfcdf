import shutil
from pathlib import Path

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
    assert cache.lookup_folder(tmp_path / "r", password=False) == {}
    again = timeline_dict(build_timeline(scan_folder(tmp_path / "r", cache=cache)))
    assert again == cold  # read afresh, and the damaged row replaced
    assert len(cache.lookup_folder(tmp_path / "r", password=False)) > 5


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
