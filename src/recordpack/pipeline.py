"""The stages in order, for commands that need more than one of them."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from recordpack import bundle as bundle_module
from recordpack.checklist import ChecklistReport, evaluate_checklist, load_checklist
from recordpack.errors import OutputError, RecordpackError
from recordpack.export import Part, assemble, write_atomically
from recordpack.identity import Mismatch, check_identity, may_need_translation
from recordpack.models import Category, DateOrder, Item, Kind, Problem, Severity, Timeline
from recordpack.patient import Patient
from recordpack.render import cover
from recordpack.render.scans import Paper, add_text_layers, default_paper, image_pages
from recordpack.scan import Progress, read_source, scan_folder
from recordpack.timeline import build_timeline

if TYPE_CHECKING:
    from recordpack.cache import ScanCache


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A checklist report with the identity and language findings that go with it."""

    report: ChecklistReport
    mismatches: list[Mismatch]
    translation: list[Item]


def check_records(
    timeline: Timeline,
    *,
    checklist: str | None,
    patient: Patient,
    consult_date: dt.date,
    date_order: DateOrder = DateOrder.MDY,
) -> CheckResult:
    """Evaluate a checklist (by name, alias or path; else the patient's condition, else general)."""
    chosen = load_checklist(checklist or patient.condition or None)
    report = evaluate_checklist(
        chosen, timeline, consult_date=consult_date, physical=patient.physical
    )
    mismatches = check_identity(timeline, name=patient.name, dob=patient.dob, order=date_order)
    translation = [item for item in timeline.items if may_need_translation(item)]
    return CheckResult(report, mismatches, translation)


# Building the packet ---------------------------------------------------------------------------

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


class Order(StrEnum):
    """How documents follow the cover."""

    SECTIONS = "sections"  # grouped by kind (pathology, imaging, labs, ...), each by date
    DATE = "date"  # one chronological run


class Profile(StrEnum):
    """What a bundle carries."""

    FULL = "full"  # the PDF and the original DICOM files
    REPORTS = "reports"  # the PDF alone, small enough to e-mail


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Everything ``build`` needs besides the folder; defaults suit a patient at home."""

    output: Path
    patient: Patient = field(default_factory=Patient)
    checklist: str | None = None
    consult_date: dt.date | None = None
    prepared: dt.date | None = None
    date_order: DateOrder = DateOrder.MDY
    password: str | None = None
    order: Order = Order.SECTIONS
    template_dir: str | None = None
    encrypt_password: str | None = None
    attach_originals: bool = False
    bundle: Path | None = None
    profile: Profile | None = None
    allow_inside: bool = False
    ocr_lang: str | None = "eng"
    paper: Paper | None = None
    scan_workers: int | None = None  # processes reading files; batch runs one per job instead


@dataclass(frozen=True, slots=True)
class PlacedItem:
    """Where an item ended up in the packet (pages are 1-based, inclusive)."""

    item: Item
    first_page: int
    last_page: int


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What was built, for the terminal and for ``--json``."""

    output: Path
    bundle: Path | None
    pages: int
    cover_pages: int
    placed: tuple[PlacedItem, ...]
    problems: tuple[Problem, ...]
    check: CheckResult
    timeline: Timeline
    active_content_removed: int
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, for the curious


