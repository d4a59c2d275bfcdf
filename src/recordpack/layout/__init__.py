"""Stage 5, lay out: every page the packet will hold, before they are joined.

The cover (patient, question, checklist, linked index), each record's pages in packet order,
the imaging studies' key images, and the "not included" and transmittal pages. A record whose
pages cannot be made is a problem for that record; the others go on.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from itertools import accumulate

import pikepdf
from pypdf.errors import PdfReadError

from recordpack.assemble import Part, Strips
from recordpack.context import Context
from recordpack.errors import RecordpackError, described
from recordpack.layout import cover
from recordpack.layout.drawing import Drawing
from recordpack.layout.findings import key_findings, needs_page, render_findings
from recordpack.layout.html import Laid
from recordpack.layout.index import index_pages, lay_out_index
from recordpack.layout.pages import Drawn, item_pages, study_pages
from recordpack.layout.strips import render_strips
from recordpack.models import Category, Item, Kind, Problem, Severity, Timeline
from recordpack.options import BuildOptions, Order, Profile, today
from recordpack.results import CheckResult

SECTIONS: tuple[tuple[str, frozenset[Category]], ...] = (
    ("Pathology", frozenset({Category.PATHOLOGY})),
    ("Imaging", frozenset({Category.RADIOLOGY, Category.IMAGING})),
    ("Genetics", frozenset({Category.GENETICS})),
    ("Laboratory", frozenset({Category.LAB})),
    ("Procedures", frozenset({Category.PROCEDURE})),
    ("Cardiology", frozenset({Category.CARDIOLOGY})),
    ("Clinical notes", frozenset({Category.CLINICAL_NOTE, Category.DISCHARGE})),
    ("Medications", frozenset({Category.MEDICATIONS})),
    ("Other", frozenset({Category.OTHER})),
)
INDEX_ROWS_PER_PAGE = 32


@dataclass(frozen=True, slots=True)
class Layout:
    """The packet's pages in order: cover, one part per placed record, then the extra pages."""

    cover: Part
    findings: Part | None  # every report's conclusion whole, when the cover leaves some out
    records: tuple[Part, ...]
    placed: tuple[Item, ...]  # the item of each record part
    extra: tuple[Part, ...]
    strips: Strips  # every part's stamp, drawn

    @property
    def front(self) -> list[Part]:
        """The parts before the records: the cover, and the findings page when there is one."""
        return [self.cover, *([self.findings] if self.findings else [])]

    @property
    def parts(self) -> list[Part]:
        """Every part, in packet order."""
        return [*self.front, *self.records, *self.extra]


def lay_out(
    ctx: Context, timeline: Timeline, check: CheckResult, options: BuildOptions, profile: Profile
) -> Layout:
    """Make the pages of the packet; records that cannot be laid out become problems.

    The stamps and the imaging studies (the slow drawings) are drawn in worker processes while
    this one copies the documents, then draws the cover, which needs every part's length.
    """
    head = stamp_head(options)
    order = packet_order(timeline.items, options.order)
    studies = [i for i in timeline.items if i.category is Category.IMAGING]
    originals = _originals_note(profile, options)
    stamps = [
        *(_stamp(head, what) for what in ("cover", "key findings", "not included", "transmittal")),
        *(_record_stamp(head, item) for _, item in order),
    ]
    with Drawing(ctx.options.workers, parallel=len(studies) > 1 or len(order) > 100) as drawing:
        drawn = study_pages(drawing, ctx, studies, originals, options.template_dir)  # needed first
        strips = drawing.submit(render_strips, stamps, options.template_dir)
        records, placed = _records(ctx, order, drawn, options, originals, head)
        extra = _extras(ctx, check, options, head)
        front = _cover(drawing, timeline, check, options, records, placed, extra, head)
        try:
            drawn_strips = strips.result()
        except Exception:  # a lost worker: draw them here, where a real error is raised again
            drawn_strips = render_strips(stamps, options.template_dir)
    # What WeasyPrint laid out (the cover's index above all: 130 MB at 1,200 rows) is left as
    # reference cycles that no later allocation would prompt Python to free before assembly.
    gc.collect()
    return Layout(*front, tuple(records), tuple(placed), tuple(extra), drawn_strips)


