"""Benchmark recordpack against the practical limits, side by side, on the same files.

Scan times are of the work alone (each side's imports excluded, as the CLI's own start-up,
about 0.7 s, is reported separately); build and batch times are whole commands.

    python bench/run.py --sizes S M L          # writes bench/results.json and bench/results.md

For each corpus size (bench/make_corpus.py), in one run on the same files:

- ``scan`` cold (fresh cache) and warm (same cache, nothing changed), OCR off;
- a bare ``pydicom.dcmread(stop_before_pixels=True)`` loop over the same DICOM files;
- PDF pages classified per second (the documents alone);
- ``build`` end to end, its assembly stage beside a bare pypdf merge and qpdf of the same PDFs;
- peak memory (RSS of the process tree, from GNU time) and output size against input size;
- ``batch`` of 20 patients with ``--jobs 1`` and ``--jobs 2``.

The OS page cache is warmed before each measurement, so both sides of a comparison read from
memory. Timings live here and in the README, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_corpus import SIZES, Size, make_corpus  # noqa: E402

RECORDPACK = [sys.executable, "-m", "recordpack"]
TARGETS = {
    "scan_vs_pydicom": 1.3,
    "pdf_pages_per_s": 300,
    "warm_vs_cold": 0.05,
    "assembly_vs_pypdf": 1.5,
    "peak_mb_L": 500,
    "batch_speedup": 1.7,
}


def timed(command: list[str], **kwargs: Any) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (largest process of the tree), and stdout."""
    start = time.perf_counter()
    run = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=True, **kwargs
    )
    seconds = time.perf_counter() - start
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    return seconds, int(rss.group(1)) / 1024 if rss else 0.0, run.stdout


