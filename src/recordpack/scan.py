"""Walk a records folder and read every file in it, zips included, without changing anything.

Every file found ends in one of two places: a :class:`~recordpack.models.Source` of some item,
or a :class:`~recordpack.models.Problem` that says what is wrong and what to do. Zips are read in
place (nothing is extracted), and members that could escape a folder or explode in size are
refused. Files are hashed so identical copies count once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from recordpack import ocr
from recordpack.errors import InputFolderError
from recordpack.inventory import build_inventory, document_key
from recordpack.models import DateOrder, Inventory, Kind, Problem, Severity, Source
from recordpack.readers import ReadError, Reading, read_file
from recordpack.readers.dicom import read_dicomdir
from recordpack.sniff import HEAD_SIZE, sniff

if TYPE_CHECKING:
    from recordpack.cache import ScanCache

IN_MEMORY_BYTES = 64 * 1024 * 1024  # files up to this size are read once: hash and parse one buffer
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a zip member larger than this is not read in memory
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024  # total uncompressed size of one zip
MAX_RATIO = 100  # compression ratio above which a large member is a zip bomb
MAX_ZIP_DEPTH = 3  # zips inside zips, as portals sometimes produce
_JUNK = re.compile(r"(^|/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*|__MACOSX(/.*)?)$", re.I)
PATIENT_FILE = "patient.toml"  # the patient file may live in the records folder; it is not a record

Progress = Callable[[int, int, str], None]  # done, total, what is being done


@dataclass(frozen=True, slots=True)
class Found:
    """A file that was read: where it is, and what its reader learnt."""

    source: Source
    reading: Reading


@dataclass(slots=True)
class Outcome:
    """What reading some files gave: items' raw material, problems, DICOMDIR listings."""

    found: list[Found]
    problems: list[Problem]
    dicomdirs: list[tuple[Source, list[str]]]
    paths: set[tuple[str | None, str]] = field(default_factory=set)
    bytes_seen: int = 0
    files_seen: int = 0

    def merge(self, other: Outcome) -> None:
        """Add what another read gave."""
        self.found.extend(other.found)
        self.problems.extend(other.problems)
        self.dicomdirs.extend(other.dicomdirs)
        self.paths |= other.paths
        self.bytes_seen += other.bytes_seen
        self.files_seen += other.files_seen


def scan_folder(
    root: str | os.PathLike[str],
    *,
    date_order: DateOrder = DateOrder.MDY,
    password: str | None = None,
    progress: Progress | None = None,
    cache: ScanCache | None = None,
    ocr_lang: str | None = "eng",
    workers: int | None = None,
) -> Inventory:
    """Read every file under ``root`` and turn them into classified, dated items.

    With a ``cache``, a file whose path, size and modification time are unchanged is not read
    again: what reading it gave last time is replayed. Scanned pages and photos get their text
    from Tesseract in ``ocr_lang`` (None: no OCR) when it is installed.

    Raises:
        InputFolderError: ``root`` is not a readable folder. Problems with single files never
            raise; they are returned in ``Inventory.problems``.
    """
    base = Path(root).absolute()
    if not base.is_dir():
        raise InputFolderError(
            f"{base}: not a folder", "give the folder that holds the records, e.g. ~/records"
        )
    files, problems = walk(base)
    collected = Outcome(found=[], problems=problems, dicomdirs=[])
    known = cache.lookup_folder(base, bool(password)) if cache else {}
    todo = [(rel, path) for rel, path in files if path not in known]
    fresh = dict(zip((rel for rel, _ in todo), _read_files(todo, password, workers), strict=True))
    for done, (rel, path) in enumerate(files, start=1):
        outcome = known.get(path)
        if outcome is None:
            outcome = fresh[rel]
            if cache:
                cache.store(Path(path), rel, bool(password), outcome)
        collected.merge(outcome)
        if progress:
            progress(done, len(files), "reading files")
    collected.problems.extend(_check_dicomdirs(collected))
    if ocr_lang:
        collected.problems.extend(apply_ocr(base, collected.found, ocr_lang, cache, progress))
    keys = [document_key(f, date_order) for f in collected.found if f.reading.dicom is None]
    memo = cache.derived(keys) if cache else None
    classified = set(memo or ())
    inventory = build_inventory(
        root=str(root),
        found=collected.found,
        problems=collected.problems,
        files_seen=collected.files_seen,
        bytes_seen=collected.bytes_seen,
        date_order=date_order,
        memo=memo,
    )
    if cache and memo is not None:
        cache.remember_derived({k: v for k, v in memo.items() if k not in classified})
    return inventory


