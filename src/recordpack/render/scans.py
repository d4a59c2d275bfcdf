"""Photos and scans as PDF pages, at full resolution and without re-encoding JPEGs.

A JPEG is embedded as it is (DCTDecode), so a phone photo loses nothing and barely grows; EXIF
orientation 3, 6 and 8 become the page's /Rotate. Other images (PNG, TIFF, mirrored JPEGs) are
stored losslessly with Flate. Each image gets a page of Letter size (portrait or landscape) with
the image fitted inside a margin.
"""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageOps
from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

LETTER = (612.0, 792.0)
MARGIN = 24.0
_ROTATE = {3: 180, 6: 90, 8: 270}  # EXIF orientation -> clockwise page rotation


def image_pages(data: bytes) -> bytes:
    """A PDF with one page per frame of the image."""
    writer = PdfWriter()
    with Image.open(io.BytesIO(data)) as img:
        orientation = img.getexif().get(0x0112, 1)
        for frame in range(getattr(img, "n_frames", 1)):
            img.seek(frame)
            if img.format == "JPEG" and orientation in (1, *_ROTATE):
                xobject = _jpeg_xobject(data, img)
                rotate = _ROTATE.get(orientation, 0)
            else:
                upright = ImageOps.exif_transpose(img) if frame == 0 else img.copy()
                xobject = _flate_xobject(upright)
                rotate = 0
            _add_image_page(writer, xobject, rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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


def _flate_xobject(img: Image.Image) -> StreamObject:
    if img.mode not in ("L", "RGB"):
        img = img.convert("L" if img.mode in ("1", "I;16", "I", "F", "LA") else "RGB")
    colorspace = "/DeviceGray" if img.mode == "L" else "/DeviceRGB"
    stream = StreamObject()
    stream.set_data(zlib.compress(img.tobytes(), 6))
    stream.update(_image_dict(img.size, colorspace, "/FlateDecode"))
    return stream


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


def _add_image_page(writer: PdfWriter, xobject: StreamObject, rotate: int) -> None:
    width, height = int(str(xobject["/Width"])), int(str(xobject["/Height"]))
    upright_w, upright_h = (height, width) if rotate in (90, 270) else (width, height)
    page_w, page_h = LETTER if upright_h >= upright_w else LETTER[::-1]
    if rotate in (90, 270):  # the page is drawn unrotated, then shown turned
        page_w, page_h = page_h, page_w
    scale = min((page_w - 2 * MARGIN) / width, (page_h - 2 * MARGIN) / height)
    draw_w, draw_h = width * scale, height * scale
    x, y = (page_w - draw_w) / 2, (page_h - draw_h) / 2
    page = PageObject.create_blank_page(width=page_w, height=page_h)
    ref = writer._add_object(xobject)  # pypdf has no public API for adding an image XObject
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): ref})}
    )
    content = DecodedStreamObject()
    content.set_data(f"q {draw_w:.3f} 0 0 {draw_h:.3f} {x:.3f} {y:.3f} cm /Im0 Do Q".encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    if rotate:
        page[NameObject("/Rotate")] = NumberObject(rotate)
    writer.add_page(page)
