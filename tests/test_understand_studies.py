import datetime as dt

from recordpack.models import DicomHeader, Kind, Source
from recordpack.understand.studies import StudyGroup


def header(series: str, number: int | None, instance: int, sop: str, **kw: object) -> DicomHeader:
    values: dict = {
        "study_uid": "1.2.3",
        "series_uid": series,
        "sop_uid": sop,
        "modality": "MR",
        "dates": {"dicom:StudyDate": dt.date(2025, 5, 20)},
        "study_description": "Breast bilateral",
        "series_description": f"series {number}",
        "series_number": number,
        "instance_number": instance,
        "body_part": "BREAST",
        "frames": 1,
        "patient_name": "WHITFIELD DANA",
        "patient_id": "448812",
        "birth_date": "19680722",
        "accession": "A1",
        "institution": "Clinic",
    }
    values.update(kw)
    return DicomHeader(**values)


def source(name: str) -> tuple[Source, ...]:
    return (Source(name, name.ljust(64, "0"), 10, Kind.DICOM),)


def test_series_are_ordered_and_instances_counted_once():
    group = StudyGroup("1.2.3")
    group.add(header("s2", 2, 2, "i4"), source("b2"))
    group.add(header("s2", 2, 1, "i3"), source("b1"))
    group.add(header("s1", 1, 1, "i1"), source("a1"))
    group.add(header("s1", 1, 1, "i1"), source("a1-copy"))  # the same instance, stored twice
    group.add(header("sx", None, 1, "i9"), source("x1"))
    item = group.to_item()
    assert item.study is not None
    assert [s.number for s in item.study.series] == [1, 2, None]
    assert [s.images for s in item.study.series] == [1, 2, 1]
    assert [n for n, _ in item.study.series[1].files] == [1, 2]  # by instance number
    assert (item.study.images, len(item.sources)) == (4, 5)
    assert item.date == dt.date(2025, 5, 20) and item.date_source == "dicom:StudyDate"
    assert item.identity.dob == dt.date(1968, 7, 22) and item.identity.mrn == "448812"


def test_the_title_names_the_modality_once():
    plain = StudyGroup("k")
    plain.add(header("s", 1, 1, "i"), source("a"))
    assert plain.to_item().title == "MR Breast bilateral"
    named = StudyGroup("k")
    named.add(header("s", 1, 1, "i", study_description="MRI breast"), source("a"))
    assert named.to_item().title == "MRI breast"
