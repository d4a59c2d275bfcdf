"""IHE XDM media (exports on a CD, USB stick or in a zip): what METADATA.XML says of each file.

Each ``IHE_XDM/<submission set>/METADATA.XML`` is an ebRIM submission that lists its documents
by file name (slot ``URI``) with a title, the time of the service they record
(``serviceStartTime``), when the document was made (``creationTime``) and its size. A document
keeps its own title and dates first; the index fills what the document leaves out, and a size
that disagrees with the index is reported (a copy cut short, or the wrong file).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from recordpack.models import FILE_DATE_SOURCES, Found, Problem, Severity
from recordpack.read.dicom import parse_da

MAX_METADATA_BYTES = 16 * 1024 * 1024
METADATA = re.compile(r"(?:^|/)IHE_XDM/[^/]+/METADATA\.XML$", re.I)


@dataclass(frozen=True, slots=True)
class Entry:
    """One document as the submission set's index describes it."""

    title: str = ""
    service: dt.date | None = None
    created: dt.date | None = None
    size: int | None = None


def read_metadata(data: bytes, where: str) -> tuple[dict[str, Entry], list[Problem]]:
    """The index of one submission set: path of each document (upper case) -> entry.

    ``where`` is the METADATA.XML's own path; the documents' paths are relative to its folder.
    """
    try:
        root = ElementTree.fromstring(data[:MAX_METADATA_BYTES])
    except (DefusedXmlException, ElementTree.ParseError) as exc:
        return {}, [
            Problem(
                where,
                Severity.WARNING,
                f"the XDM index could not be read ({type(exc).__name__})",
                "the documents are read without it; ask for a new export",
            )
        ]
    folder = posixpath.dirname(where)
    entries = {}
    for document in root.iterfind(".//{*}ExtrinsicObject"):
        slots = _slots(document)
        if uri := slots.get("uri", ""):
            key = posixpath.join(folder, uri.replace("\\", "/")).upper()
            entries[key] = _entry(document, slots)
    return entries, []


def annotate(found: list[Found], entries: dict[str, Entry], archive: str | None) -> list[Problem]:
    """Fill the listed documents' missing titles and dates from the index, in place.

    ``archive`` is the zip the index was in (None on disk): only its own files are listed.
    """
    problems = []
    for n, item in enumerate(found):
        entry = entries.get(_key(item)) if item.source.archive == archive else None
        if entry is None:
            continue
        reading = item.reading
        dates = {k: v for k, v in reading.dates.items() if not k.startswith(FILE_DATE_SOURCES)}
        if entry.service:
            dates.setdefault("xdm:service", entry.service)
        dates |= {k: v for k, v in reading.dates.items() if k not in dates}
        if entry.created:
            dates.setdefault("xdm:created", entry.created)
        title = reading.title or entry.title
        found[n] = Found(item.source, dataclasses.replace(reading, title=title, dates=dates))
        if entry.size is not None and entry.size != item.source.size:
            where = (
                f"{item.source.archive}!{item.source.path}"
                if item.source.archive
                else (item.source.path)
            )
            problems.append(
                Problem(
                    where,
                    Severity.WARNING,
                    f"{item.source.size:,} bytes, but the XDM index lists {entry.size:,}",
                    "the copy may be cut short or replaced: compare it with the original media",
                )
            )
    return problems


def _key(item: Found) -> str:
    return item.source.path.replace("\\", "/").upper()


def _slots(document: Any) -> dict[str, str]:
    found = {}
    for slot in document.iterfind("{*}Slot"):
        value = slot.find("{*}ValueList/{*}Value")
        if value is not None and value.text:
            found[str(slot.get("name", "")).lower()] = value.text.strip()[:1024]
    return found


def _entry(document: Any, slots: dict[str, str]) -> Entry:
    name = document.find("{*}Name/{*}LocalizedString")
    title = " ".join(str(name.get("value", "")).split())[:200] if name is not None else ""
    size = slots.get("size", "")
    return Entry(
        title=title,
        service=parse_da(slots.get("servicestarttime", "")[:8]),
        created=parse_da(slots.get("creationtime", "")[:8]),
        size=int(size) if size.isdigit() and len(size) < 16 else None,
    )
