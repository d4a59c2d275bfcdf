import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recordpack.checklist import evaluate_checklist, load_checklist
from recordpack.errors import RecordpackError, RuleDataError, UsageError
from recordpack.models import Inventory
from recordpack.patient import Patient, Provider, SentRequest, parse_patient
from recordpack.request import jurisdiction, plan_requests, request_states, write_letters
from recordpack.timeline import build_timeline
from tests.builders import EXAMPLE, require_tool

TODAY = dt.date(2026, 11, 23)
PATHOLOGY = Provider(
    "Cascade Pathology & Cytology", "Records", "1 Example Ave\nPortland OR", holds=("pathology",)
)
IMAGING = Provider("Valley Imaging", email="records@valley.example", holds=("imaging", "radiology"))


def nothing_found(condition: str = "breast-cancer"):
    """A checklist report on an empty folder: every item missing."""
    timeline = build_timeline(Inventory("", (), (), 0, 0, 0))
    return evaluate_checklist(load_checklist(condition), timeline, consult_date=TODAY)


def patient(**fields: object) -> Patient:
    values: dict[str, object] = {
        "name": "Dana Whitfield",
        "dob": dt.date(1968, 7, 22),
        "providers": (PATHOLOGY, IMAGING),
    }
    values.update(fields)
    return Patient(**values)  # type: ignore[arg-type]


def test_each_missing_item_goes_to_the_provider_that_holds_it():
    plan = plan_requests(nothing_found(), patient(), TODAY)
    asked = {letter.provider.name: {w.item.id for w in letter.wanted} for letter in plan.letters}
    assert {"biopsy-pathology", "receptors", "slides"} <= asked["Cascade Pathology & Cytology"]
    assert {"breast-images", "breast-imaging-reports"} <= asked["Valley Imaging"]
    assert not asked["Valley Imaging"] & asked["Cascade Pathology & Cytology"]
    unassigned = {r.item.id for r in plan.unassigned}
    assert "operative-note" in unassigned and "biopsy-pathology" not in unassigned
    wanted = {w.item.id: w for letter in plan.letters for w in letter.wanted}
    slides, images = wanted["slides"], wanted["breast-images"]
    assert "glass slides" in slides.form and "return" in slides.form
    assert "DICOM" in images.form and images.dates == "all dates"


def test_a_provider_named_for_the_item_itself_beats_one_holding_its_category():
    genetics = Provider("Genetics Lab", fax="+1 555 0100", holds=("genomic-assay",))
    plan = plan_requests(nothing_found(), patient(providers=(PATHOLOGY, genetics)), TODAY)
    asked = {letter.provider.name: {w.item.id for w in letter.wanted} for letter in plan.letters}
    assert asked["Genetics Lab"] == {"genomic-assay"}
    assert "genomic-assay" not in asked["Cascade Pathology & Cytology"]


def test_an_item_asked_for_and_not_yet_due_is_not_asked_again():
    sent = SentRequest(
        "Cascade Pathology & Cytology", TODAY - dt.timedelta(days=5), items=("slides",)
    )
    plan = plan_requests(nothing_found(), patient(requests=(sent,)), TODAY)
    ids = {w.item.id for letter in plan.letters for w in letter.wanted}
    assert "slides" not in ids and "receptors" in ids
    late = SentRequest(sent.provider, TODAY - dt.timedelta(days=45), items=("slides",))
    plan = plan_requests(nothing_found(), patient(requests=(late,)), TODAY)
    assert "slides" in {w.item.id for letter in plan.letters for w in letter.wanted}


def test_letters_need_a_provider_and_an_address():
    with pytest.raises(RecordpackError, match="names no provider"):
        plan_requests(nothing_found(), patient(providers=()), TODAY)
    nowhere = Provider("Mercy Pathology", holds=("pathology",))
    with pytest.raises(RecordpackError, match="'Mercy Pathology' has no address") as caught:
        plan_requests(nothing_found(), patient(providers=(nowhere,)), TODAY)
    assert "address =" in caught.value.hint


