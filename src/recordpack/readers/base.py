"""The types every reader returns or raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recordpack.models import Kind, Severity


class ReadError(Exception):
    """A file could not be read; becomes a :class:`~recordpack.models.Problem`."""

    def __init__(self, message: str, hint: str = "", severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.severity = severity

    def __reduce__(self) -> tuple[type[ReadError], tuple[str, str, Severity]]:
        """Keep the hint and severity when a worker process sends the error back."""
        return (ReadError, (self.message, self.hint, self.severity))


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
class Reading:
    """What a reader learnt about one file."""

    kind: Kind
    text: str = ""
    pages: int | None = None
    title: str = ""
    dates: dict[str, dt.date] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)
    dicom: DicomHeader | None = None
    warnings: tuple[ReadError, ...] = ()
