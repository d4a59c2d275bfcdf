"""The command line: options in, a library call, output and an exit code out. No logic here.

Errors become exit codes in one place, :class:`_ErrorBoundary`: each error type carries its
code (see the README's table); anything else is recordpack's own bug, shown as one line
(the traceback only with ``--verbose``, since tracebacks can quote patient data).
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import importlib.util
import inspect
import json
import os
import signal
import sys
import tomllib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from recordpack import __version__
from recordpack.options import (
    CACHE_FILE,
    BuildOptions,
    DateOrder,
    Limits,
    Order,
    Paper,
    Profile,
    ReadOptions,
    today,
)

if TYPE_CHECKING:  # the same modules, loaded when a command first uses them (see _lazy)
    from recordpack import checklist, console, errors, outputs, pipeline, serialize
    from recordpack.cache import ScanCache
    from recordpack.config import Config
    from recordpack.models import Timeline
    from recordpack.patient import Patient
    from recordpack.results import BatchResult, CheckResult, JobResult

_state = {"verbose": False}


def _lazy(name: str) -> ModuleType:
    """Module ``name``, loaded when first used (importlib's LazyLoader).

    ``--help`` and ``--version`` need neither: the pipeline pulls in pydicom, pypdf and numpy,
    the console rich; both are most of start-up.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if not TYPE_CHECKING:
    checklist, console, errors, outputs, pipeline, serialize = (
        _lazy(f"recordpack.{name}")
        for name in ("checklist", "console", "errors", "outputs", "pipeline", "serialize")
    )


class _PlainHelp:
    """Help in plain words, as click writes it (no help renderer to load at start-up).

    A flag shows no value (typer would show ``<bool>``), and each command's first sentence is
    shown whole in the list of commands, wrapped rather than cut at 45 characters.
    """

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""  # --help and the completion options typer adds
        return params

    def get_short_help_str(self, limit: int = 45) -> str:
        return str(getattr(self, "help", None) or "").strip().split("\n\n")[0]


class _Command(_PlainHelp, TyperCommand):
    """A command of recordpack."""


class _ErrorBoundary(_PlainHelp, TyperGroup):
    """Every command runs inside this: library errors become a message and their exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException):  # typer's own: usage errors (2), exits
            raise
        except typer.Abort:  # Ctrl-C or end of input at a prompt
            console.print_error("interrupted; nothing was written")
            raise typer.Exit(errors.ExitCode.INTERRUPTED) from None
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            sys.stderr = open(os.devnull, "w")  # noqa: PTH123, SIM115 - silence the flush at exit
            raise typer.Exit(errors.ExitCode.BROKEN_PIPE) from None
        except (Exception, KeyboardInterrupt) as exc:
            code, message = _exit_for(exc)
            if _state["verbose"]:
                traceback.print_exception(exc)
            console.print_error(message)
            raise typer.Exit(code) from None


_MACHINE_FAULTS = {  # errno: what to do; nothing was left behind either way
    errno.ENOSPC: "free some space or write elsewhere",
    errno.EDQUOT: "free some space within your quota or write elsewhere",
    errno.EFBIG: "write elsewhere: this drive or your limits take no file this large"
    " (FAT32 drives: 4 GB)",
    errno.EROFS: "write to a drive that is not read-only",
    errno.EIO: "the drive reported a fault; write elsewhere and check the drive",
}


def _exit_for(exc: BaseException) -> tuple[errors.ExitCode, str]:
    """The exit code and the one-line message for an error that ended a command."""
    if isinstance(exc, errors.RecordpackError):
        return exc.exit_code, str(exc)
    if isinstance(exc, errors.Terminated):
        return errors.ExitCode.TERMINATED, "terminated; no partial files were left"
    if isinstance(exc, KeyboardInterrupt):
        return errors.ExitCode.INTERRUPTED, "interrupted; no partial files were left"
    if isinstance(exc, OSError) and exc.errno in _MACHINE_FAULTS:
        where = f"{exc.filename}: " if exc.filename else ""
        return errors.ExitCode.OUTPUT, (
            f"{where}cannot write: {exc.strerror}; {_MACHINE_FAULTS[exc.errno]}"
        )
    return errors.ExitCode.BUG, (
        f"internal error ({type(exc).__name__}). Run again with --verbose for the details "
        "(they may show patient data) and report it"
    )


app = typer.Typer(
    name="recordpack",
    cls=_ErrorBoundary,
    help="Turn a folder of medical records into one packet a second-opinion doctor can read.",
    epilog=(
        "Examples:\n\n"
        "recordpack build ~/records -o packet.pdf --bundle packet-bundle  (the packet and the"
        " original images)\n\n"
        "recordpack check ~/records -c breast-cancer  (what is missing, and whom to ask)\n\n"
        "recordpack timeline ~/records --csv > timeline.csv  (the index, for a spreadsheet)\n\n"
        "recordpack batch patients/ -o packets/ --json  (one packet per patient folder)\n\n"
        "Each command's options: recordpack COMMAND --help, or docs/commands/."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold patient data
    rich_markup_mode=None,  # plain help: one line an option, and no help renderer to load
)

Folder = Annotated[
    Path,
    typer.Argument(
        metavar="FOLDER", help="Folder of records (PDFs, scans, DICOM, zips).", show_default=False
    ),
]
DateOrderOpt = Annotated[
    DateOrder | None,
    typer.Option(
        "--date-order",
        metavar="MDY|DMY|YMD",
        help="How to read numeric dates like 03/04/2024 (default: the config's, else MDY).",
        case_sensitive=False,
    ),
]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        metavar="PASSWORD",
        envvar="RECORDPACK_PASSWORD",
        show_envvar=True,
        help="Password for encrypted PDFs (prefer the environment variable).",
    ),
]
OcrLangOpt = Annotated[
    str,
    typer.Option("--ocr-lang", metavar="LANG", help="Tesseract languages for scans, e.g. eng+deu."),
]
NoOcrOpt = Annotated[bool, typer.Option("--no-ocr", help="Do not read scans with Tesseract.")]
LimitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--limit",
        metavar="NAME=N",
        help="Raise a per-file limit: seconds, members, depth, megapixels, pages, ocr_pages.",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        metavar="FILE",
        help="Cache of readings and OCR (default: ~/.cache/recordpack/cache.sqlite).",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Keep nothing between runs.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
PatientFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--patient-file",
        metavar="FILE",
        help="patient.toml (default: FOLDER/patient.toml if present).",
    ),
]
ConsultDateOpt = Annotated[
    dt.datetime | None,
    typer.Option(
        "--consult-date",
        metavar="YYYY-MM-DD",
        formats=["%Y-%m-%d"],
        help="Date of the consult (default: today).",
    ),
]
ConditionOpt = Annotated[
    str | None,
    typer.Option(
        "--condition",
        "-c",
        metavar="ID",
        help="Condition id or alias (see `recordpack checklists`).",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Exit 1 when a required item is missing or stale."),
]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV on stdout.")]
ChecklistFileOpt = Annotated[
    Path | None,
    typer.Option("--checklist", metavar="FILE", help="Use your own checklist TOML file."),
]
OutputOpt = Annotated[
    Path, typer.Option("--output", "-o", metavar="FILE", help="The packet PDF to write.")
]
NameOpt = Annotated[
    str | None, typer.Option("--name", metavar="NAME", help="Patient name (as on the ID).")
]
DobOpt = Annotated[
    dt.datetime | None,
    typer.Option("--dob", metavar="YYYY-MM-DD", formats=["%Y-%m-%d"], help="Date of birth."),
]
QuestionOpt = Annotated[
    list[str] | None,
    typer.Option("--question", metavar="TEXT", help="A question for the second doctor."),
]
OrderOpt = Annotated[
    Order | None,
    typer.Option(
        "--order",
        metavar="sections|date",
        help="sections: grouped by kind; date: one chronological run (default: sections).",
    ),
]
TemplateOpt = Annotated[
    Path | None,
    typer.Option(
        "--template", metavar="FOLDER", help="Folder of templates overriding the bundled ones."
    ),
]
BundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle",
        metavar="FOLDER|ZIP",
        help="Also write a bundle (folder, or .zip): PDF, DICOMDIR, originals.",
    ),
]
FhirOpt = Annotated[
    Path | None,
    typer.Option(
        "--fhir",
        metavar="FILE",
        help="Also write a FHIR R4 document Bundle (JSON) describing the packet.",
    ),
]
IsoOpt = Annotated[
    Path | None,
    typer.Option(
        "--iso",
        metavar="FILE",
        help="Also write the bundle as an ISO 9660 image, to burn or copy to USB.",
    ),
]
ProfileOpt = Annotated[
    Profile | None,
    typer.Option(
        "--profile",
        metavar="full|reports",
        help="full: PDF + original images; reports: the PDF alone.",
    ),
]
AttachOpt = Annotated[
    bool,
    typer.Option("--attach-originals", help="Embed the DICOM files in the PDF (large)."),
]
EncryptOpt = Annotated[
    bool, typer.Option("--encrypt", help="Protect the PDF with a password (AES-256).")
]
EncryptEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--encrypt-env",
        metavar="VARIABLE",
        help="Environment variable holding that password (default: RECORDPACK_PACKET_PASSWORD).",
    ),
]
AllowInsideOpt = Annotated[
    bool, typer.Option("--allow-inside", help="Allow writing into the records folder.")
]
ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace files or folders at the output paths that recordpack did not write"
        " (never the records folder, nor a folder holding it).",
    ),
]
PaperOpt = Annotated[
    Paper | None,
    typer.Option(
        "--paper", metavar="letter|a4", help="Page size for photos and scans (default: by locale)."
    ),
]
NoInputOpt = Annotated[bool, typer.Option("--no-input", help="Never prompt.")]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="recordpack.toml (default: ./recordpack.toml if present)."
    ),
]


@dataclass(frozen=True, slots=True)
class FolderOptions:
    """The options every command that reads a folder shares, gathered into one object."""

    read: ReadOptions
    config: Config
    json: bool = False
    quiet: bool = False
    cache: Path | None = None
    no_cache: bool = False


_SHARED: dict[str, tuple[object, object]] = {  # name: (annotation, default)
    "json_out": (JsonOpt, False),
    "date_order": (DateOrderOpt, None),
    "password": (PasswordOpt, None),
    "quiet": (QuietOpt, False),
    "ocr_lang": (OcrLangOpt, "eng"),
    "no_ocr": (NoOcrOpt, False),
    "limit": (LimitOpt, None),
    "cache": (CacheOpt, None),
    "no_cache": (NoCacheOpt, False),
    "config_file": (ConfigOpt, None),
}


def _reads_folder(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared reading options, delivered to it as one ``how: FolderOptions``.

    typer builds options from the signature, so the wrapper's signature is the command's own
    (less ``how``) plus the shared ones, declared once here.
    """
    own = [
        p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "how"
    ]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in _SHARED.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        from recordpack.config import load_config

        v = {name: kwargs.pop(name) for name in _SHARED}
        config = load_config(v["config_file"])  # a flag beats the config file's value
        ocr_lang = None if v["no_ocr"] else v["ocr_lang"]
        limits = Limits.parse(v["limit"] or [])
        read = ReadOptions(
            v["date_order"] or config.date_order, v["password"], ocr_lang, limits=limits
        )
        quiet = v["quiet"] or v["json_out"]
        how = FolderOptions(read, config, v["json_out"], quiet, v["cache"], v["no_cache"])
        command(**kwargs, how=how)

    wrapper.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {}  # the signature above is the truth
    return wrapper


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        pypdf, pydicom = version("pypdf"), version("pydicom")
        typer.echo(f"recordpack {__version__} (pypdf {pypdf}, pydicom {pydicom})")
        raise typer.Exit


@app.callback()
def _main(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show tracebacks (they may show patient data)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show versions."),
    ] = False,
) -> None:
    _state["verbose"] = verbose
    sys.unraisablehook = _unraisable