def test_deadlines_follow_each_law():
    assert jurisdiction("us").due(dt.date(2026, 1, 31)) == dt.date(2026, 3, 2)
    assert jurisdiction("UK").due(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert jurisdiction("eu").due(dt.date(2026, 12, 15)) == dt.date(2027, 1, 15)
    assert jurisdiction("GDPR").id == "eu" and jurisdiction("england").id == "uk"
    with pytest.raises(UsageError, match="unknown jurisdiction 'mars'") as caught:
        jurisdiction("mars")
    assert "us, uk, eu" in caught.value.hint
    with pytest.raises(UsageError) as caught:
        jurisdiction("hippa")
    assert "did you mean 'hipaa'" in caught.value.hint


def test_requests_are_due_and_overdue_by_the_calendar():
    answered = SentRequest("A", dt.date(2026, 9, 1), received=dt.date(2026, 9, 20))
    late = SentRequest("B", dt.date(2026, 9, 1), jurisdiction="uk")
    waiting = SentRequest("C", dt.date(2026, 11, 1))
    states = request_states(patient(requests=(answered, late, waiting)), TODAY)
    assert [(s.due, s.overdue) for s in states] == [
        (dt.date(2026, 10, 1), False),
        (dt.date(2026, 10, 1), True),
        (dt.date(2026, 12, 1), False),
    ]


def test_the_letters_are_real_pdfs_and_text_in_a_private_folder(tmp_path: Path):
    pdftotext, qpdf = require_tool("pdftotext"), require_tool("qpdf")
    plan = plan_requests(nothing_found(), patient(identifiers=(("MRN", "448812"),)), TODAY)
    out = tmp_path / "letters"
    written = write_letters(
        plan, patient(identifiers=(("MRN", "448812"),)), out, law=jurisdiction("us"), today=TODAY
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert out.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in written)
    pdf = out / "01-cascade-pathology-cytology.pdf"
    subprocess.run([qpdf, "--check", str(pdf)], check=True, capture_output=True)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True).stdout
    words = " ".join(text.split())
    assert "Cascade Pathology & Cytology Records 1 Example Ave Portland OR" in words
    for expected in (
        "Dana Whitfield",
        "1968-07-22",
        "448812",
        "45 CFR 164.524",
        "HER2",
        "glass slides",
        "2026-12-23",
        "Signature",
    ):
        assert expected in words, expected
    letter = (out / "01-cascade-pathology-cytology.txt").read_text()
    assert "Cascade Pathology & Cytology" in letter and "&amp;" not in letter
    assert "Valley Imaging" in (out / "02-valley-imaging.txt").read_text()


def test_a_uk_letter_cites_the_uk_gdpr_and_a_direction_to_send_elsewhere(tmp_path: Path):
    plan = plan_requests(nothing_found(), patient(), TODAY)
    write_letters(
        plan,
        patient(),
        tmp_path / "l",
        law=jurisdiction("uk"),
        today=TODAY,
        send_to="Second Opinion Centre <b>\n2 Example St, London",
    )
    letter = (tmp_path / "l" / "01-cascade-pathology-cytology.txt").read_text()
    assert "Article 15 of the UK General Data Protection Regulation" in letter
    assert "within one month" in letter and "2026-12-23" in letter
    assert "directly to the person named below" in letter and "2 Example St, London" in letter
    assert "45 CFR" not in letter


def test_the_patient_file_names_providers_and_requests():
    data = {
        "name": "A B",
        "provider": [{"name": "Lab", "address": "1 St", "holds": ["lab"]}],
        "request": [{"provider": "Lab", "sent": dt.date(2026, 10, 1), "jurisdiction": "EU"}],
    }
    parsed = parse_patient(data, "patient.toml")
    assert parsed.providers == (Provider("Lab", address="1 St", holds=("lab",)),)
    assert parsed.requests == (SentRequest("Lab", dt.date(2026, 10, 1), jurisdiction="eu"),)
    with pytest.raises(RuleDataError, match="provider #1: needs 'name'"):
        parse_patient({"provider": [{"address": "x"}]}, "patient.toml")
    with pytest.raises(RuleDataError, match="unknown key 'adress'"):
        parse_patient({"provider": [{"name": "x", "adress": "y"}]}, "patient.toml")
    with pytest.raises(RuleDataError, match="request #1: needs 'provider'"):
        parse_patient({"request": [{"provider": "Lab"}]}, "patient.toml")


def recordpack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recordpack", *args], capture_output=True, text=True, check=False
    )


AN_OLD_REQUEST = """
[[request]]
provider = "Willamette Cancer Institute"
sent = 2026-01-05
"""


@pytest.mark.slow
def test_request_and_check_from_the_command_line(tmp_path: Path):
    records = tmp_path / "records"
    shutil.copytree(EXAMPLE, records)
    with (records / "patient.toml").open("a") as fh:
        fh.write(AN_OLD_REQUEST)  # the example's patient file names its providers
    done = recordpack(
        "request", str(records), "-o", str(tmp_path / "letters"), "--no-cache", "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [letter] = report["letters"]
    assert letter["provider"] == "Willamette Cancer Institute"
    assert [r["id"] for r in letter["records"]] == ["genomic-assay"]
    assert len(list((tmp_path / "letters").iterdir())) == 2
    checked = json.loads(recordpack("check", str(records), "--no-cache", "--json").stdout)
    states = {r["provider"]: r for r in checked["requests"]}
    old = states["Willamette Cancer Institute"]
    assert old["due"] == "2026-02-04" and old["overdue"] is True
    assert states["Cascade Pathology Associates"]["due"] == "2026-12-10"
    wide = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-m", "recordpack", "check", str(records), "--no-cache"]
    shown = subprocess.run(command, capture_output=True, text=True, env=wide)
    late = "requested from Willamette Cancer Institute on 2026-01-05, due 2026-02-04: OVERDUE"
    assert late in shown.stdout
    assert (
        recordpack(
            "request", str(records), "-o", str(tmp_path / "l2"), "--jurisdiction", "mars"
        ).returncode
        == 2
    )
    inside = recordpack("request", str(records), "-o", str(records / "letters"), "--no-cache")
    assert inside.returncode != 0 and "inside the records folder" in inside.stderr
    assert not (records / "letters").exists()
