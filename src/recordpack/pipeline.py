"""The pipeline, read top-down: read → understand → timeline → check → lay out → assemble → bundle.

Each stage is a module (or a package) with one entry that takes plain data and gives plain data;
they share one :class:`~recordpack.context.Context` (the records folder, read options, cache,
progress, and the problems found so far).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from recordpack.assemble import Assembled, assemble
from recordpack.bundle import write_bundle
from recordpack.cache import ScanCache
from recordpack.check import check_records
from recordpack.context import Context, Progress
from recordpack.fhir import fhir_document
from recordpack.layout import Layout, lay_out
from recordpack.models import Category, Inventory, Problem, Severity, Timeline
from recordpack.options import BuildOptions, Profile, ReadOptions, today
from recordpack.outputs import Staging, check_packet_path, check_targets
from recordpack.read import fingerprint, limited, read_folder
from recordpack.results import BuildResult, CheckResult, Packet, PlacedItem
from recordpack.sources import Records
from recordpack.timeline import build_timeline
from recordpack.understand import understand

__all__ = ["build_packet", "check_records", "scan_folder"]


def scan_folder(
    root: str | os.PathLike[str],
    options: ReadOptions | None = None,
    *,
    cache: ScanCache | None = None,
    progress: Progress | None = None,
) -> Inventory:
    """Read every file under ``root`` and turn them into classified, dated items."""
    ctx = Context(Records(Path(root)), options or ReadOptions(), cache, progress)
    known, inventory = _replayed(ctx)
    if inventory is None:
        outcome = read_folder(ctx)
        inventory = _kept(ctx, known, understand(ctx, outcome))
    return inventory


def _replayed(ctx: Context) -> tuple[str | None, Inventory | None]:
    """The folder's fingerprint, and its inventory from the cache when nothing changed since.

    Replaying a folder's inventory skips rebuilding thousands of cached readings and grouping
    them again (a CT study of 8,000 slices: most of a warm re-scan). It is kept only when it
    would come out the same (:func:`_kept`); the fingerprint is taken before reading, so a
    file changed meanwhile makes the next run read it again.
    """
    if ctx.cache is None or ctx.options.password:  # the cache does not keep a password
        return None, None
    known = fingerprint(ctx.root)
    inventory = ctx.cache.scan(ctx.root, _scan_options(ctx.options), known) if known else None
    if inventory is not None:
        ctx.report(inventory.files_seen, inventory.files_seen, "reading files")
    return known, inventory


def _kept(ctx: Context, known: str | None, inventory: Inventory) -> Inventory:
    """Keep the inventory for the next scan, unless reading it again could give another."""
    unread = ctx.options.ocr_lang and any(i.scanned and not i.ocr for i in inventory.items)
    if ctx.cache and known and not limited(inventory.problems) and not unread:
        ctx.cache.remember_scan(ctx.root, _scan_options(ctx.options), known, inventory)
    return inventory


def _scan_options(options: ReadOptions) -> str:
    """The read options an inventory depends on (the workers do not change it)."""
    return f"{options.date_order.value}|{options.ocr_lang}|{options.limits}"


def build_packet(
    folder: Path,
    options: BuildOptions,
    *,
    progress: Progress | None = None,
    cache: ScanCache | None = None,
) -> BuildResult:
    """Scan ``folder`` and write the packet (and the bundle, if asked)."""
    _check_outputs(folder, options)
    clock = _Stopwatch()
    ctx = Context(Records(Path(folder)), options.read, cache, progress)
    known, inventory = _replayed(ctx)  # an unchanged folder's inventory, from the cache
    if inventory is None:
        outcome = read_folder(ctx)
        inventory = _kept(ctx, known, understand(ctx, outcome))
    timeline = build_timeline(inventory)
    ctx.problems.extend(inventory.problems)
    clock.lap("scan")
    check = check_records(
        timeline,
        checklist=options.checklist,
        patient=options.patient,
        consult_date=options.consult_date or options.patient.consult_date or today(),
    )
    profile = options.profile or _default_profile(timeline)
    layout = lay_out(ctx, timeline, check, options, profile)
    clock.lap("pages")  # documents read back, studies, text and the cover drawn
    with Staging() as staging:  # the packet and its bundle appear together or not at all
        target = staging.reserve(options.output)
        assembled = _assemble(ctx, layout, timeline, check, options, target)
        clock.lap("assembly")
        placed = _placed(layout, assembled)
        ctx.problems.extend(_unstamped(placed, assembled.unstamped))
        packet = Packet(
            target,
            options.output.name,
            timeline,
            placed,
            check,
            options.patient,
            profile,
            tuple(ctx.problems),
            ctx.records,
        )
        bundle = _write_outputs(ctx, packet, options, staging)
        staging.commit()
    if bundle and options.encrypt_password:
        ctx.problems.append(_unencrypted_bundle(bundle))
    clock.lap("write")
    return _result(ctx, options, check, timeline, layout, assembled, placed, bundle, clock)


def _result(
    ctx: Context,
    options: BuildOptions,
    check: CheckResult,
    timeline: Timeline,
    layout: Layout,
    assembled: Assembled,
    placed: tuple[PlacedItem, ...],
    bundle: Path | None,
    clock: _Stopwatch,
) -> BuildResult:
    return BuildResult(
        options.output,
        bundle,
        assembled.total_pages,
        sum(p.pages for p in layout.front),
        placed,
        tuple(ctx.problems),
        check,
        timeline,
        assembled.active_content_removed,
        clock.laps,
        options.fhir,
        options.iso,
    )


def _write_outputs(
    ctx: Context, packet: Packet, options: BuildOptions, staging: Staging
) -> Path | None:
    """The bundle (and its ISO image) and the FHIR document, staged beside the packet."""
    bundle = None
    if options.bundle or options.iso:
        bundle = write_bundle(
            packet,
            options.bundle,
            staging=staging,
            iso=options.iso,
            progress=ctx.report,
            workers=ctx.options.workers,
        )
    if options.fhir:
        document = json.dumps(fhir_document(packet), indent=1, ensure_ascii=False)
        staging.file(options.fhir, document.encode())
    return bundle


def _placed(layout: Layout, assembled: Assembled) -> tuple[PlacedItem, ...]:
    """Each record's item with the pages it landed on (the extra pages follow the records)."""
    firsts = assembled.starts[len(layout.front) :]
    return tuple(
        PlacedItem(item, start, start + part.pages - 1)
        for item, part, start in zip(layout.placed, layout.records, firsts, strict=False)
    )


