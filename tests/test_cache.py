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
    assert studies and all(f in i.sources for i in warm.items if i.study
                           for s in i.study.series for _, f in s.files)  # fmt: skip

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
