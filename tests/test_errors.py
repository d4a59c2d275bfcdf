import pickle

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
    assert (again.message, again.hint, again.severity) == ("damaged PDF", "export it again",
                                                           Severity.WARNING)  # fmt: skip
    assert again.notice.message == "damaged PDF"