def _check_outputs(folder: Path, options: BuildOptions) -> None:
    """Refuse, before any work, outputs that would replace what recordpack did not write."""
    check_packet_path(options.output)
    outputs = {
        "packet": options.output,
        "bundle": options.bundle,
        "fhir": options.fhir,
        "iso": options.iso,
    }
    check_targets(
        folder,
        outputs,
        allow_inside=options.allow_inside,
        force=options.force,
        password=options.encrypt_password,
    )


def _assemble(
    ctx: Context,
    layout: Layout,
    timeline: Timeline,
    check: CheckResult,
    options: BuildOptions,
    target: Path,
) -> Assembled:
    """Join the packet into ``target``, a staged file that reserve created owner-only."""
    with target.open("r+b") as out:
        packet = assemble(
            layout.parts,
            title=_packet_title(options),
            subject=f"Records for a second opinion: {check.report.checklist.title}",
            strips=layout.strips,
            cover_parts=len(layout.front),
            destination=out,
            encrypt_password=options.encrypt_password,
            attachments=_attachments(ctx, timeline) if options.attach_originals else [],
            progress=ctx.report,
        )
        out.flush()
        os.fsync(out.fileno())
    return packet


def _unencrypted_bundle(bundle: Path) -> Problem:
    """--encrypt protects the PDF; the bundle beside it is not encrypted, and must say so."""
    return Problem(
        str(bundle),
        Severity.WARNING,
        "the bundle is not encrypted: its README, INDEX.HTM, manifest and images name the"
        " patient and the documents (only packet.pdf inside it is)",
        "send the bundle over a secure channel (the portal, an encrypted drive), not by e-mail",
    )


def _unstamped(placed: tuple[PlacedItem, ...], pages: tuple[int, ...]) -> list[Problem]:
    """A note for each record with pages too damaged to stamp (placed as they are)."""
    notes = []
    for done in placed:
        if missed := [n for n in pages if done.first_page <= n <= done.last_page]:
            source = done.item.sources[0].display if done.item.sources else f"#{done.item.index}"
            notes.append(
                Problem(
                    source,
                    Severity.WARNING,
                    f"page {', '.join(map(str, missed))} of the packet (#{done.item.index}) has a"
                    " damaged page description: placed as it is, without its stamp and page number",
                    "check that page in the packet; "
                    "ask the sender for a new copy if it is unreadable",
                )
            )
    return notes


def _default_profile(timeline: Timeline) -> Profile:
    """The originals go along when there are images; a reports-only packet otherwise."""
    has_imaging = any(i.category is Category.IMAGING for i in timeline.items)
    return Profile.FULL if has_imaging else Profile.REPORTS


def _packet_title(options: BuildOptions) -> str:
    name = options.patient.name
    return f"Medical records: {name}" if name else "Medical records"


def _attachments(ctx: Context, timeline: Timeline) -> list[tuple[str, bytes]]:
    """The original DICOM files, for ``--attach-originals``."""
    return [
        (f"item{item.index:03d}-{n:05d}.dcm", ctx.records.read(source))
        for item in timeline.items
        if item.category is Category.IMAGING
        for n, source in enumerate(item.sources, start=1)
    ]


class _Stopwatch:
    """Seconds spent in each stage of a build."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now
