"""PDF: page count, the first pages' text, metadata, and warnings about active content."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from recordpack.errors import ReadError
from recordpack.models import Kind, Notice, Reading, Severity

TEXT_PAGES = 3  # classification and dating need the header block, not the whole document
_JUNK_TITLES = re.compile(
    r"^(untitled|microsoft word|document\d*|doc\d+|scan\d*|\S+\.(docx?|pdf))", re.I
)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly about harmless oddities


def read_pdf(stream: BinaryIO, *, password: str | None = None, max_pages: int = 2_000) -> Reading:
    """Read a PDF's structure and the text of every page (of its first, past ``max_pages``).

    Every page is read because a portal's "download all" holds many reports, each of which is
    found, classified and dated by its own pages; a file over the limit is refused later.
    """
    with _as_read_errors():
        reader = PdfReader(stream)
        _unlock(reader, password)
        pages = len(reader.pages)
        read = reader.pages[: pages if pages <= max_pages else TEXT_PAGES]
        texts = [_page_text(page) for page in read]
        image_only = [_is_image_only(page) for page in read]
        outline = _outline(reader, pages)
        meta = reader.metadata
        title = str(meta.title or "").strip() if meta else ""
        created = meta.creation_date if meta else None
        active = _active_content(reader)
    if pages == 0:
        raise ReadError("PDF has no pages", "export the document again")
    dates: dict[str, dt.date] = {}
    if isinstance(created, dt.datetime) and 1900 < created.year < 2200:
        dates["pdf:CreationDate"] = created.date()
    text = "\n".join(texts[:TEXT_PAGES])
    warnings = [
        Notice(
            f"PDF contains active content ({', '.join(active)})",
            "it is kept out of the packet; nothing in it is run",
            Severity.WARNING,
        )
    ]
    return Reading(
        kind=Kind.PDF,
        text=text,
        pages=pages,
        title="" if _JUNK_TITLES.match(title) else title,
        dates=dates,
        warnings=tuple(warnings) if active else (),
        scanned=any(image_only[:TEXT_PAGES]) and len(text.strip()) < 20,
        active_content=tuple(active),
        page_texts=tuple(texts),
        image_pages=tuple(n for n, image in enumerate(image_only) if image),
        outline=outline,
    )


# what pypdf raises on a damaged outline (it asserts on a destination that is not a page)
_OUTLINE_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    AssertionError,
)


def _outline(reader: PdfReader, pages: int) -> tuple[tuple[int, str], ...]:
    """The file's top-level bookmarks as (page index, title), in page order.

    A bookmark that points nowhere (a missing or damaged page) is left out: the pages are then
    split by what they say.
    """
    marks: set[tuple[int, str]] = set()
    try:
        entries = reader.outline
    except _OUTLINE_ERRORS:
        return ()
    for entry in entries:
        if isinstance(entry, list):
            continue  # children of the previous bookmark: sections of one document
        try:
            page = reader.get_destination_page_number(entry)
        except _OUTLINE_ERRORS:  # a destination that is not a page of this file
            continue
        if page is not None and 0 <= page < pages:
            marks.add((page, str(entry.title or "").strip()[:200]))
    return tuple(sorted(marks))


@contextmanager
def _as_read_errors() -> Iterator[None]:
    """Pypdf's errors (and the ones it lets through) as a ReadError that says what to do."""
    try:
        yield
    except ReadError:
        raise
    except DependencyError as exc:
        raise ReadError(
            f"encrypted PDF that needs an extra library: {exc}",
            "reinstall recordpack (it brings pypdf[crypto]) or re-export the PDF unencrypted",
        ) from exc
    except FileNotDecryptedError as exc:
        raise _encrypted() from exc
    except (PyPdfError, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise ReadError(
            f"damaged or truncated PDF ({type(exc).__name__}: {exc})",
            "download or export it again; if it opens in a viewer, print it to a new PDF",
        ) from exc


def _encrypted() -> ReadError:
    return ReadError(
        "encrypted PDF (it needs a password to open)",
        "re-export it without a password, or pass --password",
    )


def _unlock(reader: PdfReader, password: str | None) -> None:
    """Open an encrypted PDF with the given password, or with the empty user password."""
    if not reader.is_encrypted:
        return
    for candidate in (password, ""):
        if candidate is not None and reader.decrypt(candidate):
            return
    raise _encrypted()


def _page_text(page: object) -> str:
    try:
        return str(page.extract_text())  # type: ignore[attr-defined]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return ""  # a page whose text cannot be extracted is still a page


def _is_image_only(page: object) -> bool:
    """A page with images and no fonts: a scan. Cheap: looks at resources, not content."""
    try:
        resources = page["/Resources"]  # type: ignore[index]
        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        if resources.get("/Font"):
            return False
        xobjects = resources.get("/XObject")
        if not xobjects:
            return False
        xobjects = xobjects.get_object()
        return any(xobjects[name].get_object().get("/Subtype") == "/Image" for name in xobjects)
    except (KeyError, AttributeError, TypeError, PdfReadError):
        return False


def _active_content(reader: PdfReader) -> list[str]:
    """Name the active content in the catalogue (JavaScript, automatic actions, forms)."""
    found: list[str] = []
    try:
        root: Any = reader.root_object
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names.get_object():
            found.append("JavaScript")
        if names is not None and "/EmbeddedFiles" in names.get_object():
            found.append("attached files, not carried into the packet")
        action = root.get("/OpenAction")
        if action is not None:
            action = action.get_object()
            if isinstance(action, dict) and action.get("/S") in ("/JavaScript", "/Launch", "/URI"):
                found.append(f"open action {action.get('/S')}".replace("/", ""))
        if root.get("/AA") is not None:
            found.append("automatic actions")
        if root.get("/AcroForm") is not None:
            found.append("form fields")
    except (KeyError, AttributeError, TypeError, PdfReadError):
        pass
    return found
