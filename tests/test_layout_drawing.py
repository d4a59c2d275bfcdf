import os

import pytest

from recordpack.layout.drawing import Drawing


def test_drawings_run_in_worker_processes_and_bring_back_results_and_errors():
    with Drawing(2, parallel=True) as drawing:
        assert drawing.workers == 2
        pids = [drawing.submit(os.getpid) for _ in range(4)]
        failed = drawing.submit(int, "not a number")
        assert all(p.result(timeout=60) != os.getpid() for p in pids)
        with pytest.raises(ValueError, match="not a number"):
            failed.result(timeout=60)


def test_with_one_worker_or_little_to_draw_the_drawing_happens_here():
    for workers, parallel in ((1, True), (4, False)):
        with Drawing(workers, parallel=parallel) as drawing:
            assert drawing.workers == 1
            assert drawing.submit(os.getpid).result() == os.getpid()
            with pytest.raises(ValueError):
                drawing.submit(int, "x").result()
