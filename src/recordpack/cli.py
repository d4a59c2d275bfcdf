"""The command line: options in, a library call, output and an exit code out. No logic here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from recordpack import __version__, console
from recordpack.errors import ExitCode, RecordpackError
from recordpack.models import DateOrder, Timeline
from recordpack.scan import scan_folder
from recordpack.serialize import timeline_csv, timeline_dict
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
        console.print_error("interrupted; nothing was written")
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _timeline(
    ctx: typer.Context, folder: Path, date_order: DateOrder, password: str | None, quiet: bool
) -> Timeline:
    with _exit_codes(ctx), console.scan_progress(quiet) as progress:
        inventory = scan_folder(folder, date_order=date_order, password=password, progress=progress)
    return build_timeline(inventory)


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
) -> None:
    """Read every file in FOLDER and report what was found and what could not be used."""
    timeline = _timeline(ctx, folder, date_order, password, quiet or json_out)
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
) -> None:
    """Show the records in FOLDER as a numbered timeline: date, category, title, source."""
    result = _timeline(ctx, folder, date_order, password, quiet or json_out or csv_out)
    if json_out:
        _emit_json(timeline_dict(result))
    elif csv_out:
        typer.echo(timeline_csv(result), nl=False)
    else:
        console.print_timeline(result)


def main() -> None:
    """Console entry point."""
    app()
