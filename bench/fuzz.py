"""Feed mutated real files to the readers and count what escapes: crashes, hangs, silent drops.

    python bench/fuzz.py SEEDS... --n 100000 [--seed 1] [--workers 2]

Each input is a seed file (PDF, DICOM, image, zip, XML, JSON, text) with random damage: bit
flips, cut ends, inserted or repeated chunks, overwritten lengths. Every input is read by
``read_disk_file`` in a worker process, as a scan would. Counted:

- crash: an exception got out of the reader (the run would have stopped);
- hang: a file took longer than the per-file limit plus a margin;
- silent drop: the outcome has neither a record nor a problem (the input would vanish);
- peak memory of the workers.

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

from recordpack.options import Limits, ReadOptions
from recordpack.read.files import read_disk_file

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
            out = read_disk_file(path.name, path, ReadOptions(ocr_lang=None,
                                 limits=Limits(seconds=LIMIT)))  # fmt: skip
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


def main() -> int:
    """Run the mutated inputs in worker processes and print the counts; 1 if anything escaped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="+", type=Path, help="files or folders of seed files")
    parser.add_argument("--n", type=int, default=1000, help="number of mutated inputs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = sorted(
        str(f) for s in args.seeds for f in ([s] if s.is_file() else s.rglob("*"))
        if f.is_file() and f.stat().st_size < 4 * 2**20
    )  # fmt: skip
    if not seeds:
        print("no seed files", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    jobs = [(n, rng.choice(seeds), rng.getrandbits(64)) for n in range(args.n)]
    counts = {"ok": 0, "crash": 0, "drop": 0, "hang": 0}
    slowest, peak, started = 0.0, 0, time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for number, seed, verdict, seconds, kib in pool.map(one, jobs, chunksize=16):
            kind = verdict.split(":")[0]
            counts[kind] += 1
            if seconds > HANG:
                counts["hang"] += 1
            slowest, peak = max(slowest, seconds), max(peak, kib)
            if kind != "ok":
                print(f"{number:06d} {Path(seed).name}: {verdict}", file=sys.stderr)
    wall = time.perf_counter() - started
    print(f"{args.n:,} inputs from {len(seeds)} seeds in {wall:,.0f} s: "
          f"{counts['crash']} crashes, {counts['hang']} hangs, {counts['drop']} silent drops; "
          f"slowest file {slowest:.1f} s; peak worker memory {peak / 1024:,.0f} MiB")  # fmt: skip
    return 1 if counts["crash"] or counts["hang"] or counts["drop"] else 0


if __name__ == "__main__":
    sys.exit(main())
