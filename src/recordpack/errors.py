"""Exit codes and the errors the library raises; only the CLI turns them into exits."""

from __future__ import annotations

import signal
from enum import IntEnum

from recordpack.models import Notice, Severity


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    INCOMPLETE = 1  # with --strict: a required checklist item is missing or stale
    USAGE = 2  # bad options (click's own code)
    INPUT = 3  # the folder or a data file cannot be used
    OUTPUT = 4  # the output cannot be written
    BATCH_FAILED = 5  # batch: some patients failed (the others were built)
    BUG = 70  # recordpack's own bug (EX_SOFTWARE): please report it
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # the reader of the output closed it early (`... | head`), as shells say
    TERMINATED = 143  # SIGTERM (a scheduler's or a container's stop): cleaned up, then gone


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that every cleanup runs, as for Ctrl-C."""


def quiet_worker() -> None:
    """A worker process's start: SIGTERM and Ctrl-C end it at once, without a traceback.

    Workers are forked with the command's own handlers, which turn SIGTERM into
    :class:`Terminated` and Ctrl-C into KeyboardInterrupt so that the command removes its
    temporaries; in a worker that only printed a traceback per process (or left one waiting
    for its next job alive while the command waited for it). The command itself cleans up.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RecordpackError(Exception):
    """An error that stops a command; the message names the file and says what to do."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(RecordpackError):
    """Options that do not fit together, or a value no option takes."""

    exit_code = ExitCode.USAGE


class InputFolderError(RecordpackError):
    """The folder to scan does not exist or cannot be read."""


class RuleDataError(RecordpackError):
    """A rules, checklist, patient or config file is not valid; the message names file and key."""


class OutputError(RecordpackError):
    """An output file cannot be written."""

    exit_code = ExitCode.OUTPUT


class ReadError(Exception):
    """One file could not be read: a :class:`~recordpack.models.Problem`, never an exit."""

    def __init__(self, message: str, hint: str = "", severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.severity = severity

    def __reduce__(self) -> tuple[type[ReadError], tuple[str, str, Severity]]:
        """Keep the hint and severity when a worker process sends the error back."""
        return (ReadError, (self.message, self.hint, self.severity))

    @property
    def notice(self) -> Notice:
        """The same as plain data."""
        return Notice(self.message, self.hint, self.severity)


def described(exc: BaseException, trusted: tuple[type[BaseException], ...]) -> str:
    """An error for a person: its message when it is of a ``trusted`` type, else its type only.

    A parser's message can quote the record it failed on, and problems reach the terminal and
    the packet.
    """
    return str(exc) if isinstance(exc, trusted) else type(exc).__name__
