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
import signal
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from recordpack.errors import ReadError, described
from recordpack.members import attached_files, looks_like_fhir
from recordpack.models import Found, Kind, Outcome, Problem, Reading, Severity, Source
from recordpack.options import Limits, ReadOptions
from recordpack.patient import PATIENT_FILE
from recordpack.read import cda, dicom, fhir, image, pdf, text, xdm
from recordpack.read.sniff import HEAD_SIZE, sniff
from recordpack.read.walk import os_problem
from recordpack.sources import MAX_MEMBER_BYTES

IN_MEMORY_BYTES = 64 * 1024 * 1024  # files up to this size are read once: hash and parse one buffer
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024  # total uncompressed size of one zip
MAX_RATIO = 100  # compression ratio above which a large member is a zip bomb
_JUNK = re.compile(r"(^|/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*|__MACOSX(/.*)?)$", re.I)
_XDM_FOLDER = re.compile(r"(?:^|/)IHE_XDM/", re.I)


def media_files(names: list[str]) -> set[str]:
    """The index files of IHE XDM media (exports on a CD, USB stick or zip): not records.

    METADATA.XML in each IHE_XDM submission set, and README.TXT and INDEX.HTM beside the
    IHE_XDM folder. The documents they list are read on their own.
    """
    roots = {
        name[: m.start()].rstrip("/").upper() for name in names if (m := _XDM_FOLDER.search(name))
    }
    if not roots:  # the usual case, and every index below lives beside an IHE_XDM folder
        return set()
    beside = {
        f"{root}/{name}" if root else name for root in roots for name in ("README.TXT", "INDEX.HTM")
    }
    return {n for n in names if xdm.METADATA.search(n) or n.upper() in beside}


def media_problem(where: str) -> Problem:
    """A note for an index file of IHE XDM media."""
    return Problem(where, Severity.INFO, "index file of an IHE XDM export, not a record")


def read_file(kind: Kind, stream: BinaryIO, size: int, read: ReadOptions) -> Reading:
    """Read one file of a known kind; a :class:`ReadError` says what a person can do."""
    match kind:
        case Kind.PDF:
            reading = pdf.read_pdf(stream, password=read.password, max_pages=read.limits.pages)
            return _within_pages(reading, read.limits)
        case Kind.DICOM:
            return dicom.read_dicom_headers(stream, size)
        case Kind.JPEG | Kind.PNG | Kind.TIFF | Kind.HEIC:
            reading = image.read_image(stream, kind, read.limits.megapixels * 1_000_000)
            return _within_pages(reading, read.limits)
        case Kind.TEXT:
            head = stream.read(4096)
            stream.seek(0)
            if cda.looks_like_cda(head):
                return cda.read_cda(stream.read(text.MAX_XML_BYTES))
            if looks_like_fhir(head):
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


def _within_pages(reading: Reading, limits: Limits) -> Reading:
    if (reading.pages or 0) > limits.pages:
        raise ReadError(
            f"{reading.pages:,} pages, more than the {limits.pages:,} one document may have",
            limits.hint("pages", "split it into parts (a PDF tool can), then add the parts"),
        )
    return reading


