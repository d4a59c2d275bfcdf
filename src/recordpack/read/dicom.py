"""DICOM: headers only, never pixels; and the file list of a DICOMDIR.

``specific_tags`` plus ``stop_before_pixels`` reads the dozen elements needed to group files
into studies and series, which is the fastest way pydicom offers (TECH.md §4).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import struct
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_partial
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, Tag

from recordpack.errors import ReadError
from recordpack.models import DicomHeader, Kind, Reading
from recordpack.read import sr

_TAGS = [
    "SpecificCharacterSet",
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "Modality",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "BodyPartExamined",
    "NumberOfFrames",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "AccessionNumber",
    "InstitutionName",
    "MIMETypeOfEncapsulatedDocument",
    "EncapsulatedDocument",
    "DocumentTitle",
]
_tag = functools.cache(Tag)  # a keyword's lookup costs, per file, per tag
_SPECIFIC = [_tag(keyword) for keyword in _TAGS]
MAX_VALUE = 1024  # characters kept of a text value: DICOM's longest short text (ST) is 1,024
_DATE_TAGS = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
_ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"


def read_dicom_headers(stream: BinaryIO, size: int) -> Reading:
    """Read the grouping and dating headers of one DICOM file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about every odd value; we want facts
            ds = pydicom.dcmread(
                stream, stop_before_pixels=True, specific_tags=_SPECIFIC, force=True
            )
    except (InvalidDicomError, EOFError, OSError, ValueError, struct.error, KeyError) as exc:
        raise ReadError(
            f"damaged DICOM file ({type(exc).__name__}: {exc})",
            "copy it again from the imaging CD or download",
        ) from exc
    _check_pixel_data_length(stream, size, ds)

    value = _Values(ds)
    if value("SOPClassUID") == _ENCAPSULATED_PDF and "EncapsulatedDocument" in ds:
        return _encapsulated_pdf(ds)
    if sr.is_structured_report(value("SOPClassUID")):
        return _structured_report(stream)

    study_uid = value("StudyInstanceUID")
    sop_uid = value("SOPInstanceUID")
    if not study_uid and not sop_uid:
        raise ReadError(
            "not an image: the DICOM file has no study or instance identifiers",
            "if it came off an imaging CD, copy the whole disc again",
        )
    header = DicomHeader(
        study_uid=study_uid,
        series_uid=value("SeriesInstanceUID"),
        sop_uid=sop_uid,
        modality=(value("Modality") or "OT").upper(),
        dates={f"dicom:{tag}": d for tag in _DATE_TAGS if (d := parse_da(value(tag)))},
        study_description=value("StudyDescription"),
        series_description=value("SeriesDescription"),
        series_number=_int(value("SeriesNumber")),
        instance_number=_int(value("InstanceNumber")),
        body_part=value("BodyPartExamined"),
        frames=max(1, _int(value("NumberOfFrames")) or 1),
        patient_name=value("PatientName").replace("^", " ").strip(),
        patient_id=value("PatientID"),
        birth_date=value("PatientBirthDate"),
        accession=value("AccessionNumber"),
        institution=value("InstitutionName"),
    )
    return Reading(kind=Kind.DICOM, dicom=header, dates=header.dates)


def _encapsulated_pdf(ds: pydicom.Dataset) -> Reading:
    """A PDF report wrapped in DICOM (Modality DOC): it is a document, so read it as one."""
    from recordpack.read.pdf import read_pdf

    data = bytes(ds.EncapsulatedDocument).rstrip(b"\x00")
    inner = read_pdf(io.BytesIO(data))
    dates = {f"dicom:{tag}": d for tag in _DATE_TAGS if (d := parse_da(ds.get(tag)))}
    return Reading(
        kind=Kind.DICOM,
        text=inner.text,
        pages=inner.pages,
        title=_text(ds.get("DocumentTitle")) or inner.title,
        dates={**inner.dates, **dates},
        warnings=inner.warnings,
        scanned=inner.scanned,
        active_content=inner.active_content,
        encapsulated=True,
    )


def _structured_report(stream: BinaryIO) -> Reading:
    """A report stored as DICOM SR: a document with a text page, dated by its study."""
    ds, title, lines, notices = sr.read_sr(stream)
    value = _Values(ds)
    head = [title.upper()]
    family, _, given = value("PatientName").partition("^")  # DICOM: Family^Given^Middle
    if name := " ".join(f"{given.replace('^', ' ')} {family}".split()):
        head.append(f"Patient: {name}")
    if birth := parse_da(value("PatientBirthDate")):
        head.append(f"Date of birth: {birth.isoformat()}")
    if exam := value("StudyDescription"):
        head.append(f"Exam: {exam}")
    return Reading(
        kind=Kind.DICOM,
        text="\n".join(head + lines),
        title=exam or title,
        dates={f"dicom:{tag}": d for tag in _DATE_TAGS if (d := parse_da(value(tag)))},
        doc_type="DICOM SR",
        warnings=notices,
    )


