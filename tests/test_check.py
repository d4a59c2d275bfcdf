import dataclasses
import datetime as dt
from pathlib import Path

from recordpack.check import check_identity, may_need_translation
from recordpack.models import Kind
from recordpack.pipeline import scan_folder
from recordpack.timeline import build_timeline
from tests.builders import make_item


def folder_timeline(root: Path):
    return build_timeline(scan_folder(root))


def test_identity_mismatches_name_the_documents(example_copy: Path):
    timeline = folder_timeline(example_copy)
    assert check_identity(timeline) == []
    assert (
        check_identity(timeline, name="Dana Whitfield", dob=dt.date(1968, 7, 22)) == []
    )  # initials
    [mismatch] = check_identity(timeline, name="Dana Whitford", dob=dt.date(1968, 7, 22))
    assert mismatch.field == "name" and mismatch.expected == "dana whitford"
    photo = next(i.index for i in timeline.items if i.sources[0].path.endswith(".jpg"))
    assert 3 in mismatch.items and photo not in mismatch.items  # the photo has no name line
    [born] = check_identity(timeline, name="Dana Whitfield", dob=dt.date(1968, 7, 23))
    assert born.field == "dob" and born.found == "1968-07-22"


def test_documents_not_in_english_are_flagged():
    french = " ".join(["le patient et la douleur avec des examens pour le suivi"] * 6)
    english = " ".join(["the patient was seen in clinic for the follow up of the report"] * 6)
    item = make_item(kind=Kind.TEXT)
    assert may_need_translation(dataclasses.replace(item, text=french))
    assert not may_need_translation(dataclasses.replace(item, text=english))
