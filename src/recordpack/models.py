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
MEDIA_TYPES = {
    Kind.PDF: "application/pdf",
    Kind.JPEG: "image/jpeg",
    Kind.PNG: "image/png",
    Kind.TIFF: "image/tiff",
    Kind.HEIC: "image/heic",
    Kind.TEXT: "text/plain",
    Kind.DICOM: "application/dicom",
}
# Dates a file carries about itself (made, downloaded, photographed), not about the care:
# dates that say when a file was made, not when care happened
FILE_DATE_SOURCES = (
    "pdf:",
    "exif:",
    "filename:camera",
    "cda:created",
    "fhir:timestamp",
    "fhir:indexed",
    "xdm:created",
)


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


@dataclass(frozen=True, slots=True)
class Source:
    """One file found: inside the folder, or a member of a zip inside it.

    ``path`` is relative to the scanned root (POSIX separators); for a zip member it is the
    member's name and ``archive`` is the zip's path relative to the root. ``sha256`` is None
    for a DICOM image: it is known by its SOP Instance UID and read only to the end of its
    header (hashing its pixels took as long as reading the header); a bundle hashes the copy.
    """

    path: str
    sha256: str | None
    size: int
    kind: Kind
    archive: str | None = None
    pages: tuple[int, int] | None = None  # first and last page (1-based) of one of its documents

    @property
    def identity(self) -> str:
        """Equal for identical files (their SHA-256); a DICOM image's is its place.

        A document that is part of a file (one report of a portal's "download all") adds its
        page range, so each report of the file is known on its own.
        """
        whole = self.sha256 or f"file:{self.display}"
        return f"{whole}#{self.pages[0]}-{self.pages[1]}" if self.pages else whole

    @property
    def display(self) -> str:
        """The name a person recognises: ``portal.zip!labs/cbc.pdf`` for zip members."""
        return f"{self.archive}!{self.path}" if self.archive else self.path

    @property
    def where(self) -> str:
        """Its name, with the pages when it is one report of several: ``all.pdf, pages 3-4``."""
        if not self.pages:
            return self.display
        first, last = self.pages
        return (
            f"{self.display}, page {first}"
            if first == last
            else f"{self.display}, pages {first}-{last}"
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """A file we could not use (or could only partly use), with what to do about it."""

    path: str
    severity: Severity
    message: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a reader noticed about a file that was still read (active content, say)."""

    message: str
    hint: str = ""
    severity: Severity = Severity.WARNING


@dataclass(frozen=True, slots=True)
class DateFinding:
    """The clinically relevant date of an item and where it came from."""

    date: dt.date | None
    source: str = ""
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class DicomHeader:
    """The few header fields needed to group, date and describe one DICOM instance."""

    study_uid: str
    series_uid: str
    sop_uid: str
    modality: str
    dates: dict[str, dt.date]
    study_description: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    body_part: str
    frames: int
    patient_name: str
    patient_id: str
    birth_date: str
    accession: str
    institution: str


@dataclass(frozen=True, slots=True)
class OcrPage:
    """What Tesseract read on one page."""

    text: str
    confidence: float  # mean word confidence, 0-100
    layer: bytes  # a one-page PDF with only the invisible text, sized to the image
    seconds: float
    read_share: float = 1.0  # the share of the page's ink in words read: low, text was lost
    turn: int = 0  # degrees clockwise the page was turned to be read upright (90, 180, 270)


@dataclass(frozen=True, slots=True)
class OcrText:
    """What OCR gave a scanned record: its language, mean confidence and each page's text layer.

    The layers travel with the record, so the packet gets its searchable text whether or not a
    cache was used.
    """

    lang: str
    confidence: float
    layers: dict[int, bytes] = field(default_factory=dict, repr=False, compare=False)
    turns: dict[int, int] = field(default_factory=dict)  # pages read turned upright, by page

    @property
    def pages(self) -> int:
        """How many pages were read."""
        return len(self.layers)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader learnt about one file."""

    kind: Kind
    text: str = ""
    pages: int | None = None
    title: str = ""
    dates: dict[str, dt.date] = field(default_factory=dict)
    dicom: DicomHeader | None = None
    warnings: tuple[Notice, ...] = ()
    scanned: bool = False  # image-only pages: text must come from OCR
    active_content: tuple[str, ...] = ()  # JavaScript, automatic actions, forms
    encapsulated: bool = False  # a PDF report wrapped in DICOM
    pixels: tuple[int, int] | None = None  # width and height of a photo or scan
    ocr: OcrText | None = None
    doc_type: str = ""  # the type an export states: LOINC code, "v2-0074 RAD" or "FHIR"
    # Every page's text (a PDF's, up to a limit), the image-only pages among them, and the
    # file's own top-level bookmarks (page index, title): what finds the reports in a file
    page_texts: tuple[str, ...] = field(default=(), repr=False)
    image_pages: tuple[int, ...] = ()
    outline: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Found:
    """A file that was read: where it is, and what its reader learnt."""

    source: Source
    reading: Reading


@dataclass(slots=True)
class Outcome:
    """What reading some files gave: items' raw material, problems, DICOMDIR listings."""

    found: list[Found]
    problems: list[Problem]
    dicomdirs: list[tuple[Source, list[str]]]
    paths: set[tuple[str | None, str]] = field(default_factory=set)
    bytes_seen: int = 0
    files_seen: int = 0

    def merge(self, other: Outcome) -> None:
        """Add what another read gave."""
        self.found.extend(other.found)
        self.problems.extend(other.problems)
        self.dicomdirs.extend(other.dicomdirs)
        self.paths |= other.paths
        self.bytes_seen += other.bytes_seen
        self.files_seen += other.files_seen


@dataclass(frozen=True, slots=True)
class Identity:
    """Whose record an item says it is: name, date of birth and record number."""

    name: str = ""
    dob: dt.date | None = None
    mrn: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """One DICOM series of a study, from headers only; ``files`` by instance number."""

    uid: str
    number: int | None
    modality: str
    description: str
    body_part: str
    images: int
    files: tuple[tuple[int, Source], ...] = ()


@dataclass(frozen=True, slots=True)
class Study:
    """What the headers of an imaging study's files say about it."""

    uid: str
    description: str
    body_part: str
    accession: str
    institution: str
    images: int
    frames: int
    series: tuple[Series, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One clinical unit on the timeline: a document, or an imaging study made of many files.

    ``text`` (the first pages, for matching) is kept out of JSON output; ``study`` is set for
    imaging studies; the reading's findings (scanned, OCR, active content) for documents.
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
    confidence: str = "high"  # of the category: high | medium | low (a file-name hint only)
    identity: Identity = field(default_factory=Identity)
    study: Study | None = None
    scanned: bool = False
    active_content: tuple[str, ...] = ()
    encapsulated: bool = False
    pixels: tuple[int, int] | None = None
    ocr: OcrText | None = field(default=None, compare=False)
    findings: str = ""  # the report's own conclusion, verbatim, for the cover
    text: str = field(default="", repr=False, hash=False, compare=False)
    index: int = 0

    @property
    def file_dated(self) -> bool:
        """Dated only by its file (PDF creation, photo taken): not when the care happened.

        A portal download's creation date is the day it was downloaded; such a date is shown as
        a file date, sorts after the real dates, and never makes an item recent enough.
        """
        return self.date is not None and self.date_source.startswith(FILE_DATE_SOURCES)


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
