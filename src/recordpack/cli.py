"""The command line: options in, a library call, output and an exit code out. No logic here.

Errors become exit codes in one place, :class:`_ErrorBoundary`: each error type carries its
code (see the README's table); anything else is recordpack's own bug, shown as one line
(the traceback only with ``--verbose``, since tracebacks can quote patient data).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from recordpack import __version__, console
from recordpack.batch import CACHE_FILE, Settings, read_jobs, run_batch, shard
from recordpack.cache import ScanCache, default_cache_path
from recordpack.checklist import bundled_checklists, load_checklist
from recordpack.config import load_config
from recordpack.errors import ExitCode, OutputError, RecordpackError, UsageError
from recordpack.models import DateOrder, Timeline
from recordpack.options import BuildOptions, Order, Paper, Profile, ReadOptions, today
from recordpack.outputs import write_atomically
from recordpack.patient import PATIENT_FILE, load_patient, patient_template, resolve_patient
from recordpack.pipeline import build_packet, check_records, scan_folder
from recordpack.results import JobResult
from recordpack.serialize import (
    batch_summary,
    build_dict,
    job_dict,
    report_dict,
    timeline_csv,
    timeline_dict,
)
from recordpack.timeline import build_timeline

_state = {"verbose": False}


class _ErrorBoundary(TyperGroup):
    """Every command runs inside this: library errors become a message and their exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's: usage errors, exits
            raise
        except RecordpackError as exc:
            code, message = exc.exit_code, str(exc)
        except KeyboardInterrupt:
            code, message = ExitCode.INTERRUPTED, "interrupted; no partial files were left"
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                code, message = ExitCode.BUG, _bug(exc)
            else:
                code, message = ExitCode.OUTPUT, f"cannot write: {exc.strerror}"
        except Exception as exc:
            code, message = ExitCode.BUG, _bug(exc)
        if _state["verbose"]:
            traceback.print_exc()
        console.print_error(message)
        raise typer.Exit(code)


def _bug(exc: BaseException) -> str:
    return (
        f"internal error ({type(exc).__name__}); nothing was written. Run again with --verbose "
        "for the details (they may show patient data) and report it"
    )


app = typer.Typer(
    name="recordpack",
    cls=_ErrorBoundary,
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
PatientFileOpt = Annotated[
    Path | None,
    typer.Option("--patient-file", help="patient.toml [FOLDER/patient.toml if present]."),
]
ConsultDateOpt = Annotated[
    dt.datetime | None,
    typer.Option("--consult-date", formats=["%Y-%m-%d"], help="Date of the consult [today]."),
]


@dataclass(frozen=True, slots=True)
class Reading:
    """The options every command that reads a folder shares, gathered once."""

    read: ReadOptions
    quiet: bool = False
    cache: Path | None = None
    no_cache: bool = False


def _reading(
    date_order: DateOrder,
    password: str | None,
    ocr_lang: str,
    no_ocr: bool,
    cache: Path | None,
    no_cache: bool,
    quiet: bool,
) -> Reading:
    read = ReadOptions(date_order=date_order, password=password,
                       ocr_lang=None if no_ocr else ocr_lang)  # fmt: skip
    return Reading(read, quiet, cache, no_cache)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(
            f"recordpack {__version__} (pypdf {version('pypdf')}, pydicom {version('pydicom')})"
        )
        raise typer.Exit


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks (they may show patient data).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions.")
    ] = False,
) -> None:
    _state["verbose"] = verbose


@contextmanager
def _cache(path: Path | None, off: bool) -> Iterator[ScanCache]:
    """The cache of file readings and OCR: the user's own by default, in memory with --no-cache."""
    cache = ScanCache(None if off else path or default_cache_path())
    try:
        yield cache
    finally:
        cache.close()


