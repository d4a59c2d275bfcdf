"""DICOM Structured Reports: a radiology report stored as DICOM, read as a document.

An SR holds its report as a tree of content items (containers with a concept name such as
"Findings" or "Impression", and text, code, number, date and name values). The tree is written
out as lines, a container's name as a section header, so the report gets a readable page in
the packet and is classified and dated like any other report. Key object selections (a
bookmark of images) are not reports and stay with their study.
"""

from __future__ import annotations

import io
import warnings
from typing import Any, BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError

from recordpack.errors import ReadError
from recordpack.models import Notice, Severity

_SR_ROOT = "1.2.840.10008.5.1.4.1.1.88."
_NOT_REPORTS = {"1.2.840.10008.5.1.4.1.1.88.59"}  # key object selection
MAX_DEPTH = 12  # nesting of content items
MAX_ITEMS = 5000  # content items written out


def is_structured_report(sop_class: str) -> bool:
    """An SR storage class that holds a report."""
    return sop_class.startswith(_SR_ROOT) and sop_class not in _NOT_REPORTS


def read_sr(stream: BinaryIO) -> tuple[pydicom.Dataset, str, list[str], tuple[Notice, ...]]:
    """The whole report (it is small, and has no pixels), its title, content and notices."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(stream, stop_before_pixels=True, force=True)
            cut = _cut_short(ds, size)
            lines = _lines(ds.get("ContentSequence") or [], 0, [0])
            title = _meaning(ds.get("ConceptNameCodeSequence")) or "Structured report"
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, KeyError) as exc:
        raise ReadError(
            f"damaged DICOM structured report ({type(exc).__name__})",
            "ask the imaging centre for the report as PDF",
        ) from exc
    cut = cut or any("end of file" in str(w.message).lower() for w in caught)
    return ds, title, lines, _flags(ds) + (_CUT if cut else ())


_CUT = (
    Notice(
        "the structured report is cut short: its text may be incomplete",
        "copy it again from the imaging CD, or ask the imaging centre for the report as PDF",
        Severity.WARNING,
    ),
)


def _cut_short(ds: pydicom.Dataset, size: int) -> bool:
    """An element declares more bytes than the file has left: the end is missing.

    pydicom reads a cut sequence without a word; the raw elements still say how long they were.
    """
    for tag in ds.keys():  # noqa: SIM118 - iterating a Dataset converts every element
        raw = ds.get_item(tag)
        length, start = getattr(raw, "length", 0), getattr(raw, "value_tell", None)
        if start is not None and length != 0xFFFFFFFF and start + length > size:
            return True
    return False


def _lines(items: Any, depth: int, count: list[int]) -> list[str]:
    """Content items as lines; containers become headers, their children follow."""
    lines: list[str] = []
    for item in items:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            return lines
        name = _meaning(item.get("ConceptNameCodeSequence"))
        kind = str(item.get("ValueType", "")).upper()
        if kind == "CONTAINER":
            lines += ["", f"{name.upper()}:"] if name else []
            lines += _lines(item.get("ContentSequence") or [], depth + 1, count)
            continue
        if value := _value(item, kind):
            lines.append(f"{name}: {value}" if name and kind != "TEXT" else value)
        lines += _lines(item.get("ContentSequence") or [], depth + 1, count)
    return lines


def _value(item: Any, kind: str) -> str:
    match kind:
        case "TEXT":
            return _text(item.get("TextValue"))
        case "CODE":
            return _meaning(item.get("ConceptCodeSequence"))
        case "NUM":
            measured = (item.get("MeasuredValueSequence") or [None])[0]
            if measured is None:
                return ""
            unit = _meaning(measured.get("MeasurementUnitsCodeSequence"))
            return f"{_text(measured.get('NumericValue'))} {unit}".strip()
        case "DATE" | "DATETIME" | "TIME" | "PNAME":
            keyword = {"DATE": "Date", "DATETIME": "DateTime", "TIME": "Time"}.get(
                kind, "PersonName"
            )
            return _text(item.get(keyword)).replace("^", " ")
    return ""  # UIDREF, IMAGE, COMPOSITE, SCOORD: references, not words


def _flags(ds: Any) -> tuple[Notice, ...]:
    """A preliminary report says so: the second doctor must know it was not signed."""
    if str(ds.get("VerificationFlag", "")).upper() == "UNVERIFIED":
        return (
            Notice(
                "the structured report is marked UNVERIFIED (not signed by a radiologist)",
                "ask the imaging centre for the final, signed report",
                Severity.WARNING,
            ),
        )
    return ()


def _meaning(sequence: Any) -> str:
    try:
        return _text(sequence[0].get("CodeMeaning")) if sequence else ""
    except (IndexError, TypeError, AttributeError):
        return ""


def _text(value: object) -> str:
    return " ".join(str(value or "").split())[:4096]
