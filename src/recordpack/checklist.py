"""Condition checklists: load them (bundled name or path), validate them, and check a timeline.

A checklist is data (``data/checklists/<id>.toml``). Each item says what a second-opinion
program asks for, why, how to recognise it among the classified items, how recent it must be
(a per-file setting with its source, never a universal rule) and whom to ask when it is missing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from recordpack.errors import RuleDataError
from recordpack.models import Category, Item, Timeline
from recordpack.rules import check_keys, read_toml

GENERAL = "general"


class Level(StrEnum):
    """How much an item matters for the opinion."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"


class Status(StrEnum):
    """The state of one checklist item for one folder."""

    PRESENT = "present"
    MISSING = "missing"
    STALE = "stale"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing a second-opinion program asks for."""

    id: str
    label: str
    why: str
    level: Level
    ask: str
    source: str
    categories: tuple[Category, ...] = ()
    keywords: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    body_parts: tuple[str, ...] = ()
    min_count: int = 1
    within_days: int | None = None
    window_source: str = ""
    physical: bool = False


@dataclass(frozen=True, slots=True)
class Checklist:
    """A named list of items for one condition."""

    id: str
    title: str
    aliases: tuple[str, ...]
    sources: str
    items: tuple[ChecklistItem, ...]
    path: str


@dataclass(frozen=True, slots=True)
class PhysicalRecord:
    """A slide box, tissue block or CD tracked in the patient file."""

    what: str
    item: str = ""
    source: str = ""
    requested: dt.date | None = None
    shipped: dt.date | None = None
    received: dt.date | None = None
    tracking: str = ""
    accession: str = ""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The status of one checklist item, with its evidence (timeline index numbers)."""

    item: ChecklistItem
    status: Status
    reason: str
    evidence: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class ChecklistReport:
    """A checklist evaluated against a timeline on a consult date."""

    checklist: Checklist
    consult_date: dt.date
    results: tuple[ItemResult, ...] = field(default=())

    def count(self, status: Status, level: Level | None = None) -> int:
        """How many items have ``status`` (optionally only of one level)."""
        return sum(
            1
            for r in self.results
            if r.status is status and (level is None or r.item.level is level)
        )

    @property
    def complete(self) -> bool:
        """No required item is missing or stale."""
        return not any(
            r.item.level is Level.REQUIRED and r.status in (Status.MISSING, Status.STALE)
            for r in self.results
        )


# Loading ---------------------------------------------------------------------------------------


def bundled_checklists() -> list[Checklist]:
    """Every checklist shipped with recordpack, sorted by id."""
    folder = resources.files("recordpack") / "data" / "checklists"
    return sorted(
        (
            _parse(tomllib.loads(f.read_text(encoding="utf-8")), f"data/checklists/{f.name}")
            for f in folder.iterdir()
            if f.name.endswith(".toml")
        ),
        key=lambda c: c.id,
    )


def load_checklist(name_or_path: str | None) -> Checklist:
    """A bundled checklist by id or alias, or a user's TOML file by path; None means general."""
    name = (name_or_path or GENERAL).strip()
    if name.endswith(".toml") or "/" in name:
        path = Path(name)
        return _parse(read_toml(path), str(path))
    wanted = name.lower().replace("_", "-").replace(" ", "-")
    known = bundled_checklists()
    for checklist in known:
        if wanted == checklist.id or wanted in checklist.aliases:
            return checklist
    names = [c.id for c in known] + [a for c in known for a in c.aliases]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise RuleDataError(
        f"unknown condition '{name}'", f"{hint}`recordpack checklists` lists them all"
    )


_ITEM_KEYS = {
    "id": str,
    "label": str,
    "why": str,
    "level": str,
    "ask": str,
    "source": str,
    "categories": list,
    "keywords": list,
    "modalities": list,
    "body_parts": list,
    "min_count": int,
    "within_days": int,
    "window_source": str,
    "physical": bool,
}
_REQUIRED_ITEM_KEYS = ("id", "label", "why", "level", "ask", "source")


def _parse(data: dict[str, Any], where: str) -> Checklist:
    """Validate a checklist with errors that name the file, the item and the key."""
    check_keys(data, ("id", "title", "aliases", "sources", "item"), where)
    for key in ("id", "title", "sources"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RuleDataError(f"{where}: key '{key}' must be a non-empty string")
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise RuleDataError(f"{where}: key 'aliases' must be a list of strings")
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise RuleDataError(f"{where}: needs at least one [[item]]")
    items = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_items, start=1):
        here = f"{where}: item {raw.get('id', f'#{n}')!r}"
        item = _parse_item(raw, here)
        if item.id in seen:
            raise RuleDataError(f"{here}: duplicate id")
        seen.add(item.id)
        items.append(item)
    return Checklist(
        id=data["id"],
        title=data["title"],
        aliases=tuple(a.lower() for a in aliases),
        sources=data["sources"],
        items=tuple(items),
        path=where,
    )


def _check_keys(raw: dict[str, Any], here: str) -> None:
    check_keys(raw, _ITEM_KEYS, here)
    for key, kind in _ITEM_KEYS.items():
        if key in raw and not isinstance(raw[key], kind):
            raise RuleDataError(f"{here}: key '{key}' must be a {kind.__name__}")
    for key in _REQUIRED_ITEM_KEYS:
        if not raw.get(key):
            raise RuleDataError(f"{here}: missing key '{key}'")


