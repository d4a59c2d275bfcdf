"""Stage 6, assemble: join the laid-out parts into packet.pdf with pikepdf (qpdf).

Pages are copied, never re-rendered; the packet gets bookmarks, links from the index, page
labels, a stamp on every page and its metadata, and loses all active content
(:mod:`recordpack.sanitize`).

qpdf rather than pypdf for this stage: on the same 2,000 pages it copies and writes in about a
tenth of the time (bench/results.md); pypdf still reads the documents in the scan.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

import pikepdf
from pikepdf import Array, Dictionary, Name, Page

from recordpack.sanitize import remove_active_content

BAND = 14.0  # points kept free at the top of every source page for the stamp
STAMP_WIDTH = 475.0  # points: an A4 page less its margins and the page number's room
STAMP_HEIGHT = 12.0  # points: a stamp's strip, shown in the band
NUMBER_ROOM = 72.0  # points kept for "page N of M" at the right of the band
LINK_PREFIX = "https://recordpack.invalid/page/"  # cover links, turned into internal jumps
_BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")


@dataclass(frozen=True, slots=True)
class Part:
    """A run of pages: one source document, or a page recordpack drew (cover, study, notes).

    Raises ``pikepdf.PdfError`` when ``pdf`` cannot be opened: the part cannot be placed.
    """

    title: str
    section: str
    pdf: bytes
    stamp: str
    drawn: bool = False  # drawn by recordpack with its own margins: no shrinking needed
    index: int | None = None  # timeline number of the item, for the outline
    document: pikepdf.Pdf = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Open the PDF once: the cover's index needs the page count, assembly the pages.

        A page tree qpdf cannot follow (pypdf may have read it in the scan) gives no pages: the
        part is refused, so the record is listed as not included instead of vanishing.
        """
        document = pikepdf.open(io.BytesIO(self.pdf))
        if not document.pages:
            raise ValueError("no page of this PDF can be copied (its page tree is damaged)")
        object.__setattr__(self, "document", document)

    @property
    def pages(self) -> int:
        """How many pages the part has."""
        return len(self.document.pages)


@dataclass(frozen=True, slots=True)
class Strips:
    """Stamp texts, each one page of ``pdf`` (``STAMP_WIDTH`` by ``STAMP_HEIGHT``) alone."""

    texts: tuple[str, ...]
    pdf: bytes


@dataclass(frozen=True, slots=True)
class Assembled:
    """Where each part of the written packet starts (1-based page numbers), and its size."""

    starts: tuple[int, ...]
    total_pages: int
    active_content_removed: int
    unstamped: tuple[int, ...] = ()  # pages too damaged to stamp, placed as they are


