"""Key images of a DICOM study: a few representative slices per series, windowed and small.

Pixels are decoded here and nowhere else, one file at a time, so memory does not grow with the
study. Windowing follows the file: the modality LUT (rescale slope and intercept) first, then
the VOI LUT or window centre/width the scanner stored; when there is none, a window is taken
from the 1st to the 99th percentile and the caption says so.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydicom.multival import MultiValue

from recordpack.models import Source

FRAMES_PER_SERIES = 6
THUMBNAIL = 256


@dataclass(frozen=True, slots=True)
class KeyImage:
    """One rendered slice: a PNG data URI and the window used to draw it."""

    instance: int
    uri: str
    window: str


def pick_instances(
    files: list[tuple[int, Source]], count: int = FRAMES_PER_SERIES
) -> list[tuple[int, Source]]:
    """Evenly spaced slices through the series (first and last included)."""
    if len(files) <= count:
        return files
    step = (len(files) - 1) / (count - 1)
    return [files[round(n * step)] for n in range(count)]


def render_key_image(data: bytes) -> tuple[bytes, str]:
    """Decode one DICOM image (first frame) to a small PNG; returns the PNG and the window used."""
    import numpy as np
    import pydicom
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        try:
            pixels = ds.pixel_array
        except Exception as exc:
            syntax = getattr(ds.file_meta, "TransferSyntaxUID", None)
            name = syntax.name if syntax is not None else "unknown"
            raise ValueError(
                f"image not rendered: {name} needs a decoder "
                "(pip install 'recordpack[dicom-codecs]') or the file is damaged"
            ) from exc
    if getattr(ds, "NumberOfFrames", 1) and int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        pixels = pixels[0]
    if pixels.ndim == 3:  # colour (pydicom has already converted YBR to RGB)
        image = Image.fromarray(pixels.astype(np.uint8) if pixels.dtype != np.uint8 else pixels)
        window = "colour, as stored"
    else:
        grey, window = grey_levels(pixels, ds)
        image = Image.fromarray(grey)
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # WeasyPrint decodes and compresses it again
    return out.getvalue(), window


def grey_levels(pixels: Any, ds: Any, *, by_value: bool = True) -> tuple[Any, str]:
    """A slice windowed to 256 grey levels, and the window used.

    Each step maps a stored value to a grey level whatever its neighbours, so for integer
    pixels it runs on each value the slice can hold once (a table of at most one entry per
    pixel) and the slice is looked up in it: the same levels, without windowing every pixel
    in floating point (``by_value=False`` does that, to check the two agree).
    """
    import numpy as np
    from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut

    lowest = int(pixels.min()) if pixels.dtype.kind in "iu" else 0
    span = int(pixels.max()) - lowest + 1 if pixels.dtype.kind in "iu" else 0
    if by_value and 0 < span <= pixels.size:
        index = pixels.astype(np.int64) - lowest
        stored = np.arange(lowest, lowest + span, dtype=pixels.dtype)
    else:
        index, stored = None, pixels
    values = apply_modality_lut(stored, ds)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        values = apply_voi_lut(values, ds, index=0)
        window = _window_text(ds)
    else:
        low, high = np.percentile(values if index is None else values[index], (1, 99))
        values = np.clip(values, low, high)
        window = f"auto W {high - low:.0f} / L {(high + low) / 2:.0f}"
    values = values.astype(np.float64)
    shown = values
    if index is not None:  # the levels are spread over the values the slice holds
        held = np.zeros(span, dtype=bool)
        held[index] = True
        shown = values[held]
    low, high = float(shown.min()), float(shown.max())
    scaled = (values - low) / (high - low) * 255 if high > low else values * 0
    grey = scaled.astype(np.uint8)
    if str(ds.get("PhotometricInterpretation", "MONOCHROME2")) == "MONOCHROME1":
        grey = 255 - grey
    return (grey if index is None else grey[index]), window


def _window_text(ds: Any) -> str:
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is None or width is None:
        return "VOI LUT from the file"
    first = [v[0] if isinstance(v, MultiValue | list | tuple) else v for v in (center, width)]
    return f"W {float(first[1]):.0f} / L {float(first[0]):.0f}"


def key_images(
    files: list[tuple[int, Source]], read: Callable[[Source], bytes]
) -> tuple[list[KeyImage], str]:
    """Render the chosen slices of one series; the note says what could not be drawn."""
    images = []
    notes = []
    for instance, source in pick_instances(files):
        try:
            png, window = render_key_image(read(source))
        except (ValueError, OSError, AttributeError, KeyError, TypeError) as exc:
            notes.append(
                str(exc)
                if str(exc).startswith("image not rendered")
                else f"image not rendered: {type(exc).__name__}: {exc}"
            )
            continue
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        images.append(KeyImage(instance, uri, window))
    return images, "; ".join(sorted(set(notes)))
