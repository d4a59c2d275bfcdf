"""Assemble packet.pdf with pypdf, and write it atomically and owner-only.

Pages are copied, never re-rendered; the packet gets bookmarks, links from the index, page
labels, a stamp on every page and its metadata, and loses the inputs' active content.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.constants import PageLabelStyle
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

from recordpack.errors import OutputError

BAND = 14.0  # points kept free at the top of every source page for the stamp
LINK_PREFIX = "https://recordpack.invalid/page/"  # cover links, turned into internal jumps
_UNSAFE_ACTIONS = {"/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR",
                   "/GoToE", "/ResetForm", "/Rendition", "/Sound", "/Movie"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Part:
    """A run of pages: one source document, or a page recordpack drew (cover, study, notes)."""

    title: str
    section: str
    pdf: bytes
    stamp: str
    drawn: bool = False  # drawn by recordpack with its own margins: no shrinking needed
    index: int | None = None  # timeline number of the item, for the outline

    @property
    def pages(self) -> int:
        """Number of pages (parses the PDF; parts are small)."""
        return len(PdfReader(io.BytesIO(self.pdf)).pages)


@dataclass(frozen=True, slots=True)
class Assembled:
    """The finished PDF bytes and where each part starts (1-based page numbers)."""

    pdf: bytes
    starts: tuple[int, ...]
    total_pages: int
    active_content_removed: int


def assemble(
    parts: Sequence[Part],
    *,
    title: str,
    subject: str,
    stamps: Callable[[list[tuple[str, float]]], list[PageObject]],
    cover_parts: int = 1,
    encrypt_password: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Assembled:
    """Join the parts, in order, into one PDF.

    ``stamps`` draws one strip per page (text and width in points); they go in the top band
    of each page. The first ``cover_parts`` parts get roman page labels.
    """
    writer = PdfWriter()
    starts: list[int] = []
    removed = 0
    for part in parts:
        starts.append(len(writer.pages) + 1)
        reader = PdfReader(io.BytesIO(part.pdf))
        for page in reader.pages:
            if not part.drawn:  # our own pages carry only the cover's links
                removed += _remove_active_content(page)
            writer.add_page(page)
    total = len(writer.pages)
    _stamp(writer, parts, starts, total, stamps)
    _link_cover(writer, starts[cover_parts] - 1 if len(starts) > cover_parts else total)
    _outline(writer, parts, starts, cover_parts)
    cover_end = starts[cover_parts] - 1 if len(starts) > cover_parts else total
    writer.set_page_label(0, cover_end - 1, PageLabelStyle.LOWERCASE_ROMAN)
    if cover_end < total:
        writer.set_page_label(cover_end, total - 1, PageLabelStyle.DECIMAL, start=cover_end + 1)
    if "/AcroForm" in writer.root_object:
        del writer.root_object["/AcroForm"]  # form fields stay visible but are no longer live
    for name, data in attachments:
        writer.add_attachment(name, data)
    writer.add_metadata(
        {"/Title": title, "/Subject": subject, "/Producer": "recordpack", "/Creator": "recordpack"}
    )
    writer.page_mode = "/UseOutlines"
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    if encrypt_password:
        writer.encrypt(user_password=encrypt_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return Assembled(out.getvalue(), tuple(starts), total, removed)


def _remove_active_content(page: PageObject) -> int:
    """Drop page actions and annotations that run code, open files or reach the network."""
    removed = 0
    if "/AA" in page:
        del page[NameObject("/AA")]
        removed += 1
    annots = page.get("/Annots")
    if not annots:
        return removed
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        action = annot.get("/A")
        action = action.get_object() if action is not None else None
        if isinstance(action, DictionaryObject) and action.get("/S") in _UNSAFE_ACTIONS:
            removed += 1
            continue
        if "/AA" in annot:
            del annot[NameObject("/AA")]
            removed += 1
        kept.append(ref)
    page[NameObject("/Annots")] = kept
    return removed


def _stamp(
    writer: PdfWriter,
    parts: Sequence[Part],
    starts: list[int],
    total: int,
    stamps: Callable[[list[tuple[str, float]]], list[PageObject]],
) -> None:
    """Shrink source pages a little to free a band at the top, and stamp every page there."""
    requests: list[tuple[str, float]] = []
    plan: list[tuple[PageObject, bool]] = []
    ends = [*starts[1:], total + 1]
    for part, start, end in zip(parts, starts, ends, strict=True):
        for offset in range(end - start):
            page = writer.pages[start - 1 + offset]
            page.transfer_rotation_to_content()
            width = float(page.mediabox.width)
            requests.append((f"{part.stamp} · page {start + offset} of {total}", width - 48))
            plan.append((page, part.drawn))
    strips = stamps(requests)
    for (page, drawn), strip in zip(plan, strips, strict=True):
        box = page.mediabox
        left, bottom = float(box.left), float(box.bottom)
        width, height = float(box.width), float(box.height)
        if not drawn:
            scale = (height - BAND) / height
            page.add_transformation(
                Transformation()
                .translate(-left, -bottom)
                .scale(scale, scale)
                .translate(left + width * (1 - scale) / 2, bottom)
            )
        page.merge_transformed_page(
            strip, Transformation().translate(left + 24, bottom + height - BAND + 1), over=True
        )


def _link_cover(writer: PdfWriter, cover_pages: int) -> None:
    """Turn the cover's placeholder links into jumps to pages of this PDF."""
    for page in writer.pages[:cover_pages]:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(LINK_PREFIX):
                continue
            target = int(uri.removeprefix(LINK_PREFIX)) - 1
            del annot[NameObject("/A")]
            annot[NameObject("/Dest")] = ArrayObject(
                [writer.pages[target].indirect_reference, NameObject("/Fit")]
            )
            annot[NameObject("/Border")] = ArrayObject([NumberObject(0)] * 3)


def _outline(writer: PdfWriter, parts: Sequence[Part], starts: list[int], cover_parts: int) -> None:
    """Bookmarks: section, then each document in it."""
    sections: dict[str, object] = {}
    for number, (part, start) in enumerate(zip(parts, starts, strict=True)):
        if number < cover_parts or not part.section:
            writer.add_outline_item(title=part.title, page_number=start - 1)
            continue
        parent = sections.get(part.section)
        if parent is None:
            parent = writer.add_outline_item(title=part.section, page_number=start - 1)
            sections[part.section] = parent
        writer.add_outline_item(title=part.title, page_number=start - 1, parent=parent)  # type: ignore[arg-type]


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` (created 0600), then rename over it."""
    path = path.absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc})", "choose another output folder"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