def assemble(
    parts: Sequence[Part],
    *,
    title: str,
    subject: str,
    strips: Strips,
    cover_parts: int = 1,
    encrypt_password: str | None = None,
    destination: BinaryIO,
    attachments: Sequence[tuple[str, bytes]] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> Assembled:
    """Join the parts, in order, into one PDF written to ``destination`` as it is made.

    Written, not returned: the packet never sits in memory whole beside its parts.

    Each part's stamp is its strip (from ``strips``, by text), shown in the top band of each of
    its pages. The first ``cover_parts`` parts get roman page labels.
    """
    packet = pikepdf.new()
    starts: list[int] = []
    for done, part in enumerate(parts, start=1):
        if progress:
            progress(done, len(parts), "assembling the PDF")
        starts.append((starts[-1] + parts[done - 2].pages) if starts else 1)
        packet.pages.extend(part.document.pages)
    pages = list(packet.pages)  # once: finding a page by its number walks the page tree
    total = len(pages)
    cover_end = starts[cover_parts] - 1 if len(starts) > cover_parts else total
    _link_cover(pages, cover_end)
    removed = remove_active_content(packet)  # before anything of ours is added
    unstamped = _stamp(packet, pages, parts, starts, strips)
    _outline(packet, pages, parts, starts, cover_parts)
    _label(packet, cover_end, total)
    _attach(packet, attachments)
    packet.docinfo["/Title"] = title
    packet.docinfo["/Subject"] = subject
    packet.docinfo["/Producer"] = packet.docinfo["/Creator"] = "recordpack"
    packet.Root.PageMode = Name.UseOutlines
    encryption: Any = False
    if encrypt_password:
        encryption = pikepdf.Encryption(user=encrypt_password, owner=encrypt_password, R=6)
    # Streams are copied as they are, never decoded and recompressed: a 7 KB page of nested
    # Flate inflates to 4 GB (22 s of qpdf's time). Our own small streams are deflated as made.
    sink = _Sink(destination)
    packet.save(
        cast("BinaryIO", sink),
        compress_streams=False,
        encryption=encryption,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=not encrypt_password,
    )
    if sink.error is not None:
        raise sink.error
    return Assembled(tuple(starts), total, removed, tuple(unstamped))


class _Sink:
    """What qpdf writes the packet to: a write that fails is kept and raised once qpdf is done.

    Given a plain file, pikepdf lets qpdf write to its descriptor, and a failed write (a full
    disk, a quota, a file too large) aborts the whole process from C++; given this, qpdf calls
    :meth:`write`, which never raises: after a failure qpdf goes on writing into nothing.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.error: OSError | None = None

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.out.seek(offset, whence)

    def tell(self) -> int:
        return self.out.tell()

    def write(self, data: bytes) -> int:
        if self.error is None:
            try:
                self.out.write(data)
            except OSError as exc:
                self.error = exc
        return len(data)

    def flush(self) -> None:
        if self.error is None:
            try:
                self.out.flush()
            except OSError as exc:
                self.error = exc


def _stamp(
    packet: pikepdf.Pdf, pages: list[Page], parts: Sequence[Part], starts: list[int], strips: Strips
) -> list[int]:
    """Stamp every page in a band at its top; source pages shrink a little to free the band.

    Each part's stamp (patient, item; any script) was laid out once, as its own one-line page,
    and is shown on each of the part's pages as a form: the page carries its own stamp's text
    and no other. The page number is plain Helvetica. Content streams are wrapped, never
    parsed, so a page costs microseconds, not milliseconds. Returns the numbers of the pages
    too damaged to stamp: they are placed as they are, never the end of the build.
    """
    sheets = pikepdf.open(io.BytesIO(strips.pdf))
    where = {text: n for n, text in enumerate(strips.texts)}
    font = packet.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    total = len(pages)
    sheet_pages = list(sheets.pages)
    ends = [*starts[1:], total + 1]
    unstamped = []
    for part, start, end in zip(parts, starts, ends, strict=True):
        form = packet.copy_foreign(sheet_pages[where[part.stamp]].as_form_xobject())
        for number in range(start, end):
            page = pages[number - 1]
            try:
                box = _mend(page)
                if rotate := _rotation(page):
                    box = _transfer_rotation(page, rotate, box)
                _stamp_page(
                    packet,
                    page,
                    box,
                    form,
                    font,
                    f"page {number} of {total}",
                    shrink=not part.drawn,
                )
            except (pikepdf.PdfError, TypeError, ValueError, ArithmeticError):
                unstamped.append(number)  # shown as it is, without its stamp
    return unstamped


def _mend(page: Page) -> tuple[float, float, float, float]:
    """The page's box, made usable as viewers make it: damaged entries replaced, not obeyed.

    A box that is not four finite numbers, or too small to show anything, becomes US Letter;
    other boxes that are not four numbers go; resources that are not dictionaries become empty
    ones (what they held could not be used).
    """
    box = _box(page.obj.get("/MediaBox"))
    if box is None:  # none of its own that can be used: the inherited one, or Letter
        try:
            inherited = _box(page.mediabox)
        except (TypeError, ValueError, pikepdf.PdfError):
            inherited = None
        box = inherited or _LETTER
        page.obj.MediaBox = Array(box)
    for key in _BOXES[1:]:
        if key in page.obj and _four(page.obj[key]) is None:
            del page.obj[key]
    if not isinstance(page.obj.get("/Resources"), Dictionary):
        page.obj.Resources = Dictionary()
    for kind in ("/XObject", "/Font"):
        if kind in page.obj.Resources and not isinstance(page.obj.Resources[kind], Dictionary):
            page.obj.Resources[kind] = Dictionary()
    return box


_LETTER = (0.0, 0.0, 612.0, 792.0)


def _four(value: Any) -> tuple[float, float, float, float] | None:
    """Four finite numbers, as a box or a rectangle must be; None for anything else."""
    if not isinstance(value, Array) or len(value) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x0, y0, x1, y1) if all(map(math.isfinite, (x0, y0, x1, y1))) else None


def _box(value: Any) -> tuple[float, float, float, float] | None:
    """A page box, corners in order, large enough to show a page beneath the band; or None."""
    if (four := _four(value)) is None:
        return None
    x0, y0, x1, y1 = four
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return box if min(box[2] - box[0], box[3] - box[1]) >= 3 * BAND else None


def _rotation(page: Page) -> int:
    """The page's turn in degrees (0, 90, 180 or 270); anything else is no turn, as viewers do."""
    try:
        rotate = int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError, OverflowError):
        rotate = 0
    if rotate % 90:
        rotate = 0
    if not rotate and "/Rotate" in page.obj:
        del page.obj["/Rotate"]
    return rotate