def warm(folder: Path) -> None:
    """Read every file once, so the measurements compare work, not disk."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.read_bytes()


def python(code: str, *args: str) -> list[str]:
    """A command running a bare Python reference."""
    return [sys.executable, "-c", code, *args]


PYDICOM_LOOP = (
    "import sys, pathlib, time, pydicom\n"
    "files = sorted(pathlib.Path(sys.argv[1]).rglob('IM*'))\n"
    "start = time.perf_counter()\n"
    "for p in files:\n"
    "    pydicom.dcmread(p, stop_before_pixels=True, force=True)\n"
    "print(time.perf_counter() - start)\n"
)
SCAN = (
    "import sys, time, pathlib\n"
    "from recordpack.cache import ScanCache\n"
    "from recordpack.options import ReadOptions\n"
    "from recordpack.pipeline import scan_folder\n"
    "from recordpack.timeline import build_timeline\n"
    "cache = ScanCache(pathlib.Path(sys.argv[2])) if len(sys.argv) > 2 else None\n"
    "start = time.perf_counter()\n"
    "timeline = build_timeline(scan_folder(sys.argv[1], ReadOptions(ocr_lang=None), cache=cache))\n"
    "pages = sum(i.pages or 0 for i in timeline.items if i.kind.value == 'pdf')\n"
    "print(time.perf_counter() - start, len(timeline.items), pages)\n"
)


def work_seconds(code: str, *args: str) -> tuple[float, list[str], float]:
    """Seconds of the work alone, the snippet's other output, and the process's peak RSS.

    The snippet prints its own timing, so imports are excluded.
    """
    _, peak, out = timed(python(code, *args))
    first, *rest = out.split()
    return float(first), rest, peak


PYPDF_MERGE = (
    "import sys; from pypdf import PdfWriter; w = PdfWriter()\n"
    "for p in sys.argv[2:]: w.append(p)\n"
    "w.write(sys.argv[1])\n"
)


def measure(size_name: str, size: Size, work: Path) -> dict[str, Any]:
    """Every measurement for one corpus size."""
    corpus = work / f"corpus-{size_name}"
    started = time.perf_counter()
    make_corpus(corpus, size)
    result: dict[str, Any] = {
        "size": size_name,
        "generate_s": round(time.perf_counter() - started, 1),
    }
    files = [p for p in corpus.rglob("*") if p.is_file()]
    result["files"] = len(files)
    result["input_mb"] = round(sum(p.stat().st_size for p in files) / 2**20, 1)
    warm(corpus)

    cache = work / f"cache-{size_name}.sqlite"
    cold_s, (items, _), cold_mb = work_seconds(SCAN, str(corpus), str(cache))
    warm_s, _, _ = work_seconds(SCAN, str(corpus), str(cache))
    cli_s, _, _ = timed([*RECORDPACK, "scan", str(corpus), "--no-ocr", "--no-cache", "-q"])
    pydicom_s, _, _ = work_seconds(PYDICOM_LOOP, str(corpus / "DICOM"))
    dicom_scan_s, _, _ = work_seconds(SCAN, str(corpus / "DICOM"))
    result |= {
        "scan_cold_s": round(cold_s, 2),
        "scan_files_per_s": round(len(files) / cold_s),
        "scan_peak_mb": round(cold_mb),
        "scan_cli_s": round(cli_s, 2),
        "scan_warm_s": round(warm_s, 2),
        "warm_vs_cold": round(warm_s / cold_s, 3),
        "dicom_scan_s": round(dicom_scan_s, 2),
        "pydicom_loop_s": round(pydicom_s, 2),
        "scan_vs_pydicom": round(dicom_scan_s / pydicom_s, 2),
        "items": int(items),
    }

    # The documents alone: PDFs on disk and in the portal zips.
    docs = work / f"docs-{size_name}"
    docs.mkdir()
    for path in corpus.glob("docs/*.pdf"):
        shutil.copy(path, docs / path.name)
    for archive in corpus.glob("*.zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                (docs / f"{archive.stem}-{Path(name).name}").write_bytes(zf.read(name))
    pdfs = sorted(str(p) for p in docs.glob("*.pdf"))
    warm(docs)
    pdf_s, (_, pages_text), _ = work_seconds(SCAN, str(docs))
    pages = int(pages_text)
    result |= {
        "pdf_pages": pages,
        "pdf_scan_s": round(pdf_s, 2),
        "pdf_pages_per_s": round(pages / pdf_s),
    }

    packet = work / f"packet-{size_name}.pdf"
    build = [*RECORDPACK, "build", str(corpus), "-o", str(packet), "--no-ocr", "--no-cache"]
    build_s, build_mb, out = timed([*build, "--json"])  # fmt: skip
    report = json.loads(out)
    merge_s, _, _ = timed(python(PYPDF_MERGE, str(work / "merge.pdf"), *pdfs))
    result |= {
        "build_s": round(build_s, 2),
        "build_peak_mb": round(build_mb),
        "build_stages_s": report["seconds"],
        "packet_pages": report["pages"],
        "packet_mb": round(packet.stat().st_size / 2**20, 1),
        "packet_vs_input": round(packet.stat().st_size / 2**20 / result["input_mb"], 2),
        "pypdf_merge_s": round(merge_s, 2),
        "assembly_vs_pypdf": round(report["seconds"]["assembly"] / merge_s, 2),
    }
    if shutil.which("qpdf"):
        qpdf_s, _, _ = timed(["qpdf", "--empty", "--pages", *pdfs, "--", str(work / "qpdf.pdf")])
        result |= {
            "qpdf_merge_s": round(qpdf_s, 2),
            "assembly_vs_qpdf": round(report["seconds"]["assembly"] / qpdf_s, 1),
        }
    shutil.rmtree(corpus)
    shutil.rmtree(docs)
    return result


def measure_batch(work: Path, patients: int = 20) -> dict[str, Any]:
    """20 small patients, built with one worker and with two."""
    jobs = work / "patients"
    small = Size(slices=60, studies=1, matrix=256, pdfs=12, pages=40, photos=2, zips=1)
    for n in range(patients):
        make_corpus(jobs / f"patient-{n:02d}", small, seed=n)
    warm(jobs)
    result: dict[str, Any] = {"patients": patients}
    for workers in (1, 2):
        out = work / f"batch-{workers}"
        command = [*RECORDPACK, "batch", str(jobs), "-o", str(out), "--jobs", str(workers)]
        seconds, peak, _ = timed([*command, "--no-ocr", "--json"])
        result[f"jobs{workers}_s"] = round(seconds, 2)
        result[f"jobs{workers}_peak_mb"] = round(peak)
        shutil.rmtree(out)
    result["speedup"] = round(result["jobs1_s"] / result["jobs2_s"], 2)
    shutil.rmtree(jobs)
    return result


def table(results: dict[str, Any]) -> str:
    """The Markdown table for the README."""
    lines = [
        "| corpus | files (MB) | scan cold | warm re-scan | DICOM scan / bare pydicom"
        " | PDF pages/s |"
        " build (peak MB) | assembly / bare pypdf (/ qpdf) | packet / input |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(_row(r) for r in results["sizes"])
    b = results.get("batch")
    if b:
        lines.append("")
        lines.append(
            f"Batch of {b['patients']} patients: --jobs 1 {b['jobs1_s']} s,"
            f" --jobs 2 {b['jobs2_s']} s ({b['speedup']}x)."
        )
    return "\n".join(lines)


def _row(r: dict[str, Any]) -> str:
    stages = r["build_stages_s"]
    return (
        f"| {r['size']} | {r['files']:,} ({r['input_mb']:,})"
        f" | {r['scan_cold_s']} s ({r['scan_files_per_s']:,}/s)"
        f" | {r['scan_warm_s']} s ({r['warm_vs_cold']:.1%})"
        f" | {r['dicom_scan_s']} / {r['pydicom_loop_s']} s = {r['scan_vs_pydicom']}x"
        f" | {r['pdf_pages_per_s']} | {r['build_s']} s ({r['build_peak_mb']})"
        f" | {stages['assembly']} / {r['pypdf_merge_s']} s = {r['assembly_vs_pypdf']}x"
        f" ({r.get('assembly_vs_qpdf', '-')}x) | {r['packet_vs_input']} |"
    )


def main() -> None:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"], choices=sorted(SIZES))
    parser.add_argument("--no-batch", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recordpack-bench-"))
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}",
        "targets": TARGETS,
        "sizes": [],
    }
    try:
        for name in args.sizes:
            results["sizes"].append(measure(name, SIZES[name], work))
            print(json.dumps(results["sizes"][-1]), flush=True)
        if not args.no_batch:
            results["batch"] = measure_batch(work)
            print(json.dumps(results["batch"]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2))
    (ROOT / "bench" / "results.md").write_text(table(results) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
