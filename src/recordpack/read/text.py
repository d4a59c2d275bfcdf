"""Plain-text records (portal exports, typed notes)."""

from __future__ import annotations

from typing import BinaryIO

from recordpack.models import Kind, Reading

MAX_TEXT_BYTES = 256 * 1024  # the header block decides category and date; the rest is not needed
MAX_XML_BYTES = 16 * 1024 * 1024  # a portal export larger than this is not parsed


def read_text(stream: BinaryIO) -> Reading:
    """Decode a text file as UTF-8, falling back to Windows-1252 (common in exports)."""
    data = stream.read(MAX_TEXT_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    pages = max(1, text.count("\f") + 1)
    return Reading(kind=Kind.TEXT, text=text, pages=pages)
