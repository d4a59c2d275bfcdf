"""Many patients, unattended: one packet each, in parallel, resumable, and shardable.

Jobs come from a folder of patient folders or from a CSV / JSON-lines manifest. Each job is
built in a worker process (or on a dask.distributed cluster); one job's failure is its own
result, never the batch's end. A job whose inputs and options have not changed since its last
successful build is skipped (its fingerprint is kept in the cache); files that have not changed
are not read again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import time
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recordpack import __version__
from recordpack.cache import ScanCache
from recordpack.checklist import Status
from recordpack.config import Config, Flags, resolve
from recordpack.errors import RecordpackError, RuleDataError, quiet_worker
from recordpack.models import Severity
from recordpack.options import CACHE_FILE, BuildOptions, Limits, Order, Profile, ReadOptions
from recordpack.results import BatchResult, BuildResult, JobResult
from recordpack.serialize import job_dict, job_from_dict

_MANIFEST_KEYS = {
    "folder",
    "output",
    "condition",
    "consult_date",
    "patient_file",
    "name",
    "dob",
    "question",
    "order",
    "profile",
    "bundle",
}


@dataclass(frozen=True, slots=True)
class Job:
    """One patient to build: a folder and the options that differ from the batch's."""

    id: str
    folder: str
    output: str | None = None
    condition: str | None = None
    consult_date: str | None = None
    patient_file: str | None = None
    name: str | None = None
    dob: str | None = None
    question: str | None = None
    order: str | None = None
    profile: str | None = None
    bundle: bool | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """What every job of a batch shares."""

    outdir: str
    cache: str
    config: Config
    force: bool = False
    encrypt_password: str | None = None
    password: str | None = None
    ocr_lang: str | None = "eng"
    limits: Limits = field(default_factory=Limits)


def read_jobs(source: Path) -> list[Job]:
    """Jobs from a folder of patient folders, or from a .csv / .jsonl manifest."""
    if source.is_dir():
        return [
            Job(id=entry.name, folder=str(entry))
            for entry in sorted(source.iterdir(), key=lambda e: e.name)
            if entry.is_dir() and not entry.name.startswith(".")
        ]
    if not source.is_file():
        raise RuleDataError(
            f"{source}: no such folder or manifest", "give a folder or a .csv/.jsonl file"
        )
    rows = _csv_rows(source) if source.suffix.lower() == ".csv" else _json_rows(source)
    jobs = [_job(row, source, f"{source}: row {n}") for n, row in enumerate(rows, start=1)]
    ids = [j.id for j in jobs]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise RuleDataError(
            f"{source}: two jobs would write '{duplicate}'", "give each row its own 'output'"
        )
    return jobs