def _parse_item(raw: dict[str, Any], here: str) -> ChecklistItem:
    _check_keys(raw, here)
    try:
        level = Level(raw["level"])
    except ValueError:
        raise RuleDataError(f"{here}: key 'level' must be 'required' or 'recommended'") from None
    try:
        categories = tuple(Category(c) for c in raw.get("categories", []))
    except ValueError as exc:
        raise RuleDataError(
            f"{here}: key 'categories': {exc}; use {', '.join(c.value for c in Category)}"
        ) from None
    physical = bool(raw.get("physical", False))
    if not physical and not categories and not raw.get("keywords"):
        raise RuleDataError(f"{here}: needs 'categories' or 'keywords' to be matchable")
    if raw.get("within_days") is not None and not raw.get("window_source"):
        raise RuleDataError(f"{here}: 'within_days' needs a 'window_source' (or 'convention')")
    return ChecklistItem(
        id=raw["id"],
        label=raw["label"],
        why=raw["why"],
        level=level,
        ask=raw["ask"],
        source=raw["source"],
        categories=categories,
        keywords=tuple(k.lower() for k in raw.get("keywords", [])),
        modalities=tuple(m.upper() for m in raw.get("modalities", [])),
        body_parts=tuple(b.lower() for b in raw.get("body_parts", [])),
        min_count=int(raw.get("min_count", 1)),
        within_days=raw.get("within_days"),
        window_source=raw.get("window_source", ""),
        physical=physical,
    )


# Evaluation ------------------------------------------------------------------------------------


def evaluate_checklist(
    checklist: Checklist,
    timeline: Timeline,
    *,
    consult_date: dt.date,
    physical: tuple[PhysicalRecord, ...] = (),
) -> ChecklistReport:
    """Say for each item whether the folder has it, and why; never from file names alone."""
    results = tuple(
        _physical_status(item, physical) if item.physical else _status(item, timeline, consult_date)
        for item in checklist.items
    )
    order = {Level.REQUIRED: 0, Level.RECOMMENDED: 1}
    ordered = tuple(sorted(results, key=lambda r: order[r.item.level]))
    return ChecklistReport(checklist, consult_date, ordered)


def _status(item: ChecklistItem, timeline: Timeline, consult_date: dt.date) -> ItemResult:
    strong: list[Item] = []
    weak: list[Item] = []
    for candidate in timeline.items:
        match = _match(item, candidate)
        if match == "strong":
            strong.append(candidate)
        elif match == "weak":
            weak.append(candidate)
    if len(strong) >= item.min_count:
        return _recency(item, strong, consult_date)
    if strong or weak:
        why = (
            f"found {len(strong)} of {item.min_count}"
            if strong and not weak
            else "a possible match: check that it is the right document"
        )
        return ItemResult(item, Status.REVIEW, why, tuple(strong + weak))
    return ItemResult(item, Status.MISSING, item.ask)


def _recency(item: ChecklistItem, found: list[Item], consult_date: dt.date) -> ItemResult:
    """Present, or stale when the newest is older than the item's window before the consult."""
    if item.within_days is not None:
        dated = [i.date for i in found if i.date and not i.file_dated]
        newest = max(dated) if dated else None
        limit = consult_date - dt.timedelta(days=item.within_days)
        if newest is None or newest < limit:
            when = newest.isoformat() if newest else "undated"
            return ItemResult(
                item,
                Status.STALE,
                f"newest is {when}; wanted within {item.within_days} days of "
                f"{consult_date.isoformat()} ({item.window_source})",
                tuple(found),
            )
    return ItemResult(item, Status.PRESENT, f"found {len(found)}", tuple(found))


def _match(item: ChecklistItem, candidate: Item) -> str | None:
    """'strong', 'weak' or None: category, modality, body part and a keyword must all fit."""
    if item.categories and candidate.category not in item.categories:
        return None
    if item.modalities and not (
        candidate.modality and set(candidate.modality.split("/")) & set(item.modalities)
    ):
        return None
    haystack = f"{candidate.title}\n{candidate.text}".lower()
    if item.body_parts:
        body = f"{candidate.study.body_part if candidate.study else ''} {haystack}".lower()
        if not any(part in body for part in item.body_parts):
            return None
    if item.keywords and not any(k in haystack for k in item.keywords):
        return None
    # An item sorted by its file name alone (a photo in a "Pathology" folder) may be it.
    return "weak" if candidate.confidence == "low" else "strong"


def _physical_status(item: ChecklistItem, records: tuple[PhysicalRecord, ...]) -> ItemResult:
    words = item.keywords or (item.id.replace("-", " "),)
    mine = [r for r in records if r.item == item.id or any(w in r.what.lower() for w in words)]
    if not mine:
        return ItemResult(item, Status.MISSING, f"not tracked in the patient file; {item.ask}")
    r = mine[0]
    tracking = f" (tracking {r.tracking})" if r.tracking else ""
    origin = f" from {r.source}" if r.source else ""
    if r.received:
        return ItemResult(item, Status.PRESENT, f"{r.what}{origin}: received {r.received}")
    if r.shipped:
        return ItemResult(
            item,
            Status.REVIEW,
            f"{r.what}{origin}: shipped {r.shipped}{tracking}, not yet received",
        )
    if r.requested:
        return ItemResult(
            item, Status.MISSING, f"{r.what}{origin}: requested {r.requested}, not yet shipped"
        )
    return ItemResult(item, Status.MISSING, f"{r.what}{origin}: not yet requested; {item.ask}")