def _unraisable(unraisable: Any) -> None:
    """Ctrl-C that lands in a finalizer (a font cache's ``__del__``) prints no traceback.

    The run is stopping anyway, and the error boundary says so in one line.
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and not _state["verbose"]:
        return
    sys.__unraisablehook__(unraisable)


@contextmanager
def _cache(path: Path | None, off: bool, folder: Path) -> Iterator[ScanCache]:
    """The cache of file readings and OCR: the user's own by default, in memory with --no-cache.

    Never inside the records folder, which is only read: a cache asked for there is refused, and
    a default one that happens to be there (records scanned from a home folder) is not kept.
    """
    from recordpack.cache import ScanCache, default_cache_path

    inside = folder.resolve()
    if path is not None and path.absolute().resolve().is_relative_to(inside):
        raise errors.UsageError(
            f"--cache {path}: inside the records folder {folder}, which recordpack never writes to",
            "put the cache elsewhere, e.g. --cache ~/recordpack-cache.sqlite, or use --no-cache",
        )
    default = default_cache_path()
    off = off or (path is None and default.absolute().resolve().is_relative_to(inside))
    cache = ScanCache(None if off else path or default)
    try:
        yield cache
    finally:
        cache.close()
        if cache.warning:
            console.print_warning(cache.warning)


def _timeline(folder: Path, how: FolderOptions, quiet: bool = False) -> Timeline:
    with (
        console.scan_progress(how.quiet or quiet) as progress,
        _cache(how.cache, how.no_cache, folder) as cache,
    ):
        inventory = pipeline.scan_folder(folder, how.read, cache=cache, progress=progress)
    from recordpack.timeline import build_timeline

    return build_timeline(inventory)


def _report(
    how: FolderOptions, result: Any, as_json: Callable[[Any], object], show: Callable[[Any], None]
) -> None:
    """A command's result: JSON for scripts (--json), else shown unless --quiet."""
    if how.json:
        _emit_json(as_json(result))
    elif not how.quiet:
        show(result)


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command(cls=_Command)
@_reads_folder
def scan(folder: Folder, how: FolderOptions) -> None:
    """Read every file in FOLDER and report what was found and what could not be used."""
    timeline = _timeline(folder, how)
    _report(how, timeline, serialize.timeline_dict, console.print_summary)