class _TimeUp(BaseException):
    """Raised in the reading thread when a file took longer than its time limit."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Stop reading a file after ``seconds`` (a parser caught in a loop on a hostile file).

    A real-time alarm interrupts pure-Python parsers (pypdf, pydicom) between instructions.
    Only where signals can be used: a process's main thread on POSIX; elsewhere no limit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_disk_file(rel: str, path: str | Path, read: ReadOptions) -> Outcome:
    """Read one file of the records folder (a zip with all its members), within its limits."""
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
            stream: BinaryIO = fh  # DICOM: read in place, to the end of its header only
            if st.st_size <= IN_MEMORY_BYTES and sniff(fh.read(HEAD_SIZE)) is not Kind.DICOM:
                fh.seek(0)
                stream = io.BytesIO(fh.read())  # read once: hashed and parsed from memory
            fh.seek(0)
            _read_stream(rel, None, stream, st.st_size, out, read, 0)
    except OSError as exc:
        out.problems.append(os_problem(rel, exc, "file"))
    return out


def _sha256(stream: BinaryIO) -> str:
    """The stream's SHA-256 (from memory without a copy), leaving it at its start."""
    stream.seek(0)
    digest = hashlib.sha256()
    if isinstance(stream, io.BytesIO):
        digest.update(stream.getbuffer())
    else:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _read_stream(
    path: str,
    archive: str | None,
    stream: BinaryIO,
    size: int,
    out: Outcome,
    read: ReadOptions,
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
    digest = None if kind is Kind.DICOM else _sha256(stream)  # see Source: images by UID
    source = Source(path=path, sha256=digest, size=size, kind=kind, archive=archive)
    try:
        if kind is Kind.ZIP:
            _read_zip(where, stream, size, out, read, depth)
        elif kind is Kind.UNKNOWN:
            raise ReadError(
                "not a format recordpack reads (PDF, DICOM, JPEG, PNG, TIFF, text)",
                "save or print it as PDF and add that instead",
            )
        elif kind is Kind.DICOMDIR:
            with time_limit(read.limits.seconds):
                out.dicomdirs.append((source, dicom.read_dicomdir(stream)))
        else:
            with time_limit(read.limits.seconds):
                reading = read_file(kind, stream, size, read)
            out.problems.extend(
                Problem(where, w.severity, w.message, w.hint) for w in reading.warnings
            )
            if digest is None and reading.dicom is None:  # a document in DICOM (PDF, SR)
                source = dataclasses.replace(source, sha256=_sha256(stream))
            out.found.append(Found(source, reading))
            if kind is Kind.TEXT and looks_like_fhir(head):
                _read_attached(where, stream, out, read, depth)
    except ReadError as exc:
        out.problems.append(Problem(where, exc.severity, exc.message, exc.hint))
    except Exception as exc:  # a parser failing on a damaged or hostile file
        out.problems.append(unreadable(where, kind.value, exc))
    except _TimeUp:
        seconds = read.limits.seconds
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                f"reading it took longer than {seconds} s; stopped (a damaged or hostile file?)",
                read.limits.hint(
                    "seconds", "open it in a viewer and save or print it again as PDF"
                ),
            )
        )


def _read_attached(
    where: str, stream: BinaryIO, out: Outcome, read: ReadOptions, depth: int
) -> None:
    """The PDFs and images a FHIR file carries, read as the members of a zip are."""
    stream.seek(0)
    for name, data in attached_files(stream.read(text.MAX_XML_BYTES)):
        out.files_seen += 1
        out.bytes_seen += len(data)
        _read_stream(name, where, io.BytesIO(data), len(data), out, read, depth + 1)


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


def _read_zip(
    where: str, stream: BinaryIO, size: int, out: Outcome, read: ReadOptions, depth: int
) -> None:
    """Read the members of a zip in memory, refusing unsafe names and bombs."""
    limits = read.limits
    if depth >= limits.depth:
        raise ReadError(
            f"zip nested more than {limits.depth} deep; not read",
            limits.hint("depth", "extract it and add the files"),
        )
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
    _check_archive(members, size, limits)
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
            _read_stream(name, where, io.BytesIO(data), len(data), out, read, depth + 1)
    if index:  # after the loop: an index may come before or after the files it lists
        tail = out.found[start:]
        out.problems += xdm.annotate(tail, index, where)
        out.found[start:] = tail


def _check_archive(members: list[zipfile.ZipInfo], size: int, limits: Limits) -> None:
    """Refuse zips too many, too large, or too compressed as a whole to be a real download.

    Members can share compressed data (an "overlapping" zip bomb: kilobytes that unpack to
    gigabytes while each member looks modest), so the ratio is also checked for the whole zip.
    """
    files = sum(1 for m in members if not m.is_dir())
    if files > limits.members:
        raise ReadError(
            f"zip holds {files:,} files, more than the {limits.members:,} read from one zip",
            limits.hint("members", "extract it and scan the extracted folder"),
        )
    declared = sum(m.file_size for m in members)
    if declared > MAX_ARCHIVE_BYTES:
        raise ReadError(
            f"zip unpacks to {declared / 2**30:.1f} GiB, more than recordpack reads in place",
            "extract it with your file manager and scan the extracted folder",
        )
    if declared > 100 * 2**20 and declared > MAX_RATIO * max(size, 1):
        raise ReadError(
            f"zip of {size:,} bytes unpacks to {declared / 2**20:,.0f} MiB (a zip bomb?); not read",
            "if it is a real export, extract it with your file manager and scan the folder",
        )


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
