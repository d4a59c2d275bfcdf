"""Feed mutated real files to the readers and count what escapes: crashes, hangs, silent drops.

    python bench/fuzz.py SEEDS... --n 100000 [--seed 1] [--workers 2]
    python bench/fuzz.py SEEDS... --stage build --n 20000 [--files 6]

Each input is a seed file (PDF, DICOM, image, zip, XML, JSON, text) with random damage: bit
flips, cut ends, inserted or repeated chunks, overwritten lengths. Every input is read by
``read_disk_file`` in a worker process, as a scan would. Counted:

- crash: an exception got out of the reader (the run would have stopped);
- hang: a file took longer than the per-file limit plus a margin;
- silent drop: the outcome has neither a record nor a problem (the input would vanish);
- peak memory of the workers.

With ``--stage build``, each case is a folder of ``--files`` seed files, some damaged as above
and some by their structure (PDF page entries of the wrong type, actions hidden in pages and
bookmarks pointing nowhere or in a loop,
DICOM elements emptied or garbled, zip members named with ``!``, backslashes or ``..``), built
with ``--bundle --fhir --iso`` and the bundle checked by ``verify``. Counted besides: an
exception out of the build or verify (what the command line reports as exit 70), a file that
is neither in the packet nor listed as not included, and active content left in a packet.

Reproducers of crashes and drops are written to ``bench/fuzz-found/`` (kept out of git).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recordpack.options import Limits, ReadOptions
from recordpack.read.files import read_disk_file

if TYPE_CHECKING:
    from recordpack.results import BuildResult

LIMIT = 10  # seconds per file in the fuzz run: a loop shows up sooner
HANG = LIMIT + 20
FOUND = Path(__file__).parent / "fuzz-found"


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random kinds of damage."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out = bytearray(rng.randbytes(rng.randint(1, 64)))
        kind = rng.randrange(6)
        at = rng.randrange(len(out))
        if kind == 0:  # bit flips
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # cut short
            del out[at:]
        elif kind == 2:  # random bytes inserted
            out[at:at] = rng.randbytes(rng.randint(1, 256))
        elif kind == 3:  # a chunk repeated (loops in object graphs, repeated members)
            chunk = out[at : at + rng.randint(1, 4096)]
            out[at:at] = chunk * rng.randint(1, 8)
        elif kind == 4:  # a length field overwritten with a huge or zero value
            out[at : at + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x00", b"9999"])
        else:  # a chunk removed from the middle
            del out[at : at + rng.randint(1, 1024)]
    return bytes(out)


def one(job: tuple[int, str, int]) -> tuple[int, str, str, float, int]:
    """Read one mutated input in this worker: (number, seed, verdict, seconds, peak KiB)."""
    number, seed, salt = job
    rng = random.Random(salt)
    data = mutate(Path(seed).read_bytes(), rng)
    with tempfile.TemporaryDirectory(prefix="recordpack-fuzz-") as tmp:
        path = Path(tmp) / f"input{Path(seed).suffix}"
        path.write_bytes(data)
        start = time.perf_counter()
        verdict = "ok"
        try:
            out = read_disk_file(
                path.name, path, ReadOptions(ocr_lang=None, limits=Limits(seconds=LIMIT))
            )
            if not out.found and not out.problems and not out.dicomdirs:
                verdict = "drop"
        except BaseException:  # counting every escape is the point
            verdict = "crash: " + traceback.format_exc(limit=-3).replace("\n", " | ")[-400:]
        seconds = time.perf_counter() - start
        if verdict != "ok":
            FOUND.mkdir(exist_ok=True)
            (FOUND / f"{number:06d}{Path(seed).suffix}").write_bytes(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return number, seed, verdict, seconds, peak


def structured(data: bytes, suffix: str, rng: random.Random) -> bytes:
    """Damage by structure: what a byte flip rarely reaches (page entries, DICOM elements)."""
    import io

    try:
        if data.startswith(b"%PDF"):
            import pikepdf

            pdf = pikepdf.open(io.BytesIO(data))
            page = pdf.pages[rng.randrange(len(pdf.pages))].obj
            if rng.random() < 0.3:  # bookmarks that point at a page, at nothing, or in a loop
                _outline(pdf, page, rng)
            key = rng.choice(
                [
                    "/MediaBox",
                    "/Rotate",
                    "/Resources",
                    "/Contents",
                    "/Annots",
                    "/CropBox",
                    "/AA",
                    "/PA",
                ]
            )
            value = rng.choice(
                [
                    pikepdf.Name.X,
                    pikepdf.String("90"),
                    450,
                    -1,
                    0,
                    pikepdf.Array([0, 0, 612]),
                    pikepdf.Array([1]),
                    pikepdf.Dictionary(
                        S=pikepdf.String("javascript"), JS=pikepdf.String("app.alert(1)")
                    ),
                ]
            )
            page[key] = value
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
        if data[128:132] == b"DICM":
            import pydicom

            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            keyword = rng.choice(
                [
                    "StudyInstanceUID",
                    "SeriesInstanceUID",
                    "SOPInstanceUID",
                    "StudyDate",
                    "Modality",
                    "PatientName",
                    "Rows",
                ]
            )
            if keyword in ds:
                if rng.random() < 0.5:
                    delattr(ds, keyword)
                else:
                    ds[keyword].value = rng.choice(["", "1996.10.29", "x" * 70, "0" * 64])
            out = io.BytesIO()
            ds.save_as(out)
            return out.getvalue()
        if suffix == ".zip":
            import zipfile

            src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
            with zipfile.ZipFile(out, "w") as dst:
                for info in src.infolist():
                    name = rng.choice(
                        [
                            info.filename,
                            "a!" + info.filename,
                            info.filename.replace("/", "\\"),
                            "../" + info.filename,
                        ]
                    )
                    dst.writestr(name, src.read(info))
            return out.getvalue()
    except Exception:  # a seed that does not parse is damaged by bytes instead
        return mutate(data, rng)
    return mutate(data, rng)


def _outline(pdf: Any, page: Any, rng: random.Random) -> None:
    """Give the PDF a bookmark whose destination is a page, no page, a stranger, or a loop."""
    import pikepdf

    name = pikepdf.Name
    dest = rng.choice(
        [
            pikepdf.Array([page, name.Fit]),
            pikepdf.Array([name.Fit]),
            pikepdf.Array([5000]),
            pikepdf.Array([pikepdf.Dictionary(Type=name.Page), name.Fit]),
            name.Nowhere,
        ]
    )
    item = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Report"), Dest=dest))
    outlines = pdf.make_indirect(pikepdf.Dictionary(Type=name.Outlines, First=item, Last=item))
    item.Parent = outlines
    if rng.random() < 0.3:
        item.Next = item
    pdf.Root.Outlines = outlines


def build_case(job: tuple[int, list[str], int]) -> tuple[int, str, str, float, int]:
    """Build one folder of damaged seeds, verify its bundle: (number, seeds, verdict, s, KiB)."""
    from recordpack.errors import RecordpackError
    from recordpack.options import BuildOptions
    from recordpack.pipeline import build_packet
    from recordpack.verify import verify_bundle

    number, seeds, salt = job
    rng = random.Random(salt)
    with tempfile.TemporaryDirectory(prefix="recordpack-fuzz-") as tmp:
        records, out = Path(tmp) / "records", Path(tmp) / "out"
        records.mkdir()
        for n, seed in enumerate(seeds):
            data = Path(seed).read_bytes()
            damage = rng.randrange(3)  # left whole, damaged by bytes, or by structure
            if damage == 1:
                data = mutate(data, rng)
            elif damage == 2:
                data = structured(data, Path(seed).suffix, rng)
            (records / f"f{n:02d}{Path(seed).suffix}").write_bytes(data)
        options = BuildOptions(
            output=out / "p.pdf",
            bundle=out / "b",
            fhir=out / "p.json",
            iso=out / "p.iso",
            read=ReadOptions(ocr_lang=None, limits=Limits(seconds=LIMIT)),
        )
        start, verdict = time.perf_counter(), "ok"
        try:
            result = build_packet(records, options)
            verify_bundle(out / "b")
            verdict = _escapes(records, result, out / "p.pdf")
        except RecordpackError:
            pass  # a clear message and its exit code: not an escape
        except BaseException:
            verdict = "crash: " + traceback.format_exc(limit=-3).replace("\n", " | ")[-400:]
        seconds = time.perf_counter() - start
        if verdict != "ok":
            import shutil

            shutil.copytree(records, FOUND / f"build-{number:06d}", dirs_exist_ok=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return number, " ".join(Path(s).name for s in seeds), verdict, seconds, peak


def _escapes(records: Path, result: BuildResult, packet: Path) -> str:
    """'drop' for a file neither placed nor listed, 'active' for content left live, else 'ok'."""
    import pikepdf

    placed = {
        s.archive.split("!")[0] if s.archive else s.path
        for item in result.timeline.items
        for s in item.sources
    }
    listed = {p.path for p in result.problems}
    for path in records.iterdir():
        if path.name not in placed and not any(p.startswith(path.name) for p in listed):
            return f"drop: {path.name}"
    with pikepdf.open(packet) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and ("/JS" in obj or "/AA" in obj):
                return "active: a script or an automatic action left in the packet"
    return "ok"


def main() -> int:
    """Run the mutated inputs in worker processes and print the counts; 1 if anything escaped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="+", type=Path, help="files or folders of seed files")
    parser.add_argument("--n", type=int, default=1000, help="number of mutated inputs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stage", choices=["read", "build"], default="read")
    parser.add_argument("--files", type=int, default=6, help="seed files per build case")
    args = parser.parse_args()
    seeds = sorted(
        str(f)
        for s in args.seeds
        for f in ([s] if s.is_file() else s.rglob("*"))
        if f.is_file() and f.stat().st_size < 4 * 2**20
    )
    if not seeds:
        print("no seed files", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    run: Any = one
    jobs: list[Any] = [(n, rng.choice(seeds), rng.getrandbits(64)) for n in range(args.n)]
    if args.stage == "build":
        run = build_case
        jobs = [
            (n, rng.sample(seeds, min(args.files, len(seeds))), rng.getrandbits(64))
            for n in range(args.n)
        ]
    counts = {"ok": 0, "crash": 0, "drop": 0, "hang": 0, "active": 0}
    slowest, peak, started = 0.0, 0, time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for number, seed, verdict, seconds, kib in pool.map(run, jobs, chunksize=4):
            kind = verdict.split(":")[0]
            counts[kind] += 1
            if seconds > HANG:
                counts["hang"] += 1
            slowest, peak = max(slowest, seconds), max(peak, kib)
            if kind != "ok":
                print(f"{number:06d} {Path(seed).name}: {verdict}", file=sys.stderr)
    wall = time.perf_counter() - started
    print(
        f"{args.n:,} inputs from {len(seeds)} seeds in {wall:,.0f} s: "
        f"{counts['crash']} crashes, {counts['hang']} hangs, {counts['drop']} silent drops, "
        f"{counts['active']} packets with active content; "
        f"slowest file {slowest:.1f} s; peak worker memory {peak / 1024:,.0f} MiB"
    )
    return 1 if counts["crash"] or counts["hang"] or counts["drop"] or counts["active"] else 0


if __name__ == "__main__":
    sys.exit(main())