def build_packet(
    folder: Path,
    options: BuildOptions,
    *,
    progress: Progress | None = None,
    cache: ScanCache | None = None,
) -> BuildResult:
    """Scan ``folder`` and write the packet (and the bundle, if asked)."""
    _refuse_output_inside(folder, options)
    clock = _Stopwatch()
    root = Path(folder)
    patient = options.patient
    timeline = build_timeline(
        scan_folder(
            root,
            date_order=options.date_order,
            password=options.password,
            progress=progress,
            cache=cache,
            ocr_lang=options.ocr_lang,
            workers=options.scan_workers,
        )
    )
    clock.lap("scan")
    consult = options.consult_date or patient.consult_date or _today()
    check = check_records(
        timeline,
        checklist=options.checklist,
        patient=patient,
        consult_date=consult,
        date_order=options.date_order,
    )
    has_imaging = any(i.category is Category.IMAGING for i in timeline.items)
    profile = options.profile or (Profile.FULL if has_imaging else Profile.REPORTS)
    originals = _originals_note(profile, options)

    problems = list(timeline.inventory.problems)
    parts: list[Part] = []
    included: list[Item] = []
    stamp_head = " · ".join(
        x for x in (patient.name, f"DOB {patient.dob.isoformat()}" if patient.dob else "") if x
    )

    def draw_studies(items: list[Item]) -> list[bytes]:
        read = lambda s: read_source(root, s)  # noqa: E731 - the renderer reads files by Source
        return cover.render_studies(items, read, originals, options.template_dir)

    studies = [i for i in timeline.items if i.category is Category.IMAGING]
    try:  # all studies in one layout run; if that fails, each alone below, so errors get a name
        drawn = dict(zip((i.id for i in studies), draw_studies(studies), strict=True))
    except (OSError, ValueError, RecordpackError):
        drawn = {}
    for section, item in _packet_order(timeline.items, options.order):
        try:
            if item.id in drawn:
                pdf = drawn[item.id]
            elif item.category is Category.IMAGING:
                pdf = draw_studies([item])[0]
            else:
                pdf = _item_pdf(item, root, options, cache)
        except (OSError, ValueError, RecordpackError, PdfReadError) as exc:
            problems.append(
                Problem(
                    item.sources[0].display,
                    Severity.ERROR,
                    f"could not be added to the packet ({exc})",
                    "open the file to check it, or export it again",
                )
            )
            continue
        stamp = " · ".join(x for x in (stamp_head, f"#{item.index} {item.title[:70]}") if x)
        parts.append(
            Part(
                f"#{item.index} {item.title}",
                section,
                pdf,
                stamp,
                drawn=item.kind is not Kind.PDF,
                index=item.index,
            )
        )
        included.append(item)

    extra: list[Part] = []
    if problems:
        extra.append(
            Part(
                "Not included, and notes",
                "",
                cover.render_not_included(problems, options.template_dir),
                f"{stamp_head} · not included".strip(" ·"),
                drawn=True,
            )
        )
    if patient.physical:
        extra.append(
            Part(
                "Transmittal sheet",
                "",
                cover.render_transmittal(
                    patient, check.report.checklist.title, options.template_dir
                ),
                f"{stamp_head} · transmittal".strip(" ·"),
                drawn=True,
            )
        )

    body = parts + extra
    sizes = [p.pages for p in body]
    # A first guess of the cover's length (summary page, then ~32 index rows a page) usually
    # holds, so the cover is laid out once; otherwise again with the corrected numbers.
    cover_pages, cover_pdf = 1 + -(-(len(body) + 1) // INDEX_ROWS_PER_PAGE), b""
    for _ in range(4):  # the index's page numbers depend on the cover's own length
        starts = [cover_pages + 1 + sum(sizes[:n]) for n in range(len(body))]
        rows = [
            cover.IndexRow(
                str(item.index),
                item.date,
                item.date_ambiguous,
                item.category.value,
                item.title,
                start,
            )
            for item, start in zip(included, starts, strict=False)
        ] + [
            cover.IndexRow("", None, False, "", p.title, start)
            for p, start in zip(extra, starts[len(parts) :], strict=True)
        ]
        cover_pdf = cover.render_cover(
            patient=patient,
            check=check,
            items=timeline.items,
            index=rows,
            prepared=options.prepared or _today(),
            source_count=sum(len(i.sources) for i in timeline.items),
            template_dir=options.template_dir,
        )
        pages = Part("", "", cover_pdf, "").pages
        if pages == cover_pages:
            break
        cover_pages = pages
    cover_part = Part(
        "Cover and index", "", cover_pdf, f"{stamp_head} · cover".strip(" ·"), drawn=True
    )

    clock.lap("pages")  # documents read back, studies, text and the cover drawn
    attachments = _attachments(timeline, root) if options.attach_originals else []
    assembled = assemble(
        [cover_part, *body],
        title=f"Medical records: {patient.name}" if patient.name else "Medical records",
        subject=f"Records for a second opinion: {check.report.checklist.title}",
        stamps=cover.stamp_renderer(options.template_dir),
        encrypt_password=options.encrypt_password,
        attachments=attachments,
    )
    clock.lap("assembly")
    write_atomically(options.output, assembled.pdf)
    placed = tuple(
        PlacedItem(item, start, start + part.pages - 1)
        for item, part, start in zip(included, parts, assembled.starts[1:], strict=False)
    )
    bundle_path = None
    if options.bundle:
        bundle_path = bundle_module.write_bundle(
            options.bundle,
            root=root,
            packet=assembled.pdf,
            timeline=timeline,
            placed=placed,
            problems=problems,
            profile=profile,
            patient=patient,
        )
    clock.lap("write")
    return BuildResult(
        options.output,
        bundle_path,
        assembled.total_pages,
        cover_pages,
        placed,
        tuple(problems),
        check,
        timeline,
        assembled.active_content_removed,
        clock.laps,
    )


class _Stopwatch:
    """Seconds spent in each stage of a build."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _refuse_output_inside(folder: Path, options: BuildOptions) -> None:
    """The source folder is read-only to us unless the user says otherwise."""
    if options.allow_inside:
        return
    source = Path(folder).resolve()
    for target in (options.output, options.bundle):
        if target is not None and Path(target).resolve().is_relative_to(source):
            raise OutputError(
                f"{target}: inside the records folder {folder}",
                "write the packet elsewhere (e.g. -o ~/packet.pdf), or pass --allow-inside",
            )


def _today() -> dt.date:
    return dt.datetime.now().astimezone().date()


def _packet_order(items: Sequence[Item], order: Order) -> list[tuple[str, Item]]:
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


def _item_pdf(item: Item, root: Path, options: BuildOptions, cache: ScanCache | None) -> bytes:
    """The pages of one document: copied from its PDF, or drawn (text, photo).

    Scanned pages get the invisible text layer OCR made for them, so they can be searched.
    """
    data = read_source(root, item.sources[0])
    layers = _ocr_layers(item, cache, options.ocr_lang)
    match item.kind:
        case Kind.PDF:
            pdf = _plain_pdf(data, options.password)
            return add_text_layers(pdf, layers) if layers else pdf
        case Kind.DICOM:  # a PDF report wrapped in DICOM
            import pydicom

            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            return _plain_pdf(bytes(ds.EncapsulatedDocument).rstrip(b"\0"), options.password)
        case Kind.TEXT:
            return cover.render_text(item, options.template_dir)
        case Kind.JPEG | Kind.PNG | Kind.TIFF | Kind.HEIC:
            return image_pages(data, paper=options.paper or default_paper(), layers=layers)
        case _:
            raise ValueError(f"{item.kind.value} files cannot be placed in a PDF")


def _ocr_layers(item: Item, cache: ScanCache | None, lang: str | None) -> dict[int, bytes]:
    """The text layers OCR made for the pages of a scanned item, by page number."""
    ocr = item.facts.get("ocr")
    if cache is None or not lang or not isinstance(ocr, dict):
        return {}
    sha = item.sources[0].sha256
    layers = {}
    for page in range(item.pages or 1):
        found = cache.ocr_page(sha, page, str(ocr.get("lang", lang)))
        if found is not None:
            layers[page] = found.layer
    return layers


def _plain_pdf(data: bytes, password: str | None) -> bytes:
    """The PDF as it is, or decrypted when it needed a password (the packet has its own)."""
    reader = PdfReader(io.BytesIO(data))
    if not reader.is_encrypted:
        return data
    for candidate in (password, ""):
        if candidate is not None and reader.decrypt(candidate):
            writer = PdfWriter(clone_from=reader)
            out = io.BytesIO()
            writer.write(out)
            return out.getvalue()
    raise ValueError("encrypted PDF: pass --password")


def _attachments(timeline: Timeline, root: Path) -> list[tuple[str, bytes]]:
    files = []
    for item in timeline.items:
        if item.category is Category.IMAGING:
            for n, source in enumerate(item.sources, start=1):
                files.append((f"item{item.index:03d}-{n:05d}.dcm", read_source(root, source)))
    return files
