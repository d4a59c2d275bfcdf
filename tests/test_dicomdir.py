import subprocess
from pathlib import Path

import pydicom
from hypothesis import given, settings
from hypothesis import strategies as st

from recordpack.dicomdir import Image, dicomdir
from tests.builders import require_tool

CT = "1.2.840.10008.5.1.4.1.1.2"
SYNTAX = "1.2.840.10008.1.2.1"


def image(patient: str, study: str, series: str, n: int, **values: str) -> Image:
    keys = {
        "PatientID": patient,
        "PatientName": f"DOE^{patient}",
        "StudyInstanceUID": study,
        "SeriesInstanceUID": series,
        "Modality": "CT",
        "StudyDate": "20250520",
        "InstanceNumber": str(n),
        "SeriesNumber": "1",
    }
    parts = ("DICOM", f"ST{study[-1]:0>6}", f"SE{series[-1]:0>6}", f"IM{n:06d}")
    return Image({**keys, **values}, parts, CT, f"1.2.3.{patient}.{study}.{series}.{n}", SYNTAX)


def tree(path: Path) -> list[tuple[str, str, list]]:
    """The records reached by following the offsets from the root, as viewers do."""
    ds = pydicom.dcmread(path)
    at = {r.seq_item_tell: r for r in ds.DirectoryRecordSequence}

    def level(offset: int) -> list[tuple[str, str, list]]:
        found = []
        while offset:
            record = at[offset]  # an offset that is not a record's start fails here
            name = (
                record.get("PatientID")
                or record.get("StudyInstanceUID")
                or record.get("SeriesInstanceUID")
                or record.get("ReferencedSOPInstanceUIDInFile")
            )
            lower = record.OffsetOfReferencedLowerLevelDirectoryEntity
            found.append((record.DirectoryRecordType, str(name), level(lower)))
            offset = record.OffsetOfTheNextDirectoryRecord
        return found

    roots = level(ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity)
    assert at[ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity].PatientID == roots[-1][1]
    return roots


def write(tmp_path: Path, images: list[Image]) -> Path:
    path = tmp_path / "DICOMDIR"
    path.write_bytes(dicomdir(images))
    return path


def test_patients_studies_series_and_images_are_linked_as_viewers_read_them(tmp_path: Path):
    images = [image("P1", "1.1", "1.1.1", n) for n in (1, 2, 3)]
    images += [image("P1", "1.1", "1.1.2", 1), image("P1", "1.2", "1.2.1", 1)]
    images += [image("P2", "2.1", "2.1.1", n) for n in (1, 2)]
    path = write(tmp_path, images)
    ds = pydicom.dcmread(path)
    kinds = [r.DirectoryRecordType for r in ds.DirectoryRecordSequence]
    assert kinds.count("PATIENT") == 2 and kinds.count("STUDY") == 3
    assert kinds.count("SERIES") == 4 and kinds.count("IMAGE") == 7
    (_, p1, p1_studies), (_, p2, p2_studies) = tree(path)
    assert (p1, p2) == ("P1", "P2")
    assert [(s, [(se, len(i)) for _, se, i in series]) for _, s, series in p1_studies] == [
        ("1.1", [("1.1.1", 3), ("1.1.2", 1)]),
        ("1.2", [("1.2.1", 1)]),
    ]
    [(_, _, [(_, _, p2_images)])] = p2_studies
    assert [n for _, n, _ in p2_images] == ["1.2.3.P2.2.1.2.1.1.1", "1.2.3.P2.2.1.2.1.1.2"]
    dump = subprocess.run(
        [require_tool("dcmdump"), str(path)], capture_output=True, text=True, check=True
    )
    assert "E:" not in dump.stderr and "W:" not in dump.stderr
    assert dump.stdout.count("(0004,1430) CS [IMAGE]") == 7
    assert "DICOM\\ST000001\\SE000001\\IM000001" in dump.stdout


def test_names_in_any_script_are_utf8_and_long_values_are_cut_to_size(tmp_path: Path):
    long = "CT " + "X" * 67_000
    path = write(
        tmp_path, [image("P1", "1.1", "1.1.1", 1, PatientName="王^小明", StudyDescription=long)]
    )
    patient, study, *_ = pydicom.dcmread(path).DirectoryRecordSequence
    assert patient.SpecificCharacterSet == "ISO_IR 192"
    assert str(patient.PatientName) == "王^小明"
    assert study.StudyDescription == long[:64] and "SpecificCharacterSet" not in study


TEXT_KEYS = [
    "PatientName",
    "PatientID",
    "StudyDescription",
    "AccessionNumber",
    "StudyID",
    "Modality",
    "StudyTime",
    "StudyDate",
]


@settings(max_examples=60, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(TEXT_KEYS), st.text(max_size=90)),
    count=st.integers(min_value=1, max_value=4),
)
def test_any_header_text_gives_a_directory_that_reads_back(tmp_path_factory, values, count):
    images = [image("P", "1.1", "1.1.1", n, **values) for n in range(1, count + 1)]
    path = write(tmp_path_factory.mktemp("d"), images)
    [(_, _, [(_, _, [(_, _, indexed)])])] = tree(path)
    assert len(indexed) == count
