"""Each record as PDF pages, copied or drawn.

A PDF is copied as it is (decrypted when needed, with OCR text on its scanned pages); a text
file or a photo is laid out; an imaging study is drawn with its key images.
"""

from __future__ import annotations

import dataclasses
import io
from concurrent.futures import Future

import pikepdf
from pypdf import PdfReader, PdfWriter

from recordpack.assemble import extract_pages, pages_of
from recordpack.context import Context
from recordpack.layout import cover
from recordpack.layout.drawing import Drawing
from recordpack.layout.scans import add_text_layers, default_paper, image_pages
from recordpack.models import Category, Item, Kind, Source
from recordpack.options import BuildOptions

Drawn = tuple[Future[list[bytes]], int]  # a run of study drawings, and which of them


def study_pages(
    drawing: Drawing, ctx: Context, studies: list[Item], originals: str, template_dir: str | None
) -> dict[str, Drawn]:
    """Every imaging study's drawing, by item id: one run per worker, each drawing several.

    A run that fails leaves its studies to be drawn alone by :func:`item_pages`, so a failure
    gets a name.
    """
    drawn: dict[str, Drawn] = {}
    for n in range(drawing.workers):
        run = studies[n :: drawing.workers]
        if run:
            whole = drawing.submit(
                cover.render_studies, run, ctx.records.read, originals, template_dir
            )
            drawn |= {item.id: (whole, k) for k, item in enumerate(run)}
    return drawn


def item_pages(ctx: Context, item: Item, options: BuildOptions, originals: str) -> bytes:
    """The pages of one record: copied from its PDF, or drawn (study, text, photo).

    Scanned pages get the invisible text layer OCR made for them, so they can be searched.
    """
    if item.category is Category.IMAGING:
        return cover.render_studies([item], ctx.records.read, originals, options.template_dir)[0]
    layers = item.ocr.layers if item.ocr else {}
    turns = item.ocr.turns if item.ocr else {}
    password = ctx.options.password
    source = item.sources[0]
    if item.kind is Kind.PDF and source.pages:  # one report of a file that holds several
        whole = dataclasses.replace(source, pages=None)
        pdf = pages_of(_opened(ctx, whole, password), source.pages)
        return add_text_layers(pdf, layers, turns) if layers else pdf
    data = ctx.records.read(source)
    match item.kind:
        case Kind.PDF:
            pdf = _plain_pdf(data, password)
            return add_text_layers(pdf, layers, turns) if layers else pdf
        case Kind.DICOM if item.encapsulated:  # a PDF report wrapped in DICOM
            import pydicom

            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            inner = _plain_pdf(bytes(ds.EncapsulatedDocument).rstrip(b"\0"), password)
            return extract_pages(inner, item.sources[0].pages)
        case Kind.TEXT | Kind.DICOM:  # text, or a structured report's content as text
            return cover.render_text(item, options.template_dir)
        case Kind.JPEG | Kind.PNG | Kind.TIFF | Kind.HEIC:
            paper = options.paper or default_paper()
            return image_pages(data, paper=paper, layers=layers, turns=turns)
        case _:
            raise ValueError(f"{item.kind.value} files cannot be placed in a PDF")


_last: list[tuple[Source, pikepdf.Pdf]] = []  # the file of many reports opened last


def _opened(ctx: Context, whole: Source, password: str | None) -> pikepdf.Pdf:
    """A file of many reports, read and opened once for all of them, not once for each.

    Its reports follow one another in the packet's order by date only by chance, so the file
    may be opened again later; one file is kept open at a time.
    """
    if _last and _last[0][0] == whole:
        return _last[0][1]
    data = ctx.records.read(whole)
    for candidate in dict.fromkeys((password or "", "")):
        try:
            opened = pikepdf.open(io.BytesIO(data), password=candidate)
        except pikepdf.PasswordError:
            continue
        _last[:] = [(whole, opened)]
        return opened
    raise ValueError("encrypted PDF: pass --password")


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