def _stamp_page(
    packet: pikepdf.Pdf,
    page: Page,
    box: tuple[float, float, float, float],
    form: pikepdf.Object,
    font: pikepdf.Object,
    number: str,
    *,
    shrink: bool,
) -> None:
    left, bottom, right, top_edge = box
    width, height = right - left, top_edge - bottom
    before = b"q\n"
    if shrink:
        s = (height - BAND) / height
        tx = left + width * (1 - s) / 2 - s * left
        ty = bottom - s * bottom
        before = f"q {s:.5f} 0 0 {s:.5f} {tx:.3f} {ty:.3f} cm\n".encode()
    top = bottom + height - BAND + 1
    number_x = left + width - 24 - 3.7 * len(number)
    x = left + 24
    scale = min(1.0, max(0.4, (width - 48 - NUMBER_ROOM) / STAMP_WIDTH))  # narrow pages
    clip = min(STAMP_WIDTH * scale, max(width - 48 - NUMBER_ROOM, 0.0))
    after = (
        f"\nQ\nq {x:.3f} {top:.3f} {clip:.3f} {STAMP_HEIGHT:g} re W n"
        f" {scale:.4f} 0 0 {scale:.4f} {x:.3f} {top:.3f} cm /RPStamp Do Q\n"
        f"BT /RPFont 7 Tf 0.27 g {number_x:.3f} {top + 3.2:.3f} Td ({number}) Tj ET\n"
    ).encode()
    page.contents_add(_deflated(packet, before), prepend=True)
    page.contents_add(_deflated(packet, after))
    page.add_resource(form, Name.XObject, Name.RPStamp)
    page.add_resource(font, Name.Font, Name.RPFont)


def _deflated(packet: pikepdf.Pdf, data: bytes) -> pikepdf.Stream:
    stream = pikepdf.Stream(packet, b"")
    stream.write(zlib.compress(data), filter=Name.FlateDecode)
    return stream


