from pathlib import Path

from recordpack.context import Context
from recordpack.sources import Records


def test_stages_report_progress_through_the_context(tmp_path: Path):
    heard = []
    ctx = Context(Records(tmp_path), progress=lambda d, t, s: heard.append((d, t, s)))
    ctx.report(1, 3, "reading files")
    assert heard == [(1, 3, "reading files")] and ctx.root == tmp_path
    Context(Records(tmp_path)).report(1, 1, "quiet")  # no progress display: nothing happens
