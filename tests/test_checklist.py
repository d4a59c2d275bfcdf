import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack.checklist import (
    ChecklistItem,
    Level,
    PhysicalRecord,
    Status,
    _match,
    bundled_checklists,
    evaluate_checklist,
    load_checklist,
)
from recordpack.cli import app
from recordpack.errors import RuleDataError
from recordpack.models import Category
from recordpack.pipeline import scan_folder
from recordpack.timeline import build_timeline
from tests.builders import EXAMPLE, make_item

CONSULT = dt.date(2026, 11, 30)
runner = CliRunner()


def test_there_are_at_least_twelve_conditions_and_a_general_list():
    ids = {c.id for c in bundled_checklists()}
    assert len(ids) >= 13 and "general" in ids
    for wanted in (
        "breast-cancer",
        "prostate-cancer",
        "lung-cancer",
        "colorectal-cancer",
        "lymphoma-leukaemia",
        "brain-tumour",
        "melanoma",
        "cardiac",
        "spine-surgery",
        "joint-replacement",
        "neurological",
        "rare-disease",
    ):
        assert wanted in ids


@pytest.mark.parametrize("checklist", bundled_checklists(), ids=lambda c: c.id)
def test_every_bundled_item_is_sourced_and_matchable(checklist):
    assert checklist.sources and checklist.items
    for item in checklist.items:
        assert item.source and item.why and item.ask
        if item.within_days is not None:
            assert item.window_source
        if item.physical:
            continue
        # Build the item a folder would need, and check that it matches strongly.
        candidate = make_item(
            category=(item.categories or (Category.OTHER,))[0],
            date=CONSULT,
            modality=item.modalities[0] if item.modalities else None,
            confidence="high",
            text=" ".join(item.keywords[:1] + item.body_parts[:1]),
        )
        assert _match(item, candidate) == "strong", item.id


def folder_timeline(root: Path):
    return build_timeline(scan_folder(root))


@pytest.fixture
def records(tmp_path: Path) -> Path:
    target = tmp_path / "records"
    shutil.copytree(EXAMPLE, target)
    return target


def statuses(root: Path, condition: str = "breast-cancer", **kwargs):
    report = evaluate_checklist(
        load_checklist(condition), folder_timeline(root), consult_date=CONSULT, **kwargs
    )
    return {r.item.id: r for r in report.results}, report


def test_the_example_has_every_required_item_and_misses_recommended_ones(records: Path):
    results, report = statuses(records)
    assert report.complete
    assert all(
        r.status is Status.PRESENT for r in results.values() if r.item.level is Level.REQUIRED
    )
    assert results["genomic-assay"].status is Status.MISSING
    assert "oncologist" in results["genomic-assay"].reason
    assert [i.index for i in results["breast-images"].evidence] == [6]


def test_removing_the_pathology_reports_makes_them_missing(records: Path):
    (records / "Pathology" / "core biopsy path report.pdf").unlink()
    results, report = statuses(records)
    assert results["biopsy-pathology"].status is Status.MISSING
    assert not report.complete


def test_old_labs_are_stale(records: Path):
    results, _ = statuses(records)
    assert results["recent-labs"].status is Status.PRESENT
    later = CONSULT + dt.timedelta(days=183)
    report = evaluate_checklist(
        load_checklist("breast"), folder_timeline(records), consult_date=later
    )
    stale = {r.item.id: r for r in report.results}["recent-labs"]
    assert stale.status is Status.STALE and "2026-10-14" in stale.reason


def test_a_report_without_its_images_leaves_the_images_missing(records: Path):
    shutil.rmtree(records / "MRI CD 2025-05-20")
    results, report = statuses(records)
    assert results["breast-imaging-reports"].status is Status.PRESENT
    assert results["breast-images"].status is Status.MISSING
    assert not report.complete