def _transfer_rotation(
    page: Page, rotate: int, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Turn the page's content as a viewer would show it, so the band is at its visible top.

    ``rotate`` is 90, 180 or 270. Returns the page's box as turned.
    """
    x0, y0, x1, y1 = box
    a, b, c, d, e, f = {
        90: (0, -1, 1, 0, -y0, x1),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, 1, -1, 0, y1, -x0),
    }[rotate]

    def moved(rect: Any) -> Array:
        (px, py), (qx, qy) = (
            (a * u + c * v + e, b * u + d * v + f)
            for u, v in ((float(rect[0]), float(rect[1])), (float(rect[2]), float(rect[3])))
        )
        return Array([min(px, qx), min(py, qy), max(px, qx), max(py, qy)])

    annots = page.obj.get("/Annots")
    rects = [
        annot
        for annot in (annots if isinstance(annots, Array) else [])
        if isinstance(annot, Dictionary) and _four(annot.get("/Rect"))
    ]
    page.contents_add(f"q {a} {b} {c} {d} {e:.3f} {f:.3f} cm\n".encode(), prepend=True)
    page.contents_add(b"\nQ\n")
    del page.obj["/Rotate"]
    for key in _BOXES:
        if key in page.obj:
            page.obj[key] = moved(page.obj[key])
    for annot in rects:
        annot["/Rect"] = moved(annot["/Rect"])
    turned = moved(box)
    return (float(turned[0]), float(turned[1]), float(turned[2]), float(turned[3]))


def _attach(packet: pikepdf.Pdf, attachments: Sequence[tuple[str, bytes]]) -> None:
    """The original DICOM files, as the PDF's attachments (--attach-originals)."""
    for name, data in attachments:
        packet.attachments[name] = pikepdf.AttachedFileSpec(
            packet,
            data,
            filename=name,
            description="",
            mime_type="application/dicom",
            creation_date="",
            mod_date="",
        )


def _link_cover(pages: list[Page], cover_pages: int) -> None:
    """Turn the cover's placeholder links into jumps to pages of this PDF."""
    for page in pages[:cover_pages]:
        for annot in page.obj.get("/Annots") or []:
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            if not uri.startswith(LINK_PREFIX):
                continue
            target = int(uri.removeprefix(LINK_PREFIX)) - 1
            del annot["/A"]
            annot["/Dest"] = Array([pages[target].obj, Name.Fit])
            annot["/Border"] = Array([0, 0, 0])


def _outline(
    packet: pikepdf.Pdf,
    pages: list[Page],
    parts: Sequence[Part],
    starts: list[int],
    cover_parts: int,
) -> None:
    """Bookmarks: section, then each document in it."""
    sections: dict[str, pikepdf.OutlineItem] = {}

    def at(start: int) -> Array:  # a destination by page object, not number: no tree walk
        return Array([pages[start - 1].obj, Name.Fit])

    with packet.open_outline() as outline:
        for number, (part, start) in enumerate(zip(parts, starts, strict=True)):
            item = pikepdf.OutlineItem(part.title, at(start))
            if number < cover_parts or not part.section:
                outline.root.append(item)
                continue
            parent = sections.get(part.section)
            if parent is None:
                parent = pikepdf.OutlineItem(part.section, at(start))
                outline.root.append(parent)
                sections[part.section] = parent
            parent.children.append(item)


def _label(packet: pikepdf.Pdf, cover_end: int, total: int) -> None:
    """Roman numbers for the cover, then the page's own number (as the index gives it)."""
    labels = pikepdf.NumberTree.new(packet)
    labels[0] = Dictionary(S=Name.r)
    if cover_end < total:
        labels[cover_end] = Dictionary(S=Name.D, St=cover_end + 1)
    packet.Root.PageLabels = labels.obj


def extract_pages(pdf: bytes, pages: tuple[int, int] | None) -> bytes:
    """One report's pages of a file that holds several (each page goes in the packet once)."""
    if pages is None:
        return pdf
    with pikepdf.open(io.BytesIO(pdf)) as whole:
        return pages_of(whole, pages)


def pages_of(whole: pikepdf.Pdf, pages: tuple[int, int]) -> bytes:
    """Pages ``first`` to ``last`` (1-based) of an open PDF, as a PDF of their own."""
    first, last = pages
    if last > len(whole.pages):
        raise ValueError(f"pages {first}-{last} of a PDF of {len(whole.pages)} pages")
    with pikepdf.new() as part:
        part.pages.extend(whole.pages[first - 1 : last])
        out = io.BytesIO()
        part.save(out)
        return out.getvalue()
