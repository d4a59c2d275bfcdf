"""What a run was asked to do: plain option objects shared by the CLI, batch and library callers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from recordpack.models import DateOrder
from recordpack.patient import Patient


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
class ReadOptions:
    """How to read a folder: every command that scans one shares these."""

    date_order: DateOrder = DateOrder.MDY
    password: str | None = None  # for encrypted source PDFs
    ocr_lang: str | None = "eng"  # None: no OCR
    workers: int | None = None  # processes reading files; batch runs one per job instead


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Everything ``build`` needs besides the folder; defaults suit a patient at home."""

    output: Path
    patient: Patient = field(default_factory=Patient)
    read: ReadOptions = field(default_factory=ReadOptions)
    checklist: str | None = None
    consult_date: dt.date | None = None
    prepared: dt.date | None = None
    order: Order = Order.SECTIONS
    template_dir: str | None = None
    encrypt_password: str | None = None
    attach_originals: bool = False
    bundle: Path | None = None
    profile: Profile | None = None
    allow_inside: bool = False
    paper: Paper | None = None


def today() -> dt.date:
    """The consult and preparation date when none is given: today, on this machine's clock."""
    return dt.datetime.now().astimezone().date()
