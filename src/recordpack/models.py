"""Plain, frozen data passed from one stage of the pipeline to the next; no I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a file is, decided from its content (never its name)."""

    PDF = "pdf"
    DICOM = "dicom"
    DICOMDIR = "dicomdir"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    HEIC = "heic"
    TEXT = "text"
    ZIP = "zip"
    UNKNOWN = "unknown"


IMAGE_KINDS = frozenset({Kind.JPEG, Kind.PNG, Kind.TIFF, Kind.HEIC})


class Category(StrEnum):
    """The fixed vocabulary every item is sorted into; values are the JSON/TOML spellings."""

    LAB = "lab"
    PATHOLOGY = "pathology"
    RADIOLOGY = "radiology"
    IMAGING = "imaging"
    PROCEDURE = "procedure"
    CLINICAL_NOTE = "clinical-note"
    DISCHARGE = "discharge"
    MEDICATIONS = "medications"
    GENETICS = "genetics"
    CARDIOLOGY = "cardiology"
    OTHER = "other"


class Severity(StrEnum):
    """How much a problem matters: an error means the file is not in the record set."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class DateOrder(StrEnum):
    """How to read numeric dates such as 03/04/2024."""

    MDY = "MDY"
    DMY = "DMY"
    YMD = "YMD"


@dataclass(frozen=True, slots=True)
class Source:
    """One file found: inside the folder, or a member of a zip inside it.

    ``path`` is relative to the scanned root (POSIX separators); for a zip member it is the
    member's name and ``archive`` is the zip's path relative to the root.
    """

    path: str
    sha256: str
    size: int
    kind: Kind
    archive: str | None = None

    @property
    def display(self) -> str:
        """The name a person recognises: ``portal.zip!labs/cbc.pdf`` for zip members."""
        return f"{self.archive}!{self.path}" if self.archive else self.path


@dataclass(frozen=True, slots=True)
class Problem:
    """A file we could not use (or could only partly use), with what to do about it."""

    path: str
    severity: Severity
    message: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class DateFinding:
    """The clinically relevant date of an item and where it came from."""

    date: dt.date | None
    source: str = ""
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    """One DICOM series of a study, from headers only."""

    uid: str
    number: int | None
    modality: str
    description: str
    body_part: str
    images: int


@dataclass(frozen=True, slots=True)
class Item:
    """One clinical unit on the timeline: a document, or an imaging study made of many files.

    ``facts`` holds what a reader learnt that later stages may use (body part, series, the
    first pages' text for matching, identity lines); ``text`` is kept out of JSON output.
    """

    id: str
    category: Category
    title: str
    date: dt.date | None
    date_source: str
    date_ambiguous: bool
    reason: str
    pages: int | None
    modality: str | None
    sources: tuple[Source, ...]
    kind: Kind
    facts: dict[str, object] = field(default_factory=dict, hash=False, compare=False)
    text: str = field(default="", repr=False, hash=False, compare=False)
    index: int = 0


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything a scan found: the items, and every file that did not become one."""

    root: str
    items: tuple[Item, ...]
    problems: tuple[Problem, ...]
    files_seen: int
    bytes_seen: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """Items in date order with stable 1-based index numbers; undated items last."""

    inventory: Inventory
    items: tuple[Item, ...]

    @property
    def undated(self) -> tuple[Item, ...]:
        """Items no date could be found for; kept, never dropped."""
        return tuple(i for i in self.items if i.date is None)
