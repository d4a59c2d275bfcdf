import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from recordpack.models import Identity
from recordpack.options import DateOrder
from recordpack.understand.identity import identity_in_text

HEADER = "CITY HOSPITAL\nPatient: WHITFIELD, DANA M   DOB: 07/08/1968   MRN: 448812\n"


def test_name_birth_date_and_record_number_are_read_from_the_header():
    assert identity_in_text(HEADER) == Identity("WHITFIELD, DANA M", dt.date(1968, 7, 8), "448812")


def test_the_run_date_order_reads_the_birth_date():
    """--date-order reaches the identity check through the item, read once."""
    assert identity_in_text(HEADER, DateOrder.DMY).dob == dt.date(1968, 8, 7)


def test_identity_lines_deep_in_the_body_are_not_the_patients():
    body = "\n" * 40 + "Patient: Someone Else  DOB: 01/01/1950"
    assert identity_in_text(body) == Identity()


@given(st.text(max_size=500))
def test_any_text_gives_an_identity(text: str):
    assert isinstance(identity_in_text(text), Identity)
