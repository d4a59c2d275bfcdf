"""What a run was asked to do: plain option objects shared by the CLI, batch and library callers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recordpack.patient import Patient

# Nothing of recordpack is imported above: the command line imports this module to declare its
# options, and --help and --version should not load the data model to show them.

CACHE_FILE = ".recordpack-cache.sqlite"  # a batch's cache, in its output folder


class DateOrder(StrEnum):
    """How to read numeric dates such as 03/04/2024."""

    MDY = "MDY"
    DMY = "DMY"
    YMD = "YMD"


class Order(StrEnum):
    """How documents follow the cover."""

    SECTIONS = "sections"  # grouped by kind (pathology, imaging, labs, ...), each by date
    DATE = "date"  # one chronological run


class Profile(StrEnum):
    """What a bundle carries."""

    FULL = "full"  # the PDF and the original DICOM files
    REPORTS = "reports"  # the PDF alone, small enough to e-mail


class Paper(StrEnum):
    """Page sizes for photos and scans."""

    LETTER = "letter"
    A4 = "a4"


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one input file may ask of the machine; past a limit it is listed, not read.

    Hostile or broken files (a zip of 100,000 members, a 5,000-page fax, a parser caught in a
    loop) must not stall a run or exhaust memory. Each limit has a name the ``--limit NAME=N``
    option and the problem message share, so a person with a real, huge record can raise it.
    """

    seconds: int = 60  # reading one file (a zip with all its members)
    members: int = 10_000  # files in one zip
    depth: int = 3  # zips inside zips
    megapixels: int = 80  # one image or scan page: 80 MP of RGB decodes to 320 MB
    pages: int = 2_000  # pages of one document placed in the packet
    ocr_pages: int = 300  # pages of one scanned document sent to OCR

    @classmethod
    def parse(cls, settings: list[str]) -> Limits:
        """``["seconds=120", "pages=5000"]`` -> Limits; unknown names and bad numbers raise."""
        from recordpack.errors import UsageError

        known = {f: getattr(cls(), f) for f in cls.__slots__}
        values: dict[str, int] = {}
        for setting in settings:
            name, _, number = setting.partition("=")
            name = name.strip().replace("-", "_")
            if name not in known:
                raise UsageError(
                    f"--limit {setting}: unknown limit {name!r}; known: {', '.join(known)}"
                )
            if not number.strip().isdigit() or int(number) < 1:
                raise UsageError(f"--limit {setting}: give a whole number above 0, e.g. {name}=10")
            values[name] = int(number)
        return cls(**values)

    def hint(self, name: str, advice: str) -> str:
        """What to do about a file past limit ``name``: the advice, or raise the limit."""
        return f"{advice}, or raise the limit with --limit {name}={getattr(self, name) * 10}"


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a folder: every command that scans one shares these."""

    date_order: DateOrder = DateOrder.MDY
    password: str | None = None  # for encrypted source PDFs
    ocr_lang: str | None = "eng"  # None: no OCR
    workers: int | None = None  # processes reading files; batch runs one per job instead
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Everything ``build`` needs besides the folder; defaults suit a patient at home."""

    output: Path
    patient: Patient = field(default_factory=lambda: _no_patient())
    read: ReadOptions = field(default_factory=ReadOptions)
    checklist: str | None = None
    consult_date: dt.date | None = None
    prepared: dt.date | None = None
    order: Order = Order.SECTIONS
    template_dir: str | None = None
    encrypt_password: str | None = None
    attach_originals: bool = False
    bundle: Path | None = None
    fhir: Path | None = None
    iso: Path | None = None
    profile: Profile | None = None
    allow_inside: bool = False
    force: bool = False  # replace outputs at these paths that recordpack did not write
    paper: Paper | None = None


def today() -> dt.date:
    """The consult and preparation date when none is given: today, on this machine's clock."""
    return dt.datetime.now().astimezone().date()


def _no_patient() -> Patient:
    """A patient with no details given, for library callers that give none."""
    from recordpack.patient import Patient

    return Patient()
