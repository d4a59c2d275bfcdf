import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recordpack.models import Category
from recordpack.options import DateOrder
from recordpack.understand.dates import choose_date, find_dates

D = dt.date


def dates_in(text: str, order: DateOrder = DateOrder.MDY) -> list[dt.date]:
    return [f.date for f in find_dates(text, order)]


def test_every_common_form():
    text = (
        "01/02/1970 2024-03-04 5 Mar 2024 05-MAR-2024 2024/03/05 "
        "March 5, 2023 06.03.2024 Jun 2, 2025"
    )
    assert dates_in(text, DateOrder.DMY) == [
        D(1970, 2, 1),
        D(2024, 3, 4),
        D(2024, 3, 5),
        D(2024, 3, 5),
        D(2024, 3, 5),
        D(2023, 3, 5),
        D(2024, 3, 6),
        D(2025, 6, 2),
    ]


def test_distractors_are_not_dates():
    text = "Hgb 7.2 ref 3.6-6.0, 6 H, in 6 weeks, Page 1 of 2, v1.2.3, tel 555-123-4567, 13/45/2024"
    assert dates_in(text) == []


def test_iso_dates_are_never_flipped_by_day_first():
    assert dates_in("2024-03-04", DateOrder.DMY) == [D(2024, 3, 4)]


def test_ambiguous_numeric_dates_follow_the_order_and_are_flagged():
    [mdy] = find_dates("03/04/2024", DateOrder.MDY)
    [dmy] = find_dates("03/04/2024", DateOrder.DMY)
    assert (mdy.date, dmy.date) == (D(2024, 3, 4), D(2024, 4, 3))
    assert mdy.ambiguous and dmy.ambiguous
    assert not find_dates("03/03/2024")[0].ambiguous  # both readings are the same day


def test_another_date_in_the_document_settles_the_order():
    found = find_dates("Collected 03/04/2024\nReported 14/04/2024", DateOrder.MDY)
    assert [f.date for f in found] == [D(2024, 4, 3), D(2024, 4, 14)]
    assert not any(f.ambiguous for f in found)


def test_two_digit_years():
    assert dates_in("3/4/25 and 1/2/71") == [D(2025, 3, 4), D(1971, 1, 2)]


def test_lab_collection_date_beats_report_and_print_dates():
    text = (
        "Patient: DOE, JANE  DOB: 01/02/1960\n"
        "Reported: 03/10/2025   Collected: 03/08/2025 07:40   Received: 03/09/2025\n"
        "Printed 04/01/2025 from portal"
    )
    found = choose_date(text, Category.LAB)
    assert (found.date, found.source) == (D(2025, 3, 8), "text:collected")


def test_comparison_and_birth_dates_never_date_a_report():
    text = "MRI BRAIN\nDOB: 05/06/1970\nComparison: 01/02/2020\nExam date: 03/04/2025"
    found = choose_date(text, Category.RADIOLOGY)
    assert (found.date, found.source) == (D(2025, 3, 4), "text:exam date")
    assert choose_date("DOB: 05/06/1970\nComparison: 01/02/2020", Category.RADIOLOGY).date is None


def test_unlabelled_header_date_then_file_name_then_metadata():
    assert (
        choose_date("Clinic letter\n12 March 2025\nDear Dr", Category.CLINICAL_NOTE).source
        == "text:header"
    )
    by_name = choose_date("no dates", Category.LAB, name="Labs/CBC 20250314.pdf")
    assert (by_name.date, by_name.source) == (D(2025, 3, 14), "filename")


def test_a_date_a_camera_put_in_the_name_is_a_file_date():
    """IMG_20250214_... is when the photo was taken, not when the colonoscopy was done."""
    from recordpack.models import Item, Kind

    names = [
        "Labs/IMG_20250314_0930.jpg",
        "PXL_20250314_093012.jpg",
        "Screenshot_20250314-093012.png",
        "Screen Shot 2025-03-14 at 09.30.png",
    ]
    for name in names:
        found = choose_date("no dates", Category.PROCEDURE, name=name)
        assert (found.date, found.source) == (D(2025, 3, 14), "filename:camera"), name
        item = Item(
            "x",
            Category.PROCEDURE,
            "t",
            found.date,
            found.source,
            False,
            "",
            1,
            None,
            (),
            Kind.JPEG,
        )
        assert item.file_dated  # shown as a file date, never recent enough for a checklist


def test_metadata_dates_come_last():
    meta = choose_date("", Category.OTHER, fallbacks={"pdf:CreationDate": D(2020, 1, 1)})
    assert (meta.date, meta.source) == (D(2020, 1, 1), "pdf:CreationDate")
    assert choose_date("", Category.OTHER).date is None


