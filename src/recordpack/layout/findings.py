"""Key findings: every report's own conclusion, quoted once, the most important first.

The cover shows the first few, shortened; when there are more, or a quote was shortened, a
findings page right after the cover lists them all, whole, and the cover says how many more
there are and links to it. Nothing is hidden without a word.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from recordpack.assemble import LINK_PREFIX
from recordpack.layout.html import render_pdf
from recordpack.models import Category, Item
from recordpack.understand.findings import is_pending

ON_COVER = 8  # conclusions on the cover, so they fit on its first pages
COVER_QUOTE = 280  # characters of a quote on the cover; the findings page has it whole
_DIAGNOSIS = frozenset({Category.PATHOLOGY, Category.GENETICS})  # they make the diagnosis


@dataclass(slots=True)
class Finding:
    """One report's conclusion, and the numbers of reports that say the very same."""

    number: int
    date: dt.date | None  # None: the report states no date of its own
    title: str
    quote: str
    page: int
    pending: bool
    also: list[int] = field(default_factory=list)

    @property
    def link(self) -> str:
        """A placeholder link that assembly turns into a jump to the report's page."""
        return f"{LINK_PREFIX}{self.page}"

    @property
    def short(self) -> str:
        """The quote as the cover shows it, shortened with "…"."""
        if len(self.quote) <= COVER_QUOTE:
            return self.quote
        return self.quote[: COVER_QUOTE - 1].rstrip(" ,;") + "…"


def key_findings(items: Sequence[Item], pages: dict[int, int]) -> list[Finding]:
    """The conclusions of the reports placed in the packet (``pages``: number -> first page).

    Pathology and genetics first (they make the diagnosis), then the other reports, each most
    recent first; results still pending last. A conclusion that several reports share (a copy
    under another date) is listed once, with the others' numbers.
    """
    quoted = [i for i in items if i.findings and i.index in pages]
    quoted.sort(
        key=lambda i: (i.date is not None and not i.file_dated, i.date or dt.date.min), reverse=True
    )
    quoted.sort(key=lambda i: (is_pending(i.findings), i.category not in _DIAGNOSIS))
    listed: dict[str, Finding] = {}
    for i in quoted:
        same = " ".join(i.findings.lower().split())
        if same in listed:
            listed[same].also.append(i.index)
            continue
        listed[same] = Finding(
            i.index,
            None if i.file_dated else i.date,
            i.title,
            i.findings,
            pages[i.index],
            is_pending(i.findings),
        )
    return list(listed.values())


def needs_page(findings: Sequence[Finding]) -> bool:
    """Whether the cover leaves a conclusion out or shortens one: the findings page has them."""
    return len(findings) > ON_COVER or any(f.short != f.quote for f in findings)


def render_findings(findings: Sequence[Finding], template_dir: str | None) -> bytes:
    """The findings page: every report's conclusion, whole, linked to its report."""
    return render_pdf("findings.html.j2", template_dir, findings=findings)
