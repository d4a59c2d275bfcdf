"""recordpack: turn a messy folder of medical records into one packet for a second opinion.

The public API is loaded on first use, so ``recordpack --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "Category": "recordpack.models",
    "DateOrder": "recordpack.options",
    "Inventory": "recordpack.models",
    "Item": "recordpack.models",
    "Problem": "recordpack.models",
    "Source": "recordpack.models",
    "Timeline": "recordpack.models",
    "ExitCode": "recordpack.errors",
    "RecordpackError": "recordpack.errors",
    "ReadOptions": "recordpack.options",
    "BuildOptions": "recordpack.options",
    "scan_folder": "recordpack.pipeline",
    "check_records": "recordpack.pipeline",
    "build_packet": "recordpack.pipeline",
    "build_timeline": "recordpack.timeline",
}

__all__ = [  # noqa: RUF022 - the version first, then the API as _API lists it
    "__version__",
    "BuildOptions",
    "Category",
    "DateOrder",
    "ExitCode",
    "Inventory",
    "Item",
    "Problem",
    "ReadOptions",
    "RecordpackError",
    "Source",
    "Timeline",
    "build_packet",
    "build_timeline",
    "check_records",
    "scan_folder",
]

if TYPE_CHECKING:
    from recordpack.errors import ExitCode, RecordpackError
    from recordpack.models import Category, Inventory, Item, Problem, Source, Timeline
    from recordpack.options import BuildOptions, DateOrder, ReadOptions
    from recordpack.pipeline import build_packet, check_records, scan_folder
    from recordpack.timeline import build_timeline


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'recordpack' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