def _csv_rows(source: Path) -> list[dict[str, Any]]:
    with source.open(newline="", encoding="utf-8-sig") as fh:
        return [{k: v for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(fh)]


def _json_rows(source: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise RuleDataError(f"{source}: line {n} is not JSON ({exc.msg})") from None
    return rows


def _job(row: dict[str, Any], source: Path, where: str) -> Job:
    unknown = set(row) - _MANIFEST_KEYS
    if unknown:
        raise RuleDataError(
            f"{where}: unknown column {sorted(unknown)[0]!r}",
            f"columns: {', '.join(sorted(_MANIFEST_KEYS))}",
        )
    if not row.get("folder"):
        raise RuleDataError(f"{where}: 'folder' is missing")
    folder = (source.parent / str(row["folder"])).resolve()
    values = {k: str(v) for k, v in row.items() if k not in ("folder", "bundle")}
    if "patient_file" in values:
        values["patient_file"] = str((source.parent / values["patient_file"]).resolve())
    bundle = row.get("bundle")
    if isinstance(bundle, str):
        bundle = bundle.strip().lower() in ("1", "true", "yes")
    return Job(id=values.get("output") or folder.name, folder=str(folder), bundle=bundle, **values)


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    """The K-th of N slices (1-based); a job's slice depends only on its id, never on the others."""
    if not 1 <= k <= n:
        raise RuleDataError(f"--shard {k}/{n}: K must be between 1 and N")
    return [job for job in jobs if zlib.crc32(job.id.encode()) % n == k - 1]


def build_job(job: Job, settings: Settings) -> JobResult:
    """Build one packet; never raises: the result says what happened."""
    from recordpack.pipeline import build_packet  # the readers load when there is work

    start = time.perf_counter()
    try:
        cache = ScanCache(Path(settings.cache))
    except sqlite3.Error as exc:
        return _failed(job, f"cache {settings.cache}: {exc}", start)
    try:
        options = _options(job, settings)
        fingerprint = _fingerprint(job, settings, options)
        previous = cache.patient(job.id)
        if not settings.force and previous and previous[0] == fingerprint:
            before = job_from_dict(previous[1])
            if before.output and Path(before.output).exists():
                return replace(before, status="unchanged", seconds=_since(start))
        result = _job_result(job, build_packet(Path(job.folder), options, cache=cache))
        cache.remember_patient(job.id, fingerprint, job_dict(result))
        return replace(result, seconds=_since(start))
    except (RecordpackError, OSError, ValueError) as exc:
        return _failed(job, str(exc).splitlines()[0], start)
    finally:
        cache.close()


def _job_result(job: Job, result: BuildResult) -> JobResult:
    report = result.check.report
    return JobResult(
        job=job.id,
        status="built",
        seconds=0.0,
        output=str(result.output),
        bundle=str(result.bundle) if result.bundle else None,
        pages=result.pages,
        items=len(result.placed),
        problems=tuple(p for p in result.problems if p.severity is not Severity.INFO),
        checklist=report.checklist.id,
        complete=report.complete,
        missing=tuple(
            r.item.id for r in report.results if r.status in (Status.MISSING, Status.STALE)
        ),
    )


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def _failed(job: Job, message: str, start: float) -> JobResult:
    return JobResult(job=job.id, status="failed", seconds=_since(start), error=message)


def _options(job: Job, settings: Settings) -> BuildOptions:
    """The job's build options: its own values, then the patient file's, then the config's."""
    folder, outdir = Path(job.folder), Path(settings.outdir)
    if not folder.is_dir():
        raise RuleDataError(f"{folder}: not a folder")
    asked = Flags(
        output=outdir / f"{job.output}.pdf" if job.output else None,
        patient_file=Path(job.patient_file) if job.patient_file else None,
        name=job.name,
        dob=_day(job.dob),
        condition=job.condition,
        questions=(job.question,) if job.question else (),
        consult_date=_day(job.consult_date),
        order=Order(job.order) if job.order else None,
        bundle=job.bundle,
        profile=Profile(job.profile) if job.profile else None,
        encrypt_password=settings.encrypt_password,
    )
    read = ReadOptions(
        date_order=settings.config.date_order,
        password=settings.password,
        ocr_lang=settings.ocr_lang,
        limits=settings.limits,
        workers=1,  # the batch's parallelism is one job per worker; more would oversubscribe
    )
    return resolve(folder, asked, settings.config, read, outdir)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _fingerprint(job: Job, settings: Settings, options: BuildOptions) -> str:
    """Changes when any input file, the patient file, the templates or an option changes."""
    h = hashlib.sha256(f"{__version__}\0{job}\0{settings.config}\0{options}".encode())
    folders = [Path(job.folder)] + ([Path(options.template_dir)] if options.template_dir else [])
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                try:
                    st = (Path(dirpath) / name).stat()
                except OSError:
                    continue
                h.update(f"{dirpath}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    if job.patient_file:
        patient = Path(job.patient_file)
        if patient.is_file():
            h.update(patient.read_bytes())
    return h.hexdigest()


def run_batch(
    jobs: list[Job],
    settings: Settings,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[JobResult], None] | None = None,
) -> BatchResult:
    """Build every job (on a dask cluster when a scheduler is given), in ``workers`` processes.

    ``on_result`` hears of each job as it ends. On Ctrl-C the temporary files of unfinished
    builds are removed before the interruption goes on.
    """
    started = time.perf_counter()
    results: list[JobResult] = []

    def collect(result: JobResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    outdir = Path(settings.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ScanCache(Path(settings.cache)).close()  # created once, before the workers open it
    try:
        if scheduler:
            run_dask(jobs, settings, scheduler, collect)
        else:
            run_local(jobs, settings, workers, collect)
    except KeyboardInterrupt:
        remove_partial_outputs(outdir)
        raise
    return BatchResult(tuple(results), round(time.perf_counter() - started, 3))


def run_local(
    jobs: list[Job], settings: Settings, workers: int, on_result: Callable[[JobResult], None]
) -> None:
    """Build the jobs in ``workers`` processes; results arrive as each job ends."""
    if workers <= 1:
        for job in jobs:
            on_result(build_job(job, settings))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=quiet_worker) as pool:
        pending: set[Future[JobResult]] = {pool.submit(build_job, job, settings) for job in jobs}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_result(future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def run_dask(
    jobs: list[Job], settings: Settings, scheduler: str, on_result: Callable[[JobResult], None]
) -> None:
    """Build the jobs on an existing dask.distributed cluster (``pip install recordpack[dask]``)."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:
        raise RecordpackError(
            "the dask executor needs dask.distributed", "pip install 'recordpack[dask]'"
        ) from exc
    with Client(scheduler, timeout=30) as client:  # type: ignore[no-untyped-call]
        futures = client.map(build_job, jobs, settings=settings, pure=False)
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                on_result(future.result())
        except BaseException:
            client.cancel(futures)
            raise


def remove_partial_outputs(outdir: Path) -> int:
    """After an interruption: delete the temporary files and folders a killed build left.

    Every temporary name recordpack makes in the output folder starts with a dot; the cache
    (also hidden) is kept.
    """
    removed = 0
    for path in outdir.glob(".*"):
        if path.name.startswith(CACHE_FILE):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed
