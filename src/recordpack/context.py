"""What every stage of one run shares: where the records are, how to read them, the cache, progress.

One object passed from stage to stage, so a stage's signature says what it makes, not what it
happens to need from the command line. Problems found along the way are collected here.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from recordpack.cache import ScanCache
from recordpack.models import Problem
from recordpack.options import ReadOptions
from recordpack.sources import Records

Progress = Callable[[int, int, str], None]  # done, total, what is being done


@dataclass(slots=True)
class Context:
    """One run over one records folder."""

    records: Records
    options: ReadOptions = field(default_factory=ReadOptions)
    cache: ScanCache | None = None
    progress: Progress | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def root(self) -> Path:
        """The records folder."""
        return self.records.root

    def report(self, done: int, total: int, stage: str) -> None:
        """Tell the progress display how far a stage is."""
        if self.progress:
            self.progress(done, total, stage)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while many long-lived, acyclic objects are made.

    Each collection walks every object made so far; while a warm re-scan turns thousands of
    cached readings into items, that walking took a third of the time, and found nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
