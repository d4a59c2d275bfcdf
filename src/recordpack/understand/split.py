"""Find the reports inside one PDF: where each begins, and how sure that is.

A portal's "download all" or a records office's release is one file holding many reports.
The file's own bookmarks say where they begin when there are any; otherwise each page is
weighed by what portals and printers leave (``data/rules/split.toml``): a page counter that
starts again, a title or patient block at the top, a sign-off at the foot of the page before,
another kind of report, a blank separator, a scan among text pages. A report's own
continuation ("Page 2 of 3", "continued", the same running header) weighs against a split, so
one multi-page report is never cut.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from recordpack.models import Category, Reading
from recordpack.rules import check_keys, load_rules, require
from recordpack.understand.classify import classify_text
from recordpack.understand.dates import find_dates

MIN_BOOKMARKS = 2  # one bookmark names the file; two or more, its parts


@dataclass(frozen=True, slots=True)
class Segment:
    """One report's pages in a file (0-based, ``last`` included), and why it starts there."""

    first: int
    last: int
    why: str = ""  # the signals that started it; empty for the file's first report
    sure: bool = True


@dataclass(frozen=True, slots=True)
class _Rules:
    weights: dict[str, float]
    counter: re.Pattern[str]
    continued_top: re.Pattern[str]
    continued_foot: re.Pattern[str]
    ends: re.Pattern[str]
    opening: re.Pattern[str]
    identity: re.Pattern[str]


