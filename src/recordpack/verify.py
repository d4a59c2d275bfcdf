"""Check a bundle, or a copy of any imaging CD or XDM export, against the media rules.

The rules that viewers and importers trip on: IHE PDI (a DICOMDIR that lists every DICOM file,
and only DICOM files, by 8.3 upper-case names without extensions), IHE XDM (README.TXT and
INDEX.HTM at the root, each submission set's METADATA.XML listing documents that are there,
with the sizes and SHA-1 hashes it states), no program and no autorun, and, for recordpack's own
bundles, every hash in manifest.json. A folder, a zip or an ISO image; nothing is changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from recordpack.models import Severity

_NAME_83 = re.compile(r"^[A-Z0-9_]{1,8}$")  # a DICOM file or folder name on PDI media
_DOCUMENT_83 = re.compile(r"^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?$")
_PROGRAM = re.compile(r"(^|/)autorun\.inf$|\.(exe|com|bat|cmd|scr|msi|vbs|js|ps1|app|jar)$", re.I)
_CHUNK = 1 << 20
MAX_INDEX_BYTES = 64 * 1024 * 1024  # a DICOMDIR larger than this is not read
MAX_METADATA_BYTES = 16 * 1024 * 1024  # METADATA.XML: a parsed tree takes ~25x its size
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # manifest.json: an XL bundle's is ~8 MB


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or worth knowing) about the medium."""

    severity: Severity
    path: str
    message: str


class _Medium:
    """A folder or a zip, as names relative to its root (POSIX separators)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.iso: Any = None
        self.unread: list[Finding] = []  # files that could not be read, each a finding
        self._unreadable_names: set[str] = set()
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            self.names = self._walk(path)
        elif not stat.S_ISREG(mode):  # a pipe or a device would never end
            raise ValueError("not a regular file or a folder")
        elif path.suffix.lower() == ".iso":
            self.names = self._open_iso(path)
        else:
            self.zip = zipfile.ZipFile(path)
            self.names = sorted(i.filename for i in self.zip.infolist() if not i.is_dir())
        self.upper = {name.upper(): name for name in self.names}

    def _walk(self, root: Path) -> list[str]:
        """Regular files under ``root``; links are reported, never followed."""
        names = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in [*files, *dirs]:
                entry = Path(folder, name)
                relative = entry.relative_to(root).as_posix()
                if entry.is_symlink():
                    self.unread.append(
                        Finding(Severity.WARNING, relative, "a link: not followed, not checked")
                    )
                elif name in files and stat.S_ISREG(entry.lstat().st_mode):
                    names.append(relative)
        return sorted(names)

    def size(self, name: str) -> int:
        """A file's size as the medium states it, before any of it is read."""
        if self.zip is not None:
            return self.zip.getinfo(name).file_size
        if self.iso is not None:
            return int(self.facade.get_record("/" + self.iso_names[name]).get_data_length())
        return (self.path / name).stat().st_size

    def index(self, name: str, limit: int) -> bytes:
        """A file parsed whole (an index), refused when it is larger than ``limit``."""
        if (size := self.size(name)) > limit:
            raise ValueError(f"{size:,} bytes, more than the {limit // 2**20} MB an index may be")
        with self.open(name) as fh:
            return fh.read(limit + 1)[:limit]

    def _open_iso(self, path: Path) -> list[str]:
        """The names on a disc image: Joliet's long names when it has them, else ISO 9660's."""
        import pycdlib

        self.iso = pycdlib.PyCdlib()
        self.iso.open(str(path))
        self.facade = (
            self.iso.get_joliet_facade() if self.iso.has_joliet() else self.iso.get_iso9660_facade()
        )
        names = [
            posixpath.join(folder, name).lstrip("/")
            for folder, _, files in self.facade.walk("/")
            for name in files
        ]
        self.iso_names = {_plain(n): n for n in names}
        return sorted(self.iso_names)

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(name)
        if self.iso is not None:
            return self.facade.open_file_from_iso("/" + self.iso_names[name])  # type: ignore[no-any-return]
        return (self.path / name).open("rb")

    def head(self, name: str, size: int) -> bytes | None:
        """The first bytes of a file; None (and a finding) when it cannot be read."""
        try:
            with self.open(name) as fh:
                return fh.read(size)
        except Exception as exc:  # a bad CRC, encryption, an unknown compression: a finding
            self._unreadable(name, exc)
            return None

    def digest(self, name: str, algorithm: str) -> tuple[str, int] | None:
        """The hash and size of a file, streamed; None (and a finding) when it cannot be read."""
        digest, size = hashlib.new(algorithm, usedforsecurity=False), 0
        try:
            with self.open(name) as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except Exception as exc:  # as in head
            self._unreadable(name, exc)
            return None
        return digest.hexdigest(), size

    def _unreadable(self, name: str, exc: Exception) -> None:
        if name not in self._unreadable_names:  # once a file, however often it is read
            self._unreadable_names.add(name)
            self.unread.append(
                Finding(
                    Severity.ERROR,
                    name,
                    f"cannot be read ({_why(exc)}): "
                    "damaged, encrypted or compressed in an unknown way",
                )
            )


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _plain(name: str) -> str:
    """An ISO 9660 name as a person writes it: ``IM000001.;1`` is ``IM000001``."""
    return re.sub(r"\.?;\d+$", "", name)


