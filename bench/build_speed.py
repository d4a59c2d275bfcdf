"""Measure ``recordpack build`` end to end: wall time and peak memory.

On the example and on a generated folder of about 2,000 pages, beside a bare pypdf merge and
qpdf on the same PDFs.

    python bench/build_speed.py [--pages 2000]

Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.builders import dicom_bytes, pdf_bytes  # noqa: E402

LAB = ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Hemoglobin 13 g/dL  Reference range 12-15"]


def make_folder(root: Path, pages: int) -> list[Path]:
    """PDFs of 10 pages each until ``pages``, and a 40-slice CT study."""
    pdfs = []
    for n in range(pages // 10):
        path = root / "docs" / f"download ({n}).pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf_bytes([*LAB, f"report {n}"], pages=10))
        pdfs.append(path)
    for n in range(40):
        path = root / "DICOM" / f"IM{n:05d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dicom_bytes(instance=n + 1))
    return pdfs


def measured(command: list[str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of a command, from GNU time."""
    start = time.perf_counter()
    run = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))  # type: ignore[union-attr]
    return {"seconds": round(wall, 2), "peak_rss_mb": round(rss / 1024, 1)}


def main() -> None:
    """Print a JSON table of the measurements."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="recordpack-build-bench-"))
    results = {}
    try:
        recordpack = [sys.executable, "-m", "recordpack"]
        results["example"] = measured(
            [
                *recordpack,
                "build",
                str(ROOT / "examples" / "dana-whitfield"),
                "-o",
                str(tmp / "ex.pdf"),
                "-q",
            ]
        )
        folder = tmp / "records"
        pdfs = make_folder(folder, args.pages)
        results[f"{args.pages}_pages"] = measured(
            [*recordpack, "build", str(folder), "-o", str(tmp / "big.pdf"), "-q"]
        )
        merge = (
            "import sys; from pypdf import PdfWriter; w = PdfWriter()\n"
            "for p in sys.argv[2:]: w.append(p)\n"
            "w.write(sys.argv[1])"
        )
        results["bare_pypdf_merge"] = measured(
            [sys.executable, "-c", merge, str(tmp / "merge.pdf"), *map(str, pdfs)]
        )
        if shutil.which("qpdf"):
            results["qpdf_merge"] = measured(
                ["qpdf", "--empty", "--pages", *map(str, pdfs), "--", str(tmp / "qpdf.pdf")]
            )
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