@pytest.mark.slow
def test_physical_items_come_from_the_patient_file(records: Path):
    requested = PhysicalRecord(
        "pathology slides", source="Cascade Pathology", requested=dt.date(2026, 10, 2)
    )
    results, _ = statuses(records, physical=(requested,))
    assert results["slides"].status is Status.MISSING
    assert "requested 2026-10-02, not yet shipped" in results["slides"].reason
    shipped = dataclasses.replace(requested, shipped=dt.date(2026, 10, 5), tracking="1Z999")
    assert statuses(records, physical=(shipped,))[0]["slides"].status is Status.REVIEW
    received = dataclasses.replace(shipped, received=dt.date(2026, 10, 8))
    assert statuses(records, physical=(received,))[0]["slides"].status is Status.PRESENT


def test_custom_checklists_are_validated_precisely(tmp_path: Path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        'id = "c"\ntitle = "C"\nsources = "ours"\n[[item]]\nid = "x"\nlabel = "X"\n'
        'why = "w"\nlevel = "maybe"\nask = "a"\nsource = "s"\ncategories = ["lab"]\n'
    )
    with pytest.raises(RuleDataError, match=r"clinic.toml: item 'x': key 'level'"):
        load_checklist(str(path))
    path.write_text(
        path.read_text().replace('"maybe"', '"required"').replace('["lab"]', '["labs"]')
    )
    with pytest.raises(RuleDataError, match=r"item 'x': key 'categories'"):
        load_checklist(str(path))
    path.write_text(path.read_text().replace('["labs"]', '["lab"]'))
    assert load_checklist(str(path)).items[0] == ChecklistItem(
        id="x",
        label="X",
        why="w",
        level=Level.REQUIRED,
        ask="a",
        source="s",
        categories=(Category.LAB,),
    )


def test_unknown_conditions_suggest_the_closest():
    with pytest.raises(RuleDataError) as info:
        load_checklist("prostrate")
    assert "prostate" in info.value.hint


def test_check_cli_json_and_strict(records: Path, tmp_path: Path):
    args = ["check", str(records), "--condition", "breast", "--consult-date", "2026-11-30"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["complete"] is True and data["summary"]["missing"] == 2
    assert {i["status"] for i in data["items"]} == {"present", "missing"}
    shutil.rmtree(records / "MRI CD 2025-05-20")
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 1
    patient = tmp_path / "patient.toml"
    patient.write_text(
        'name = "Dana Whitford"\ndob = 1968-07-22\n[[physical]]\n'
        'what = "pathology slides"\nrequested = 2026-10-02\n'
    )
    text = runner.invoke(app, [*args, "--patient-file", str(patient)]).stdout
    assert "MISSING" in text and "identity:" in text
    data = json.loads(runner.invoke(app, [*args, "--patient-file", str(patient), "--json"]).stdout)
    slides = next(i for i in data["items"] if i["id"] == "slides")
    assert slides["reason"] == "pathology slides: requested 2026-10-02, not yet shipped"
    assert data["identity"][0]["field"] == "name" and 3 in data["identity"][0]["items"]


def test_checklists_commands():
    listing = runner.invoke(app, ["checklists"])
    assert listing.exit_code == 0 and "breast-cancer" in listing.stdout
    shown = runner.invoke(app, ["checklists", "show", "lung"])
    assert shown.exit_code == 0 and "Biomarker" in shown.stdout


@pytest.mark.parametrize("checklist", bundled_checklists(), ids=lambda c: c.id)
def test_sources_are_cited_in_words_not_internal_notes(checklist):
    texts = [checklist.sources] + [f"{i.source} {i.window_source}" for i in checklist.items]
    for text in texts:
        assert "DOMAIN" not in text and not re.search(r"\[(src|sec|dk)\]", text), text


def test_a_file_date_never_makes_a_record_recent():
    from recordpack.checklist import _recency

    [labs] = [i for i in load_checklist("breast-cancer").items if i.within_days]
    recent = make_item("a", category=Category.LAB, date=CONSULT - dt.timedelta(days=3))
    downloaded = dataclasses.replace(recent, date_source="pdf:CreationDate")
    assert _recency(labs, [recent], CONSULT).status is Status.PRESENT
    stale = _recency(labs, [downloaded], CONSULT)
    assert stale.status is Status.STALE and "undated" in stale.reason
