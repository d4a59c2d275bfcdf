"""A document's item: its category, title, date and identity, from what its reader found.

Classifying and dating are the costly part of a warm re-scan, so their results can be
remembered (``memo``, kept in the cache) by what they depend on: content, name, date order, OCR.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import PurePosixPath
from typing import Any

from recordpack.models import (
    Category,
    DateFinding,
    Found,
    Item,
    Problem,
    Severity,
    Source,
)
from recordpack.options import DateOrder
from recordpack.read.cda import document_types
from recordpack.read.pdf import TEXT_PAGES
from recordpack.understand.classify import Classification, classify_text
from recordpack.understand.dates import choose_date
from recordpack.understand.findings import key_findings
from recordpack.understand.identity import identity_in_text
from recordpack.understand.split import Segment, split_pages
from recordpack.understand.titles import title_for


def document_key(found: Found, date_order: DateOrder) -> str:
    """What a document's category and date depend on: content, name, date order, OCR."""
    ocr = "ocr" if found.reading.ocr else ""
    return f"{found.source.identity}|{found.source.path}|{date_order.value}|{ocr}"


def document_item(
    found: Found,
    sources: tuple[Source, ...],
    date_order: DateOrder,
    memo: dict[str, list[Any]] | None,
) -> Item:
    """The item of one document (all its identical copies in ``sources``)."""
    reading = found.reading
    key = document_key(found, date_order)
    known = memo.get(key) if memo is not None else None
    if known is None:
        known = _classify_and_date(found, date_order)
        if memo is not None:
            memo[key] = known
    category, reason, confidence, title, date, date_source, ambiguous = known
    return Item(
        id=_item_id(found.source),
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
        confidence=confidence,
        identity=identity_in_text(reading.text, date_order),
        scanned=reading.scanned,
        active_content=reading.active_content,
        encapsulated=reading.encapsulated,
        pixels=reading.pixels,
        ocr=reading.ocr,
        findings=key_findings(reading.text, Category(category)),
        text=reading.text,
    )


RANGES_SHOWN = 12  # a note on a file of 500 reports names the first few ranges


def _item_id(source: Source) -> str:
    """Short and stable; the reports of one file differ by their first page."""
    whole = source.identity[:12]
    return f"{whole[:9]}p{source.pages[0]}" if source.pages else whole


def split_file(copies: list[Found], problems: list[Problem]) -> list[list[Found]]:
    """The reports of a file (one for most files), each with its copies and its own pages.

    A file of several reports gets a note saying how it was split; a boundary that is not sure
    gets one asking a person to check it.
    """
    first = copies[0]
    segments = split_pages(first.reading) if len(first.reading.page_texts) > 1 else []
    if len(segments) < 2:
        return [copies]
    problems.extend(_split_notes(first.source.display, segments))
    return [[_part(found, segment) for found in copies] for segment in segments]


def _part(found: Found, segment: Segment) -> Found:
    """One report of a compound file: its pages, and the reading of those pages only."""
    reading, first, last = found.reading, segment.first, segment.last
    texts = reading.page_texts[first : last + 1]
    whole = reading.ocr.layers if reading.ocr else {}
    layers = {n - first: layer for n, layer in whole.items() if first <= n <= last}
    turns = {
        n - first: t
        for n, t in (reading.ocr.turns if reading.ocr else {}).items()
        if first <= n <= last
    }
    images = tuple(n - first for n in reading.image_pages if first <= n <= last)
    ocr = (
        dataclasses.replace(reading.ocr, layers=layers, turns=turns)
        if reading.ocr and layers
        else None
    )
    part = dataclasses.replace(
        reading,
        text="\n".join(texts[:TEXT_PAGES]),
        pages=len(texts),
        page_texts=texts,
        title="",  # the file's title names the file, not each report in it
        image_pages=images,
        outline=(),
        ocr=ocr,
        scanned=bool(images) and not "".join(texts).strip(),
    )
    return Found(dataclasses.replace(found.source, pages=(first + 1, last + 1)), part)


def _split_notes(where: str, segments: list[Segment]) -> list[Problem]:
    shown = [
        f"{s.first + 1}" if s.first == s.last else f"{s.first + 1}-{s.last + 1}"
        for s in segments[:RANGES_SHOWN]
    ]
    ranges = ", ".join(shown) + (", ..." if len(segments) > RANGES_SHOWN else "")
    held = f"holds {len(segments)} reports (pages {ranges}); each is listed on its own"
    unsure = [
        Problem(
            where,
            Severity.WARNING,
            f"page {s.first + 1} may or may not begin a new report ({s.why}); it is listed as one",
            "check the reports on either side of that page in the index",
        )
        for s in segments
        if not s.sure
    ]
    return [Problem(where, Severity.INFO, held), *unsure]


def _classify_and_date(found: Found, date_order: DateOrder) -> list[Any]:
    """Category, reason, confidence, title, date (ISO), date source, ambiguity: JSON-ready."""
    reading, name = found.reading, found.source.path
    result = classify_text(reading.text, name)
    if stated := document_types().get(reading.doc_type):  # an export says what it is
        code = reading.doc_type if " " in reading.doc_type else f"LOINC {reading.doc_type}"
        result = Classification(Category(stated), f"document type {code}", "high", result.title)
    reason = result.reason
    if reading.scanned and not reading.text.strip():
        reason = f"scanned page without a text layer (OCR not available); {reason}"
    if reading.doc_type:  # the header's dates, as the document type defines them
        source, value = next(iter(reading.dates.items()), ("", None))
        date = DateFinding(value, source)
    else:
        date = choose_date(
            reading.text, result.category, order=date_order, fallbacks=reading.dates, name=name
        )
    if reading.ocr:  # the text came from Tesseract: say so, and how sure it was
        reason = f"OCR text (confidence {reading.ocr.confidence}); {reason}"
        if date.source.startswith("text:"):
            date = dataclasses.replace(date, source="ocr:" + date.source.removeprefix("text:"))
    own = reading.title if reading.doc_type else result.title or reading.title  # an export's own
    title = title_for(reading.text, result.category, own, PurePosixPath(name).name)
    return [
        result.category.value,
        reason,
        result.confidence,
        title,
        date.date.isoformat() if date.date else None,
        date.source,
        date.ambiguous,
    ]
