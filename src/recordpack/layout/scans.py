"""Photos and scans as PDF pages, at full resolution and without re-encoding JPEGs.

A JPEG is embedded as it is (DCTDecode), so a phone photo loses nothing and barely grows; EXIF
orientation 3, 6 and 8 are applied by the drawing matrix, so the page is upright without
touching the pixels. Other images (PNG, TIFF faxes, mirrored JPEGs) are stored losslessly with
Flate. Each image gets a page of Letter or A4 size (portrait or landscape, by the image) with
the image fitted inside a margin, and, when OCR read it, the invisible text layer on top.
"""

from __future__ import annotations

import io
import os
import zlib

from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from recordpack.options import Paper
from recordpack.read.image import fit_to_page

SIZES = {Paper.LETTER: (612.0, 792.0), Paper.A4: (595.28, 841.89)}
_LETTER_COUNTRIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO", "PR", "SV"}
MARGIN = 24.0
_ROTATE = {3: 180, 6: 90, 8: 270}  # EXIF orientation -> clockwise page rotation


def default_paper() -> Paper:
    """Letter where the locale's country uses it (or no locale is set), A4 elsewhere."""
    for variable in ("LC_ALL", "LC_PAPER", "LANG"):
        value = os.environ.get(variable, "")
        if "_" in value:
            country = value.split("_", 1)[1][:2].upper()
            return Paper.LETTER if country in _LETTER_COUNTRIES else Paper.A4
    return Paper.LETTER


