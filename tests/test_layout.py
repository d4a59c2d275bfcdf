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
        ("Pathology", "p"),
        ("Imaging", "s"),
        ("Imaging", "r"),
        ("Clinical notes", "n"),
    ]
    assert [i.id for _, i in packet_order([note, path], Order.DATE)] == ["n", "p"]


def test_every_category_has_a_section():
    placed = {c for _, cats in SECTIONS for c in cats}
    assert placed == set(Category)


def test_the_stamp_names_the_patient(tmp_path: Path):
    patient = Patient(name="Dana Whitfield", dob=dt.date(1968, 7, 22))
    assert stamp_head(BuildOptions(tmp_path, patient)) == "Dana Whitfield · DOB 1968-07-22"
    assert stamp_head(BuildOptions(tmp_path)) == ""
