"""Measure ``scan`` on a generated folder beside a bare pydicom header loop on the same files.

    python bench/scan_speed.py --files 2000      # prints a table, writes bench/results.json

Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recordpack.scan import scan_folder  # noqa: E402
from recordpack.timeline import build_timeline  # noqa: E402
from tests.builders import dicom_bytes, jpeg_bytes, pdf_bytes  # noqa: E402

LAB = ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Hemoglobin 13 g/dL  Reference range 12-15"]


def make_folder(root: Path, files: int, seed: int = 7) -> None:
    """~80% DICOM slices in 10 studies, the rest PDFs (1-5 pages) and photos."""
    rng = random.Random(seed)
    pdfs = [pdf_bytes([*LAB, f"note {n}"], pages=rng.randint(1, 5)) for n in range(50)]
    photo = jpeg_bytes()
    for n in range(files):
        roll = rng.random()
        if roll < 0.8:
            study = n % 10
            path = root / "DICOM" / f"ST{study:02d}" / f"IM{n:05d}"
            data = dicom_bytes(study=str(study), series=n % 4, instance=n)
        elif roll < 0.97:
            path = root / "docs" / f"download ({n}).pdf"
            data = pdfs[n % len(pdfs)] + f"\n%{n}\n".encode()  # distinct content, same pages
        else:
            path = root / "photos" / f"IMG_{n}.jpg"
            data = photo + n.to_bytes(4, "little")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Run the measurements and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument(
        "--folder", type=Path, help="measure this folder instead of a generated one"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="recordpack-bench-"))
    try:
        folder = args.folder or tmp / "records"
        if not args.folder:
            make_folder(folder, args.files)
        files = [p for p in folder.rglob("*") if p.is_file()]
        dicoms = [p for p in files if p.parent.parent.name == "DICOM" or p.name.startswith("IM")]
        scan_folder(folder)  # warm the page cache so both sides read from memory
        result = {}
        timeline = None

        def run_scan() -> None:
            nonlocal timeline
            timeline = build_timeline(scan_folder(folder))

        result["scan_s"] = timed(run_scan)
        result["pydicom_loop_s"] = timed(
            lambda: [pydicom.dcmread(p, stop_before_pixels=True, force=True) for p in dicoms]
        )
        if timeline is None:
            raise SystemExit("scan did not run")
        pages = sum(i.pages or 0 for i in timeline.items if i.kind.value == "pdf")
        result |= {
            "files": len(files),
            "dicom_files": len(dicoms),
            "pdf_pages": pages,
            "items": len(timeline.items),
            "files_per_s": len(files) / result["scan_s"],
        }
        print(json.dumps(result, indent=2))
        (ROOT / "bench" / "results.json").write_text(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