@app.command(cls=_Command)
@_reads_folder
def timeline(folder: Folder, how: FolderOptions, csv_out: CsvOpt = False) -> None:
    """Show the records in FOLDER as a numbered timeline: date, category, title, source."""
    result = _timeline(folder, how, quiet=csv_out)
    if how.json:
        _emit_json(serialize.timeline_dict(result))
    elif csv_out:
        typer.echo(serialize.timeline_csv(result), nl=False)
    else:
        console.print_timeline(result)


def _checked(
    folder: Path,
    how: FolderOptions,
    condition: str | None,
    checklist_file: Path | None,
    consult_date: dt.datetime | None,
    patient_file: Path | None,
) -> tuple[Patient, CheckResult]:
    """The folder read and checked against its checklist, for check and request."""
    from recordpack.config import Flags, resolve

    asked = Flags(
        patient_file=patient_file,
        condition=condition,
        checklist_file=checklist_file,
        consult_date=consult_date.date() if consult_date else None,
    )
    options = resolve(folder, asked, how.config, how.read)
    checked = pipeline.check_records(
        _timeline(folder, how),
        checklist=options.checklist,
        patient=options.patient,
        consult_date=options.consult_date or options.patient.consult_date or today(),
    )
    return options.patient, checked


@app.command(cls=_Command)
@_reads_folder
def check(
    folder: Folder,
    how: FolderOptions,
    condition: ConditionOpt = None,
    checklist_file: ChecklistFileOpt = None,
    consult_date: ConsultDateOpt = None,
    patient_file: PatientFileOpt = None,
    strict: StrictOpt = False,
) -> None:
    """Check FOLDER against a condition's checklist: what is present, missing or stale, and why."""
    _, checked = _checked(folder, how, condition, checklist_file, consult_date, patient_file)
    if how.json:
        _emit_json(
            serialize.report_dict(
                checked.report, checked.mismatches, checked.translation, checked.requests
            )
        )
    else:
        console.print_check(checked)
    if strict and not checked.report.complete:
        raise typer.Exit(errors.ExitCode.INCOMPLETE)


