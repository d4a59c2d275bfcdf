"""Jinja2 templates (package data, or a clinic's own folder) rendered to PDF with WeasyPrint.

WeasyPrint is the HTML/CSS engine: full CSS paged media (page size, margin boxes, repeated
table headers) and automatic font fallback through fontconfig, so names in any script render
when a font for it is installed (TECH.md section 1).
"""

from __future__ import annotations

import datetime as dt
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
)

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
        autoescape=True,  # always: patient data and document titles are not trusted HTML
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
    document = HTML(string=html, base_url=str(base) if base else None, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(template: str, template_dir: str | None = None, **context: Any) -> bytes:
    """Fill a template and lay it out as PDF."""
    base = Path(template_dir) if template_dir else None
    return html_to_pdf(render_html(template, template_dir, **context), base)
