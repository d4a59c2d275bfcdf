r"""Decide what a file is from its first bytes, never from its name.

Names lie in real folders: DICOM without extensions, JPEGs called ``.pdf``, portal downloads called
``download (3)``. The order of checks matters: a DICOM preamble may itself start like a TIFF
(``II*\0``), so ``DICM`` at offset 128 is tested first; a stored zip holds ``%PDF-`` in
its first kilobyte, so signatures at byte 0 come before the PDF search.
"""

from __future__ import annotations

import struct

from recordpack.models import Kind

HEAD_SIZE = 1024
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis", b"avif")
_DICOMDIR_SOP_CLASS = b"1.2.840.10008.1.3.10"


def sniff(head: bytes) -> Kind:
    """Return the kind of a file given its first :data:`HEAD_SIZE` bytes."""
    if head[128:132] == b"DICM":
        return Kind.DICOMDIR if _DICOMDIR_SOP_CLASS in head else Kind.DICOM
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Kind.TIFF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return Kind.HEIC
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Kind.ZIP
    if b"%PDF-" in head[:HEAD_SIZE]:  # after the signatures that must stand at byte 0
        return Kind.PDF
    if _looks_like_raw_dicom(head):
        return Kind.DICOM
    if _looks_like_text(head):
        return Kind.TEXT
    return Kind.UNKNOWN


def _looks_like_raw_dicom(head: bytes) -> bool:
    """A DICOM dataset written without preamble: the first element is in group 0002 or 0008."""
    if len(head) < 8:
        return False
    group, element = struct.unpack("<HH", head[:4])
    if group not in (0x0002, 0x0008) or element >= 0x100:
        return False
    vr = head[4:6]
    if vr.isalpha() and vr.isupper():
        return True
    length: int = struct.unpack("<I", head[4:8])[0]  # implicit VR: a 4-byte length follows
    return 0 < length < 256


def _looks_like_text(head: bytes) -> bool:
    """Plain text: decodes as UTF-8 (allowing a cut last character) with no control bytes."""
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return False
        else:
            text = head[: exc.start].decode("utf-8")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    return controls == 0
