"""Stage 6, assemble: join the laid-out parts into packet.pdf with pypdf.

Pages are copied, never re-rendered; the packet gets bookmarks, links from the index, page
labels, a stamp on every page and its metadata, and loses the inputs' active content.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

BAND = 14.0  # points kept free at the top of every source page for the stamp
LINK_PREFIX = "https://recordpack.invalid/page/"  # cover links, turned into internal jumps
_UNSAFE_ACTIONS = {"/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR",
                   "/GoToE", "/ResetForm", "/Rendition", "/Sound", "/Movie", "/RichMediaExecute",
                   "/Hide", "/SetOCGState", "/Trans", "/GoTo3DView"}  # fmt: skip
_CARRYING_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/Screen", "/3D"}


@dataclass(frozen=True, slots=True)
class Part:
    """A run of pages: one source document, or a page recordpack drew (cover, study, notes)."""

    title: str
    section: str
    pdf: bytes
    stamp: str
    drawn: bool = False  # drawn by recordpack with its own margins: no shrinking needed
    index: int | None = None  # timeline number of the item, for the outline
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        """Count the pages once: the layout of the cover and the index both need it."""
        object.__setattr__(self, "pages", len(PdfReader(io.BytesIO(self.pdf)).pages))


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
    stamps: Callable[[list[str], float], list[PageObject]],
    cover_parts: int = 1,
    encrypt_password: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> Assembled:
    """Join the parts, in order, into one PDF.

    ``stamps`` draws each part's stamp text in a strip of the given width (points); strips go
    in the top band of each page. The first ``cover_parts`` parts get roman page labels.
    """
    writer = PdfWriter()
    starts: list[int] = []
    removed = 0
    for done, part in enumerate(parts, start=1):
        if progress:
            progress(done, len(parts), "assembling the PDF")
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
    """Drop page actions and annotations that run code, carry files or reach the network.

    An annotation goes when it carries content (a file, rich media, sound, movie, 3D) or when
    any action in its chain (``/A`` and each ``/Next``) is unsafe; its automatic actions
    (``/AA``) always go. Links within the document stay.
    """
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
        if not isinstance(annot, DictionaryObject) or _unsafe_annotation(annot):
            removed += 1
            continue
        if "/AA" in annot:
            del annot[NameObject("/AA")]
            removed += 1
        kept.append(ref)
    page[NameObject("/Annots")] = kept
    return removed


def _unsafe_annotation(annot: DictionaryObject) -> bool:
    if annot.get("/Subtype") in _CARRYING_ANNOTATIONS:
        return True
    return _unsafe_chain(annot.get("/A"), depth=0)


def _unsafe_chain(action: Any, depth: int) -> bool:
    """Whether an action, or any action after it (``/Next``: one or an array), is unsafe."""
    if action is None:
        return False
    if depth > 32:  # a chain this long, or a loop, is itself suspect
        return True
    action = action.get_object()
    if isinstance(action, ArrayObject):
        return any(_unsafe_chain(a, depth + 1) for a in action)
    if not isinstance(action, DictionaryObject):
        return False
    return action.get("/S") in _UNSAFE_ACTIONS or _unsafe_chain(action.get("/Next"), depth + 1)


def _stamp(
    writer: PdfWriter,
    parts: Sequence[Part],
    starts: list[int],
    total: int,
    stamps: Callable[[list[str], float], list[PageObject]],
) -> None:
    """Stamp every page in a band at its top; source pages shrink a little to free the band.

    Each part's stamp (patient, item; any script) is laid out once, as its own one-line page,
    and shown on each of the part's pages as a form: the page carries its own stamp's text and
    no other. The page number is plain Helvetica. Content streams are wrapped, never parsed,
    so a page costs microseconds, not milliseconds.
    """
    ends = [*starts[1:], total + 1]
    narrowest = min(float(page.mediabox.width) for page in writer.pages)
    width = max(narrowest - 48 - NUMBER_ROOM, 100.0)
    strips = stamps([part.stamp for part in parts], width)
    font = writer._add_object(  # pypdf has no public API for adding a resource object
        DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        })
    )  # fmt: skip
    for part, start, end, sheet in zip(parts, starts, ends, strips, strict=True):
        strip = _Strip(_as_form(writer, sheet), width)
        for number in range(start, end):
            page = writer.pages[number - 1]
            if page.rotation:
                page.transfer_rotation_to_content()
            _stamp_page(
                writer, page, strip, font, f"page {number} of {total}", shrink=not part.drawn
            )


@dataclass(frozen=True, slots=True)
class _Strip:
    """A part's stamp: its one-line form XObject and the width it was laid out for."""

    form: IndirectObject
    width: float


NUMBER_ROOM = 72.0  # points kept for "page N of M" at the right of the band


def _as_form(writer: PdfWriter, strip: PageObject) -> IndirectObject:
    """A one-line strip page as a reusable form XObject."""
    content = strip.get_contents()
    resources: Any = strip["/Resources"]
    box = strip.mediabox
    form = StreamObject()
    form.set_data(content.get_data() if content is not None else b"")
    bbox = [FloatObject(0), FloatObject(0), FloatObject(box.width), FloatObject(box.height)]
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(bbox),
        NameObject("/Resources"): resources.get_object().clone(writer),
    })  # fmt: skip
    return writer._add_object(form)


def _stamp_page(
    writer: PdfWriter,
    page: PageObject,
    strip: _Strip,
    font: IndirectObject,
    number: str,
    *,
    shrink: bool,
) -> None:
    box = page.mediabox
    left, bottom = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    before = b"q\n"
    if shrink:
        s = (height - BAND) / height
        tx = left + width * (1 - s) / 2 - s * left
        ty = bottom - s * bottom
        before = f"q {s:.5f} 0 0 {s:.5f} {tx:.3f} {ty:.3f} cm\n".encode()
    top = bottom + height - BAND + 1
    number_x = left + width - 24 - 3.7 * len(number)
    x = left + 24
    after = (
        f"\nQ\nq {x:.3f} {top:.3f} {strip.width:.3f} 12 re W n"
        f" 1 0 0 1 {x:.3f} {top:.3f} cm /RPStamp Do Q\n"
        f"BT /RPFont 7 Tf 0.27 g {number_x:.3f} {top + 3.2:.3f} Td ({number}) Tj ET\n"
    ).encode()
    contents = page.get("/Contents")
    existing = contents.get_object() if contents is not None else None
    if isinstance(existing, ArrayObject):
        streams = list(existing)
    elif existing is None:
        streams = []
    else:
        streams = [contents]
    page[NameObject("/Contents")] = ArrayObject(
        [_stream(writer, before), *streams, _stream(writer, after)]
    )
    resources = page.get("/Resources")
    resources = DictionaryObject(resources.get_object() if resources is not None else {})
    for key, name, ref in (("/XObject", "/RPStamp", strip.form), ("/Font", "/RPFont", font)):
        current = resources.get(key)
        sub = DictionaryObject(current.get_object() if current is not None else {})
        sub[NameObject(name)] = ref
        resources[NameObject(key)] = sub
    page[NameObject("/Resources")] = resources


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


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