PARALLEL_AFTER = 200  # files: below this, starting worker processes costs more than it saves
_CHUNK = 32  # files per task sent to a worker, so that messages stay few


def _read_files(
    todo: list[tuple[str, str]], password: str | None, workers: int | None
) -> Iterator[Outcome]:
    """Read files in order, in worker processes when there are many (and workers allowed)."""
    count = workers or os.cpu_count() or 1
    if count <= 1 or len(todo) < PARALLEL_AFTER:
        for rel, path in todo:
            yield _read_one(rel, path, password)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=count) as pool:
        rels = [rel for rel, _ in todo]
        paths = [path for _, path in todo]
        yield from pool.map(_read_one, rels, paths, [password] * len(todo), chunksize=_CHUNK)


def _read_one(rel: str, path: str | Path, password: str | None) -> Outcome:
    outcome = Outcome(found=[], problems=[], dicomdirs=[])
    _read_disk_file(rel, Path(path), outcome, password)
    return outcome


def walk(base: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """List the files under ``base`` in a stable order, following folder links once.

    Returns the files as (path relative to base, path) and the problems met on the way:
    unreadable folders, broken links, link loops. Paths stay strings: a folder of 10,000
    files would spend longer building path objects than walking.
    """
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    seen_dirs: set[tuple[int, int]] = set()

    def visit(folder: str, rel: str) -> None:
        try:
            st = os.stat(folder)  # noqa: PTH116 - strings, not Path objects, per folder
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(_os_problem(rel or ".", exc, "folder"))
            return
        if (st.st_dev, st.st_ino) in seen_dirs:
            problems.append(
                Problem(
                    rel,
                    Severity.WARNING,
                    "folder link loops back to a folder already scanned; not followed",
                    "nothing is missing: its files were read once already",
                )
            )
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_dir = entry.is_dir()  # follows links
                is_file = entry.is_file()
            except OSError as exc:
                problems.append(_os_problem(child, exc, "link"))
                continue
            if is_dir:
                visit(entry.path, child)
            elif is_file:
                files.append((child, entry.path))
            elif entry.is_symlink():
                problems.append(
                    Problem(
                        child,
                        Severity.ERROR,
                        "broken link: it points to a file that does not exist",
                        "copy the real file into the folder",
                    )
                )
            else:
                problems.append(
                    Problem(child, Severity.INFO, "not a regular file (device or pipe)")
                )

    visit(str(base), "")
    return files, problems


def _os_problem(rel: str, exc: OSError, what: str) -> Problem:
    if isinstance(exc, PermissionError):
        return Problem(
            rel,
            Severity.ERROR,
            f"{what} cannot be read: permission denied",
            "check its permissions, or copy it into a folder you own",
        )
    if exc.errno == 40:  # ELOOP: a link that points to itself
        return Problem(rel, Severity.ERROR, "link loop: the link points to itself", "remove it")
    return Problem(rel, Severity.ERROR, f"{what} cannot be read: {exc.strerror or exc}")


def _read_disk_file(rel: str, path: Path, out: Outcome, password: str | None) -> None:
    out.files_seen += 1
    if _JUNK.search(rel):
        out.problems.append(Problem(rel, Severity.INFO, "system file, not a record; ignored"))
        return
    if rel == PATIENT_FILE:
        out.problems.append(
            Problem(rel, Severity.INFO, "patient file: read for the cover, not a record")
        )
        return
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            out.bytes_seen += size
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise IsADirectoryError(21, "not a regular file")
            if size <= IN_MEMORY_BYTES:
                data = fh.read()
                digest = hashlib.sha256(data).hexdigest()
                _read_stream(rel, None, io.BytesIO(data), size, digest, out, password, depth=0)
            else:
                digest = _hash_stream(fh)
                fh.seek(0)
                _read_stream(rel, None, fh, size, digest, out, password, depth=0)
    except OSError as exc:
        out.problems.append(_os_problem(rel, exc, "file"))


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
    if kind is Kind.ZIP:
        _read_zip(where, stream, out, password, depth)
        return
    if kind is Kind.UNKNOWN:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                "not a format recordpack reads (PDF, DICOM, JPEG, PNG, TIFF, text)",
                "save or print it as PDF and add that instead",
            )
        )
        return
    if kind is Kind.DICOMDIR:
        try:
            out.dicomdirs.append((source, read_dicomdir(stream)))
        except ReadError as exc:
            out.problems.append(Problem(where, exc.severity, exc.message, exc.hint))
        return
    try:
        reading = read_file(kind, stream, size, password=password)
    except ReadError as exc:
        out.problems.append(Problem(where, exc.severity, exc.message, exc.hint))
        return
    out.problems.extend(Problem(where, w.severity, w.message, w.hint) for w in reading.warnings)
    out.found.append(Found(source, reading))


