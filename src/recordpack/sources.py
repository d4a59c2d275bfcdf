"""The records folder as the later stages see it: a file found by the scan, read back by its Source.

This is the one way any stage after the scan gets a file's bytes: from disk or from inside its
zip(s) or FHIR export, checked against the hash the scan recorded, so nothing that changed since
the scan (or that was never scanned) slips into a packet.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from recordpack.members import attached, looks_like_fhir
from recordpack.models import Source
from recordpack.outputs import open_private, write_private

MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a zip member larger than this is not read in memory
_CHUNK = 1024 * 1024  # bytes per read when a file is copied


@dataclass(frozen=True, slots=True)
class Records:
    """A records folder, bound to its root."""

    root: Path

    def read(self, source: Source) -> bytes:
        """The bytes of a file found by a scan, checked by size and hash (a DICOM image's: size).

        Raises:
            OSError: the file is gone, unreadable, or changed since the scan.
        """
        if source.archive is None:
            data = (self.root / source.path).read_bytes()
        else:
            parts = source.archive.split("!")  # '!' joins the levels, and may be in a name
            outer = next(
                (
                    k
                    for k in range(1, len(parts) + 1)
                    if (self.root / "!".join(parts[:k])).is_file()
                ),
                1,
            )
            archive: Path | io.BytesIO = self.root / "!".join(parts[:outer])
            nested = parts[outer:]
            while nested:  # each zip inside: the shortest run of parts that names a member
                with _opened(archive) as zf:
                    take = next(
                        (k for k in range(1, len(nested) + 1) if _info(zf, "!".join(nested[:k]))),
                        len(nested),
                    )
                    archive = io.BytesIO(_read(zf, "!".join(nested[:take])))
                nested = nested[take:]
            data = _member(archive, source.path)
        if len(data) != source.size or (source.sha256 and source.sha256 != _sha256(data)):
            raise _changed(source)
        return data

    def copy(self, source: Source, target: Path) -> str:
        """Copy a file found by a scan to ``target`` (new, owner-only), checked as :meth:`read`.

        A file on disk is streamed, so a large image never sits in memory whole.

        Returns:
            The copy's SHA-256.

        Raises:
            OSError: as :meth:`read`; nothing is left at ``target``.
        """
        if source.archive is not None:
            data = self.read(source)
            write_private(target, data)
            return source.sha256 or _sha256(data)
        digest, size = hashlib.sha256(), 0
        with (self.root / source.path).open("rb") as src, open_private(target) as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += dst.write(chunk)
        if size != source.size or source.sha256 not in (None, digest.hexdigest()):
            target.unlink()
            raise _changed(source)
        return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _changed(source: Source) -> OSError:
    return OSError(f"{source.display} changed since it was scanned; run the command again")


def _posix(name: str) -> str:
    """A member's name as the scan gives it: Windows zips may write backslashes for slashes."""
    return name.replace("\\", "/")


def _member(archive: Path | io.BytesIO, name: str) -> bytes:
    """A member of a zip, or a file a FHIR export carries in itself (``attachment-1.pdf``)."""
    head = archive.getvalue()[:4096] if isinstance(archive, io.BytesIO) else _head(archive)
    if looks_like_fhir(head):
        whole = archive.getvalue() if isinstance(archive, io.BytesIO) else archive.read_bytes()
        found = attached(whole, name)
        if found is None:
            raise OSError(f"{name}: no longer in its FHIR file")
        return found
    with _opened(archive) as zf:  # from disk, not the whole zip, when outermost
        return _read(zf, name)


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4096)


@contextlib.contextmanager
def _opened(archive: Path | io.BytesIO) -> Iterator[zipfile.ZipFile]:
    """A zip to read members from; a damaged one is an OSError, as a missing file is."""
    try:
        with zipfile.ZipFile(archive) as zf:
            yield zf
    except zipfile.BadZipFile as exc:
        where = archive.name if isinstance(archive, Path) else "a zip inside it"
        raise OSError(f"{where}: cannot be read as a zip ({exc})") from exc


def _info(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """The member the scan called ``name``: by its own name, else by its name with slashes."""
    try:
        return zf.getinfo(name)
    except KeyError:
        return next((i for i in zf.infolist() if _posix(i.filename) == name), None)


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    info = _info(zf, name)
    if info is None:
        raise OSError(f"{name}: cannot be read from its zip (not in it)")
    if info.file_size > MAX_MEMBER_BYTES:
        raise OSError(f"{name}: too large to read from a zip")
    try:
        return zf.read(info)
    except zipfile.BadZipFile as exc:
        raise OSError(f"{name}: cannot be read from its zip ({exc})") from exc