def verify_bundle(path: Path) -> list[Finding]:
    """Every rule the medium at ``path`` (a folder or a zip) breaks, errors first."""
    try:
        medium = _Medium(path)
    except Exception as exc:  # a damaged zip or disc image is a finding, not a crash
        return [
            Finding(
                Severity.ERROR,
                str(path),
                f"cannot be opened as a folder, zip or ISO image ({type(exc).__name__}: {exc})",
            )
        ]
    findings = [
        *_root(medium),
        *_programs(medium),
        *_dicomdir(medium),
        *_xdm(medium),
        *_manifest(medium),
    ]
    findings += medium.unread  # after the checks: they found what could not be read
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: order[f.severity])


def _root(medium: _Medium) -> Iterator[Finding]:
    for required in ("README.TXT", "INDEX.HTM"):
        if required not in medium.upper:
            yield Finding(
                Severity.ERROR,
                required,
                "missing at the root: XDM media must have it, "
                "so that a person with only a browser can see what this is",
            )
    for name in medium.names:
        if name.startswith("/") or ".." in name.split("/"):
            yield Finding(Severity.ERROR, name, "a path that leaves the medium")


def _programs(medium: _Medium) -> Iterator[Finding]:
    for name in medium.names:
        if _PROGRAM.search(name):
            yield Finding(
                Severity.ERROR,
                name,
                "a program or autorun file: media for patients "
                "must not carry or start software (IHE PDI: no autorun)",
            )


def _dicomdir(medium: _Medium) -> Iterator[Finding]:
    dicomdir = medium.upper.get("DICOMDIR")
    dicom_files = [n for n in medium.names if n.upper().startswith("DICOM/")]
    if dicomdir is None:
        if dicom_files:
            yield Finding(
                Severity.ERROR,
                "DICOMDIR",
                "DICOM/ has files but there is no DICOMDIR "
                "to index them: viewers will not find the images",
            )
        return
    try:
        referenced = _referenced_files(medium, dicomdir)
    except Exception as exc:  # any parser failure is a finding, not a crash
        yield Finding(Severity.ERROR, dicomdir, f"the DICOMDIR cannot be read: {exc}")
        return
    listed = set()
    for parts in referenced:
        name = "/".join(parts)
        listed.add(name.upper())
        bad = [p for p in parts if not _NAME_83.match(p)]
        if bad:
            yield Finding(
                Severity.ERROR,
                name,
                f"not an 8.3 DICOM name ({bad[0]!r}): PDI names"
                " are 1-8 upper-case letters, digits or _, no extension",
            )
        actual = medium.upper.get(name.upper())
        if actual is None:
            yield Finding(Severity.ERROR, name, "listed in the DICOMDIR but not on the medium")
        elif (head := medium.head(actual, 132)) is not None and head[128:132] != b"DICM":
            yield Finding(Severity.ERROR, name, "listed in the DICOMDIR but not a DICOM file")
    for name in dicom_files:
        if name.upper() not in listed:
            yield Finding(
                Severity.WARNING,
                name,
                "under DICOM/ but not in the DICOMDIR: "
                "viewers that open the DICOMDIR will not show it",
            )
    yield Finding(Severity.INFO, dicomdir, f"DICOMDIR lists {len(referenced)} files")