def _read_zip(where: str, stream: BinaryIO, out: Outcome, password: str | None, depth: int) -> None:
    """Read the members of a zip in memory, refusing unsafe names and bombs."""
    if depth >= MAX_ZIP_DEPTH:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                f"zip nested more than {MAX_ZIP_DEPTH} deep; not read",
                "extract it and add the files",
            )
        )
        return
    try:
        zf = zipfile.ZipFile(stream)
        members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        out.problems.append(
            Problem(where, Severity.ERROR, f"damaged zip file ({exc})", "download it again")
        )
        return
    names = {m.filename for m in members}
    if "[Content_Types].xml" in names:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                "Office document (Word, Excel or PowerPoint)",
                "save it as PDF and add the PDF instead",
            )
        )
        return
    declared = sum(m.file_size for m in members)
    if declared > MAX_ARCHIVE_BYTES:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                f"zip unpacks to {declared / 2**30:.1f} GiB, more than recordpack reads in place",
                "extract it with your file manager and scan the extracted folder",
            )
        )
        return
    with zf:
        for info in sorted(members, key=lambda m: m.filename):
            if info.is_dir():
                continue
            out.files_seen += 1
            _read_member(where, zf, info, out, password, depth)


def _read_member(
    archive: str,
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    out: Outcome,
    password: str | None,
    depth: int,
) -> None:
    name = info.filename.replace("\\", "/")
    where = f"{archive}!{name}"
    if _unsafe_member(name):
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                "unsafe path inside zip (absolute or with '..'): refused",
                "a zip like this could write outside its folder; ask the sender for a new one",
            )
        )
        return
    if _JUNK.search(name):
        out.problems.append(Problem(where, Severity.INFO, "system file, not a record; ignored"))
        return
    if info.flag_bits & 0x1:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                "password-protected file inside zip",
                "extract the zip with its password and scan the extracted folder",
            )
        )
        return
    too_big = info.file_size > MAX_MEMBER_BYTES
    bomb = info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
    if too_big or bomb:
        what = "compressed more than 100:1 (a zip bomb?)" if bomb else "too large to read in a zip"
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                f"{what}: {info.file_size / 2**20:,.0f} MiB; not read",
                "extract it and scan the extracted folder",
            )
        )
        return
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        out.problems.append(
            Problem(
                where, Severity.ERROR, f"damaged file inside zip ({exc})", "download the zip again"
            )
        )
        return
    if len(data) > info.file_size:
        out.problems.append(
            Problem(
                where,
                Severity.ERROR,
                "file inside zip is larger than the zip says; refused",
                "download the zip again from the original source",
            )
        )
        return
    out.bytes_seen += len(data)
    digest = hashlib.sha256(data).hexdigest()
    _read_stream(name, archive, io.BytesIO(data), len(data), digest, out, password, depth + 1)


def _unsafe_member(name: str) -> bool:
    return (
        name.startswith("/")
        or bool(re.match(r"^[A-Za-z]:", name))
        or ".." in PurePosixPath(name).parts
    )


def _check_dicomdirs(collected: Outcome) -> Iterator[Problem]:
    """Say whether the images each DICOMDIR lists are all there (copies of CDs often are not)."""
    for source, refs in collected.dicomdirs:
        folder = PurePosixPath(source.path).parent
        missing = [
            r for r in refs if (source.archive, str(folder / r).lower()) not in collected.paths
        ]
        where = source.display
        if missing:
            yield Problem(
                where,
                Severity.WARNING,
                f"DICOMDIR lists {len(refs)} images; {len(missing)} of them are not here "
                f"(first: {missing[0]})",
                "the copy of the imaging CD is incomplete: copy the whole disc again",
            )
        else:
            listed = f"lists {len(refs)} images, all found" if refs else "lists no images"
            yield Problem(where, Severity.INFO, f"DICOMDIR (index of an imaging CD) {listed}")


