"""Exit codes and the errors the library raises; only the CLI turns them into exits."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    INCOMPLETE = 1  # with --strict: a required checklist item is missing or stale
    USAGE = 2  # bad options (click's own code)
    BATCH_FAILED = 2  # batch: some patients failed (the others were built)
    INPUT = 3  # the folder or a data file cannot be used
    OUTPUT = 4  # the output cannot be written
    INTERRUPTED = 130


class RecordpackError(Exception):
    """An error that stops a command; the message names the file and says what to do."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InputFolderError(RecordpackError):
    """The folder to scan does not exist or cannot be read."""


class RuleDataError(RecordpackError):
    """A rules or checklist file is not valid; the message names the file and key."""


class OutputError(RecordpackError):
    """An output file cannot be written."""

    exit_code = ExitCode.OUTPUT
