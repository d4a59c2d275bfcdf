import dataclasses
import datetime as dt

from recordpack.models import Category, Inventory, Item
from recordpack.timeline import build_timeline
from tests.builders import make_item


def item(
    id_: str, date: dt.date | None, category: Category = Category.LAB, title: str = "t"
) -> Item:
    return make_item(id_, date=date, category=category, title=title)


def inventory(*items: Item) -> Inventory:
    return Inventory(root="r", items=items, problems=(), files_seen=0, bytes_seen=0, duplicates=0)


def test_oldest_first_undated_last_numbered_from_one():
    timeline = build_timeline(
        inventory(item("c", None), item("b", dt.date(2025, 2, 1)), item("a", dt.date(2024, 1, 1)))
    )
    assert [(i.id, i.index) for i in timeline.items] == [("a", 1), ("b", 2), ("c", 3)]
    assert [i.id for i in timeline.undated] == ["c"]


def test_same_inputs_in_any_order_give_the_same_numbers():
    day = dt.date(2025, 1, 1)
    items = [
        item("x", day, Category.RADIOLOGY, "Mammogram"),
        item("y", day, Category.PATHOLOGY, "Core biopsy"),
        item("z", day, Category.PATHOLOGY, "Core biopsy"),
    ]
    forward = build_timeline(inventory(*items))
    backward = build_timeline(inventory(*reversed(items)))
    assert [i.id for i in forward.items] == [i.id for i in backward.items] == ["y", "z", "x"]


def test_file_dates_sort_after_the_dates_records_state():
    """A portal download's creation date says when it was downloaded, not when care happened."""
    downloaded = dataclasses.replace(
        item("dl", dt.date(2026, 10, 20), Category.LAB), date_source="pdf:CreationDate"
    )
    stated = item("st", dt.date(2025, 5, 5), Category.PATHOLOGY)
    undated = item("un", None, Category.OTHER)
    timeline = build_timeline(inventory(undated, downloaded, stated))
    assert [i.id for i in timeline.items] == ["st", "dl", "un"]
    assert downloaded.file_dated and not stated.file_dated and not undated.file_dated
