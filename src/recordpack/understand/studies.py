"""Imaging studies: DICOM files grouped by Study and Series Instance UID, from headers only.

An instance stored twice (same SOP Instance UID) is counted once; a file without a Study
Instance UID is a study of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from recordpack.models import DicomHeader, Identity, Item, Kind, Series, Source, Study
from recordpack.read.dicom import parse_da
from recordpack.understand.classify import classify_dicom
from recordpack.understand.titles import clean_title

_DATE_KEYS = ("dicom:StudyDate", "dicom:SeriesDate", "dicom:AcquisitionDate", "dicom:ContentDate")


@dataclass(slots=True)
class _Series:
    number: int | None
    modality: str
    description: str
    body_part: str
    instances: set[str] = field(default_factory=set)
    frames: int = 0
    files: list[tuple[int, Source]] = field(default_factory=list)


@dataclass(slots=True)
class StudyGroup:
    """The files of one study as they are found, until it becomes an item."""

    key: str
    headers: list[DicomHeader] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    series: dict[str, _Series] = field(default_factory=dict)
    identities: set[tuple[str, str, str]] = field(default_factory=set)
    dates: dict[str, dt.date] = field(default_factory=dict)

    def add(self, header: DicomHeader, sources: tuple[Source, ...]) -> None:
        """One more file (and its identical copies) of this study."""
        if not self.headers:
            self.headers.append(header)  # the first header describes the study
        self.sources.extend(sources)
        series = self.series.setdefault(
            header.series_uid,
            _Series(
                header.series_number, header.modality, header.series_description, header.body_part
            ),
        )
        instance = header.sop_uid or sources[0].identity
        if instance not in series.instances:
            series.instances.add(instance)
            series.frames += header.frames
            series.files.append((header.instance_number or len(series.files) + 1, sources[0]))
        self.identities.add((header.patient_name, header.patient_id, header.birth_date))
        for name, date in header.dates.items():
            if date and (name not in self.dates or date < self.dates[name]):
                self.dates[name] = date

    def to_item(self) -> Item:
        """The study as one timeline item: title, date, series, identity."""
        head = self.headers[0]
        series = self._series()
        modalities = sorted({s.modality for s in series})
        image_modalities = [m for m in modalities if m not in ("SR", "KO", "PR")] or modalities
        body_part = next((s.body_part for s in series if s.body_part), "")
        description = head.study_description or body_part.title() or "study"
        date_source, date = next(
            ((k, self.dates[k]) for k in _DATE_KEYS if k in self.dates), ("", None)
        )
        result = classify_dicom("/".join(image_modalities))
        images = sum(s.images for s in series)
        return Item(
            id=hashlib.sha256(self.key.encode()).hexdigest()[:12],
            category=result.category,
            title=_study_title(image_modalities, description),
            date=date,
            date_source=date_source,
            date_ambiguous=False,
            reason=f"{result.reason}; {len(series)} series, {images} images",
            pages=None,
            modality="/".join(image_modalities),
            sources=tuple(sorted(self.sources, key=lambda s: (s.archive or "", s.path))),
            kind=Kind.DICOM,
            identity=self._identity(),
            study=Study(
                uid=head.study_uid,
                description=head.study_description,
                body_part=body_part,
                accession=head.accession,
                institution=head.institution,
                images=images,
                frames=sum(s.frames for s in self.series.values()),
                series=series,
            ),
        )

    def _series(self) -> tuple[Series, ...]:
        """The series by number (unnumbered last), each with its files by instance number."""
        series = (
            Series(
                uid,
                s.number,
                s.modality,
                s.description,
                s.body_part,
                len(s.instances),
                tuple(sorted(s.files, key=lambda f: f[0])),
            )
            for uid, s in self.series.items()
        )
        return tuple(sorted(series, key=lambda s: (s.number is None, s.number or 0, s.uid)))

    def _identity(self) -> Identity:
        """Whose study it is, by the first of its (sorted) header identities."""
        name, patient_id, birth_date = sorted(self.identities)[0]
        return Identity(name, parse_da(birth_date), patient_id)


def _study_title(modalities: list[str], description: str) -> str:
    """``MR Breast bilateral``; the modality is not repeated when the description names it."""
    words = {w.strip("/,").upper() for w in description.split()}
    named = words & {*modalities, "MRI", "CT", "PET", "US", "ULTRASOUND", "MAMMOGRAM", "XR"}
    return clean_title(description if named else f"{'/'.join(modalities)} {description}")
