import pickle
import subprocess
import sys

from recordpack.errors import ExitCode, OutputError, ReadError, RecordpackError, UsageError
from recordpack.models import Severity


def test_every_exit_code_means_one_thing():
    codes = [code.value for code in ExitCode]
    assert len(codes) == len(set(codes))
    assert ExitCode.BATCH_FAILED != ExitCode.USAGE


def test_each_error_carries_its_exit_code_and_hint():
    assert RecordpackError("x").exit_code is ExitCode.INPUT
    assert UsageError("x").exit_code is ExitCode.USAGE
    assert OutputError("x").exit_code is ExitCode.OUTPUT
    assert str(OutputError("disk full", "free some space")) == "disk full\n  hint: free some space"


def test_a_read_error_crosses_processes_whole():
    error = ReadError("damaged PDF", "export it again", Severity.WARNING)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, just made
    assert (again.message, again.hint, again.severity) == (
        "damaged PDF",
        "export it again",
        Severity.WARNING,
    )
    assert again.notice.message == "damaged PDF"


WORKERS = """
import os, signal, sys, time
from concurrent.futures import ProcessPoolExecutor
from recordpack import errors
from recordpack.cli import handle_termination

handle_termination()
init = errors.quiet_worker if sys.argv[1] == "quiet" else None
try:
    with ProcessPoolExecutor(2, initializer=init) as pool:
        list(pool.map(abs, [1, 2]))  # the workers are up, and wait for work
        os.killpg(0, signal.SIGTERM)  # a scheduler stops the whole job
        time.sleep(5)
except errors.Terminated:
    print("stopped")
"""


def test_a_stopped_job_leaves_no_traceback_from_its_workers():
    def run(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", WORKERS, mode],
            capture_output=True,
            text=True,
            start_new_session=True,
            timeout=60,
        )

    quiet, loud = run("quiet"), run("loud")
    assert quiet.stdout.strip() == "stopped" and "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr  # without it, each worker prints one
