"""Generate large, realistic patient folders for the benchmarks (seeded; never committed).

    python bench/make_corpus.py --size L bench/corpus/L

| size | DICOM slices (studies) | PDFs (pages) | photos | portal zips |
|------|------------------------|--------------|--------|-------------|
| S    | 400 (4), 256x256       | 30 (200)     | 20     | 1           |
| M    | 2,000 (6), 512x512     | 100 (700)    | 60     | 2           |
| L    | 8,000 (12), 512x512    | 300 (2,000)  | 200    | 3           |
| XL   | 20,000 (24), 512x512   | 800 (5,000)  | 500    | 6           |

One study in four is RLE-compressed; one PDF in ten is image-only (a scan). Slices of a series
share their pixels (with their own headers and UIDs), which keeps generation fast; recordpack
reads headers, not pixels, so the measurements are not affected.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.uid import RLELossless, generate_uid

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recordpack.layout.scans import image_pages  # noqa: E402
from tests.builders import REPORT, dicom_dataset, pdf_bytes, scan_image  # noqa: E402


@dataclass(frozen=True)
class Size:
    """How much of each kind of record a corpus holds."""

    slices: int
    studies: int
    matrix: int
    pdfs: int
    pages: int
    photos: int
    zips: int


SIZES = {
    "S": Size(400, 4, 256, 30, 200, 20, 1),
    "M": Size(2000, 6, 512, 100, 700, 60, 2),
    "L": Size(8000, 12, 512, 300, 2000, 200, 3),
    "XL": Size(20000, 24, 512, 800, 5000, 500, 6),
}
KINDS = [
    [
        "COMPLETE BLOOD COUNT",
        "Collected: {date}",
        "Hemoglobin 13.1 g/dL  Reference range 12.0-15.5",
    ],
    [
        "SURGICAL PATHOLOGY REPORT",
        "Date of procedure: {date}",
        "Gross description:",
        "Final diagnosis:",
    ],
    ["CT CHEST WITH CONTRAST", "Exam date: {date}", "Technique:", "Findings:", "Impression:"],
    [
        "OPERATIVE REPORT",
        "Date of surgery: {date}",
        "Surgeon: A. Smith",
        "Estimated blood loss: 20 mL",
    ],
    [
        "Oncology Consultation",
        "Date of visit: {date}",
        "History of present illness:",
        "Assessment and plan:",
    ],
]


def make_corpus(target: Path, size: Size, seed: int = 7) -> None:
    """Write a patient folder of the given size into ``target``."""
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    _dicom(target / "DICOM", size, rng)
    documents = _documents(size, rng)
    per_zip = len(documents) // (size.zips + 2)
    for z in range(size.zips):
        members = documents[z * per_zip : (z + 1) * per_zip]
        with zipfile.ZipFile(
            target / f"MyChart_export_{z + 1}.zip", "w", zipfile.ZIP_DEFLATED
        ) as zf:
            for name, data in members:
                zf.writestr(f"records/{name}", data)
    for name, data in documents[size.zips * per_zip :]:
        (target / "docs").mkdir(exist_ok=True)
        (target / "docs" / name).write_bytes(data)
    photo = scan_image(REPORT).convert("RGB")
    for n in range(size.photos):
        out = io.BytesIO()
        photo.rotate(rng.uniform(-2, 2), fillcolor=(250, 250, 250)).save(out, "JPEG", quality=70)
        (target / "photos").mkdir(exist_ok=True)
        (target / "photos" / f"IMG_{2000 + n}.jpg").write_bytes(out.getvalue())


def _dicom(folder: Path, size: Size, rng: random.Random) -> None:
    per_study = size.slices // size.studies
    y, x = np.mgrid[: size.matrix, : size.matrix]
    body = ((x - size.matrix / 2) ** 2 + (y - size.matrix / 2) ** 2) < (size.matrix * 0.4) ** 2
    for study in range(size.studies):
        modality = "CT" if study % 2 else "MR"
        date = f"2025{1 + study % 12:02d}{1 + study:02d}"
        pixels = (body * (800 + rng.randint(0, 200))).astype(np.uint16).tobytes()
        compressed = study % 4 == 3
        encoded = None
        for n in range(per_study):
            series = 1 + n * 3 // per_study
            ds = dicom_dataset(
                study=f"bench-{study}",
                series=series,
                instance=n + 1,
                modality=modality,
                date=date,
                description=f"{modality} STUDY {study + 1}",
            )
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.Rows = ds.Columns = size.matrix
            ds.BitsStored, ds.HighBit = 12, 11
            ds.WindowCenter, ds.WindowWidth = 400, 1600
            ds.PixelData = pixels
            if compressed:
                if encoded is None:
                    ds.compress(RLELossless)
                    encoded = ds.PixelData
                else:
                    ds.file_meta.TransferSyntaxUID = RLELossless
                    ds.PixelData = encoded
                    ds["PixelData"].is_undefined_length = True
                    ds["PixelData"].VR = "OB"
            path = folder / f"ST{study:04d}" / f"SE{series:04d}" / f"IM{n:05d}"
            path.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(path, enforce_file_format=True)


def _documents(size: Size, rng: random.Random) -> list[tuple[str, bytes]]:
    scan = io.BytesIO()
    scan_image(REPORT).save(scan, "JPEG", quality=70)
    scanned_page = image_pages(scan.getvalue())
    documents = []
    pages_left = size.pages
    for n in range(size.pdfs):
        pages = max(1, round(pages_left / (size.pdfs - n)))
        pages_left -= pages
        if n % 10 == 9:
            documents.append((f"scan{n:04d}.pdf", scanned_page))
            continue
        lines = [line.format(date=f"0{1 + n % 9}/1{n % 9}/2025") for line in KINDS[n % len(KINDS)]]
        documents.append((f"download ({n}).pdf", pdf_bytes([*lines, f"document {n}"], pages=pages)))
    rng.shuffle(documents)
    return documents


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    make_corpus(args.target, SIZES[args.size])


if __name__ == "__main__":
    main()