def stamp_head(options: BuildOptions) -> str:
    """Who the packet is for, as every page's stamp starts: ``Jane Doe · DOB 1968-07-22``."""
    patient = options.patient
    dob = f"DOB {patient.dob.isoformat()}" if patient.dob else ""
    return " · ".join(x for x in (patient.name, dob) if x)


def _record_stamp(head: str, item: Item) -> str:
    return " · ".join(x for x in (head, f"#{item.index} {item.title[:70]}") if x)


def _records(
    ctx: Context,
    order: list[tuple[str, Item]],
    drawn: dict[str, Drawn],
    options: BuildOptions,
    originals: str,
    head: str,
) -> tuple[list[Part], list[Item]]:
    ctx.report(0, len(order), "laying out pages")
    parts: list[Part] = []
    placed: list[Item] = []
    for done, (section, item) in enumerate(order, start=1):
        ctx.report(done, len(order), "laying out pages")
        try:
            study = drawn.get(item.id)
            pdf = (_drawn(*study) if study else None) or item_pages(ctx, item, options, originals)
            part = Part(
                f"#{item.index} {item.title}",
                section,
                pdf,
                _record_stamp(head, item),
                drawn=item.kind is not Kind.PDF,
                index=item.index,
            )
        except Exception as exc:  # one record's failure is that record's problem
            ctx.problems.append(_not_placed(item, exc))
            continue
        parts.append(part)
        placed.append(item)
    return parts, placed


def _drawn(run: Future[list[bytes]], n: int) -> bytes | None:
    """A study drawn with others, or None: it is then drawn alone, so a failure gets a name."""
    try:
        return run.result()[n]
    except Exception:  # whatever stopped the run (a bad image, a lost worker) is found again alone
        return None


def _not_placed(item: Item, exc: Exception) -> Problem:
    why = described(exc, (OSError, ValueError, RecordpackError, PdfReadError, pikepdf.PdfError))
    return Problem(
        item.sources[0].display,
        Severity.ERROR,
        f"could not be added to the packet ({why})",
        "open the file to check it, or export it again",
    )


def _extras(ctx: Context, check: CheckResult, options: BuildOptions, head: str) -> list[Part]:
    """The "not included, and notes" page and the transmittal sheet, when there is cause."""
    extra = []
    if ctx.problems:
        pdf = cover.render_not_included(ctx.problems, options.template_dir)
        extra.append(Part("Not included, and notes", "", pdf, _stamp(head, "not included"), True))
    if options.patient.physical:
        title = check.report.checklist.title
        pdf = cover.render_transmittal(options.patient, title, options.template_dir)
        extra.append(Part("Transmittal sheet", "", pdf, _stamp(head, "transmittal"), True))
    return extra


def _stamp(head: str, what: str) -> str:
    return f"{head} · {what}".strip(" ·")


