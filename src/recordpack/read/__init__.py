"""Stage 1, read: walk a records folder and read every file in it, zips included, changing nothing.

Every file found ends in one of two places: a :class:`~recordpack.models.Found` (a reader's
findings) or a :class:`~recordpack.models.Problem` that says what is wrong and what to do.
With a cache, an unchanged file (same path, size and modification time) is not read again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from recordpack.context import Context, collector_paused
from recordpack.errors import InputFolderError, quiet_worker
from recordpack.models import Outcome, Problem, Severity
from recordpack.read import xdm
from recordpack.read.files import media_files, media_problem, read_disk_file
from recordpack.read.ocr import apply_ocr
from recordpack.read.walk import os_problem, walk

PARALLEL_AFTER = 200  # files: below this, starting worker processes costs more than it saves
_CHUNK = 32  # files per task sent to a worker, so that messages stay few


def read_folder(ctx: Context) -> Outcome:
    """Read every file under the context's root (OCR for scans when a language is set).

    Raises:
        InputFolderError: the root is not a readable folder. Problems with single files never
            raise; they are returned in ``Outcome.problems``.
    """
    base = ctx.root.absolute()
    if not base.is_dir():
        raise InputFolderError(
            f"{base}: not a folder", "give the folder that holds the records, e.g. ~/records"
        )
    files, problems = walk(base)
    media = media_files([rel for rel, _ in files])
    problems += [media_problem(rel) for rel, _ in files if rel in media]
    files = [(rel, path) for rel, path in files if rel not in media]
    collected = Outcome(found=[], problems=problems, dicomdirs=[])
    password = ctx.options.password
    known: dict[str, Outcome] = {}
    if ctx.cache:
        with collector_paused():
            known = ctx.cache.lookup_folder(base, bool(password))
    todo = [(rel, path) for rel, path in files if path not in known]
    fresh = dict(zip((rel for rel, _ in todo), _read_files(todo, password, ctx), strict=True))
    for done, (rel, path) in enumerate(files, start=1):
        outcome = known.get(path)
        if outcome is None:
            outcome = fresh[rel]
            if ctx.cache and not limited(outcome.problems):
                ctx.cache.store(path, bool(password), outcome)
        collected.merge(outcome)
        ctx.report(done, len(files), "reading files")
    collected.problems.extend(_check_dicomdirs(collected))
    collected.problems.extend(_xdm_on_disk(base, media, collected))
    if ctx.options.ocr_lang:
        collected.problems.extend(apply_ocr(ctx, collected.found, ctx.options.ocr_lang))
    return collected


def fingerprint(root: Path) -> str | None:
    """What a scan of ``root`` depends on: each file's path, size and time, and what the walk met.

    None when ``root`` is not a folder (reading it says so).
    """
    base = root.absolute()
    if not base.is_dir():
        return None
    files, problems = walk(base)
    digest = hashlib.sha256()
    for rel, path in files:
        try:
            st = os.stat(path)  # noqa: PTH116 - strings, one call per file
            state = f"{st.st_size}\0{st.st_mtime_ns}"
        except OSError as exc:
            state = f"{exc.errno}"
        digest.update(f"{rel}\0{state}\n".encode(errors="surrogateescape"))
    for problem in problems:
        digest.update(f"{problem.path}\0{problem.message}\n".encode(errors="surrogateescape"))
    return digest.hexdigest()


def limited(problems: Iterable[Problem]) -> bool:
    """Whether a file was stopped at a limit; what reading it gave is then not kept.

    It is read again next time: the limit may have been raised, or a busy machine was slow.
    """
    return any("--limit" in p.hint for p in problems)


def _xdm_on_disk(base: Path, media: set[str], collected: Outcome) -> list[Problem]:
    """Titles and dates from the indexes of IHE XDM media copied into the folder."""
    problems: list[Problem] = []
    for rel in sorted(m for m in media if xdm.METADATA.search(m)):
        try:
            with (base / rel).open("rb") as fh:
                entries, found = xdm.read_metadata(fh.read(xdm.MAX_METADATA_BYTES), rel)
        except OSError as exc:
            problems.append(os_problem(rel, exc, "file"))
            continue
        problems += found + xdm.annotate(collected.found, entries, None)
    return problems


def _read_files(
    todo: list[tuple[str, str]], password: str | None, ctx: Context
) -> Iterator[Outcome]:
    """Read files in order, in worker processes when there are many (and workers allowed)."""
    count = ctx.options.workers or os.cpu_count() or 1
    if count <= 1 or len(todo) < PARALLEL_AFTER:
        for rel, path in todo:
            yield read_disk_file(rel, path, ctx.options)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=count, initializer=quiet_worker) as pool:
        rels = [rel for rel, _ in todo]
        paths = [path for _, path in todo]
        options = [ctx.options] * len(todo)
        yield from pool.map(read_disk_file, rels, paths, options, chunksize=_CHUNK)


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