def _check_pixel_data_length(stream: BinaryIO, size: int, ds: pydicom.Dataset) -> None:
    """Catch a file cut short in its image data without reading the image.

    After ``stop_before_pixels`` the stream sits on the Pixel Data tag; its declared length
    says where the file must end.
    """
    start = stream.tell()
    head = stream.read(12)
    if len(head) < 8:
        return
    little = ds.file_meta.get("TransferSyntaxUID") != "1.2.840.10008.1.2.2"
    endian = "<" if little else ">"
    group, element = struct.unpack(endian + "HH", head[:4])
    if (group, element) != (0x7FE0, 0x0010):
        return
    if head[4:6] in (b"OB", b"OW", b"OF", b"UN"):
        if len(head) < 12:
            return
        (length,) = struct.unpack(endian + "I", head[8:12])
        header_len = 12
    else:
        (length,) = struct.unpack(endian + "I", head[4:8])
        header_len = 8
    if length != 0xFFFFFFFF and start + header_len + length > size:
        raise ReadError(
            f"truncated DICOM file: image data ends after {size - start - header_len:,} of "
            f"{length:,} bytes",
            "copy it again from the imaging CD or download",
        )


def read_dicomdir(stream: BinaryIO) -> list[str]:
    """Return the referenced file paths (POSIX, as written on the medium) of a DICOMDIR."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(stream, force=True)
        records = ds.get("DirectoryRecordSequence") or []
    except (InvalidDicomError, EOFError, OSError, ValueError, struct.error, KeyError) as exc:
        raise ReadError(
            f"damaged DICOMDIR ({type(exc).__name__}: {exc})",
            "the images are read directly; copy the disc again if some are missing",
        ) from exc
    paths = []
    for record in records:
        ref = record.get("ReferencedFileID")
        if ref:
            parts = [ref] if isinstance(ref, str) else list(ref)
            paths.append("/".join(str(p).strip() for p in parts))
    return paths


def header_text(path: Path, keywords: Sequence[str]) -> dict[str, str]:
    """The first value of each element named, file meta ones included ("" when missing).

    For the bundle's DICOMDIR, read from the copy (its few elements, as the scan does): a
    value pydicom cannot decode is left out, not fatal.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tags: list[BaseTag | int] = [
            _tag(k) for k in ("SpecificCharacterSet", *keywords) if k not in _META
        ]
        last = max(tags)  # elements come in tag order: the rest of the header is not needed
        with path.open("rb") as fh:
            ds = read_partial(fh, lambda tag, *_: tag > last, force=True, specific_tags=tags)
        raw, meta = _Values(ds), getattr(ds, "file_meta", None) or {}
        values = {}
        for keyword in keywords:
            text = raw.raw_text(keyword) if raw.encoding and keyword not in _META else None
            if text is None:
                text = _value_text(meta if keyword in _META else ds, keyword)
            values[keyword] = text.split("\\")[0]  # a directory record holds the first value
    return values


def _value_text(ds: Any, keyword: str) -> str:
    """A value as text through pydicom ("" when missing, or of a shape that is not text)."""
    try:
        value = ds.get(keyword)
        if isinstance(value, MultiValue):
            value = value[0] if len(value) else None
        if value is None or isinstance(value, bytes | list | tuple | pydicom.Dataset):
            return ""
        return str(value)
    except Exception:  # a value pydicom cannot decode is left out, not fatal
        return ""


_META = {"MediaStorageSOPClassUID", "TransferSyntaxUID"}  # of the file meta (group 2) asked for


def parse_da(value: object) -> dt.date | None:
    """Parse a DICOM DA value (YYYYMMDD); empty or malformed values give None."""
    s = str(value or "").strip().replace(".", "")
    if len(s) != 8 or not s.isdigit():
        return None
    try:
        date = dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        return None
    return date if date.year > 1900 else None


class _Values:
    """Text values straight from the raw bytes of the elements.

    pydicom converts a value on first access, validating it on the way; for the dozen text
    elements read here that conversion cost three times the parsing (profiled). The values are
    decoded here instead, in the file's own character set when it is one of the common ones,
    and through pydicom otherwise.
    """

    _CHARSETS: ClassVar[dict[str, str]] = {
        "": "latin-1",
        "ISO_IR 6": "latin-1",
        "ISO_IR 100": "latin-1",
        "ISO_IR 192": "utf-8",
    }

    def __init__(self, ds: pydicom.Dataset) -> None:
        self.ds = ds
        self.encoding: str | None = "latin-1"  # the character set's own name is plain ASCII
        charset = self.raw_text("SpecificCharacterSet")  # None: pydicom read it already
        value = ds.get("SpecificCharacterSet") if charset is None else charset
        self.encoding = self._CHARSETS.get(value) if isinstance(value, str) else None

    def raw_text(self, keyword: str) -> str | None:
        """The element's bytes as text, or None when pydicom already holds a converted value.

        An element pydicom cannot even take apart (an unknown value representation) is "".
        """
        try:
            item = self.ds.get_item(_tag(keyword))
        except Exception:  # pydicom raises NotImplementedError, ValueError, KeyError... here
            return ""
        value: Any = item.value if isinstance(item, RawDataElement) else None
        if isinstance(value, bytes):
            return value.decode(self.encoding or "latin-1", "replace").strip(" \x00")
        return None if item is not None else ""

    def __call__(self, keyword: str) -> str:
        text = self.raw_text(keyword) if self.encoding else None
        if text is None:
            text = str(self.ds.get(keyword) or "")
        return " ".join(text[:MAX_VALUE].replace("\x00", " ").split())


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
