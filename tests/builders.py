"""Builders for real test inputs: PDFs from fpdf2, DICOM from pydicom, photos from pillow."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from recordpack.models import Category, Item, Kind

EXAMPLE = Path(__file__).parent.parent / "examples" / "dana-whitfield"


def pdf_bytes(lines: list[str], *, pages: int = 1) -> bytes:
    """A text PDF whose first page holds ``lines``."""
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))  # same lines, same bytes
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for line in lines if n == 0 else [f"continued page {n + 1}"]:
            pdf.multi_cell(w=0, h=5, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pages_pdf(pages: list[list[str]], *, bookmarks: dict[int, str] | None = None) -> bytes:
    """A text PDF with one page per list of lines (an empty list: a blank page).

    ``bookmarks`` puts a top-level bookmark, by title, on the given pages (0-based).
    """
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    for n, lines in enumerate(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        if bookmarks and n in bookmarks:
            pdf.start_section(bookmarks[n])
        for line in lines:
            pdf.multi_cell(w=0, h=5, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_pdf(path: Path, lines: list[str], **kwargs: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(lines, **kwargs))
    return path


def dicom_dataset(
    *,
    study: str = "1",
    series: int = 1,
    instance: int = 1,
    modality: str = "CT",
    date: str = "20250520",
    description: str = "CT CHEST W CONTRAST",
) -> Dataset:
    """A small but complete DICOM image with real headers and 8x8 pixels."""
    sop = generate_uid(entropy_srcs=[study, str(series), str(instance)])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[study])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[study, str(series)])
    ds.StudyDate = date
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.Modality = modality
    ds.StudyDescription = description
    ds.SeriesDescription = f"series {series}"
    ds.SeriesNumber = series
    ds.InstanceNumber = instance
    ds.BodyPartExamined = "CHEST"
    ds.PatientName = "TEST^PATIENT"
    ds.PatientID = "12345"
    ds.PatientBirthDate = "19600101"
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(128))
    return ds


def dicom_bytes(*, preamble: bool = True, **kwargs: str | int) -> bytes:
    ds = dicom_dataset(**kwargs)  # type: ignore[arg-type]
    out = io.BytesIO()
    if preamble:
        ds.save_as(out, enforce_file_format=True)
    else:
        ds.save_as(out, implicit_vr=False, little_endian=True)  # no preamble, no file meta
    return out.getvalue()


def jpeg_bytes(
    *, taken: str | None = "2025:03:14 09:30:00", size: tuple[int, int] = (60, 80)
) -> bytes:
    img = Image.new("RGB", size, "white")
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under root and its hash (links not followed), to prove nothing was changed."""
    result = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink():
                result[str(path)] = "link:" + str(path.readlink())
            else:
                result[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def require_tool(name: str) -> str:
    """Path of an outside tool; missing in CI is a failure, elsewhere the test is skipped."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; .ci/run should install it")
    pytest.skip(f"{name} is not installed")


def make_item(id_: str = "x", **fields: object) -> Item:
    """An Item with harmless defaults, for stage tests that start after the scan."""
    values: dict[str, object] = {
        "category": Category.OTHER,
        "title": "t",
        "date": None,
        "date_source": "",
        "date_ambiguous": False,
        "reason": "",
        "pages": 1,
        "modality": None,
        "sources": (),
        "kind": Kind.PDF,
    }
    values.update(fields)
    return Item(id=id_, **values)  # type: ignore[arg-type]


REPORT = [
    "NORTHWIND MEDICAL LABORATORY",
    "COMPLETE BLOOD COUNT",
    "Patient: DOE, JANE   DOB: 01/02/1960",
    "Collected: 03/14/2025 07:40",
    "Test   Result   Units   Reference Range",
    "Hemoglobin   13.1   g/dL   12.0-15.5",
    "WBC   6.2   10^3/uL   4.0-10.5",
]


def scan_image(lines: list[str] = REPORT, *, angle: float = 1.2, seed: int = 3) -> Image.Image:
    """A page of text as a scanner or phone would see it: slightly turned, a little noisy."""
    from PIL import ImageDraw, ImageFont

    page = Image.new("L", (1275, 1650), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=30)
    for n, line in enumerate(lines):
        draw.text((110, 120 + 56 * n), line, fill=20, font=font)
    page = page.rotate(angle, fillcolor=250)
    noise = Image.effect_noise(page.size, 20).point(lambda v: v // 6)
    return Image.blend(page, noise, 0.06)


def phone_photo_jpeg(lines: list[str] = REPORT) -> bytes:
    """The page photographed sideways, with EXIF orientation 6 (turn 90 degrees to view)."""
    sideways = scan_image(lines).rotate(90, expand=True).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2025:03:15 10:00:00"
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=75, exif=exif)
    return out.getvalue()


def fax_tiff(pages: list[list[str]]) -> bytes:
    """A multi-page black-and-white fax (CCITT Group 4)."""
    frames = [
        scan_image(lines, angle=0.4).point(lambda v: 255 if v > 140 else 0).convert("1")
        for lines in pages
    ]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", compression="group4", save_all=True, append_images=frames[1:])
    return out.getvalue()


LAB = ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Hemoglobin 13 g/dL  Reference range 12-15"]


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of the given members, names written as given (even hostile ones)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return out.getvalue()


def problems_by_path(inventory: object) -> dict[str, object]:
    """An inventory's problems by the path they name."""
    return {p.path: p for p in inventory.problems}  # type: ignore[attr-defined]


def json_values(keys: list[str], *, leaves: int = 30) -> Any:
    """A hypothesis strategy for JSON of any shape whose objects use ``keys``: untrusted exports."""
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    return st.recursive(
        scalars | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.sampled_from(keys), children, max_size=5)
        ),
        max_leaves=leaves,
    )
