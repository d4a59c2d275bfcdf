"""Read one file, on disk or inside a zip: sniff its kind and hand it to the reader for that kind.

Zips are read in place (nothing is extracted); members that could escape a folder or explode in
size are refused. Every file ends as a :class:`~recordpack.models.Found` or a problem.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from recordpack.errors import ReadError, described
from recordpack.models import Found, Kind, Outcome, Problem, Reading, Severity, Source
from recordpack.patient import PATIENT_FILE
from recordpack.read import cda, dicom, fhir, image, pdf, text, xdm
from recordpack.read.sniff import HEAD_SIZE, sniff
from recordpack.read.walk import os_problem
from recordpack.sources import MAX_MEMBER_BYTES

IN_MEMORY_BYTES = 64 * 1024 * 1024  # files up to this size are read once: hash and parse one buffer
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024  # total uncompressed size of one zip
MAX_RATIO = 100  # compression ratio above which a large member is a zip bomb
MAX_ZIP_DEPTH = 3  # zips inside zips, as portals sometimes produce
_JUNK = re.compile(r"(^|/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*|__MACOSX(/.*)?)$", re.I)


def media_files(names: list[str]) -> set[str]:
    """The index files of IHE XDM media (exports on a CD, USB stick or zip): not records.

    METADATA.XML in each IHE_XDM submission set, and README.TXT and INDEX.HTM beside the
    IHE_XDM folder. The documents they list are read on their own.
    """
    roots = {
        name[: m.start()].rstrip("/").upper()
        for name in names
        if (m := re.search(r"(?:^|/)IHE_XDM/", name, re.I))
    }
    beside = {f"{root}/{name}" if root else name for root in roots
              for name in ("README.TXT", "INDEX.HTM")}  # fmt: skip
    return {n for n in names if xdm.METADATA.search(n) or n.upper() in beside}


def media_problem(where: str) -> Problem:
    """A note for an index file of IHE XDM media."""
    return Problem(where, Severity.INFO, "index file of an IHE XDM export, not a record")


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
            head = stream.read(4096)
            stream.seek(0)
            if cda.looks_like_cda(head):
                return cda.read_cda(stream.read(text.MAX_XML_BYTES))
            if fhir.looks_like_fhir(head):
                if size > text.MAX_XML_BYTES:
                    raise ReadError(
                        f"a FHIR export of {size // 2**20} MB, larger than the"
                        f" {text.MAX_XML_BYTES // 2**20} MB read as one record",
                        "export the records one by one from the portal, or as PDF",
                    )
                return fhir.read_fhir(stream.read(text.MAX_XML_BYTES))
            return text.read_text(stream)
        case _:
            raise ReadError(f"no reader for {kind}")


def read_disk_file(rel: str, path: str | Path, password: str | None) -> Outcome:
    """Read one file of the records folder (a zip with all its members)."""
    out = Outcome(found=[], problems=[], dicomdirs=[], files_seen=1)
    if _JUNK.search(rel):
        out.problems.append(Problem(rel, Severity.INFO, "system file, not a record; ignored"))
        return out
    if rel == PATIENT_FILE:
        out.problems.append(
            Problem(rel, Severity.INFO, "patient file: read for the cover, not a record")
        )
        return out
    try:
        with Path(path).open("rb") as fh:
            st = os.fstat(fh.fileno())
            out.bytes_seen += st.st_size
            if not stat.S_ISREG(st.st_mode):
                raise IsADirectoryError(21, "not a regular file")
            if st.st_size <= IN_MEMORY_BYTES:
                data = fh.read()
                digest = hashlib.sha256(data).hexdigest()
                _read_stream(rel, None, io.BytesIO(data), st.st_size, digest, out, password, 0)
            else:
                digest = _hash_stream(fh)
                fh.seek(0)
                _read_stream(rel, None, fh, st.st_size, digest, out, password, 0)
    except OSError as exc:
        out.problems.append(os_problem(rel, exc, "file"))
    return out


def _hash_stream(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1024 * 1024), b""):
        h.update(chunk)
    return h.hexdigest()


def _read_stream(
    path: str,
    archive: str | None,
    stream: BinaryIO,
    size: int,
    digest: str,
    out: Outcome,
    password: str | None,
    depth: int,
) -> None:
    """Sniff one file (on disk or inside a zip) and hand it to its reader."""
    where = f"{archive}!{path}" if archive else path
    out.paths.add((archive, path.lower()))
    if size == 0:
        out.problems.append(
            Problem(where, Severity.ERROR, "empty file (0 bytes)", "download or copy it again")
        )
        return
    head = stream.read(HEAD_SIZE)
    stream.seek(0)
    kind = sniff(head)
    source = Source(path=path, sha256=digest, size=size, kind=kind, archive=archive)
    try:
        if kind is Kind.ZIP:
            _read_zip(where, stream, out, password, depth)
        elif kind is Kind.UNKNOWN:
            raise ReadError(
                "not a format recordpack reads (PDF, DICOM, JPEG, PNG, TIFF, text)",
                "save or print it as PDF and add that instead",
            )
        elif kind is Kind.DICOMDIR:
            out.dicomdirs.append((source, dicom.read_dicomdir(stream)))
        else:
            reading = read_file(kind, stream, size, password=password)
            out.problems.extend(
                Problem(where, w.severity, w.message, w.hint) for w in reading.warnings
            )
            out.found.append(Found(source, reading))
    except ReadError as exc:
        out.problems.append(Problem(where, exc.severity, exc.message, exc.hint))
    except Exception as exc:  # a parser failing on a damaged or hostile file
        out.problems.append(unreadable(where, kind.value, exc))


def unreadable(where: str, what: str, exc: BaseException) -> Problem:
    """A file a parser failed on: the run goes on without it, and says so.

    Only the error's type is shown: a parser's message can quote the file's content.
    """
    return Problem(
        where,
        Severity.ERROR,
        f"could not be read: the {what} reader failed on it ({described(exc, ())})",
        "the file may be damaged: open it in a viewer and save or export it again",
    )


def _read_zip(where: str, stream: BinaryIO, out: Outcome, password: str | None, depth: int) -> None:
    """Read the members of a zip in memory, refusing unsafe names and bombs."""
    if depth >= MAX_ZIP_DEPTH:
        raise ReadError(f"zip nested more than {MAX_ZIP_DEPTH} deep; not read",
                        "extract it and add the files")  # fmt: skip
    try:
        zf = zipfile.ZipFile(stream)
        members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ReadError(f"damaged zip file ({exc})", "download it again") from exc
    if "[Content_Types].xml" in {m.filename for m in members}:
        raise ReadError(
            "Office document (Word, Excel or PowerPoint)", "save it as PDF and add the PDF instead"
        )
    if not any(not m.is_dir() for m in members):
        raise ReadError("zip holds no files", "download it again; the download may have failed")
    declared = sum(m.file_size for m in members)
    if declared > MAX_ARCHIVE_BYTES:
        raise ReadError(
            f"zip unpacks to {declared / 2**30:.1f} GiB, more than recordpack reads in place",
            "extract it with your file manager and scan the extracted folder",
        )
    media = media_files([m.filename.replace("\\", "/") for m in members])
    start, index = len(out.found), dict[str, xdm.Entry]()
    with zf:
        for info in sorted(members, key=lambda m: m.filename):
            if info.is_dir():
                continue
            out.files_seen += 1
            name = info.filename.replace("\\", "/")
            if name in media:
                out.problems.append(media_problem(f"{where}!{name}"))
                index |= _xdm_index(name, zf, info, where, out)
                continue
            try:
                data = _member_bytes(name, zf, info)
            except ReadError as exc:
                out.problems.append(Problem(f"{where}!{name}", exc.severity, exc.message, exc.hint))
                continue
            if data is None:
                out.problems.append(
                    Problem(f"{where}!{name}", Severity.INFO, "system file, not a record; ignored")
                )
                continue
            out.bytes_seen += len(data)
            digest = hashlib.sha256(data).hexdigest()
            _read_stream(name, where, io.BytesIO(data), len(data), digest, out, password, depth + 1)
    if index:  # after the loop: an index may come before or after the files it lists
        tail = out.found[start:]
        out.problems += xdm.annotate(tail, index, where)
        out.found[start:] = tail


def _xdm_index(
    name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, out: Outcome
) -> dict[str, xdm.Entry]:
    """An XDM submission set's index inside a zip; other media files give nothing."""
    if not xdm.METADATA.search(name):
        return {}
    try:
        data = _member_bytes(name, zf, info) or b""
    except ReadError as exc:
        out.problems.append(Problem(f"{where}!{name}", exc.severity, exc.message, exc.hint))
        return {}
    entries, problems = xdm.read_metadata(data, name)
    out.problems += [dataclasses.replace(p, path=f"{where}!{name}") for p in problems]
    return entries