def _words(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _rules() -> _Rules:
    data = load_rules("split.toml")
    where = "data/rules/split.toml"
    check_keys(data, ("scoring", "words"), where)
    scoring = require(data, "scoring", dict, where)
    words = require(data, "words", dict, f"{where} [words]")
    check_keys(
        words, ("counter", "continued", "continued_foot", "ends", "opening", "identity"), where
    )
    lists = {k: require(words, k, list, f"{where} [words]") for k in words}
    return _Rules(
        weights={k: float(v) for k, v in scoring.items()},
        counter=re.compile(r"\b(?:" + "|".join(lists["counter"]) + r")", re.I),
        continued_top=re.compile(rf"^\W*(?:{_words(lists['continued'])})(?!\w)", re.I),
        continued_foot=re.compile(rf"(?<!\w)(?:{_words(lists['continued_foot'])})\W*$", re.I),
        ends=re.compile(rf"(?<!\w)(?:{_words(lists['ends'])})(?!\w)", re.I),
        opening=re.compile(rf"^\W*(?:{_words(lists['opening'])})(?:\s*$|\b[^:.]{{0,40}}:)", re.I),
        identity=re.compile(rf"(?<!\w)(?:{_words(lists['identity'])})\s*[:#]", re.I),
    )


def split_pages(reading: Reading) -> list[Segment]:
    """The reports in a read PDF, in page order; a file of one report gives one segment."""
    texts = reading.page_texts
    if len(texts) < 2:
        return [Segment(0, max(len(texts), reading.pages or 1) - 1)]
    marks = [page for page, _ in reading.outline]
    if len(marks) >= MIN_BOOKMARKS and not _per_page(reading):
        starts = sorted({0, *marks})
        return _segments(starts, len(texts), dict.fromkeys(marks, ("the file's bookmark", True)))
    pages = [_Page.of(text, n in reading.image_pages, len(texts)) for n, text in enumerate(texts)]
    w = _rules().weights
    short = w["short_share"] * max(page.lines for page in pages)
    starts, why = [0], {}
    for n in range(1, len(pages)):
        score, signals = _weigh(pages[n - 1], pages[n], pages[starts[-1]], w)
        if 0 < pages[n - 1].lines < short and not pages[n].blank:
            score += w["short"]
            signals.append("the page before ends early")
        if score >= w["split"]:
            starts.append(n)
            why[n] = ("; ".join(signals), score >= w["sure"])
    return _segments(starts, len(texts), why)


def _per_page(reading: Reading) -> bool:
    """Bookmarks on every page ("Page 1", "Page 2", ...) mark pages, not reports."""
    return len(reading.outline) >= len(reading.page_texts) > 2


def _segments(starts: list[int], total: int, why: dict[int, tuple[str, bool]]) -> list[Segment]:
    ends = [*starts[1:], total]
    return [
        Segment(first, end - 1, *why.get(first, ("", True)))
        for first, end in zip(starts, ends, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class _Page:
    """What one page shows where reports begin and end."""

    top: tuple[str, ...]
    foot: tuple[str, ...]
    counters: tuple[tuple[int, int], ...]  # the report's own "page x of n", not the file's
    file_counter: bool  # counted as a page of the whole file: the portal's footer
    lines: int
    image: bool
    blank: bool
    title: str  # the report title the page starts with
    kind: Category | None  # the kind of report the page reads as, when that is clear
    dates: frozenset[dt.date]  # the dates in its first lines

    @classmethod
    def of(cls, text: str, image: bool, total: int) -> _Page:
        rules, w = _rules(), _rules().weights
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        counted = [
            (int(a or c or e), int(b or d or f))
            for a, b, c, d, e, f in (_groups(m) for m in rules.counter.finditer(text))
        ]
        own = tuple((x, n) for x, n in counted if 0 < x <= n and n != total)
        top = lines[: int(w["top_lines"])]
        titled = classify_text("\n".join(top)) if top else None
        whole = classify_text(text) if lines else None
        return cls(
            top=tuple(top),
            foot=tuple(lines[-int(w["foot_lines"]) :]),
            lines=len(lines),
            counters=own,
            file_counter=any(n == total for _, n in counted),
            image=image,
            blank=not lines and not image,
            title=titled.title if titled and titled.confidence == "high" else "",
            kind=whole.category if whole and whole.confidence == "high" else None,
            dates=frozenset(d.date for d in find_dates("\n".join(top[:5]))),
        )


def _groups(m: re.Match[str]) -> tuple[str, ...]:
    groups = [g or "" for g in m.groups()]
    return tuple(groups + [""] * (6 - len(groups)))


def _weigh(
    before: _Page, page: _Page, start: _Page, w: dict[str, float]
) -> tuple[float, list[str]]:
    """How strongly ``page`` begins a new report, and the signals that say so."""
    rules = _rules()
    signals: list[tuple[float, str]] = []
    if any(x == 1 for x, _ in page.counters):
        signals.append((w["counter_starts"], "its page counter starts at 1"))
    elif any((x - 1, n) in before.counters for x, n in page.counters):
        signals.append((w["counter_continues"], "its page counter goes on"))
    elif page.counters and before.counters:
        signals.append((w["counter_starts"], "another page counter"))
    if (page.top and rules.continued_top.search(page.top[0])) or (
        before.foot and rules.continued_foot.search(before.foot[-1])
    ):
        signals.append((w["continued"], "continued"))
    if page.blank:
        return -1.0, ["blank page"]  # a separator goes with the report before it
    if before.blank:
        signals.append((w["blank"], "after a blank page"))
    signals += _top_signals(before, page, start, w)
    if any(rules.ends.search(line) for line in before.foot):
        signals.append((w["ended"], "the page before ends with a sign-off"))
    if page.image != before.image:
        signals.append((w["medium"], "a scan next to text" if page.image else "text after a scan"))
    score = sum(s for s, _ in signals)
    return score, [why for s, why in signals if s > 0]


def _top_signals(
    before: _Page, page: _Page, start: _Page, w: dict[str, float]
) -> list[tuple[float, str]]:
    """A title, a patient block, another kind of report; or the running header of the last."""
    rules = _rules()
    if _running(before.top, page.top):
        return [(w["same_top"], "")]
    found: list[tuple[float, str]] = []
    if page.top and before.foot and _mid_sentence(before.foot[-1], page.top[0]):
        found.append((w["mid_sentence"], ""))
    if opening := next((line for line in page.top[:2] if rules.opening.match(line)), ""):
        found.append((w["opens"], f"opens with '{opening[:40]}'"))
    if page.title and _same_report(page, start):
        found.append((w["same_title"], ""))
    elif page.title:
        found.append((w["title"], f"title '{page.title[:60]}' at the top"))
    labels = {m.group(0).lower() for line in page.top for m in rules.identity.finditer(line)}
    if len(labels) > 1:
        found.append((w["identity_block"], "a patient block at the top"))
    elif labels:
        found.append((w["identity"], "a patient label at the top"))
    if page.dates and page.dates != start.dates:
        found.append((w["dated"], "a date at the top"))
    if page.top and before.foot and _ends(before.foot[-1]):
        if _SECTION.match(page.top[0]):
            found.append((w["section"], f"starts with the section '{page.top[0][:40]}'"))
        elif _HEADING.match(page.top[0]):
            found.append((w["heading"], f"starts with the heading '{page.top[0][:40]}'"))
    now, was = page.kind, start.kind
    if now and was and Category.OTHER not in (now, was) and now != was:
        found.append((w["category"], f"{now.value}, not {was.value}"))
    return found


_SECTION = re.compile(r"^[A-Z][A-Z0-9 ,/&()'-]{2,60}:")
_HEADING = re.compile(r"^[A-Z][\w&'.,-]*(?: [\w&'.,()-]+){0,6}$")  # short, capitalised, no colon


def _ends(line: str) -> bool:
    """The line ends a sentence (or a sign-off): what comes next may be a new report."""
    return line.rstrip()[-1:] in ".)]!?" or bool(_rules().ends.search(line))


def _same_report(page: _Page, start: _Page) -> bool:
    """The title and dates of the report's first page again: its running title, not a new one."""
    return page.title.casefold() == start.title.casefold() and page.dates <= start.dates


def _mid_sentence(last: str, first: str) -> bool:
    """A sentence runs over the page break: no full stop before it, lower case after it."""
    return last[-1:].isalnum() and first[:1].islower()


def _running(before: tuple[str, ...], top: tuple[str, ...]) -> bool:
    """The page repeats the top lines of the page before (page numbers aside): one report."""
    if len(top) < 2 or len(before) < 2:
        return False
    counters = _rules().counter

    def plain(lines: tuple[str, ...]) -> list[str]:
        return [counters.sub("", line).strip() for line in lines[:4]]

    same = sum(a == b for a, b in zip(plain(before), plain(top), strict=False))
    return same >= min(3, len(top), len(before)) or (
        same >= 2 and plain(before)[:2] == plain(top)[:2]
    )
