"""The command line: options in, a library call, output and an exit code out. No logic here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from recordpack import __version__, console
from recordpack.batch import (
    CACHE_FILE,
    Settings,
    read_jobs,
    remove_partial_outputs,
    run_dask,
    run_local,
    shard,
    summarize,
)
from recordpack.cache import ScanCache, default_cache_path
from recordpack.checklist import bundled_checklists, load_checklist
from recordpack.config import load_config
from recordpack.errors import ExitCode, OutputError, RecordpackError
from recordpack.export import write_atomically
from recordpack.models import DateOrder, Timeline
from recordpack.patient import load_patient, patient_template
from recordpack.pipeline import BuildOptions, Order, Profile, build_packet, check_records
from recordpack.render.scans import Paper
from recordpack.scan import PATIENT_FILE, scan_folder
from recordpack.serialize import build_dict, report_dict, timeline_csv, timeline_dict
from recordpack.timeline import build_timeline

app = typer.Typer(
    name="recordpack",
    help="Turn a folder of medical records into one packet a second-opinion doctor can read.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold patient data
    add_completion=False,
)

Folder = Annotated[
    Path, typer.Argument(help="Folder of records (PDFs, scans, DICOM, zips).", show_default=False)
]
DateOrderOpt = Annotated[
    DateOrder,
    typer.Option(
        "--date-order", help="How to read numeric dates like 03/04/2024.", case_sensitive=False
    ),
]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        envvar="RECORDPACK_PASSWORD",
        show_envvar=True,
        help="Password for encrypted PDFs (prefer the environment variable).",
    ),
]
OcrLangOpt = Annotated[
    str, typer.Option("--ocr-lang", help="Tesseract languages for scans, e.g. eng+deu.")
]
NoOcrOpt = Annotated[bool, typer.Option("--no-ocr", help="Do not read scans with Tesseract.")]
CacheOpt = Annotated[
    Path | None,
    typer.Option("--cache", help="Cache of readings and OCR [~/.cache/recordpack/cache.sqlite]."),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Keep nothing between runs.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]


def _version(value: bool) -> None:
    if value:
        import pydicom
        import pypdf

        typer.echo(
            f"recordpack {__version__} (pypdf {pypdf.__version__}, pydicom {pydicom.__version__})"
        )
        raise typer.Exit


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions.")
    ] = False,
) -> None:
    ctx.obj = {"verbose": verbose}


def _today() -> dt.date:
    """The consult date when none is given: today, on this machine's clock."""
    return dt.datetime.now().astimezone().date()


@contextmanager
def _exit_codes(ctx: typer.Context) -> Iterator[None]:
    """The one place library errors become messages and exit codes (tracebacks with --verbose)."""
    try:
        yield
    except RecordpackError as exc:
        if ctx.find_root().obj.get("verbose"):
            raise
        console.print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        console.print_error("interrupted; no partial files were left")
        raise typer.Exit(ExitCode.INTERRUPTED) from None


@contextmanager
def _cache(path: Path | None, off: bool) -> Iterator[ScanCache]:
    """The cache of file readings and OCR: the user's own by default, in memory with --no-cache."""
    cache = ScanCache(None if off else path or default_cache_path())
    try:
        yield cache
    finally:
        cache.close()


def _timeline(
    ctx: typer.Context,
    folder: Path,
    date_order: DateOrder,
    password: str | None,
    quiet: bool,
    scan: ScanOptions,
) -> Timeline:
    with (
        _exit_codes(ctx),
        console.scan_progress(quiet) as progress,
        _cache(scan.cache, scan.no_cache) as cache,
    ):
        inventory = scan_folder(
            folder,
            date_order=date_order,
            password=password,
            progress=progress,
            cache=cache,
            ocr_lang=None if scan.no_ocr else scan.ocr_lang,
        )
    return build_timeline(inventory)


