"""One reader per format: each turns an open file into a :class:`Reading` or a :class:`ReadError`.

Readers look at headers and the first pages only; they never decode pixels or load whole
documents, so a scan of thousands of files stays fast and small.
"""

from __future__ import annotations

from typing import BinaryIO

from recordpack.models import Kind
from recordpack.readers import dicom, image, pdf, text
from recordpack.readers.base import DicomHeader, ReadError, Reading

__all__ = ["DicomHeader", "ReadError", "Reading", "read_file"]


def read_file(kind: Kind, stream: BinaryIO, size: int, *, password: str | None = None) -> Reading:
    """Read one file of a known kind; a :class:`ReadError` says what a person can do."""
    match kind:
        case Kind.PDF:
            return pdf.read_pdf(stream, password=password)
        case Kind.DICOM:
            return dicom.read_dicom_headers(stream, size)
        case Kind.JPEG | Kind.PNG | Kind.TIFF | Kind.HEIC:
            return image.read_image(stream, kind)
        case Kind.TEXT:
            return text.read_text(stream)
        case _:
            raise ReadError(f"no reader for {kind}")
