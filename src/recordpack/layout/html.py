"""Jinja2 templates (package data, or a clinic's own folder) rendered to PDF with WeasyPrint.

WeasyPrint is the HTML/CSS engine: full CSS paged media (page size, margin boxes, repeated
table headers) and automatic font fallback through fontconfig, so names in any script render
when a font for it is installed (TECH.md section 1).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from pypdf import PdfReader, PdfWriter

from recordpack.errors import RecordpackError


class RenderError(RecordpackError):
    """The packet's pages could not be drawn (a broken template, or no HTML engine)."""


@cache
def environment(template_dir: str | None = None) -> Environment:
    """Templates from ``template_dir`` first (same file names override), then the bundled ones."""
    loaders: list[BaseLoader] = [PackageLoader("recordpack", "data/templates")]
    if template_dir:
        loaders.insert(0, FileSystemLoader(template_dir))
    env = Environment(
        loader=ChoiceLoader(loaders),
        # HTML always: patient data and document titles are not trusted; plain text never
        autoescape=select_autoescape((), disabled_extensions=("txt.j2",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda d: d.isoformat() if isinstance(d, dt.date) else (d or "")
    return env


def render_html(template: str, template_dir: str | None = None, **context: Any) -> str:
    """Fill one template."""
    try:
        return environment(template_dir).get_template(template).render(**context)
    except Exception as exc:
        raise RenderError(
            f"template {template}: {type(exc).__name__}: {exc}",
            "check the templates in --template, or remove the option to use the bundled ones",
        ) from exc


def html_to_pdf(html: str, base: Path | None = None) -> bytes:
    """Lay out HTML as PDF pages."""
    return _document(html, base).write_pdf()  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Laid:
    """A laid-out PDF, and the ids of the elements (the anchors) on each of its pages."""

    pdf: bytes
    anchors: tuple[frozenset[str], ...]

    @property
    def pages(self) -> int:
        """How many pages were laid out (one set of anchors a page, empty or not)."""
        return len(self.anchors)


def lay_out_template(template: str, template_dir: str | None = None, **context: Any) -> Laid:
    """Fill a template and lay it out as PDF, telling which elements landed on which page."""
    base = Path(template_dir) if template_dir else None
    document = _document(render_html(template, template_dir, **context), base)
    anchors = tuple(frozenset(page.anchors) for page in document.pages)
    return Laid(document.write_pdf(), anchors)


def render_sections(
    template: str, template_dir: str | None, count: int, **context: Any
) -> list[bytes]:
    """Lay out ``count`` sections (``id="section-N"``) in one run, and return each as its PDF.

    One layout run for all imaging studies instead of one per study: the engine's start-up
    cost, not the pages, dominated (profiled: about 1 s a run).
    """
    laid = lay_out_template(template, template_dir, **context)
    firsts: dict[str, int] = {}
    for number, anchors in enumerate(laid.anchors):
        for anchor in anchors:
            firsts.setdefault(anchor, number)
    reader = PdfReader(io.BytesIO(laid.pdf))
    starts = [firsts[f"section-{n}"] for n in range(count)]
    ends = [*starts[1:], len(reader.pages)]
    parts = []
    for start, end in zip(starts, ends, strict=True):
        writer = PdfWriter()
        for page in reader.pages[start:end]:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        parts.append(out.getvalue())
    return parts


def _document(html: str, base: Path | None) -> Any:
    """The laid-out document (WeasyPrint), fetching local resources only."""
    try:
        from weasyprint import HTML
    except OSError as exc:
        raise RenderError(
            f"the page engine (WeasyPrint) cannot load its system libraries: {exc}",
            "install Pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0 (Debian/Ubuntu), "
            "brew install pango (macOS)",
        ) from exc
    from weasyprint.urls import URLFetcher

    # Nothing leaves the machine: templates may load local files and data: URLs only.
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    return HTML(string=html, base_url=str(base) if base else None, url_fetcher=fetcher).render()


def render_pdf(template: str, template_dir: str | None = None, **context: Any) -> bytes:
    """Fill a template and lay it out as PDF."""
    base = Path(template_dir) if template_dir else None
    return html_to_pdf(render_html(template, template_dir, **context), base)
