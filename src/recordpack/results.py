"""What the later stages produce: a checked timeline, a built packet, a batch job's outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recordpack.checklist import ChecklistReport
from recordpack.models import Item, Problem, Timeline
from recordpack.patient import SentRequest

if TYPE_CHECKING:
    from recordpack.options import Profile
    from recordpack.patient import Patient
    from recordpack.sources import Records


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A field whose value on some items differs from the expected one."""

    field: str
    expected: str
    found: str
    items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A checklist report with the identity and language findings that go with it."""

    report: ChecklistReport
    mismatches: list[Mismatch]
    translation: list[Item]
    requests: tuple[RequestState, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestState:
    """A request for records that was sent: when its answer is due, and whether it is late."""

    request: SentRequest
    due: dt.date
    overdue: bool


@dataclass(frozen=True, slots=True)
class PlacedItem:
    """Where an item ended up in the packet (pages are 1-based, inclusive)."""

    item: Item
    first_page: int
    last_page: int


@dataclass(frozen=True, slots=True)
class Packet:
    """A built packet as every output beside it sees it: the file, what it holds and where.

    The bundle (with its DICOMDIR, XDM submission and ISO image) and the FHIR document each take
    this one value, so a new output is one writer that reads it, not more lists threaded
    through the pipeline.
    """

    file: Path  # the packet as written (staged until the build commits)
    name: str  # its file name once in place, as the outputs refer to it
    timeline: Timeline
    placed: tuple[PlacedItem, ...]  # the items in the packet, with their pages
    check: CheckResult
    patient: Patient
    profile: Profile
    problems: tuple[Problem, ...]  # files not included, and notes
    records: Records  # the records folder, to copy and hash the originals

    @property
    def pages(self) -> dict[int, tuple[int, int]]:
        """Each placed item's first and last page in the packet, by its timeline index."""
        return {p.item.index: (p.first_page, p.last_page) for p in self.placed}


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What was built, for the terminal and for ``--json``."""

    output: Path
    bundle: Path | None
    pages: int
    cover_pages: int
    placed: tuple[PlacedItem, ...]
    problems: tuple[Problem, ...]
    check: CheckResult
    timeline: Timeline
    active_content_removed: int
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, for the curious
    fhir: Path | None = None
    iso: Path | None = None


@dataclass(frozen=True, slots=True)
class JobResult:
    """One patient of a batch: built, unchanged since the last build, or failed (and why)."""

    job: str
    status: str  # built | unchanged | failed
    seconds: float
    output: str | None = None
    bundle: str | None = None
    pages: int | None = None
    items: int | None = None
    problems: tuple[Problem, ...] = ()  # warnings and errors, not notes
    checklist: str | None = None
    complete: bool | None = None
    missing: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every job's result, and the totals the summary line reports."""

    jobs: tuple[JobResult, ...]
    seconds: float

    def count(self, status: str) -> int:
        """How many jobs ended with ``status``."""
        return sum(1 for j in self.jobs if j.status == status)

    @property
    def incomplete(self) -> int:
        """Jobs whose packet misses a required checklist item."""
        return sum(1 for j in self.jobs if j.complete is False)
