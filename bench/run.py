"""Benchmark recordpack against the practical limits, side by side, on the same files.

Scan times are of the work alone (each side's imports excluded, as the CLI's own start-up is
reported separately); build and batch times are whole commands.

    python bench/run.py --sizes S M L XL   # writes bench/results.json, results.md, README table
    python bench/run.py --check            # exit 1 when results.json misses a target
    python bench/run.py --table            # the README table again, from results.json

For each corpus size (bench/make_corpus.py), in one run on the same files:

- ``scan`` cold (fresh cache) and warm (same cache, nothing changed), OCR off;
- a bare ``pydicom.dcmread(stop_before_pixels=True)`` loop over the same DICOM files;
- PDF pages classified per second (the documents alone);
- ``build`` end to end, its assembly stage beside a bare pypdf merge and qpdf of the same PDFs;
- ``build --bundle``: time and peak memory of each stage, and the DICOM media step (copies and
  DICOMDIR) beside dcmtk's ``dcmmkdir`` indexing the same files;
- peak memory (RSS of the largest process, from GNU time) and output size against input size;
- ``recordpack --version`` and ``--help``, whole processes;
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
# name: (measure, "<=" or ">=", limit, sizes it applies to; None: every size measured)
TARGETS: dict[str, tuple[str, str, float, tuple[str, ...] | None]] = {
    "DICOM scan / bare pydicom": ("scan_vs_pydicom", "<=", 1.3, ("L", "XL")),
    "PDF pages classified per second": ("pdf_pages_per_s", ">=", 300, None),
    "warm re-scan / cold": ("warm_vs_cold", "<=", 0.05, ("L", "XL")),
    "assembly / qpdf": ("assembly_vs_qpdf", "<=", 1.5, ("L", "XL")),
    "build at L, seconds": ("build_s", "<=", 15, ("L",)),
    "DICOM media step / dcmmkdir": ("media_vs_dcmmkdir", "<=", 3, None),
    "build --bundle peak MB": ("bundle_peak_mb", "<=", 500, None),
    "recordpack --version, seconds": ("version_s", "<=", 0.25, None),
    "recordpack --help, seconds": ("help_s", "<=", 0.25, None),
    "batch --jobs 2 speed-up": ("speedup", ">=", 1.7, None),
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


MEDIA = (
    "import sys, time, pathlib\n"
    "from recordpack.bundle import write_dicom_media\n"
    "from recordpack.options import ReadOptions\n"
    "from recordpack.pipeline import scan_folder\n"
    "from recordpack.sources import Records\n"
    "from recordpack.timeline import build_timeline\n"
    "root = pathlib.Path(sys.argv[1])\n"
    "timeline = build_timeline(scan_folder(root, ReadOptions(ocr_lang=None)))\n"
    "start = time.perf_counter()\n"
    "write_dicom_media(pathlib.Path(sys.argv[2]), Records(root), timeline)\n"
    "print(time.perf_counter() - start)\n"
)


def median_seconds(command: list[str], runs: int = 9) -> float:
    """The median wall time of a short command."""
    times = sorted(timed(command)[0] for _ in range(runs))
    return times[len(times) // 2]


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
    build_s, build_mb, out = timed([*build, "--json"])
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
    bundle = work / f"bundle-{size_name}"
    bundled_s, bundled_mb, out = timed([*build, "--bundle", str(bundle), "--json"])
    media = work / f"media-{size_name}"
    media_s, _, _ = work_seconds(MEDIA, str(corpus / "DICOM"), str(media))
    dcmmkdir_s, _, _ = timed(
        ["dcmmkdir", "+r", "+I", "-q", "+D", str(work / "DICOMDIR"), "DICOM"], cwd=media
    )
    result |= {
        "bundle_s": round(bundled_s, 2),
        "bundle_peak_mb": round(bundled_mb),
        "bundle_stages_s": json.loads(out)["seconds"],
        "media_s": round(media_s, 2),
        "dcmmkdir_s": round(dcmmkdir_s, 2),
        "media_vs_dcmmkdir": round(media_s / dcmmkdir_s, 2),
    }
    for folder in (corpus, docs, bundle, media):
        shutil.rmtree(folder)
    return result


def measure_startup() -> dict[str, Any]:
    """Start-up does not depend on the records: measured once, first, beside bare Python.

    The package's bytecode is compiled first, as any first run leaves it (an environment with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start).
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "recordpack")], check=True
    )
    return {
        "python_s": round(median_seconds([sys.executable, "-c", "pass"]), 2),
        # the floor for --help and --version: the command-line library, imported alone
        "typer_s": round(median_seconds(python("import typer")), 2),
        "version_s": round(median_seconds([*RECORDPACK, "--version"]), 2),
        "help_s": round(median_seconds([*RECORDPACK, "--help"]), 2),
    }


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
    """The Markdown tables for the README: the measures, growth by stage, and the targets."""
    lines = [
        "| corpus | files (MB) | scan cold | warm re-scan | DICOM scan / bare pydicom"
        " | PDF pages/s | build (peak MB) | assembly / qpdf (/ bare pypdf) | packet / input |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(_row(r) for r in results["sizes"])
    lines += [
        "",
        "| corpus | `build --bundle` | scan | pages | assembly | bundle | peak MB"
        " | DICOM media / dcmmkdir |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["sizes"]:
        st = r["bundle_stages_s"]
        lines.append(
            f"| {r['size']} | {r['bundle_s']} s | {st['scan']} s | {st['pages']} s"
            f" | {st['assembly']} s | {st['write']} s | {r['bundle_peak_mb']}"
            f" | {r['media_s']} / {r['dcmmkdir_s']} s = {r['media_vs_dcmmkdir']}x |"
        )
    b, up = results.get("batch"), results.get("startup")
    if b:
        lines += [
            "",
            f"Batch of {b['patients']} patients: --jobs 1 {b['jobs1_s']} s,"
            f" --jobs 2 {b['jobs2_s']} s ({b['speedup']}x).",
        ]
    if up:
        lines += [
            "",
            f"Start-up: `recordpack --version` {up['version_s']} s,"
            f" `--help` {up['help_s']} s (bare Python {up['python_s']} s;"
            f" typer alone {up['typer_s']} s).",
        ]
    lines += ["", "| target | limit | measured | met |", "|---|---|---|---|"]
    for name, limit, measured, met in check(results):
        lines.append(f"| {name} | {limit} | {measured} | {'yes' if met else '**no**'} |")
    return "\n".join(lines)


def _row(r: dict[str, Any]) -> str:
    stages = r["build_stages_s"]
    return (
        f"| {r['size']} | {r['files']:,} ({r['input_mb']:,})"
        f" | {r['scan_cold_s']} s ({r['scan_files_per_s']:,}/s)"
        f" | {r['scan_warm_s']} s ({r['warm_vs_cold']:.1%})"
        f" | {r['dicom_scan_s']} / {r['pydicom_loop_s']} s = {r['scan_vs_pydicom']}x"
        f" | {r['pdf_pages_per_s']:,} | {r['build_s']} s ({r['build_peak_mb']})"
        f" | {stages['assembly']} / {r.get('qpdf_merge_s', '-')} s"
        f" = {r.get('assembly_vs_qpdf', '-')}x ({r['assembly_vs_pypdf']}x)"
        f" | {r['packet_vs_input']} |"
    )


def check(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each target: its limit, what was measured (per size), and whether every size met it."""
    rows = []
    whole_run = {**(results.get("batch") or {}), **(results.get("startup") or {})}
    for name, (key, op, limit, sizes) in TARGETS.items():
        measured = [
            (r["size"], r[key])
            for r in results["sizes"]
            if key in r and (sizes is None or r["size"] in sizes)
        ]
        if key in whole_run:
            measured = [("run", whole_run[key])]
        if not measured:
            continue
        met = all(v <= limit if op == "<=" else v >= limit for _, v in measured)
        shown = ", ".join(f"{size} {value}" for size, value in measured)
        rows.append((name, f"{op} {limit:g}", shown, met))
    return rows


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def write_tables(results: dict[str, Any]) -> None:
    """bench/results.md, and the README's table between its markers."""
    text = table(results)
    (ROOT / "bench" / "results.md").write_text(text + "\n")
    readme = ROOT / "README.md"
    before, rest = readme.read_text().split(README_START, 1)
    _, after = rest.split(README_END, 1)
    readme.write_text(f"{before}{README_START}\n{text}\n{README_END}{after}")


def main() -> None:
    """Run the benchmarks and write the results (or check or re-table the last ones)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"], choices=sorted(SIZES))
    parser.add_argument("--no-batch", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--table", action="store_true", help="re-write the tables only")
    parser.add_argument(
        "--startup", action="store_true", help="measure start-up again, into the last results"
    )
    args = parser.parse_args()
    saved = ROOT / "bench" / "results.json"
    if args.startup:
        results = json.loads(saved.read_text()) | {"startup": measure_startup()}
        saved.write_text(json.dumps(results, indent=2))
        write_tables(results)
        print(json.dumps(results["startup"]))
        return
    if args.check or args.table:
        results = json.loads(saved.read_text())
        if args.table:
            write_tables(results)
        missed = [row for row in check(results) if not row[3]]
        for name, limit, measured, _ in missed:
            print(f"missed: {name} {limit} (measured {measured})")
        sys.exit(1 if args.check and missed else 0)
    work = Path(tempfile.mkdtemp(prefix="recordpack-bench-"))
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}",
        "sizes": [],
    }
    try:
        results["startup"] = measure_startup()
        print(json.dumps(results["startup"]), flush=True)
        for name in args.sizes:
            results["sizes"].append(measure(name, SIZES[name], work))
            print(json.dumps(results["sizes"][-1]), flush=True)
        if not args.no_batch:
            results["batch"] = measure_batch(work)
            print(json.dumps(results["batch"]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    saved.write_text(json.dumps(results, indent=2))
    write_tables(results)
    print(table(results))


if __name__ == "__main__":
    main()
