"""Give scanned records (image-only PDFs, photos, faxes) the text Tesseract reads on them.

The text classifies and dates the record; each page's invisible text layer travels with the
record (``Reading.ocr``) to the packet, where it makes the scan searchable. The cache, when
there is one, only saves running Tesseract again on a page it has read before.
"""

from __future__ import annotations

import dataclasses
import io

from recordpack.context import Context
from recordpack.errors import described
from recordpack.models import Found, Kind, OcrPage, OcrText, Problem, Reading, Severity, Source
from recordpack.read import tesseract
from recordpack.read.pdf import TEXT_PAGES

_NO_TESSERACT = (
    "install Tesseract to read scans (apt-get install tesseract-ocr tesseract-ocr-eng; "
    "brew install tesseract)"
)


def apply_ocr(ctx: Context, found: list[Found], lang: str) -> list[Problem]:
    """Read the scanned records in ``found`` (replaced in place by their OCR'd readings)."""
    scanned = [n for n, f in enumerate(found) if _needs_ocr(f.reading)]
    if not scanned:
        return []
    if not tesseract.tesseract():
        return [
            Problem(
                found[n].source.display,
                Severity.WARNING,
                "scanned, not searchable: no text to classify, date or search",
                _NO_TESSERACT,
            )
            for n in scanned
        ]
    if missing := tesseract.missing_languages(lang):
        return [
            Problem(
                ".",
                Severity.ERROR,
                f"OCR language not installed: {', '.join(missing)}",
                f"apt-get install tesseract-ocr-{missing[0]}, or pass --ocr-lang eng",
            )
        ]
    tesseract.remove_stale_folders()  # once per run, before this run makes its own
    problems: list[Problem] = []
    pages = _read_pages(ctx, [found[n].source for n in scanned], lang, problems)
    for n, read in zip(scanned, pages, strict=True):
        if read:
            found[n] = _with_text(found[n], read, lang)
            problems += _partly_read(found[n].source, read)
    return problems


def _partly_read(source: Source, pages: dict[int, OcrPage]) -> list[Problem]:
    """A note for each page whose print was only partly read as words: never a silent loss.

    Tesseract stays confident on what it reads and says nothing of what it missed; the print
    left outside its words does (:func:`recordpack.read.tesseract.read_share`).
    """
    return [
        Problem(
            source.display,
            Severity.WARNING,
            f"page {page + 1} may be partly unreadable: about {round(100 * (1 - read.read_share))}%"
            " of its print was not read as words, so its text (search, dates, findings) may be"
            " incomplete",
            "read that page in the packet itself; for a better copy, scan it again flat and "
            "straight at 300 dpi in good light",
        )
        for page, read in sorted(pages.items())
        if read.read_share < tesseract.PARTLY_READ
    ]


def _needs_ocr(reading: Reading) -> bool:
    """A scan without text, or a text PDF with scanned pages (a portal file with a fax in it)."""
    if reading.scanned and not reading.text.strip():
        return True
    texts = reading.page_texts
    return any(n < len(texts) and not texts[n].strip() for n in reading.image_pages)


_BATCH_BYTES = 64 * 2**20  # page images held at once: Tesseract runs on a batch, then the next


def _read_pages(
    ctx: Context, sources: list[Source], lang: str, problems: list[Problem]
) -> list[dict[int, OcrPage]]:
    """Each source's pages as read by Tesseract (or found in the cache), by page number.

    Page images are made a few documents at a time and read in batches, so memory holds one
    batch, not every scan of the folder.
    """
    results: list[dict[int, OcrPage]] = [{} for _ in sources]
    limit = ctx.options.limits.ocr_pages
    work: list[tuple[int, int, bytes]] = []  # (source number, page, PNG)
    for n, source in enumerate(sources):
        ctx.report(n, len(sources), "reading scans (OCR)")
        try:
            images, total = _page_images(ctx.records.read(source), source.kind, limit)
        except Exception as exc:  # a damaged scan is read without OCR
            why = described(exc, (OSError, ValueError))
            problems.append(Problem(source.display, Severity.WARNING, f"OCR skipped: {why}"))
            continue
        if total > limit:
            problems.append(
                Problem(
                    source.display,
                    Severity.WARNING,
                    f"OCR read the first {limit} of its {total:,} pages; "
                    "the rest stay without text",
                    ctx.options.limits.hint("ocr_pages", "split the scan into parts"),
                )
            )
        for page, png in images:
            cached = ctx.cache.ocr_page(source.identity, page, lang) if ctx.cache else None
            if cached:
                results[n][page] = cached
            else:
                work.append((n, page, png))
        if sum(len(png) for *_, png in work) >= _BATCH_BYTES:
            _run(ctx, sources, work, lang, results, problems)
    _run(ctx, sources, work, lang, results, problems)
    ctx.report(len(sources), len(sources), "reading scans (OCR)")
    return results


def _run(
    ctx: Context,
    sources: list[Source],
    work: list[tuple[int, int, bytes]],
    lang: str,
    results: list[dict[int, OcrPage]],
    problems: list[Problem],
) -> None:
    """OCR one batch of pages (emptied after), recording each result and failure."""
    if not work:
        return
    done = tesseract.read_pages([png for *_, png in work], lang)
    for (n, page, _), result in zip(work, done, strict=True):
        source = sources[n]
        if result is None:
            failed = f"OCR failed on page {page + 1}; it stays without text"
            problems.append(Problem(source.display, Severity.WARNING, failed))
            continue
        results[n][page] = result
        if ctx.cache:
            ctx.cache.remember_ocr(source.identity, page, lang, result)
    work.clear()


def _with_text(found: Found, pages: dict[int, OcrPage], lang: str) -> Found:
    read = [pages[p] for p in sorted(pages)]
    ocr = OcrText(
        lang=lang,
        confidence=round(sum(r.confidence for r in read) / len(read), 1),
        layers={p: pages[p].layer for p in sorted(pages)},
        turns={p: pages[p].turn for p in sorted(pages) if pages[p].turn},
    )
    before = found.reading.page_texts
    texts = tuple(pages[n].text if n in pages else t for n, t in enumerate(before))
    if found.reading.scanned and not found.reading.text.strip():
        text = "\f".join(r.text for r in read)
    else:  # a text PDF with scanned pages: its first pages, now all with text
        text = "\n".join(texts[:TEXT_PAGES])
    reading = dataclasses.replace(found.reading, text=text, ocr=ocr, page_texts=texts)
    return Found(found.source, reading)


def _page_images(data: bytes, kind: Kind, limit: int) -> tuple[list[tuple[int, bytes]], int]:
    """Upright PNGs of a scanned record's first ``limit`` pages, and its page count.

    The frames of an image, or the (first) image of each image-only page of a PDF.
    """
    from PIL import Image
    from pypdf import PdfReader

    pages: list[tuple[int, bytes]] = []
    if kind is Kind.PDF:
        reader = PdfReader(io.BytesIO(data))
        for number, page in enumerate(reader.pages[:limit]):
            if page.extract_text().strip():
                continue
            images = page.images
            if images and (image := images[0].image) is not None:
                pages.append((number, tesseract.prepare(image)))
        return pages, len(reader.pages)
    with Image.open(io.BytesIO(data)) as img:
        total = getattr(img, "n_frames", 1)
        for frame in range(min(total, limit)):
            img.seek(frame)
            pages.append((frame, tesseract.prepare(img.copy() if frame else img)))
    return pages, total
