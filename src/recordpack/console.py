"""Everything a person sees on the terminal: tables, progress and summaries (stderr by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from recordpack.models import Severity, Timeline
from recordpack.scan import Progress as ProgressCallback
from recordpack.serialize import printable, summary

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
PROGRESS_AFTER = 40  # files: smaller folders finish before a bar would be seen


@contextmanager
def scan_progress(quiet: bool) -> Iterator[ProgressCallback]:
    """A progress bar on stderr, shown only on a terminal and only for folders of some size."""
    bar = Progress(
        TextColumn("reading files"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )
    task = bar.add_task("scan", total=None)

    def advance(done: int, total: int) -> None:
        if total >= PROGRESS_AFTER and not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        yield advance
    finally:
        bar.stop()


def print_timeline(timeline: Timeline) -> None:
    """The indexed timeline as a table on stdout; undated items at the end, marked."""
    table = Table(title=f"Timeline of {printable(timeline.inventory.root)}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Date", no_wrap=True)
    table.add_column("Category", no_wrap=True)
    table.add_column("Title")
    table.add_column("Pages/images", justify="right")
    table.add_column("Source")
    for item in timeline.items:
        date = Text(
            item.date.isoformat() if item.date else "undated",
            style="" if item.date else "italic dim",
        )
        if item.date_ambiguous:
            date.append(" ?", style="yellow")
        count = item.facts.get("images") if item.pages is None else item.pages
        source = printable(item.sources[0].display)
        if len(item.sources) > 1:
            source += f" (+{len(item.sources) - 1})"
        table.add_row(
            str(item.index),
            date,
            item.category.value,
            item.title,
            "" if count is None else str(count),
            source,
        )
    out.print(table)
    if any(i.date_ambiguous for i in timeline.items):
        err.print(
            "[yellow]?[/] day and month could be swapped: check the date, or pass --date-order"
        )
    print_summary(timeline)


def print_summary(timeline: Timeline, *, problems: bool = True) -> None:
    """A summary line and, when asked, each problem with its fix, on stderr."""
    s = summary(timeline)
    cats = ", ".join(f"{n} {c}" for c, n in s["by_category"].items())
    err.print(
        f"{s['files']} files, {s['bytes'] / 1e6:.1f} MB: {s['items']} items ({cats}); "
        f"{s['undated']} undated, {s['duplicates']} duplicate copies"
    )
    shown = [p for p in timeline.inventory.problems if problems or p.severity is Severity.ERROR]
    if not shown:
        return
    errors = sum(1 for p in shown if p.severity is Severity.ERROR)
    err.print(f"[bold]{errors} files not included[/], {len(shown) - errors} notes:")
    for p in sorted(shown, key=lambda p: (list(Severity).index(p.severity), p.path)):
        style = _SEVERITY_STYLE[p.severity]
        line = Text(f"  {p.severity.value:<7} ", style=style)
        line.append(printable(p.path), style="bold")
        line.append(f": {p.message}")
        if p.hint:
            line.append(f" ({p.hint})", style="dim")
        err.print(line, soft_wrap=True)


def print_error(message: str) -> None:
    """A fatal error for a person: one line (plus its hint), no traceback."""
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