def _member_bytes(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """A zip member's bytes, None for system files; refuses unsafe, locked and bomb members."""
    if _unsafe_member(name):
        raise ReadError(
            "unsafe path inside zip (absolute or with '..'): refused",
            "a zip like this could write outside its folder; ask the sender for a new one",
        )
    if _JUNK.search(name):
        return None
    if info.flag_bits & 0x1:
        raise ReadError(
            "password-protected file inside zip",
            "extract the zip with its password and scan the extracted folder",
        )
    too_big = info.file_size > MAX_MEMBER_BYTES
    bomb = info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
    if too_big or bomb:
        what = "compressed more than 100:1 (a zip bomb?)" if bomb else "too large to read in a zip"
        raise ReadError(
            f"{what}: {info.file_size / 2**20:,.0f} MiB; not read",
            "extract it and scan the extracted folder",
        )
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ReadError(f"damaged file inside zip ({exc})", "download the zip again") from exc
    if len(data) > info.file_size:
        raise ReadError(
            "file inside zip is larger than the zip says; refused",
            "download the zip again from the original source",
        )
    return data


def _unsafe_member(name: str) -> bool:
    return (
        name.startswith("/")
        or bool(re.match(r"^[A-Za-z]:", name))
        or ".." in PurePosixPath(name).parts
    )
