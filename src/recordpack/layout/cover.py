"""The cover a busy specialist reads first: who, why, the question, what is here, what is missing.

Also the other pages recordpack draws from templates: a page per imaging study with its key
images, plain-text records, the "not included" list, the transmittal sheet and the page stamps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from recordpack.assemble import LINK_PREFIX
from recordpack.checklist import Level, Status
from recordpack.layout.findings import ON_COVER, Finding
from recordpack.layout.html import Laid, lay_out_template, render_pdf, render_sections
from recordpack.layout.imaging import key_images
from recordpack.models import Category, Item, Problem, Severity, Source
from recordpack.patient import Patient
from recordpack.results import CheckResult
from recordpack.serialize import printable

GLANCE_ROWS = 28  # "at a glance" must fit on the first pages
_GLANCE_CATEGORIES = {
    Category.PATHOLOGY,
    Category.PROCEDURE,
    Category.RADIOLOGY,
    Category.IMAGING,
    Category.GENETICS,
    Category.DISCHARGE,
    Category.CARDIOLOGY,
}


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One line of the cover's index."""

    number: str
    date: dt.date | None
    ambiguous: bool
    category: str
    title: str
    page: int
    note: str = ""
    file_date: bool = False  # the date is only the file's (PDF creation, photo taken)

    @property
    def link(self) -> str:
        """A placeholder link that assembly turns into a jump to ``page``."""
        return f"{LINK_PREFIX}{self.page}"


def render_cover(
    *,
    patient: Patient,
    check: CheckResult,
    items: Sequence[Item],
    index: Sequence[IndexRow],
    index_alone: bool = False,
    index_note: bool = True,
    findings: Sequence[Finding] = (),
    findings_page: int | None = None,
    prepared: dt.date,
    source_count: int,
    template_dir: str | None,
) -> Laid:
    """The cover and index pages (the index on pages of its own when ``index_alone``).

    ``index`` may be the first rows only, without the note under the index: the rest is then
    laid out apart (:func:`render_index`), and :func:`page_rows` tells where the pages join.
    ``findings_page``: where the findings page is, when the cover does not show them all.
    """
    report = check.report
    gaps = [r for r in report.results if r.status is not Status.PRESENT]
    gaps.sort(key=lambda r: (r.item.level is not Level.REQUIRED, r.status is Status.REVIEW))
    return lay_out_template(
        "cover.html.j2",
        template_dir,
        title=f"Medical records: {patient.name}" if patient.name else "Medical records",
        patient=patient,
        prepared=prepared,
        item_count=len(items),
        source_count=source_count,
        checklist_title=report.checklist.title,
        gaps=gaps,
        present_count=report.count(Status.PRESENT),
        result_count=len(report.results),
        complete=report.complete,
        mismatches=_mismatch_rows(check, items),
        translation=check.translation,
        glance=_glance(items),
        findings=findings,
        on_cover=ON_COVER,
        findings_page=findings_page,
        findings_link=f"{LINK_PREFIX}{findings_page}",
        index=index,
        index_alone=index_alone,
        index_note=index_note,
        first=0,
        continued=False,
    )


def render_index(rows: Sequence[IndexRow], first: int, template_dir: str | None) -> Laid:
    """Index rows from number ``first`` on, with the note under the index.

    Row ``first`` is the one before the pages wanted, alone on the first page: the index is
    then laid out from row ``first + 1`` as it is on every page it continues on (a row's top
    border is drawn after a row, not after the columns' names; the page's top is not the
    document's).
    """
    return lay_out_template(
        "index.html.j2", template_dir, index=rows, first=first, index_note=True, continued=True
    )


def page_rows(laid: Laid) -> list[int | None]:
    """The index row each page starts with (its first, by the rows' ids); None: no row."""
    firsts = []
    for anchors in laid.anchors:
        rows = [int(a[4:]) for a in anchors if a.startswith("row-") and a[4:].isdigit()]
        firsts.append(min(rows) if rows else None)
    return firsts


def _mismatch_rows(check: CheckResult, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Each identity mismatch with the number and title of every item it was found on."""
    titles = {i.index: i.title for i in items}
    return [
        {
            "field": m.field,
            "found": m.found,
            "expected": m.expected,
            "on": [(n, titles.get(n, "")) for n in m.items],
        }
        for m in check.mismatches
    ]


def _glance(items: Sequence[Item]) -> list[dict[str, Any]]:
    """Key events by date; labs folded into one line so the list stays on one page."""
    events = [
        {"date": i.date, "text": f"{i.category.value}: {i.title}"}
        for i in items
        if i.date and not i.file_dated and i.category in _GLANCE_CATEGORIES
    ]
    labs = [i for i in items if i.category is Category.LAB and i.date and not i.file_dated]
    if labs:
        latest = max(i.date for i in labs if i.date)
        events.append(
            {"date": latest, "text": f"lab: {len(labs)} lab reports, the latest on this date"}
        )
    events.sort(key=lambda e: str(e["date"]))
    if len(events) > GLANCE_ROWS:
        events = [
            *events[: GLANCE_ROWS // 2],
            {"date": None, "text": "…"},
            *events[-GLANCE_ROWS // 2 :],
        ]
    return events


def render_studies(
    items: Sequence[Item], read: Callable[[Source], bytes], originals: str, template_dir: str | None
) -> list[bytes]:
    """The pages of each imaging study: its facts, and key images per series (one layout run)."""
    studies = []
    for item in items:
        study = item.study
        if study is None:
            continue
        series = []
        for s in study.series:
            frames, note = key_images(list(s.files), read)
            series.append(
                {
                    "number": s.number,
                    "modality": s.modality,
                    "images": s.images,
                    "description": s.description,
                    "frames": frames,
                    "note": note,
                }
            )
        studies.append(
            {
                "title": item.title,
                "date": item.date,
                "modality": item.modality,
                "body_part": study.body_part,
                "images": study.images,
                "institution": study.institution,
                "accession": study.accession,
                "series": series,
            }
        )
    if not studies:
        return []
    return render_sections(
        "study.html.j2", template_dir, len(studies), studies=studies, originals=originals
    )


def render_text(item: Item, template_dir: str | None) -> bytes:
    """A plain-text record laid out as pages."""
    return render_pdf(
        "text.html.j2",
        template_dir,
        title=item.title,
        text=item.text,
        source=printable(item.sources[0].display),
    )


NAMES_PER_REASON = 25  # a reason shared by thousands of files names the first few, counts the rest


def _by_reason(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """One row per distinct reason naming its files: 50,000 empty files make one row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for p in problems:
        rows.setdefault((p.message, p.hint), []).append(printable(p.path))
    return [
        {
            "paths": paths[:NAMES_PER_REASON],
            "more": len(paths) - NAMES_PER_REASON,
            "message": message,
            "hint": hint,
        }
        for (message, hint), paths in rows.items()
    ]


def render_not_included(problems: Sequence[Problem], template_dir: str | None) -> bytes:
    """Every file that is not in the packet, why, and what to do; then the notes."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    notes = [p for p in problems if p.severity is not Severity.ERROR]
    return render_pdf(
        "not_included.html.j2", template_dir, problems=_by_reason(errors), notes=_by_reason(notes)
    )


def render_transmittal(patient: Patient, checklist_title: str, template_dir: str | None) -> bytes:
    """A sheet to print and put in the box with slides, blocks or CDs."""
    return render_pdf(
        "transmittal.html.j2",
        template_dir,
        patient=patient,
        physical=patient.physical,
        checklist_title=checklist_title,
    )