def test_unlabelled_dates_deep_in_the_body_are_history():
    body = "Consult\n" + "text\n" * 30 + "She had surgery 01/02/2019.\n"
    assert choose_date(body, Category.CLINICAL_NOTE).date is None


@given(st.text(max_size=400))
def test_find_dates_never_raises(text: str):
    for found in find_dates(text):
        assert 1900 <= found.date.year <= 2100


@given(
    st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)), st.sampled_from(list(DateOrder))
)
def test_every_written_date_is_found_again(date: dt.date, order: DateOrder):
    iso = date.isoformat()
    named = date.strftime("%d %b %Y")
    numeric = date.strftime("%d/%m/%Y" if order is DateOrder.DMY else "%m/%d/%Y")
    assert dates_in(f"a {iso} b {named} c {numeric}", order) == [date, date, date]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "Paciente: Juan Pérez  Fecha de nacimiento: 12/03/1958\nFecha del estudio: 05/06/2024",
            "fecha del estudio",
        ),
        ("Name: Max Muster, geb. 12.03.1958\nUntersuchungsdatum: 05.06.2024", "untersuchungsdatum"),
        (
            "Patient : Jean Dupont, né le 12/03/1958\nDate de l'examen : 05/06/2024",
            "date de l'examen",
        ),
        (
            "Naam: Jan Jansen  Geboortedatum: 12-03-1958\nOnderzoeksdatum: 05-06-2024",
            "onderzoeksdatum",
        ),
    ],
)
def test_spanish_german_french_and_dutch_labels_and_never_the_birth_date(text: str, label: str):
    found = choose_date(text, Category.RADIOLOGY, order=DateOrder.DMY)
    assert (found.date, found.source) == (D(2024, 6, 5), f"text:{label}")
    birth_only = text.splitlines()[0]
    assert choose_date(birth_only, Category.RADIOLOGY, order=DateOrder.DMY).date is None


def test_a_date_of_an_earlier_event_never_dates_the_report():
    """Comparisons, onsets, histories: the date of something the report mentions."""
    for text in (
        "CT CHEST\nUnchanged since 23.11.2014.\nNo new nodules.",
        "Clinic note\nStatus post lumpectomy 03/02/2024.\nDoing well.",
        "Echo report\nStable since 01/05/2023.",
        "MRI\nVergeleken met 12-03-2022: geen verandering.",
    ):
        assert choose_date(text, Category.RADIOLOGY).date is None, text


@pytest.mark.parametrize(
    "text",
    [
        "CT HEAD\nCOMPARISONS: CT of the abdomen dated 02/13/2009.\nFINDINGS: normal.",
        "CONSULT NOTE\nHer last Pap smear was 05/02/2002. She is well.",
        "NOTE\nThe patient presented to the emergency department on 03/04/2009 with pain.",
        "NOTE\nShe had an MRI on January 29, 2007, which was normal.",
        "NOTE\nThe patient was admitted to the ward and\ndischarged on 05/24/2008 to home.",
    ],
)
def test_a_date_told_in_a_sentence_is_another_events(text: str):
    assert choose_date(text, Category.CLINICAL_NOTE).date is None


def test_the_documents_own_dates_still_count():
    signed = "Thank you for your referral. Dr Ann Lee 17/06/2008"
    assert choose_date(signed, Category.RADIOLOGY).date == dt.date(2008, 6, 17)
    told = "EEG REPORT\nThe patient was recorded from 2:15 p.m. on 08/21/06 through 08/25/06."
    assert choose_date(told, Category.OTHER).date == dt.date(2006, 8, 21)
    pointed = "NOTE\nShe came in at 0330 hours in the morning on this date 12/30/08 with pain."
    assert choose_date(pointed, Category.CLINICAL_NOTE).date == dt.date(2008, 12, 30)
    own_label = "SUMMARY\nThe patient did well, and on the day of discharge, on May 9, 2008, left."
    assert choose_date(own_label, Category.DISCHARGE).date == dt.date(2008, 5, 9)
    letter = "Springfield, March 3, 2025\nDear Dr Smith,"
    assert choose_date(letter, Category.CLINICAL_NOTE).date == dt.date(2025, 3, 3)


def test_a_told_encounter_counts_only_in_the_opening_lines():
    late = "NOTE\n" + "Line.\n" * 8 + "The patient was examined on 03/04/2009 elsewhere."
    assert choose_date(late, Category.CLINICAL_NOTE).date is None
