import datetime as dt

from recordpack.models import Category, Inventory, Kind, OcrText, Source, Timeline
from tests.builders import make_item


def test_a_zip_member_is_shown_with_its_archive():
    member = Source("labs/cbc.pdf", "0" * 64, 10, Kind.PDF, archive="portal.zip")
    assert member.display == "portal.zip!labs/cbc.pdf"
    assert Source("a.pdf", "0" * 64, 10, Kind.PDF).display == "a.pdf"


def test_undated_items_are_listed_not_dropped():
    dated = make_item("a", date=dt.date(2025, 1, 1))
    undated = make_item("b", category=Category.LAB)
    inventory = Inventory("r", (dated, undated), (), 2, 0, 0)
    timeline = Timeline(inventory=inventory, items=(dated, undated))
    assert timeline.undated == (undated,)


def test_ocr_text_counts_the_pages_it_read():
    ocr = OcrText("eng", 91.5, {0: b"%PDF", 2: b"%PDF"})
    assert ocr.pages == 2
    assert ocr == OcrText("eng", 91.5)  # the layers are carried, not compared


def test_a_report_of_a_file_of_several_is_named_with_its_pages():
    from recordpack.models import Kind, Source

    whole = Source("all.pdf", "ab" * 32, 10, Kind.PDF)
    part = Source("all.pdf", "ab" * 32, 10, Kind.PDF, archive="portal.zip", pages=(3, 4))
    assert whole.where == "all.pdf" and part.where == "portal.zip!all.pdf, pages 3-4"
    assert part.identity == "ab" * 32 + "#3-4" != whole.identity
