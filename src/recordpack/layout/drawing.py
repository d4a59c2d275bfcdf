"""The slow drawings of the layout stage (stamps, imaging studies) in worker processes.

The page engine is pure Python for the most part, so threads would not help: processes do,
while the main process copies the documents and draws the cover. The engine is loaded before
the workers start, so where processes fork (Linux) no worker pays its import again.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from recordpack.errors import quiet_worker

T = TypeVar("T")
_PRELOAD = ["weasyprint", "recordpack.layout.cover"]


class Drawing:
    """Runs drawings in a pool of ``workers`` processes, or here when one process is enough."""

    def __init__(self, workers: int | None, *, parallel: bool) -> None:
        count = workers or os.cpu_count() or 1
        self.workers = count if parallel and count > 1 else 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Drawing:
        if self.workers > 1:
            for module in _PRELOAD:
                importlib.import_module(module)
            self._pool = ProcessPoolExecutor(self.workers, initializer=quiet_worker)
        return self

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Start a drawing; its result (or its exception) comes from the future."""
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed to whoever asks for the result, as a pool would
            future.set_exception(exc)
        return future

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