def _referenced_files(medium: _Medium, dicomdir: str) -> list[tuple[str, ...]]:
    import warnings

    import pydicom

    data = medium.index(dicomdir, MAX_INDEX_BYTES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        records = ds.get("DirectoryRecordSequence") or []
        found = []
        for record in records:
            value = record.get("ReferencedFileID")
            if value is None:
                continue
            parts = [value] if isinstance(value, str) else list(value)
            found.append(tuple(str(p) for p in parts))
    return found


def _xdm(medium: _Medium) -> Iterator[Finding]:
    indexes = [n for n in medium.names if re.fullmatch(r"IHE_XDM/[^/]+/METADATA\.XML", n, re.I)]
    subsets = {n.split("/")[1] for n in medium.names if n.upper().startswith("IHE_XDM/")}
    for subset in sorted(subsets):
        if not any(n.split("/")[1] == subset for n in indexes):
            yield Finding(
                Severity.ERROR,
                f"IHE_XDM/{subset}",
                "a submission set without its "
                "METADATA.XML: importers cannot tell what its files are",
            )
    for index in indexes:
        yield from _submission(medium, index)


def _submission(medium: _Medium, index: str) -> Iterator[Finding]:
    from defusedxml import ElementTree

    folder = posixpath.dirname(index)
    try:
        root = ElementTree.fromstring(medium.index(index, MAX_METADATA_BYTES))
    except Exception as exc:  # a damaged or hostile index is a finding
        yield Finding(Severity.ERROR, index, f"cannot be read ({_why(exc)})")
        return
    listed = {index.upper()}
    entries = root.iterfind(".//{*}ExtrinsicObject")
    count = 0
    for count, entry in enumerate(entries, start=1):  # noqa: B007 - the count is reported
        slots = {
            str(s.get("name", "")).lower(): [v.text or "" for v in s.iterfind(".//{*}Value")]
            for s in entry.iterfind("{*}Slot")
        }
        uri = (slots.get("uri") or [""])[0].strip()
        if not uri:
            yield Finding(Severity.ERROR, index, "a document entry without a URI slot")
            continue
        name = posixpath.join(folder, uri)
        listed.add(name.upper())
        actual = medium.upper.get(name.upper())
        if actual is None:
            yield Finding(Severity.ERROR, name, "listed in METADATA.XML but not on the medium")
            continue
        if not _DOCUMENT_83.match(uri):
            yield Finding(Severity.WARNING, name, "not an 8.3 upper-case name, as XDM asks")
        yield from _document_checks(medium, actual, slots)
    for name in medium.names:
        if name.upper().startswith(folder.upper() + "/") and name.upper() not in listed:
            yield Finding(Severity.WARNING, name, "in the submission set but not in METADATA.XML")
    yield Finding(Severity.INFO, index, f"lists {count} documents")


def _document_checks(medium: _Medium, name: str, slots: dict[str, list[str]]) -> Iterator[Finding]:
    if (read := medium.digest(name, "sha1")) is None:
        return
    sha1, size = read
    stated_size = (slots.get("size") or [""])[0].strip()
    stated_hash = (slots.get("hash") or [""])[0].strip().lower()
    if stated_size and stated_size != str(size):
        yield Finding(Severity.ERROR, name, f"{size:,} bytes, but METADATA.XML says {stated_size}")
    if stated_hash and stated_hash != sha1:
        yield Finding(
            Severity.ERROR,
            name,
            "its SHA-1 differs from METADATA.XML's: changed or damaged since the medium was made",
        )


def _manifest(medium: _Medium) -> Iterator[Finding]:
    name = medium.upper.get("MANIFEST.JSON")
    if name is None:
        return
    try:
        manifest: Any = json.loads(medium.index(name, MAX_MANIFEST_BYTES))
        files = [(manifest["packet"]["path"], manifest["packet"]["sha256"])]
        files += [
            (f["bundle_path"], f.get("bundle_sha256") or f["sha256"])
            for f in manifest["files"]
            if f.get("bundle_path")
        ]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        yield Finding(Severity.ERROR, name, f"cannot be read ({_why(exc)})")
        return
    for path, expected in files:
        actual = medium.upper.get(str(path).upper())
        if actual is None:
            yield Finding(Severity.ERROR, str(path), "listed in manifest.json but not here")
        elif (read := medium.digest(actual, "sha256")) is not None and read[0] != expected:
            yield Finding(Severity.ERROR, str(path), "its SHA-256 differs from manifest.json's")
    yield Finding(Severity.INFO, name, f"{len(files)} hashes checked")
