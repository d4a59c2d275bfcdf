import datetime as dt

from recordpack.models import Identity, Kind, OcrText, Problem, Series, Severity, Source, Study
from recordpack.results import JobResult
from recordpack.serialize import (
    document_facts,
    item_dict,
    job_dict,
    job_from_dict,
    printable,
    study_facts,
)
from tests.builders import make_item

SOURCE = Source("IM1", "a" * 64, 100, Kind.DICOM)


def test_document_facts_say_only_what_is_true():
    plain = make_item(confidence="medium")
    assert document_facts(plain) == {"confidence": "medium"}
    scan = make_item(
        scanned=True,
        pixels=(2480, 3508),
        active_content=("JavaScript",),
        ocr=OcrText("eng", 88.0, {0: b"%PDF"}),
    )
    assert document_facts(scan) == {
        "confidence": "high",
        "width": 2480,
        "height": 3508,
        "scanned": True,
        "active_content": ["JavaScript"],
        "ocr": {"pages": 1, "confidence": 88.0, "lang": "eng"},
    }


def test_study_facts_list_series_without_files_or_identity():
    series = Series("1.2", 3, "MR", "T1 post", "BREAST", 1, ((1, SOURCE),))
    study = Study("1.1", "MR breast", "BREAST", "A1", "Clinic", 1, 1, (series,))
    item = make_item(study=study, identity=Identity("Jane Doe", dt.date(1960, 1, 2), "123"))
    facts = item_dict(item)["facts"]
    assert facts == study_facts(study)
    assert facts["series"] == [
        {
            "number": 3,
            "modality": "MR",
            "description": "T1 post",
            "body_part": "BREAST",
            "images": 1,
        }
    ]
    assert "Jane" not in str(item_dict(item))


def test_a_job_result_survives_the_cache():
    problem = Problem("x.pdf", Severity.ERROR, "damaged")
    built = JobResult(
        "p1",
        "built",
        1.5,
        output="/o/p1.pdf",
        pages=20,
        items=12,
        problems=(problem,),
        checklist="general",
        complete=False,
        missing=("pathology-report",),
    )
    again = job_from_dict(job_dict(built))
    assert again == built
    failed = JobResult("p2", "failed", 0.1, error="not a folder")
    assert job_dict(failed) == {
        "job": "p2",
        "status": "failed",
        "error": "not a folder",
        "seconds": 0.1,
    }


def test_undecodable_file_names_are_shown_escaped():
    assert printable("caf\udce9.pdf") == "caf\\xe9.pdf"
