"""Everything a person sees on the terminal: tables, progress and summaries (stderr by default)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from recordpack.checklist import Checklist, Level, Status
from recordpack.context import Progress as ProgressCallback
from recordpack.models import Severity, Timeline
from recordpack.results import BatchResult, BuildResult, CheckResult, JobResult
from recordpack.serialize import shown, summary

if TYPE_CHECKING:
    from recordpack.request import RequestPlan
    from recordpack.verify import Finding

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
PROGRESS_AFTER = 40  # files: smaller folders finish before a bar would be seen


@contextmanager
def scan_progress(quiet: bool) -> Iterator[ProgressCallback]:
    """Progress on stderr: a line per stage, each with its own count and time left.

    The stages: reading files, OCR, laying out pages, assembling the PDF, copying images to the
    bundle. Shown only on a terminal, and only for folders of some size.
    """
    bar = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def advance(done: int, total: int, stage: str) -> None:
        if (total >= PROGRESS_AFTER or stage != "reading files") and not bar.live.is_started:
            bar.start()
        if stage not in tasks:
            for earlier in tasks.values():  # a new stage: the ones before it are done
                bar.update(earlier, completed=bar.tasks[earlier].total)
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        yield advance
    finally:
        bar.stop()


@contextmanager
def batch_progress(total: int, quiet: bool) -> Iterator[Callable[[JobResult], None]]:
    """A bar with the time left, on a terminal only; advanced once per finished patient."""
    bar = Progress(
        TextColumn("packets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )
    task = bar.add_task("batch", total=total)
    bar.start()
    try:
        yield lambda _result: bar.advance(task)
    finally:
        bar.stop()


def print_batch(result: BatchResult) -> None:
    """One line per patient, failures first, then the counts."""
    order = {"failed": 0, "built": 1, "unchanged": 2}
    for r in sorted(result.jobs, key=lambda r: (order.get(r.status, 3), r.job)):
        style = {"failed": "red", "built": "green", "unchanged": "dim"}.get(r.status, "")
        detail = r.error or f"{r.pages} pages -> {r.output}"
        if r.complete is False:
            detail = f"{detail}; missing: {', '.join(r.missing)}"
        err.print(Text(f"{r.status:<9} ", style=style) + Text(f"{r.job}: {detail}"), soft_wrap=True)
    err.print(
        f"{len(result.jobs)} patients: {result.count('built')} built, "
        f"{result.count('unchanged')} unchanged, {result.count('failed')} failed "
        f"in {result.seconds:.1f} s"
    )


def print_timeline(timeline: Timeline) -> None:
    """The indexed timeline as a table on stdout; undated items at the end, marked."""
    table = Table(title=Text(f"Timeline of {shown(timeline.inventory.root)}"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Date", no_wrap=True)
    table.add_column("Category", no_wrap=True)
    table.add_column("Title")
    table.add_column("Pages/images", justify="right")
    table.add_column("Source")
    for item in timeline.items:
        date = Text(
            item.date.isoformat() if item.date else "undated",
            style="italic dim" if item.date is None or item.file_dated else "",
        )
        if item.file_dated:
            date.append(" file", style="italic dim")
        if item.date_ambiguous:
            date.append(" ?", style="yellow")
        count = item.study.images if item.study else item.pages
        source = shown(item.sources[0].where)
        if len(item.sources) > 1:
            source += f" (+{len(item.sources) - 1})"
        table.add_row(
            str(item.index),
            date,
            item.category.value,
            Text(shown(item.title)),  # titles come from documents: never markup, never escapes
            "" if count is None else str(count),
            Text(source),
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
    listed = [p for p in timeline.inventory.problems if problems or p.severity is Severity.ERROR]
    if not listed:
        return
    errors = sum(1 for p in listed if p.severity is Severity.ERROR)
    err.print(f"[bold]{errors} files not included[/], {len(listed) - errors} notes:")
    for p in sorted(listed, key=lambda p: (list(Severity).index(p.severity), p.path)):
        style = _SEVERITY_STYLE[p.severity]
        line = Text(f"  {p.severity.value:<7} ", style=style)
        line.append(shown(p.path), style="bold")
        line.append(f": {shown(p.message)}")
        if p.hint:
            line.append(f" ({p.hint})", style="dim")
        err.print(line, soft_wrap=True)


def print_error(message: str) -> None:
    """A fatal error for a person: one line (plus its hint), no traceback."""
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)


def print_warning(message: str) -> None:
    """Something a person should know that did not stop the command: one line."""
    err.print(Text("warning: ", style="bold yellow") + Text(message), soft_wrap=True)


_STATUS_STYLE = {
    Status.PRESENT: ("present", "green"),
    Status.MISSING: ("MISSING", "bold red"),
    Status.STALE: ("STALE", "yellow"),
    Status.REVIEW: ("review", "cyan"),
}


def print_check(result: CheckResult) -> None:
    """The checklist, required items first, each with its status, evidence and what to do."""
    report = result.report
    when = report.consult_date.isoformat()
    out.print(f"[bold]{escape(report.checklist.title)}[/] checklist, consult date {when}")
    for level in Level:
        rows = [r for r in report.results if r.item.level is level]
        if not rows:
            continue
        table = Table(title=level.value.title(), title_justify="left", show_lines=False)
        table.add_column("Status", no_wrap=True)
        table.add_column("Item")
        table.add_column("Evidence / what to do")
        for r in rows:
            word, style = _STATUS_STYLE[r.status]
            evidence = ", ".join(f"#{i.index} {shown(i.title)}" for i in r.evidence[:3])
            if len(r.evidence) > 3:
                evidence += f" (+{len(r.evidence) - 3})"
            detail = Text(evidence + ("\n" if evidence else ""))
            detail.append(r.reason, style="" if r.status is Status.PRESENT else style)
            table.add_row(Text(word, style=style), Text(f"{r.item.label}\n{r.item.why}"), detail)
        out.print(table)
    for m in result.mismatches:
        items = ", ".join(f"#{i}" for i in m.items)
        out.print(
            f"[yellow]identity:[/] {m.field} '{escape(m.found)}' on {items} differs from "
            f"'{escape(m.expected)}'"
        )
    for item in result.translation:
        title = escape(shown(item.title))
        out.print(f"[yellow]language:[/] #{item.index} {title} may need translation")
    for state in result.requests:
        sent = state.request
        said = f"request: requested from {shown(sent.provider)} on {sent.sent.isoformat()}"
        if sent.received:
            out.print(Text(f"{said}, received {sent.received.isoformat()}"))
        elif state.overdue:
            out.print(Text(f"{said}, due {state.due.isoformat()}: OVERDUE", style="red"))
        else:
            out.print(Text(f"{said}, due {state.due.isoformat()}"))
    missing = report.count(Status.MISSING, Level.REQUIRED) + report.count(
        Status.STALE, Level.REQUIRED
    )
    err.print(
        f"{report.count(Status.PRESENT)} present, {report.count(Status.MISSING)} missing, "
        f"{report.count(Status.STALE)} stale, {report.count(Status.REVIEW)} to review; "
        + (
            "all required items present"
            if report.complete
            else f"{missing} required items missing or stale"
        )
    )


def print_requests(plan: RequestPlan, written: list[Path]) -> None:
    """The letters written, and the missing items no provider was named for."""
    for letter in plan.letters:
        labels = "; ".join(w.item.label for w in letter.wanted)
        err.print(Text(f"letter to {shown(letter.provider.name)}: {labels}"))
    pdfs = [p for p in written if p.suffix == ".pdf"]
    many = "letter" if len(pdfs) == 1 else "letters"
    err.print(
        Text(
            f"wrote {len(pdfs)} {many} (PDF and text) to {pdfs[0].parent}"
            if pdfs
            else "no letters to write: no provider holds a missing item"
        )
    )
    for r in plan.unassigned:
        err.print(Text(f"no provider holds '{r.item.label}': {r.item.ask}", style="yellow"))
        err.print(Text(f'  add "{r.item.id}" to a provider\'s holds = [...] in patient.toml'))


def print_findings(bundle: Path, findings: list[Finding]) -> None:
    """What verify found: errors and warnings, then a verdict."""
    for f in findings:
        style = _SEVERITY_STYLE[f.severity]
        out.print(Text(f"{f.severity.value}: {shown(f.path)}: {f.message}", style=style))
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    verdict = "follows the media rules" if not errors else f"breaks {errors} rules"
    err.print(Text(f"{shown(str(bundle))} {verdict} ({warnings} warnings)"))


def print_checklists(checklists: list[Checklist]) -> None:
    """The bundled checklists, one per line."""
    table = Table(title="Checklists", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("Condition")
    table.add_column("Also called")
    table.add_column("Items", justify="right")
    for c in checklists:
        table.add_row(c.id, c.title, ", ".join(c.aliases), str(len(c.items)))
    out.print(table)


def print_checklist(checklist: Checklist) -> None:
    """One checklist in full: each item, why it matters, how recent, whom to ask."""
    out.print(
        Text.assemble((checklist.title, "bold"), f" ({checklist.id}); sources: {checklist.sources}")
    )
    for item in checklist.items:
        window = (
            f"; within {item.within_days} days ({item.window_source})" if item.within_days else ""
        )
        kind = "physical, " if item.physical else ""
        out.print(Text.assemble("\n", (item.label, "bold"), f" [{kind}{item.level.value}{window}]"))
        out.print(Text(f"  why: {item.why}\n  if missing: {item.ask}\n  source: {item.source}"))


def print_build(result: BuildResult) -> None:
    """What was written, and what the reader should know about it."""
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    report = result.check.report
    err.print(
        f"wrote {result.output}: {result.pages} pages ({result.cover_pages} cover), "
        f"{len(result.placed)} records"
        + (f"; bundle {result.bundle}" if result.bundle else "")
        + (f"; FHIR {result.fhir}" if result.fhir else "")
        + (f"; ISO image {result.iso}" if result.iso else "")
    )
    if errors:
        err.print(f"[yellow]{len(errors)} files not included[/]: see the last pages of the packet")
    if result.active_content_removed:
        err.print(f"{result.active_content_removed} active elements (scripts, links) removed")
    gaps = [r for r in report.results if r.status is not Status.PRESENT]
    verdict = (
        "all required items present" if report.complete else "[bold red]required items missing[/]"
    )
    err.print(
        f"{report.checklist.title} checklist: {verdict}; {len(gaps)} items to look at "
        f"(recordpack check for details)"
    )