def read_source(root: Path, source: Source) -> bytes:
    """The bytes of a file found by a scan, from disk or from inside its zip(s), checked by hash.

    Raises:
        OSError: the file is gone, unreadable, or changed since the scan.
    """
    if source.archive is None:
        data = (root / source.path).read_bytes()
    else:
        outer, *nested = source.archive.split("!")
        data = (root / outer).read_bytes()
        for name in [*nested, source.path]:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                info = zf.getinfo(name)
                if info.file_size > MAX_MEMBER_BYTES:
                    raise OSError(f"{name}: too large to read from a zip")
                data = zf.read(info)
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise OSError(f"{source.display} changed since it was scanned; run the command again")
    return data


def apply_ocr(
    root: Path,
    found: list[Found],
    lang: str,
    cache: ScanCache | None,
    progress: Progress | None = None,
) -> list[Problem]:
    """Give scanned records the text Tesseract reads on them (in place, in ``found``).

    Results are kept in the cache by content hash and page, so a page is read once.
    """
    scanned = [
        n
        for n, f in enumerate(found)
        if f.reading.facts.get("scanned") and not f.reading.text.strip()
    ]
    if not scanned:
        return []
    if not ocr.tesseract():
        return [
            Problem(found[n].source.display, Severity.WARNING,
                    "scanned, not searchable: no text to classify, date or search",
                    "install Tesseract to read scans (apt-get install tesseract-ocr "
                    "tesseract-ocr-eng; brew install tesseract)")
            for n in scanned
        ]  # fmt: skip
    if missing := ocr.missing_languages(lang):
        return [
            Problem(
                ".",
                Severity.ERROR,
                f"OCR language not installed: {', '.join(missing)}",
                f"apt-get install tesseract-ocr-{missing[0]}, or pass --ocr-lang eng",
            )
        ]
    problems: list[Problem] = []
    work: list[tuple[int, int, bytes]] = []  # (found index, page, PNG)
    results: dict[tuple[int, int], ocr.OcrPage] = {}
    for n in scanned:
        source = found[n].source
        try:
            pages = _page_images(root, source)
        except (OSError, ValueError) as exc:
            problems.append(Problem(source.display, Severity.WARNING, f"OCR skipped: {exc}"))
            continue
        for page, png in pages:
            cached = cache.ocr_page(source.sha256, page, lang) if cache else None
            if cached:
                results[(n, page)] = cached
            else:
                work.append((n, page, png))
    done = ocr.read_pages(
        [png for _, _, png in work], lang,
        progress=(lambda d, t: progress(d, t, "reading scans (OCR)")) if progress else None,
    )  # fmt: skip
    for (n, page, _), result in zip(work, done, strict=True):
        if result is None:
            problems.append(
                Problem(
                    found[n].source.display,
                    Severity.WARNING,
                    f"OCR failed on page {page + 1}; it stays without text",
                )
            )
            continue
        results[(n, page)] = result
        if cache:
            cache.remember_ocr(found[n].source.sha256, page, lang, result)
    for n in scanned:
        read = [r for (i, _), r in sorted(results.items()) if i == n]
        if not read:
            continue
        reading = found[n].reading
        text = "\f".join(r.text for r in read)
        confidence = round(sum(r.confidence for r in read) / len(read), 1)
        facts = {
            **reading.facts,
            "ocr": {"pages": len(read), "confidence": confidence, "lang": lang},
        }
        found[n] = Found(found[n].source, dataclasses.replace(reading, text=text, facts=facts))
    return problems


def _page_images(root: Path, source: Source) -> list[tuple[int, bytes]]:
    """Upright PNGs of a scanned record's pages.

    The frames of an image, or the (first) image of each image-only page of a PDF.
    """
    from PIL import Image
    from pypdf import PdfReader

    data = read_source(root, source)
    pages: list[tuple[int, bytes]] = []
    if source.kind is Kind.PDF:
        reader = PdfReader(io.BytesIO(data))
        for number, page in enumerate(reader.pages[: ocr.MAX_PAGES_PER_PDF]):
            if page.extract_text().strip():
                continue
            images = page.images
            if images and (image := images[0].image) is not None:
                pages.append((number, ocr.prepare(image)))
        return pages
    with Image.open(io.BytesIO(data)) as img:
        for frame in range(getattr(img, "n_frames", 1)):
            img.seek(frame)
            pages.append((frame, ocr.prepare(img.copy() if frame else img)))
    return pages