@dataclasses.dataclass(frozen=True, slots=True)
class ScanOptions:
    """Options every command that reads a folder shares."""

    ocr_lang: str = "eng"
    no_ocr: bool = False
    cache: Path | None = None
    no_cache: bool = False


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def scan(
    ctx: typer.Context,
    folder: Folder,
    json_out: JsonOpt = False,
    date_order: DateOrderOpt = DateOrder.MDY,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Read every file in FOLDER and report what was found and what could not be used."""
    timeline = _timeline(
        ctx,
        folder,
        date_order,
        password,
        quiet or json_out,
        ScanOptions(ocr_lang, no_ocr, cache, no_cache),
    )
    if json_out:
        _emit_json(timeline_dict(timeline))
    elif not quiet:
        console.print_summary(timeline)


@app.command()
def timeline(
    ctx: typer.Context,
    folder: Folder,
    json_out: JsonOpt = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV on stdout.")] = False,
    date_order: DateOrderOpt = DateOrder.MDY,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Show the records in FOLDER as a numbered timeline: date, category, title, source."""
    result = _timeline(
        ctx,
        folder,
        date_order,
        password,
        quiet or json_out or csv_out,
        ScanOptions(ocr_lang, no_ocr, cache, no_cache),
    )
    if json_out:
        _emit_json(timeline_dict(result))
    elif csv_out:
        typer.echo(timeline_csv(result), nl=False)
    else:
        console.print_timeline(result)


@app.command()
def check(
    ctx: typer.Context,
    folder: Folder,
    condition: Annotated[
        str | None,
        typer.Option(
            "--condition", "-c", help="Condition id or alias (see `recordpack checklists`)."
        ),
    ] = None,
    checklist_file: Annotated[
        Path | None, typer.Option("--checklist", help="Use your own checklist TOML file.")
    ] = None,
    consult_date: Annotated[
        dt.datetime | None,
        typer.Option("--consult-date", formats=["%Y-%m-%d"], help="Date of the consult [today]."),
    ] = None,
    patient_file: Annotated[
        Path | None,
        typer.Option("--patient-file", help="patient.toml [FOLDER/patient.toml if present]."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a required item is missing or stale.")
    ] = False,
    json_out: JsonOpt = False,
    date_order: DateOrderOpt = DateOrder.MDY,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Check FOLDER against a condition's checklist: what is present, missing or stale, and why."""
    result = _timeline(
        ctx,
        folder,
        date_order,
        password,
        quiet or json_out,
        ScanOptions(ocr_lang, no_ocr, cache, no_cache),
    )
    with _exit_codes(ctx):
        patient = load_patient(patient_file or _patient_in(folder))
        checked = check_records(
            result,
            checklist=str(checklist_file) if checklist_file else condition,
            patient=patient,
            consult_date=(
                consult_date.date() if consult_date else patient.consult_date or _today()
            ),
            date_order=date_order,
        )
    if json_out:
        _emit_json(report_dict(checked.report, checked.mismatches, checked.translation))
    else:
        console.print_check(checked)
    if strict and not checked.report.complete:
        raise typer.Exit(ExitCode.INCOMPLETE)


checklists_app = typer.Typer(help="The bundled condition checklists.", invoke_without_command=True)
app.add_typer(checklists_app, name="checklists")


@checklists_app.callback()
def checklists(ctx: typer.Context) -> None:
    """List the bundled condition checklists."""
    if ctx.invoked_subcommand is None:
        console.print_checklists(bundled_checklists())


@checklists_app.command("show")
def checklists_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Checklist id, alias or TOML path.")],
) -> None:
    """Print one checklist in full: items, why each matters, whom to ask."""
    with _exit_codes(ctx):
        console.print_checklist(load_checklist(name))


@app.command()
def build(
    ctx: typer.Context,
    folder: Folder,
    output: Annotated[Path, typer.Option("--output", "-o", help="The packet PDF to write.")],
    patient_file: Annotated[
        Path | None,
        typer.Option("--patient-file", help="patient.toml [FOLDER/patient.toml if present]."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Patient name (as on the ID).")] = None,
    dob: Annotated[
        dt.datetime | None, typer.Option("--dob", formats=["%Y-%m-%d"], help="Date of birth.")
    ] = None,
    condition: Annotated[
        str | None, typer.Option("--condition", "-c", help="Checklist id, alias or TOML path.")
    ] = None,
    question: Annotated[
        list[str] | None, typer.Option("--question", help="A question for the second doctor.")
    ] = None,
    consult_date: Annotated[
        dt.datetime | None,
        typer.Option("--consult-date", formats=["%Y-%m-%d"], help="Date of the consult [today]."),
    ] = None,
    order: Annotated[
        Order,
        typer.Option("--order", help="sections: grouped by kind; date: one chronological run."),
    ] = Order.SECTIONS,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Folder of templates overriding the bundled ones."),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle", help="Also write a bundle (folder, or .zip): PDF, DICOMDIR, originals."
        ),
    ] = None,
    profile: Annotated[
        Profile | None,
        typer.Option("--profile", help="full: PDF + original images; reports: the PDF alone."),
    ] = None,
    attach_originals: Annotated[
        bool, typer.Option("--attach-originals", help="Embed the DICOM files in the PDF (large).")
    ] = False,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Protect the PDF with a password (AES-256).")
    ] = False,
    encrypt_env: Annotated[
        str, typer.Option("--encrypt-env", help="Environment variable holding that password.")
    ] = "RECORDPACK_PACKET_PASSWORD",
    allow_inside: Annotated[
        bool, typer.Option("--allow-inside", help="Allow writing into the records folder.")
    ] = False,
    paper: Annotated[
        Paper | None, typer.Option("--paper", help="Page size for photos and scans [by locale].")
    ] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt.")] = False,
    json_out: JsonOpt = False,
    date_order: DateOrderOpt = DateOrder.MDY,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Build the packet: a cover for the second doctor, every record bookmarked, key images."""
    with _exit_codes(ctx):
        patient = load_patient(patient_file or _patient_in(folder))
        patient = dataclasses.replace(
            patient,
            name=name or patient.name,
            dob=dob.date() if dob else patient.dob,
            condition=condition or patient.condition,
            questions=tuple(question) if question else patient.questions,
        )
        options = BuildOptions(
            output=output,
            patient=patient,
            checklist=patient.condition or None,
            consult_date=consult_date.date() if consult_date else None,
            date_order=date_order,
            password=password,
            order=order,
            template_dir=str(template) if template else None,
            encrypt_password=_packet_password(encrypt, encrypt_env, no_input),
            attach_originals=attach_originals,
            bundle=bundle,
            profile=profile,
            allow_inside=allow_inside,
            ocr_lang=None if no_ocr else ocr_lang,
            paper=paper,
        )
        with (
            console.scan_progress(quiet or json_out) as progress,
            _cache(cache, no_cache) as scan_cache,
        ):
            result = build_packet(folder, options, progress=progress, cache=scan_cache)
    if json_out:
        _emit_json(build_dict(result))
    elif not quiet:
        console.print_build(result)


def _patient_in(folder: Path) -> Path | None:
    """The records folder's own patient.toml, used when no --patient-file is given."""
    candidate = folder / PATIENT_FILE
    return candidate if candidate.is_file() else None


def _packet_password(encrypt: bool, variable: str, no_input: bool) -> str | None:
    """The packet password: from the environment, or asked for on a terminal; never an argument."""
    if not encrypt:
        return None
    if secret := os.environ.get(variable):
        return secret
    if no_input or not sys.stdin.isatty():
        raise RecordpackError(
            f"--encrypt needs a password and ${variable} is not set",
            f"set {variable} in the environment (scripts), or run in a terminal to be asked",
        )
    secret = typer.prompt("Password for the packet", hide_input=True, confirmation_prompt=True)
    return str(secret)


@app.command()
def init(
    ctx: typer.Context,
    folder: Folder,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Write the template without asking.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing patient.toml.")
    ] = False,
) -> None:
    """Write a commented patient.toml into FOLDER (asks a few questions in a terminal)."""
    target = folder / PATIENT_FILE
    with _exit_codes(ctx):
        if target.exists() and not force:
            raise OutputError(f"{target} exists already", "edit it, or pass --force to replace it")
        answers: dict[str, str] = {}
        if not no_input and sys.stdin.isatty():
            answers = {
                "name": typer.prompt("Patient name, as on the ID", default="", show_default=False),
                "dob": typer.prompt("Date of birth (YYYY-MM-DD)", default="", show_default=False),
                "condition": typer.prompt(
                    "Condition (e.g. breast-cancer)", default="", show_default=False
                ),
                "question": typer.prompt(
                    "Your question for the second doctor", default="", show_default=False
                ),
            }
        write_atomically(target, patient_template(**answers).encode())
        load_patient(target)  # what we wrote must read back
    console.err.print(f"wrote {target}: edit it, then run recordpack build {folder} -o packet.pdf")


class Executor(StrEnum):
    """Where batch jobs run."""

    LOCAL = "local"
    DASK = "dask"


@app.command()
def batch(
    ctx: typer.Context,
    jobs: Annotated[
        Path,
        typer.Argument(
            help="Folder of patient folders, or a .csv / .jsonl manifest.", show_default=False
        ),
    ],
    outdir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the packets.")],
    workers: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes [CPU count].")
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help=f"Cache file [OUTDIR/{CACHE_FILE}].")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild unchanged patients too.")] = False,
    shard_spec: Annotated[
        str | None, typer.Option("--shard", help="Only the K-th of N slices, e.g. 2/8.")
    ] = None,
    executor: Annotated[
        Executor, typer.Option("--executor", help="local processes, or a dask.distributed cluster.")
    ] = Executor.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="recordpack.toml [./recordpack.toml if present]."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a packet misses required items.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON line per patient, then a summary.")
    ] = False,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
) -> None:
    """Build one packet per patient, in parallel; unchanged patients are skipped."""
    started = time.perf_counter()
    with _exit_codes(ctx):
        config = load_config(config_file)
        todo = read_jobs(jobs)
        if shard_spec:
            k, _, n = shard_spec.partition("/")
            if not (k.isdigit() and n.isdigit()):
                raise RecordpackError(f"--shard {shard_spec}: expected K/N, e.g. 2/8")
            todo = shard(todo, int(k), int(n))
        secret = os.environ.get(config.encrypt_env) if config.encrypt_env else None
        if config.encrypt_env and not secret:
            raise RecordpackError(
                f"{config.path}: encrypt_env is set but ${config.encrypt_env} is empty",
                f"set {config.encrypt_env} in the environment",
            )
        settings = Settings(
            outdir=str(outdir.absolute()),
            cache=str((cache or outdir / CACHE_FILE).absolute()),
            config=config,
            force=force,
            encrypt_password=secret,
            password=password,
            ocr_lang=None if no_ocr else ocr_lang,
        )
        outdir.mkdir(parents=True, exist_ok=True)
        ScanCache(Path(settings.cache)).close()  # created once, before the workers open it
        results: list[dict[str, object]] = []
        with console.batch_progress(len(todo), quiet or json_out) as advance:

            def on_result(result: dict[str, object]) -> None:
                results.append(result)
                if json_out:
                    typer.echo(json.dumps(result, ensure_ascii=False))
                advance(result)

            try:
                if executor is Executor.DASK:
                    if not scheduler:
                        raise RecordpackError("--executor dask needs --scheduler ADDRESS")
                    run_dask(todo, settings, scheduler, on_result)
                else:
                    run_local(todo, settings, workers or os.cpu_count() or 1, on_result)
            except KeyboardInterrupt:
                remove_partial_outputs(outdir)
                raise
    summary = summarize(results, time.perf_counter() - started)
    if json_out:
        typer.echo(json.dumps(summary))
    elif not quiet:
        console.print_batch(results, summary)
    if summary["failed"]:
        raise typer.Exit(ExitCode.BATCH_FAILED)
    if strict and summary["incomplete"]:
        raise typer.Exit(ExitCode.INCOMPLETE)


def main() -> None:
    """Console entry point."""
    app()
