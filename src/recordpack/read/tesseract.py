"""Text for scanned pages and phone photos, with Tesseract.

One Tesseract run per page gives all three things recordpack needs: the text (to classify and
date the record), word confidences, and an invisible text layer (``textonly_pdf``) that is laid
over the page in the packet so the second doctor can search and copy. Tesseract is called
directly: pytesseract cannot ask for several outputs with a config in one run, and OCRmyPDF
would rewrite whole PDFs (as PDF/A, through Ghostscript) where recordpack copies pages as they
are. Each page is its own Tesseract process with ``OMP_THREAD_LIMIT=1``: its own threads
oversubscribe small machines and run about 4x slower (TECH.md section 7).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from PIL import Image, ImageOps

from recordpack.models import OcrPage
from recordpack.outputs import process_alive
from recordpack.read.image import fit_to_page

PAGE_TIMEOUT = 180  # seconds for one page; a page that takes longer is left without text


@cache
def tesseract() -> str | None:
    """The path of the tesseract program, if installed."""
    return shutil.which("tesseract")


@cache
def installed_languages() -> frozenset[str]:
    """Languages Tesseract has data for (``eng``, ``deu``, ...)."""
    program = tesseract()
    if not program:
        return frozenset()
    run = subprocess.run([program, "--list-langs"], capture_output=True, text=True, check=False)
    return frozenset(line.strip() for line in run.stdout.splitlines()[1:] if line.strip())


def missing_languages(lang: str) -> list[str]:
    """Languages of ``eng+deu`` style specs that are not installed."""
    return [code for code in lang.split("+") if code not in installed_languages()]


def prepare(image: Image.Image) -> bytes:
    """An upright, greyscale PNG of a page at no more than 300 dpi, as Tesseract reads best."""
    upright = ImageOps.exif_transpose(fit_to_page(image))
    if upright.mode not in ("L", "1"):
        upright = upright.convert("L")
    out = io.BytesIO()
    upright.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def read_page(png: bytes, lang: str = "eng") -> OcrPage:
    """Run Tesseract once on one page image."""
    program = tesseract()
    if not program:
        raise FileNotFoundError("tesseract is not installed")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"{_TEMP_PREFIX}{os.getpid()}-") as tmp:
        source = Path(tmp) / "page.png"
        source.write_bytes(png)
        base = Path(tmp) / "out"
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        subprocess.run(
            [program, str(source), str(base), "-l", lang, "-c", "textonly_pdf=1",
             "txt", "pdf", "tsv"],
            env=env, capture_output=True, check=True, timeout=PAGE_TIMEOUT,
        )  # fmt: skip
        text = base.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
        layer = base.with_suffix(".pdf").read_bytes()
        tsv = base.with_suffix(".tsv").read_text(encoding="utf-8", errors="replace")
        confidence = _mean_confidence(tsv)
    return OcrPage(text, confidence, layer, time.perf_counter() - start)


def _mean_confidence(tsv: str) -> float:
    """Mean confidence of the recognised words (rows of level 5 with text)."""
    values = []
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) == 12 and fields[0] == "5" and fields[11].strip():
            try:
                values.append(float(fields[10]))
            except ValueError:
                continue
    return round(sum(values) / len(values), 1) if values else 0.0


_TEMP_PREFIX = "recordpack-ocr-"


def remove_stale_folders() -> None:
    """Remove the page folders of OCR runs that were killed outright (their process is gone)."""
    pattern = re.compile(rf"^{_TEMP_PREFIX}(\d+)-")
    with contextlib.suppress(OSError):
        for entry in Path(tempfile.gettempdir()).iterdir():
            m = pattern.match(entry.name)
            if m and entry.is_dir() and not entry.is_symlink() and not process_alive(int(m[1])):
                shutil.rmtree(entry, ignore_errors=True)


def read_pages(
    pages: Sequence[bytes],
    lang: str,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[OcrPage | None]:
    """OCR many pages, each in its own Tesseract process; a failed page gives None."""
    results: list[OcrPage | None] = [None] * len(pages)

    def one(index: int) -> tuple[int, OcrPage | None]:
        try:
            return index, read_page(pages[index], lang)
        except (subprocess.SubprocessError, OSError):
            return index, None

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for done, (index, page) in enumerate(pool.map(one, range(len(pages))), start=1):
            results[index] = page
            if progress:
                progress(done, len(pages))
    return results