def image_pages(
    data: bytes,
    *,
    paper: Paper = Paper.LETTER,
    layers: dict[int, bytes] | None = None,
    turns: dict[int, int] | None = None,
) -> bytes:
    """A PDF with one page per frame of the image, with OCR text layers where given.

    A frame OCR read turned upright (``turns``: degrees clockwise) is shown turned so too: the
    page a doctor reads is the right way up, and its text layer lies over the words.
    """
    writer = PdfWriter()
    with Image.open(io.BytesIO(data)) as img:
        orientation = img.getexif().get(0x0112, 1)
        for frame in range(getattr(img, "n_frames", 1)):
            img.seek(frame)
            if img.format == "JPEG" and orientation in (1, *_ROTATE):
                xobject = _jpeg_xobject(data, img)
                rotate = _ROTATE.get(orientation, 0)
            elif img.format == "HEIF":  # no PDF filter decodes HEIC: as a high-quality JPEG
                xobject, rotate = _heic_as_jpeg(img), 0
            else:
                fitted = fit_to_page(img)  # drawn at once: no copy of the frame is needed
                turned = frame == 0 and orientation != 1
                xobject = _flate_xobject(ImageOps.exif_transpose(fitted) if turned else fitted)
                rotate = 0
            layer = (layers or {}).get(frame)
            rotate = (rotate + (turns or {}).get(frame, 0)) % 360
            _add_image_page(writer, xobject, rotate, SIZES[paper], layer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_text_layers(
    pdf: bytes, layers: dict[int, bytes], turns: dict[int, int] | None = None
) -> bytes:
    """Lay OCR text layers over the scanned pages of a PDF (each layer stretched to its page).

    A page OCR read turned upright (``turns``: degrees clockwise) is turned so for the reader
    (its /Rotate), and its layer, made on the upright image, is turned back onto the content.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for number, layer in layers.items():
        if number < len(writer.pages):
            page = writer.pages[number]
            box = page.mediabox
            x, y, w, h = float(box.left), float(box.bottom), float(box.width), float(box.height)
            turn = (turns or {}).get(number, 0)
            if turn:
                page.rotate(turn)
            _overlay(page, layer, x, y, w, h, turn)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay(
    page: PageObject,
    layer: bytes,
    x: float,
    y: float,
    width: float,
    height: float,
    turn: int = 0,
) -> None:
    """Merge an invisible text layer onto the rectangle where its image is drawn.

    ``turn``: the page is shown turned this many degrees clockwise and the layer was made on
    the upright image, so the layer is turned as many degrees back (counter-clockwise).
    """
    text_page = PdfReader(io.BytesIO(layer)).pages[0]
    lw, lh = float(text_page.mediabox.width), float(text_page.mediabox.height)
    upright_w, upright_h = (height, width) if turn in (90, 270) else (width, height)
    move = {0: (x, y), 90: (x + width, y), 180: (x + width, y + height), 270: (x, y + height)}
    dx, dy = move[turn]
    page.merge_transformed_page(
        text_page,
        Transformation().scale(upright_w / lw, upright_h / lh).rotate(turn).translate(dx, dy),
    )


def _jpeg_xobject(data: bytes, img: Image.Image) -> StreamObject:
    colorspace = {"L": "/DeviceGray", "RGB": "/DeviceRGB", "CMYK": "/DeviceCMYK"}.get(
        img.mode, "/DeviceRGB"
    )
    stream = StreamObject()
    stream.set_data(data)
    stream.update(_image_dict(img.size, colorspace, "/DCTDecode"))
    if img.mode == "CMYK":  # Adobe JPEGs store CMYK inverted
        stream[NameObject("/Decode")] = ArrayObject([NumberObject(v) for v in (1, 0) * 4])
    return stream


def _heic_as_jpeg(img: Image.Image) -> StreamObject:
    upright = ImageOps.exif_transpose(img).convert("RGB")
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=90)
    with Image.open(io.BytesIO(out.getvalue())) as jpeg:
        return _jpeg_xobject(out.getvalue(), jpeg)


def _fax_xobject(img: Image.Image) -> StreamObject:
    """A black-and-white page as CCITT Group 4 (what fax TIFFs hold): small, and lossless."""
    single_strip = io.BytesIO()
    img.save(single_strip, "TIFF", compression="group4", tiffinfo={278: img.height})
    with Image.open(single_strip) as tiff:
        tags = tiff.getexif()  # the TIFF's own tags: strip offset and size, photometric
        offset, count = tags[273], tags[279]
        black_is_zero = tags.get(262, 0) == 1
    stream = StreamObject()
    stream.set_data(single_strip.getvalue()[offset : offset + count])
    stream.update(_image_dict(img.size, "/DeviceGray", "/CCITTFaxDecode"))
    stream[NameObject("/BitsPerComponent")] = NumberObject(1)
    stream[NameObject("/DecodeParms")] = DictionaryObject(
        {
            NameObject("/K"): NumberObject(-1),
            NameObject("/Columns"): NumberObject(img.size[0]),
            NameObject("/Rows"): NumberObject(img.size[1]),
            NameObject("/BlackIs1"): BooleanObject(black_is_zero),
        }
    )
    return stream


def _flate_xobject(img: Image.Image) -> StreamObject:
    if img.mode == "1":
        return _fax_xobject(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("L" if img.mode in ("1", "I;16", "I", "F", "LA") else "RGB")
    colorspace = "/DeviceGray" if img.mode == "L" else "/DeviceRGB"
    stream = StreamObject()
    stream.set_data(_deflated(img))
    stream.update(_image_dict(img.size, colorspace, "/FlateDecode"))
    return stream


def _deflated(img: Image.Image, rows: int = 256) -> bytes:
    """The pixels, deflated a band of rows at a time: never a second whole copy in memory."""
    width, height = img.size
    packer = zlib.compressobj(6)
    bands = [
        packer.compress(img.crop((0, top, width, min(top + rows, height))).tobytes())
        for top in range(0, height, rows)
    ]
    return b"".join([*bands, packer.flush()])


def _image_dict(size: tuple[int, int], colorspace: str, filter_: str) -> dict[NameObject, object]:
    return {
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(size[0]),
        NameObject("/Height"): NumberObject(size[1]),
        NameObject("/ColorSpace"): NameObject(colorspace),
        NameObject("/BitsPerComponent"): NumberObject(8),
        NameObject("/Filter"): NameObject(filter_),
    }


def _add_image_page(
    writer: PdfWriter,
    xobject: StreamObject,
    rotate: int,
    paper: tuple[float, float],
    layer: bytes | None,
) -> None:
    width, height = int(str(xobject["/Width"])), int(str(xobject["/Height"]))
    up_w, up_h = (height, width) if rotate in (90, 270) else (width, height)
    page_w, page_h = paper if up_h >= up_w else paper[::-1]
    scale = min((page_w - 2 * MARGIN) / up_w, (page_h - 2 * MARGIN) / up_h)
    dw, dh = up_w * scale, up_h * scale
    x, y = (page_w - dw) / 2, (page_h - dh) / 2
    # Map the image's unit square onto the upright rectangle, turning it as EXIF asks.
    matrix = {
        0: (dw, 0, 0, dh, x, y),
        90: (0, -dh, dw, 0, x, y + dh),
        180: (-dw, 0, 0, -dh, x + dw, y + dh),
        270: (0, dh, -dw, 0, x + dw, y),
    }[rotate]
    page = PageObject.create_blank_page(width=page_w, height=page_h)
    ref = writer._add_object(xobject)  # pypdf has no public API for adding an image XObject
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): ref})}
    )
    content = DecodedStreamObject()
    content.set_data(("q " + " ".join(f"{v:.3f}" for v in matrix) + " cm /Im0 Do Q").encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    added = writer.add_page(page)
    if layer:
        _overlay(added, layer, x, y, dw, dh)
