"""Stage 5, lay out: every page the packet will hold, before they are joined.

The cover (patient, question, checklist, linked index), each record's pages in packet order,
the imaging studies' key images, and the "not included" and transmittal pages. A record whose
pages cannot be made is a problem for that record; the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pypdf.errors import PdfReadError

from recordpack.assemble import Part
from recordpack.context import Context
from recordpack.errors import RecordpackError, described
from recordpack.layout import cover
from recordpack.layout.pages import item_pages, study_pages
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
    records: tuple[Part, ...]
    placed: tuple[Item, ...]  # the item of each record part
    extra: tuple[Part, ...]

    @property
    def parts(self) -> list[Part]:
        """Every part, in packet order."""
        return [self.cover, *self.records, *self.extra]


def lay_out(
    ctx: Context, timeline: Timeline, check: CheckResult, options: BuildOptions, profile: Profile
) -> Layout:
    """Make the pages of the packet; records that cannot be laid out become problems."""
    head = stamp_head(options)
    records, placed = _records(ctx, timeline, options, _originals_note(profile, options), head)
    extra = _extras(ctx, check, options, head)
    cover_part = _cover(timeline, check, options, records, placed, extra, head)
    return Layout(cover_part, tuple(records), tuple(placed), tuple(extra))


def stamp_head(options: BuildOptions) -> str:
    """Who the packet is for, as every page's stamp starts: ``Jane Doe · DOB 1968-07-22``."""
    patient = options.patient
    dob = f"DOB {patient.dob.isoformat()}" if patient.dob else ""
    return " · ".join(x for x in (patient.name, dob) if x)


def _records(
    ctx: Context, timeline: Timeline, options: BuildOptions, originals: str, head: str
) -> tuple[list[Part], list[Item]]:
    order = packet_order(timeline.items, options.order)
    ctx.report(0, len(order), "laying out pages")
    studies = [i for i in timeline.items if i.category is Category.IMAGING]
    drawn = study_pages(ctx, studies, originals, options.template_dir)
    parts: list[Part] = []
    placed: list[Item] = []
    for done, (section, item) in enumerate(order, start=1):
        ctx.report(done, len(order), "laying out pages")
        try:
            pdf = drawn.get(item.id) or item_pages(ctx, item, options, originals)
            stamp = " · ".join(x for x in (head, f"#{item.index} {item.title[:70]}") if x)
            part = Part(f"#{item.index} {item.title}", section, pdf, stamp,
                        drawn=item.kind is not Kind.PDF, index=item.index)  # fmt: skip
        except Exception as exc:  # one record's failure is that record's problem
            ctx.problems.append(_not_placed(item, exc))
            continue
        parts.append(part)
        placed.append(item)
    return parts, placed


def _not_placed(item: Item, exc: Exception) -> Problem:
    why = described(exc, (OSError, ValueError, RecordpackError, PdfReadError))
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
    timeline: Timeline,
    check: CheckResult,
    options: BuildOptions,
    records: list[Part],
    placed: list[Item],
    extra: list[Part],
    head: str,
) -> Part:
    """The cover and its index, whose page numbers depend on the cover's own length.

    A first guess (a summary page, then ~32 index rows a page) usually holds, so the cover is
    laid out once; otherwise again with the corrected numbers.
    """
    sizes = [p.pages for p in (*records, *extra)]
    pages = 1 + -(-(len(sizes) + 1) // INDEX_ROWS_PER_PAGE)
    pdf = b""
    for _ in range(4):
        starts = [pages + 1 + sum(sizes[:n]) for n in range(len(sizes))]
        rows = (
            [
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
            ]
            + [
                cover.IndexRow("", None, False, "", p.title, s)
                for p, s in zip(extra, starts[len(records) :], strict=True)
            ]
        )
        pdf = cover.render_cover(
            patient=options.patient,
            check=check,
            items=timeline.items,
            index=rows,
            prepared=options.prepared or today(),
            source_count=sum(len(i.sources) for i in timeline.items),
            template_dir=options.template_dir,
        )
        if (laid := Part("", "", pdf, "").pages) == pages:
            break
        pages = laid
    return Part("Cover and index", "", pdf, _stamp(head, "cover"), drawn=True)


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
