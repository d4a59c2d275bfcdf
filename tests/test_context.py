from pathlib import Path

from recordpack.context import Context
from recordpack.sources import Records


def test_stages_report_progress_through_the_context(tmp_path: Path):
    heard = []
    ctx = Context(Records(tmp_path), progress=lambda d, t, s: heard.append((d, t, s)))
    ctx.report(1, 3, "reading files")
    assert heard == [(1, 3, "reading files")] and ctx.root == tmp_path
    Context(Records(tmp_path)).report(1, 1, "quiet")  # no progress display: nothing happens


def test_the_cycle_collector_is_paused_and_restored():
    import gc

    from recordpack.context import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller that paused it already keeps it paused
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