def _cover(
    drawing: Drawing,
    timeline: Timeline,
    check: CheckResult,
    options: BuildOptions,
    records: list[Part],
    placed: list[Item],
    extra: list[Part],
    head: str,
) -> tuple[Part, Part | None]:
    """The cover and its index, and the findings page after them when the cover shows not all.

    Page numbers depend on the cover's own length. The index's rows cost most of the layout,
    so the length is guessed before drawing them (:func:`index_pages`); when the guess is wrong
    the cover is laid out again with the corrected numbers. The findings page is drawn once the
    cover's length is known (a page, as a rule: a longer one lays the cover out once more).
    """
    sizes = [p.pages for p in (*records, *extra)]
    alone = len(sizes) > INDEX_ALONE_AFTER
    whole = partial(
        cover.render_cover,
        patient=options.patient,
        check=check,
        items=timeline.items,
        index_alone=alone,
        prepared=options.prepared or today(),
        source_count=sum(len(i.sources) for i in timeline.items),
        template_dir=options.template_dir,
    )

    # whether the cover leaves a conclusion out does not depend on the pages they are on
    more = needs_page(key_findings(placed, {i.index: 0 for i in placed}))
    pages = _guess_cover_pages(whole, placed, extra, alone, len(sizes))
    behind = int(more)  # pages of the findings page, guessed: the loop finds out
    findings, pdf, listed = None, b"", []
    for _ in range(4):
        front = pages + behind
        rows = _index_rows(
            placed, extra, [front + 1 + n for n in accumulate(sizes[:-1], initial=0)]
        )
        listed = key_findings(placed, {int(r.number): r.page for r in rows if r.number})
        lay = partial(whole, findings=listed, findings_page=pages + 1 if more else None)
        if alone:
            pdf = lay_out_index(drawing, rows, lay, options.template_dir)
        else:
            pdf = lay(index=rows).pdf
        if (laid := Part("", "", pdf, "").pages) != pages:
            pages = laid  # the cover's length was guessed wrong: its numbers are redrawn
            continue
        findings = render_findings(listed, options.template_dir) if more else None
        if (drawn := Part("", "", findings, "").pages if findings else 0) == behind:
            break
        behind = drawn
    if more and findings is None:  # the cover's length never settled: the page it names is due
        findings = render_findings(listed, options.template_dir)
    cover_part = Part("Cover and index", "", pdf, _stamp(head, "cover"), drawn=True)
    if findings is None:
        return cover_part, None
    return cover_part, Part("Key findings", "", findings, _stamp(head, "key findings"), drawn=True)


def _index_rows(placed: list[Item], extra: list[Part], starts: list[int]) -> list[cover.IndexRow]:
    return [
        cover.IndexRow(
            str(i.index),
            i.date,
            i.date_ambiguous,
            i.category.value,
            i.title,
            s,
            file_date=i.file_dated,
        )
        for i, s in zip(placed, starts, strict=False)
    ] + [
        cover.IndexRow("", None, False, "", p.title, s)
        for p, s in zip(extra, starts[len(placed) :], strict=True)
    ]


def _guess_cover_pages(
    whole: partial[Laid], placed: list[Item], extra: list[Part], alone: bool, parts: int
) -> int:
    """The cover's pages before its index is drawn: the summary's, and the index's guessed."""
    if not alone:
        return 1 + -(-(parts + 1) // INDEX_ROWS_PER_PAGE)
    summary = whole(index=[]).pages - 1  # quick to lay out; the index starts on a page of its own
    titled = [(i.title, i.file_dated) for i in placed] + [(p.title, False) for p in extra]
    return summary + index_pages(titled)


INDEX_ALONE_AFTER = 24  # index rows: more, and the index starts on a page of its own


def packet_order(items: Sequence[Item], order: Order) -> list[tuple[str, Item]]:
    """(section, item) in the order the records follow the cover."""
    if order is Order.DATE:
        return [("Records", item) for item in items]
    return [(name, item) for name, cats in SECTIONS for item in items if item.category in cats]


def _originals_note(profile: Profile, options: BuildOptions) -> str:
    if profile is Profile.FULL and options.bundle:
        return (
            "The original DICOM files of this study are in the DICOM folder of the bundle "
            "that came with this PDF: open its DICOMDIR in any DICOM viewer."
        )
    if options.attach_originals:
        return "The original DICOM files are attached to this PDF (see the attachments panel)."
    return (
        "The original DICOM files are not in this PDF. Ask the imaging department for a CD or "
        "download of the study, or send the bundle made with recordpack --bundle."
    )