@app.command(cls=_Command)
@_reads_folder
def request(
    folder: Folder,
    how: FolderOptions,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FOLDER", help="Folder to write the letters to."),
    ],
    condition: ConditionOpt = None,
    checklist_file: ChecklistFileOpt = None,
    consult_date: ConsultDateOpt = None,
    patient_file: PatientFileOpt = None,
    jurisdiction: Annotated[
        str, typer.Option("--jurisdiction", metavar="us|uk|eu", help="The law to cite.")
    ] = "us",
    send_to: Annotated[
        str | None,
        typer.Option(
            "--send-to",
            metavar="TEXT",
            help="Ask for copies to go straight to this recipient (name and address).",
        ),
    ] = None,
    date: Annotated[
        dt.datetime | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            formats=["%Y-%m-%d"],
            help="Date the letters (default: today).",
        ),
    ] = None,
) -> None:
    """Write a letter to each holder of missing or stale records, asking for copies (PDF, text)."""
    from recordpack import request as letters

    law = letters.jurisdiction(jurisdiction)  # an unknown one fails before the folder is read
    outputs.check_targets(folder, {"letters": output})
    patient, checked = _checked(folder, how, condition, checklist_file, consult_date, patient_file)
    day = date.date() if date else today()
    plan = letters.plan_requests(checked.report, patient, day)
    written = letters.write_letters(
        plan,
        patient,
        output,
        law=law,
        today=day,
        send_to=send_to or "",
        template_dir=how.config.template,
    )
    if how.json:
        _emit_json(serialize.request_dict(plan, written))
    elif not how.quiet:
        console.print_requests(plan, written)


