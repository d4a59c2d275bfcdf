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