def _timeline(folder: Path, how: Reading) -> Timeline:
    with console.scan_progress(how.quiet) as progress, _cache(how.cache, how.no_cache) as cache:
        inventory = scan_folder(folder, how.read, cache=cache, progress=progress)
    return build_timeline(inventory)


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def scan(
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
    how = _reading(date_order, password, ocr_lang, no_ocr, cache, no_cache, quiet or json_out)
    timeline = _timeline(folder, how)
    if json_out:
        _emit_json(timeline_dict(timeline))
    elif not quiet:
        console.print_summary(timeline)


@app.command()
def timeline(
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
    data_out = json_out or csv_out
    result = _timeline(
        folder, _reading(date_order, password, ocr_lang, no_ocr, cache, no_cache, quiet or data_out)
    )
    if json_out:
        _emit_json(timeline_dict(result))
    elif csv_out:
        typer.echo(timeline_csv(result), nl=False)
    else:
        console.print_timeline(result)


@app.command()
def check(
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
    consult_date: ConsultDateOpt = None,
    patient_file: PatientFileOpt = None,
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
    how = _reading(date_order, password, ocr_lang, no_ocr, cache, no_cache, quiet or json_out)
    result = _timeline(folder, how)
    patient = resolve_patient(folder, patient_file)
    checked = check_records(
        result,
        checklist=str(checklist_file) if checklist_file else condition,
        patient=patient,
        consult_date=consult_date.date() if consult_date else patient.consult_date or today(),
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
    name: Annotated[str, typer.Argument(help="Checklist id, alias or TOML path.")],
) -> None:
    """Print one checklist in full: items, why each matters, whom to ask."""
    console.print_checklist(load_checklist(name))


@app.command()
def build(
    folder: Folder,
    output: Annotated[Path, typer.Option("--output", "-o", help="The packet PDF to write.")],
    patient_file: PatientFileOpt = None,
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
    consult_date: ConsultDateOpt = None,
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
    how = _reading(date_order, password, ocr_lang, no_ocr, cache, no_cache, quiet or json_out)
    patient = resolve_patient(folder, patient_file, name=name, dob=dob.date() if dob else None,
                              condition=condition, questions=tuple(question or ()))  # fmt: skip
    options = BuildOptions(
        output=output, patient=patient, read=how.read, checklist=patient.condition or None,
        consult_date=consult_date.date() if consult_date else None, order=order,
        template_dir=str(template) if template else None,
        encrypt_password=_packet_password(encrypt, encrypt_env, no_input),
        attach_originals=attach_originals, bundle=bundle, profile=profile,
        allow_inside=allow_inside, paper=paper,
    )  # fmt: skip
    with console.scan_progress(how.quiet) as progress, _cache(cache, no_cache) as scan_cache:
        result = build_packet(folder, options, progress=progress, cache=scan_cache)
    if json_out:
        _emit_json(build_dict(result))
    elif not quiet:
        console.print_build(result)


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
    if target.exists() and not force:
        raise OutputError(f"{target} exists already", "edit it, or pass --force to replace it")
    answers = _ask_patient() if not no_input and sys.stdin.isatty() else {}
    write_atomically(target, patient_template(**answers).encode())
    load_patient(target)  # what we wrote must read back
    console.err.print(f"wrote {target}: edit it, then run recordpack build {folder} -o packet.pdf")


def _ask_patient() -> dict[str, str]:
    def ask(question: str) -> str:
        return str(typer.prompt(question, default="", show_default=False))

    return {
        "name": ask("Patient name, as on the ID"),
        "dob": ask("Date of birth (YYYY-MM-DD)"),
        "condition": ask("Condition (e.g. breast-cancer)"),
        "question": ask("Your question for the second doctor"),
    }


class Executor(StrEnum):
    """Where batch jobs run."""

    LOCAL = "local"
    DASK = "dask"


@app.command()
def batch(
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
    if executor is Executor.DASK and not scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS")
    config = load_config(config_file)
    todo = _shard(read_jobs(jobs), shard_spec)
    settings = Settings(outdir=str(outdir.absolute()),
                        cache=str((cache or outdir / CACHE_FILE).absolute()), config=config,
                        force=force, encrypt_password=_config_password(config), password=password,
                        ocr_lang=None if no_ocr else ocr_lang)  # fmt: skip
    with console.batch_progress(len(todo), quiet or json_out) as advance:

        def on_result(result: JobResult) -> None:
            if json_out:
                typer.echo(json.dumps(job_dict(result), ensure_ascii=False))
            advance(result)

        done = run_batch(todo, settings, workers=workers or os.cpu_count() or 1,
                         scheduler=scheduler if executor is Executor.DASK else None,
                         on_result=on_result)  # fmt: skip
    if json_out:
        typer.echo(json.dumps(batch_summary(done)))
    elif not quiet:
        console.print_batch(done)
    if done.count("failed"):
        raise typer.Exit(ExitCode.BATCH_FAILED)
    if strict and done.incomplete:
        raise typer.Exit(ExitCode.INCOMPLETE)


def _shard(jobs: list[Any], spec: str | None) -> list[Any]:
    if not spec:
        return jobs
    k, _, n = spec.partition("/")
    if not (k.isdigit() and n.isdigit()):
        raise UsageError(f"--shard {spec}: expected K/N, e.g. 2/8")
    return shard(jobs, int(k), int(n))


def _config_password(config: Any) -> str | None:
    """The packets' password, from the variable the clinic's config names (if any)."""
    if not config.encrypt_env:
        return None
    secret = os.environ.get(config.encrypt_env)
    if not secret:
        raise RecordpackError(
            f"{config.path}: encrypt_env is set but ${config.encrypt_env} is empty",
            f"set {config.encrypt_env} in the environment",
        )
    return secret


def main() -> None:
    """Console entry point."""
    app()
