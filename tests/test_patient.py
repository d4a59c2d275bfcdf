import datetime as dt
from pathlib import Path

import pytest

from recordpack.errors import RuleDataError
from recordpack.patient import load_patient, patient_template, resolve_patient


def test_flags_beat_the_patient_file_which_beats_the_clinic_default(tmp_path: Path):
    (tmp_path / "patient.toml").write_text(
        'name = "Dana Whitfield"\ndob = 1968-07-22\nquestions = ["Is surgery needed?"]\n'
    )
    from_file = resolve_patient(tmp_path, default_condition="general")
    assert (from_file.name, from_file.condition) == ("Dana Whitfield", "general")
    assert from_file.questions == ("Is surgery needed?",)
    flagged = resolve_patient(
        tmp_path,
        name="D. Whitfield",
        condition="breast-cancer",
        questions=("Why?",),
        dob=dt.date(1968, 7, 23),
        default_condition="general",
    )
    assert (flagged.name, flagged.condition, flagged.questions) == (
        "D. Whitfield",
        "breast-cancer",
        ("Why?",),
    )
    assert flagged.dob == dt.date(1968, 7, 23)


def test_a_named_patient_file_must_exist(tmp_path: Path):
    with pytest.raises(RuleDataError, match="cannot be read"):
        resolve_patient(tmp_path, tmp_path / "elsewhere.toml")
    assert resolve_patient(tmp_path).name == ""  # no file at all: nothing known, no error


def test_the_template_reads_back_with_answers(tmp_path: Path):
    path = tmp_path / "patient.toml"
    path.write_text(patient_template(name='Zoë "Z" Ødegård', dob="1968-07-22", question="Why?"))
    patient = load_patient(path)
    assert patient.name == 'Zoë "Z" Ødegård' and patient.dob == dt.date(1968, 7, 22)
    assert patient.questions == ("Why?",)


def test_bad_dates_name_the_key(tmp_path: Path):
    path = tmp_path / "patient.toml"
    path.write_text('dob = "22/07/1968"')
    with pytest.raises(RuleDataError, match="key 'dob' must be a date"):
        load_patient(path)


@pytest.mark.parametrize(
    ("text", "key", "closest"),
    [
        ("DOB = 1968-07-22", "DOB", "dob"),
        ('conditon = "breast-cancer"', "conditon", "condition"),
        ('[[physical]]\nwhat = "slides"\nrecieved = 2026-10-14', "recieved", "received"),
    ],
)
def test_misspelt_keys_are_refused_with_the_closest_one(
    tmp_path: Path, text: str, key: str, closest: str
):
    path = tmp_path / "patient.toml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=f"unknown key '{key}'") as caught:
        load_patient(path)
    assert f"did you mean '{closest}'?" in caught.value.hint
