"""The cover's index: how many pages it will fill, and a long one laid out in two halves at once.

The index's rows are most of the cover's layout time (about 9 ms a row, 11 s for 1,200 rows)
and one layout run keeps one core busy. Its pages break where a row no longer fits, so its
second half can be laid out apart only from a row that starts a page in the whole index. That
row is guessed with the same line model that guesses the index's length; both halves are laid
out at once (the first with the cover, the second in a worker), and they are joined at the
first row that starts a page in both, which gives the very pages of one run. When no row
does, the index is laid out whole, as before: a wrong guess costs time, never a page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pikepdf

from recordpack.layout.cover import IndexRow, page_rows, render_index
from recordpack.layout.drawing import Drawing
from recordpack.layout.html import Laid

SPLIT_AFTER = 150  # rows: a shorter index is laid out in one run (about a second)
# Heights as WeasyPrint lays out packet.css (measured from the rows' positions on the pages):
# with them the guessed page breaks are the real ones for titles that wrap as guessed below.
_PAGE_POINTS = 701.29  # a letter page's height inside the margins (16 mm)
_ROW_POINTS = (4.2675, 11.05875)  # a row's padding and border, and each line of text (9.5 pt)
_NAMES_POINTS = 15.994  # the columns' names, at the top of each page
_HEADING_POINTS = 34.11  # the "Index" heading
_TITLE_CHARACTERS = 48  # characters of a title on one line of the index

Titled = tuple[str, bool]  # a row's title, and whether its date is a file date (two lines)


def index_pages(rows: Sequence[Titled]) -> int:
    """How many pages the index will fill, from each row's lines (titles wrap, file dates use two).

    Only a guess: a wrong one costs a second layout, never a wrong number.
    """
    starts, used = _page_starts(rows)
    return len(starts) + (used + 2.5 * _ROW_POINTS[1] > _PAGE_POINTS)  # the note under it


def _page_starts(rows: Sequence[Titled]) -> tuple[list[int], float]:
    """The row each index page is guessed to start with, and the points used on the last page."""
    starts, used = [0], _HEADING_POINTS + _NAMES_POINTS
    for n, (title, file_date) in enumerate(rows):
        lines = max(2 if file_date else 1, -(-len(title) // _TITLE_CHARACTERS))
        row = _ROW_POINTS[0] + _ROW_POINTS[1] * lines
        if used + row > _PAGE_POINTS:
            starts.append(n)
            used = _NAMES_POINTS
        used += row
    return starts, used


def lay_out_index(
    drawing: Drawing, rows: list[IndexRow], whole: Callable[..., Laid], template_dir: str | None
) -> bytes:
    """The cover with its index on pages of its own; a long index in two halves at once.

    ``whole(index=rows, index_note=...)`` lays out the cover with the rows given.
    """
    if drawing.workers < 2 or len(rows) < SPLIT_AFTER or _own_cover(template_dir):
        return whole(index=rows).pdf
    guessed, _ = _page_starts([(r.title, r.file_date) for r in rows])
    middle = min(
        range(1, len(guessed)), key=lambda k: abs(guessed[k] - len(rows) // 2), default=None
    )
    if middle is None:
        return whole(index=rows).pdf
    seam = guessed[middle]
    after = guessed[middle + 1] if middle + 1 < len(guessed) else len(rows) - 1
    tail = drawing.submit(render_index, rows[seam - 1 :], seam - 1, template_dir)
    head = whole(index=rows[: after + 1], index_note=False)  # a page past the seam, to check it
    try:
        rest = tail.result()
    except Exception:  # a lost worker: the whole index here, where a real error is raised again
        return whole(index=rows).pdf
    head_rows, rest_rows = page_rows(head), page_rows(rest)
    joins = [r for r in head_rows if r is not None and r >= seam and r in rest_rows]
    if not joins:
        return whole(index=rows).pdf
    return _joined(head, head_rows.index(joins[0]), rest, rest_rows.index(joins[0]))


def _own_cover(template_dir: str | None) -> bool:
    """A clinic's own cover may lay out its index otherwise: it is laid out in one run."""
    return template_dir is not None and Path(template_dir, "cover.html.j2").exists()


def _joined(head: Laid, before: int, rest: Laid, start: int) -> bytes:
    """The head's pages before page ``before``, then the rest's from page ``start``."""
    out = pikepdf.new()
    with pikepdf.open(io.BytesIO(head.pdf)) as first, pikepdf.open(io.BytesIO(rest.pdf)) as second:
        out.pages.extend(first.pages[:before])
        out.pages.extend(second.pages[start:])
        buffer = io.BytesIO()
        out.save(buffer)
    return buffer.getvalue()
