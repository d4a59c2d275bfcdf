"""recordpack: turn a messy folder of medical records into one packet for a second opinion."""

from __future__ import annotations

from recordpack.errors import ExitCode, RecordpackError
from recordpack.models import Category, DateOrder, Inventory, Item, Problem, Source, Timeline
from recordpack.scan import scan_folder
from recordpack.timeline import build_timeline

__version__ = "0.1.0"

__all__ = [
    "Category",
    "DateOrder",
    "ExitCode",
    "Inventory",
    "Item",
    "Problem",
    "RecordpackError",
    "Source",
    "Timeline",
    "__version__",
    "build_timeline",
    "scan_folder",
]
