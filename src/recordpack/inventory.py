"""Turn the files that were read into items: one per document, one per imaging study.

Identical files (same SHA-256) become one item that remembers every path. DICOM files are
grouped by Study and Series Instance UID, and an instance stored twice is counted once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from recordpack.classify import classify_dicom, classify_text
from recordpack.dates import choose_date
from recordpack.models import (
    Category,
    DateOrder,
    Inventory,
    Item,
    Kind,
    Problem,
    Series,
    Severity,
    Source,
)
from recordpack.readers import DicomHeader, Reading

if TYPE_CHECKING:
    from recordpack.scan import Found


def build_inventory(
    *,
    root: str,
    found: Sequence[Found],
    problems: list[Problem],
    files_seen: int,
    bytes_seen: int,
    date_order: DateOrder,
    memo: dict[str, list[Any]] | None = None,
) -> Inventory:
    """Group, deduplicate, classify and date what the readers found.

    ``memo`` holds the category and date of documents classified before (by
    :func:`document_key`); documents missing from it are classified and added to it.
    """
    by_hash: dict[str, list[Found]] = defaultdict(list)
    for f in found:
        by_hash[f.source.sha256].append(f)
    duplicates = sum(len(group) - 1 for group in by_hash.values())

    items: list[Item] = []
    studies: dict[str, _Study] = {}
    for group in by_hash.values():
        first = group[0]
        sources = tuple(f.source for f in group)
        header = first.reading.dicom
        if header is None:
            items.append(_document_item(first, sources, date_order, memo))
            continue
        key = header.study_uid or f"no-study-uid:{header.series_uid or first.source.sha256}"
        studies.setdefault(key, _Study(key)).add(header, sources)
        if not header.study_uid:
            problems.append(
                Problem(
                    first.source.display,
                    Severity.WARNING,
                    "DICOM image without a Study Instance UID; listed as a study of its own",
                    "export the study again from the imaging system",
                )
            )
    items.extend(study.to_item() for study in studies.values())
    return Inventory(
        root=root,
        items=tuple(items),
        problems=tuple(problems),
        files_seen=files_seen,
        bytes_seen=bytes_seen,
        duplicates=duplicates,
    )


def document_key(found: Found, date_order: DateOrder) -> str:
    """What a document's category and date depend on: content, name, date order, OCR."""
    ocr = "ocr" if found.reading.facts.get("ocr") else ""
    return f"{found.source.sha256}|{found.source.path}|{date_order.value}|{ocr}"


def _document_item(
    found: Found,
    sources: tuple[Source, ...],
    date_order: DateOrder,
    memo: dict[str, list[Any]] | None,
) -> Item:
    reading = found.reading
    name = found.source.path
    key = document_key(found, date_order)
    known = memo.get(key) if memo is not None else None
    if known is None:
        known = _classify_and_date(reading, name, date_order)
        if memo is not None:
            memo[key] = known
    category, reason, confidence, title, date, date_source, ambiguous = known
    return Item(
        id=found.source.sha256[:12],
        category=Category(category),
        title=title,
        date=dt.date.fromisoformat(date) if date else None,
        date_source=date_source,
        date_ambiguous=ambiguous,
        reason=reason,
        pages=reading.pages,
        modality=None,
        sources=sources,
        kind=found.source.kind,
        facts={"confidence": confidence, **reading.facts},
        text=reading.text,
    )


def _classify_and_date(reading: Reading, name: str, date_order: DateOrder) -> list[Any]:
    """Category, reason, confidence, title, date (ISO), date source, ambiguity: JSON-ready."""
    scanned = bool(reading.facts.get("scanned")) and not reading.text.strip()
    result = classify_text(reading.text, name)
    reason = result.reason
    if scanned:
        reason = f"scanned page without a text layer (OCR not available); {reason}"
    date = choose_date(
        reading.text, result.category, order=date_order, fallbacks=reading.dates, name=name
    )
    ocr = reading.facts.get("ocr")
    if isinstance(ocr, dict):  # the text came from Tesseract: say so, and how sure it was
        reason = f"OCR text (confidence {ocr['confidence']}); {reason}"
        if date.source.startswith("text:"):
            date = dataclasses.replace(date, source="ocr:" + date.source.removeprefix("text:"))
    title = reading.title if not result.title and reading.title else result.title
    return [
        result.category.value,
        reason,
        result.confidence,
        _clean_title(title) or PurePosixPath(name).name,
        date.date.isoformat() if date.date else None,
        date.source,
        date.ambiguous,
    ]


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 90 else title[:87].rstrip() + "..."


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
class _Study:
    key: str
    headers: list[DicomHeader] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    series: dict[str, _Series] = field(default_factory=dict)
    identities: set[tuple[str, str, str]] = field(default_factory=set)
    dates: dict[str, dt.date] = field(default_factory=dict)

    def add(self, header: DicomHeader, sources: tuple[Source, ...]) -> None:
        if not self.headers:
            self.headers.append(header)  # the first header describes the study
        self.sources.extend(sources)
        series = self.series.setdefault(
            header.series_uid,
            _Series(
                header.series_number, header.modality, header.series_description, header.body_part
            ),
        )
        instance = header.sop_uid or sources[0].sha256
        if instance not in series.instances:
            series.instances.add(instance)
            series.frames += header.frames
            series.files.append((header.instance_number or len(series.files) + 1, sources[0]))
        self.identities.add((header.patient_name, header.patient_id, header.birth_date))
        for name, date in header.dates.items():
            if date and (name not in self.dates or date < self.dates[name]):
                self.dates[name] = date

    def to_item(self) -> Item:
        head = self.headers[0]
        series = sorted(
            (
                Series(uid, s.number, s.modality, s.description, s.body_part, len(s.instances))
                for uid, s in self.series.items()
            ),
            key=lambda s: (s.number is None, s.number or 0, s.uid),
        )
        modalities = sorted({s.modality for s in series})
        image_modalities = [m for m in modalities if m not in ("SR", "KO", "PR")] or modalities
        body_part = next((s.body_part for s in series if s.body_part), "")
        description = head.study_description or body_part.title() or "study"
        date_source, date = next(
            (
                (k, self.dates[k])
                for k in (
                    "dicom:StudyDate",
                    "dicom:SeriesDate",
                    "dicom:AcquisitionDate",
                    "dicom:ContentDate",
                )
                if k in self.dates
            ),
            ("", None),
        )
        result = classify_dicom("/".join(image_modalities))
        images = sum(len(s.instances) for s in self.series.values())
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
            facts={
                "study_uid": head.study_uid,
                "description": head.study_description,
                "body_part": body_part,
                "accession": head.accession,
                "institution": head.institution,
                "images": images,
                "frames": sum(s.frames for s in self.series.values()),
                "series": [
                    {
                        "number": s.number,
                        "modality": s.modality,
                        "description": s.description,
                        "body_part": s.body_part,
                        "images": s.images,
                        "files": sorted(self.series[s.uid].files, key=lambda f: f[0]),
                    }
                    for s in series
                ],
                "identities": sorted(self.identities),
            },
        )


def _study_title(modalities: list[str], description: str) -> str:
    """``MR Breast bilateral``; the modality is not repeated when the description names it."""
    words = {w.strip("/,").upper() for w in description.split()}
    named = words & {*modalities, "MRI", "CT", "PET", "US", "ULTRASOUND", "MAMMOGRAM", "XR"}
    return description if named else f"{'/'.join(modalities)} {description}"
