import datetime as dt
from pathlib import Path

from recordpack.layout import SECTIONS, packet_order, stamp_head
from recordpack.models import Category
from recordpack.options import BuildOptions, Order
from recordpack.patient import Patient
from tests.builders import make_item


def test_sections_group_by_kind_and_date_order_is_one_run():
    note = make_item("n", category=Category.CLINICAL_NOTE, index=1)
    path = make_item("p", category=Category.PATHOLOGY, index=2)
    study = make_item("s", category=Category.IMAGING, index=3)
    report = make_item("r", category=Category.RADIOLOGY, index=4)
    by_section = packet_order([note, path, study, report], Order.SECTIONS)
    assert [(s, i.id) for s, i in by_section] == [
        ("Pathology", "p"), ("Imaging", "s"), ("Imaging", "r"), ("Clinical notes", "n"),
    ]  # fmt: skip
    assert [i.id for _, i in packet_order([note, path], Order.DATE)] == ["n", "p"]


def test_every_category_has_a_section():
    placed = {c for _, cats in SECTIONS for c in cats}
    assert placed == set(Category)


def test_the_stamp_names_the_patient(tmp_path: Path):
    patient = Patient(name="Dana Whitfield", dob=dt.date(1968, 7, 22))
    assert stamp_head(BuildOptions(tmp_path, patient)) == "Dana Whitfield · DOB 1968-07-22"
    assert stamp_head(BuildOptions(tmp_path)) == ""


def test_the_index_length_is_known_before_it_is_laid_out():
    """The guess that lets the cover be laid out once holds for short, long and file-dated rows."""
    import io

    from pypdf import PdfReader

    from recordpack.checklist import ChecklistReport, load_checklist
    from recordpack.layout import _index_pages
    from recordpack.layout.cover import IndexRow, render_cover
    from recordpack.results import CheckResult

    check = CheckResult(ChecklistReport(load_checklist("general"), dt.date(2026, 1, 1)), [], [])
    titles = ["CBC", "CT CHEST ABDOMEN AND PELVIS WITH CONTRAST",
              "Discharge summary after laparoscopic right hemicolectomy with ileocolic anastomosis",
              "Untitled (IMG_2041.jpg)"]  # fmt: skip
    for count, file_dated_every in ((40, 0), (150, 7), (300, 3)):
        items = [make_item(str(n), index=n, date=dt.date(2025, 1, 1 + n % 28),
                           title=titles[n % len(titles)], category=Category.LAB,
                           date_source="pdf:CreationDate" if file_dated_every
                           and n % file_dated_every == 0 else "stated")
                 for n in range(1, count + 1)]  # fmt: skip

        def pages(rows: list[IndexRow], items=items) -> int:
            pdf = render_cover(patient=Patient(name="Dana Whitfield"), check=check, items=items,
                               index=rows, index_alone=True, prepared=dt.date(2026, 1, 1),
                               source_count=len(items), template_dir=None)  # fmt: skip
            return len(PdfReader(io.BytesIO(pdf)).pages)

        rows = [IndexRow(str(i.index), i.date, False, "lab", i.title, 1000 + i.index,
                         file_date=i.file_dated) for i in items]  # fmt: skip
        assert pages(rows) - (pages([]) - 1) == _index_pages(items, 0), count
