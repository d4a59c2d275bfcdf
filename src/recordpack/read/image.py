"""Photos and scans: size, page count, and the date the photo was taken (EXIF)."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from recordpack.errors import ReadError
from recordpack.models import Kind, Reading

try:  # iPhone photos: with the optional extra, Pillow opens HEIC like any image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC_SUPPORT = True
except ImportError:
    HEIC_SUPPORT = False

MAX_PIXELS = 80_000_000  # the default of --limit megapixels: a 600-dpi A3 scan is ~70 MP
PAGE_PIXELS = 12_000_000  # about 300 dpi over a whole Letter or A4 page
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_DATE_TIME = 0x0132


def read_image(stream: BinaryIO, kind: Kind, max_pixels: int = MAX_PIXELS) -> Reading:
    """Read an image's header (not its pixels) and its EXIF capture date."""
    if kind is Kind.HEIC and not HEIC_SUPPORT:
        raise ReadError(
            "HEIC photo: this format needs an extra to be read",
            "pip install 'recordpack[heic]', or export it as JPEG "
            "(iPhone: Settings > Camera > Formats > Most Compatible)",
        )
    Image.MAX_IMAGE_PIXELS = max_pixels  # also guards the later decoding, in layout and OCR
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                width, height = img.size
                frames = getattr(img, "n_frames", 1)
                # A PNG's EXIF may follow its pixels: asking for it then decodes them all.
                exif = img.getexif() if kind is not Kind.PNG or "exif" in img.info else Image.Exif()
                taken = exif.get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL) or exif.get(_DATE_TIME)
                if kind is Kind.PNG:
                    img.verify()  # every chunk's checksum, without decoding a pixel
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ReadError(
            f"image of more than {max_pixels // 1_000_000} megapixels: too large for a page",
            "if it is a real scan, re-scan it at 300 dpi, or raise the limit with --limit"
            f" megapixels={max_pixels // 500_000} (each megapixel needs about 4 MB of memory)",
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ReadError(
            f"damaged or unreadable image ({type(exc).__name__}: {exc})",
            "take the photo or scan again, or export it again",
        ) from exc
    dates: dict[str, dt.date] = {}
    if isinstance(taken, str) and (date := _exif_date(taken)):
        dates["exif:DateTimeOriginal"] = date
    return Reading(
        kind=kind,
        pages=frames,
        dates=dates,
        scanned=True,
        pixels=(width, height),
    )


def _exif_date(value: str) -> dt.date | None:
    """EXIF dates look like ``2025:03:14 09:30:00``."""
    try:
        return dt.datetime.strptime(value.strip()[:10], "%Y:%m:%d").date()  # noqa: DTZ007
    except ValueError:
        return None


def fit_to_page(img: Image.Image) -> Image.Image:
    """A huge scan brought down to about 300 dpi at page size, before any copy is made.

    Printing and OCR gain nothing past 300 dpi, and an 80-megapixel page decodes to 320 MB
    (Pillow keeps RGB in four bytes a pixel): each copy of it would cost as much again.
    """
    width, height = img.size
    if img.mode == "1" or width * height <= 2 * PAGE_PIXELS:
        return img
    return img.reduce(math.ceil(math.sqrt(width * height / PAGE_PIXELS)))
