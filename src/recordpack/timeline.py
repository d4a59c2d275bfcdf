"""Order items into the timeline a doctor reads: oldest first, undated last, numbered 1..n."""

from __future__ import annotations

import dataclasses

from recordpack.models import Category, Inventory, Item, Timeline

_CATEGORY_ORDER = {category: n for n, category in enumerate(Category)}


def build_timeline(inventory: Inventory) -> Timeline:
    """Sort items by date (file-dated, then undated, last) and give each a stable index number.

    Ties are broken by category, title and id, so the same folder always gives the same numbers.
    """
    ordered = sorted(inventory.items, key=_sort_key)
    items = tuple(dataclasses.replace(item, index=n) for n, item in enumerate(ordered, start=1))
    return Timeline(inventory=inventory, items=items)


def _sort_key(item: Item) -> tuple[int, str, int, str, str]:
    date = item.date.isoformat() if item.date else ""
    rank = 2 if item.date is None else 1 if item.file_dated else 0
    return (rank, date, _CATEGORY_ORDER[item.category], item.title.lower(), item.id)