@app.command(cls=_Command)
def verify(
    bundle: Annotated[
        Path,
        typer.Argument(metavar="BUNDLE", help="A bundle folder or zip, or a copied imaging CD."),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
) -> None:
    """Check a bundle (or any imaging CD or XDM export) against the media rules and its hashes."""
    from recordpack.verify import verify_bundle

    if not bundle.exists():
        raise errors.UsageError(
            f"{bundle}: no such folder or zip", "give the bundle's folder or zip"
        )
    findings = verify_bundle(bundle)
    if json_out:
        _emit_json(
            [{"severity": f.severity.value, "path": f.path, "message": f.message} for f in findings]
        )
    else:
        console.print_findings(bundle, findings)
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(errors.ExitCode.INCOMPLETE)


checklists_app = typer.Typer(
    cls=_ErrorBoundary,
    help="The bundled condition checklists.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(checklists_app, name="checklists")


@checklists_app.callback()
def checklists(ctx: typer.Context) -> None:
    """List the bundled condition checklists."""
    if ctx.invoked_subcommand is None:
        console.print_checklists(checklist.bundled_checklists())


@checklists_app.command("show", cls=_Command)
def checklists_show(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Checklist id, alias or TOML path.")],
) -> None:
    """Print one checklist in full: items, why each matters, whom to ask."""
    console.print_checklist(checklist.load_checklist(name))


@app.command(cls=_Command)
@_reads_folder
def build(
    folder: Folder,
    how: FolderOptions,
    output: OutputOpt,
    patient_file: PatientFileOpt = None,
    name: NameOpt = None,
    dob: DobOpt = None,
    condition: ConditionOpt = None,
    question: QuestionOpt = None,
    consult_date: ConsultDateOpt = None,
    order: OrderOpt = None,
    template: TemplateOpt = None,
    bundle: BundleOpt = None,
    fhir: FhirOpt = None,
    iso: IsoOpt = None,
    profile: ProfileOpt = None,
    attach_originals: AttachOpt = False,
    encrypt: EncryptOpt = False,
    encrypt_env: EncryptEnvOpt = None,
    allow_inside: AllowInsideOpt = False,
    force: ReplaceOpt = False,
    paper: PaperOpt = None,
    no_input: NoInputOpt = False,
) -> None:
    """Build the packet: a cover for the second doctor, every record bookmarked, key images."""
    from recordpack.config import Flags, resolve

    asked = Flags(
        output=output,
        patient_file=patient_file,
        name=name,
        dob=dob.date() if dob else None,
        condition=condition,
        questions=tuple(question or ()),
        consult_date=consult_date.date() if consult_date else None,
        order=order,
        template=template,
        bundle=bundle,
        fhir=fhir,
        iso=iso,
        profile=profile,
        attach_originals=attach_originals,
        allow_inside=allow_inside,
        force=force,
        paper=paper,
        encrypt_password=_packet_password(how.config, encrypt, encrypt_env, no_input),
    )
    _build(folder, resolve(folder, asked, how.config, how.read), how)


def _build(folder: Path, options: BuildOptions, how: FolderOptions) -> None:
    with (
        console.scan_progress(how.quiet) as progress,
        _cache(how.cache, how.no_cache, folder) as cache,
    ):
        result = pipeline.build_packet(folder, options, progress=progress, cache=cache)
    _report(how, result, serialize.build_dict, console.print_build)


def _packet_password(
    config: Config, encrypt: bool, encrypt_env: str | None, no_input: bool
) -> str | None:
    """The packet password: from the environment, or asked for on a terminal; never an argument.

    The config's ``encrypt_env`` encrypts every packet with that variable's value.
    """
    variable = encrypt_env or config.encrypt_env or "RECORDPACK_PACKET_PASSWORD"
    if not (encrypt or config.encrypt_env):
        return None
    if secret := os.environ.get(variable):
        return secret
    if no_input or not sys.stdin.isatty():
        raise errors.RecordpackError(
            f"--encrypt needs a password and ${variable} is not set",
            f"set {variable} in the environment (scripts), or run in a terminal to be asked",
        )
    secret = typer.prompt("Password for the packet", hide_input=True, confirmation_prompt=True)
    return str(secret)


@app.command(cls=_Command)
def init(
    folder: Folder,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Write the template without asking.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing patient.toml.")
    ] = False,
) -> None:
    """Write a commented patient.toml into FOLDER (asks a few questions on a terminal only)."""
    from recordpack.patient import PATIENT_FILE, parse_patient, patient_template

    target = folder / PATIENT_FILE
    if target.exists() and not force:
        raise errors.OutputError(
            f"{target} exists already", "edit it, or pass --force to replace it"
        )
    answers = _ask_patient() if not no_input and sys.stdin.isatty() else {}
    text = patient_template(**answers)
    parse_patient(tomllib.loads(text), target)  # what is written must read back: checked first
    outputs.write_atomically(target, text.encode())
    console.err.print(f"wrote {target}: edit it, then run recordpack build {folder} -o packet.pdf")


def _ask_patient() -> dict[str, str]:
    """The patient's answers, each asked again until it is valid (a date, a known checklist)."""

    def ask(question: str, check: Callable[[str], object] | None = None) -> str:
        while True:
            answer = str(typer.prompt(question, default="", show_default=False)).strip()
            try:
                if answer and check:
                    check(answer)
                return answer
            except (ValueError, errors.RecordpackError) as exc:
                console.print_error(f"{answer}: {exc}")

    def iso_date(value: str) -> None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("write the date as YYYY-MM-DD, e.g. 1968-07-22") from None

    return {
        "name": ask("Patient name, as on the ID"),
        "dob": ask("Date of birth (YYYY-MM-DD)", iso_date),
        "condition": ask(
            "Condition, e.g. breast-cancer (see: recordpack checklists)", checklist.load_checklist
        ),
        "question": ask("Your question for the second doctor"),
    }


class Executor(StrEnum):
    """Where batch jobs run."""

    LOCAL = "local"
    DASK = "dask"


JobsArg = Annotated[
    Path,
    typer.Argument(
        metavar="JOBS",
        help="Folder of patient folders, or a .csv / .jsonl manifest.",
        show_default=False,
    ),
]
OutdirOpt = Annotated[
    Path, typer.Option("--output", "-o", metavar="FOLDER", help="Folder for the packets.")
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--jobs", "-j", metavar="N", min=1, help="Worker processes (default: CPU count)."),
]
BatchCacheOpt = Annotated[
    Path | None,
    typer.Option("--cache", metavar="FILE", help=f"Cache file (default: OUTDIR/{CACHE_FILE})."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Rebuild unchanged patients too.")]
ShardOpt = Annotated[
    str | None, typer.Option("--shard", metavar="K/N", help="Only the K-th of N slices, e.g. 2/8.")
]
ExecutorOpt = Annotated[
    Executor,
    typer.Option(
        "--executor", metavar="local|dask", help="local processes, or a dask.distributed cluster."
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."
    ),
]
BatchStrictOpt = Annotated[
    bool, typer.Option("--strict", help="Exit 1 when a packet misses required items.")
]
JsonLinesOpt = Annotated[
    bool, typer.Option("--json", help="One JSON line per patient, then a summary.")
]


@app.command(cls=_Command)
def batch(
    jobs: JobsArg,
    outdir: OutdirOpt,
    workers: WorkersOpt = None,
    cache: BatchCacheOpt = None,
    force: ForceOpt = False,
    shard_spec: ShardOpt = None,
    executor: ExecutorOpt = Executor.LOCAL,
    scheduler: SchedulerOpt = None,
    config_file: ConfigOpt = None,
    strict: BatchStrictOpt = False,
    json_out: JsonLinesOpt = False,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    ocr_lang: OcrLangOpt = "eng",
    no_ocr: NoOcrOpt = False,
    limit: LimitOpt = None,
) -> None:
    """Build one packet per patient, in parallel; unchanged patients are skipped."""
    from recordpack.batch import Settings, run_batch
    from recordpack.config import load_config

    cluster = _cluster(executor, scheduler)
    todo, config = _shard(_jobs(jobs), shard_spec), load_config(config_file)
    settings = Settings(
        outdir=str(outdir.absolute()),
        cache=str((cache or outdir / CACHE_FILE).absolute()),
        config=config,
        force=force,
        encrypt_password=_config_password(config),
        password=password,
        ocr_lang=None if no_ocr else ocr_lang,
        limits=Limits.parse(limit or []),
    )
    with console.batch_progress(len(todo), quiet or json_out) as advance:
        done = run_batch(
            todo,
            settings,
            workers=workers or os.cpu_count() or 1,
            scheduler=cluster,
            on_result=functools.partial(_job_done, advance, json_out),
        )
    _batch_done(done, json_out=json_out, quiet=quiet, strict=strict)


def _cluster(executor: Executor, scheduler: str | None) -> str | None:
    """The dask scheduler to run on, or None to run here; dask without one is a usage error."""
    if executor is Executor.LOCAL:
        return None
    if not scheduler:
        raise errors.UsageError("--executor dask needs --scheduler ADDRESS")
    return scheduler


def _jobs(source: Path) -> list[Any]:
    """The batch's jobs: a folder of patient folders, or a manifest; none is a usage error."""
    from recordpack.batch import read_jobs

    every = read_jobs(source)
    if not every:
        raise errors.UsageError(
            f"{source}: no patients to build",
            "give a folder of patient folders, or a manifest with one row per patient",
        )
    return every


def _job_done(advance: Callable[[JobResult], None], json_out: bool, result: JobResult) -> None:
    """One job finished: a JSON line for scripts, and the progress bar moves on."""
    if json_out:
        typer.echo(json.dumps(serialize.job_dict(result), ensure_ascii=False))
    advance(result)


def _batch_done(done: BatchResult, *, json_out: bool, quiet: bool, strict: bool) -> None:
    """The batch's summary, and its exit code: a failed job, or --strict and a gap."""
    if json_out:
        typer.echo(json.dumps(serialize.batch_summary(done)))
    elif not quiet:
        console.print_batch(done)
    if done.count("failed"):
        raise typer.Exit(errors.ExitCode.BATCH_FAILED)
    if strict and done.incomplete:
        raise typer.Exit(errors.ExitCode.INCOMPLETE)


def _shard(jobs: list[Any], spec: str | None) -> list[Any]:
    from recordpack.batch import shard

    if not spec:
        return jobs
    k, _, n = spec.partition("/")
    if not (k.isdigit() and n.isdigit()):
        raise errors.UsageError(f"--shard {spec}: expected K/N, e.g. 2/8")
    return shard(jobs, int(k), int(n))


def _config_password(config: Any) -> str | None:
    """The packets' password, from the variable the clinic's config names (if any)."""
    if not config.encrypt_env:
        return None
    secret = os.environ.get(config.encrypt_env)
    if not secret:
        raise errors.RecordpackError(
            f"{config.path}: encrypt_env is set but ${config.encrypt_env} is empty",
            f"set {config.encrypt_env} in the environment",
        )
    return secret


def handle_termination() -> None:
    """Turn SIGTERM into :class:`errors.Terminated` in the main thread, so temporaries are removed.

    Without this, a stop from a scheduler or ``kill`` ends the process on the spot and leaves
    half-written outputs behind.
    """

    def terminated(signum: int, frame: object) -> None:
        raise errors.Terminated

    signal.signal(signal.SIGTERM, terminated)


def main() -> None:
    """Console entry point."""
    handle_termination()
    app()
