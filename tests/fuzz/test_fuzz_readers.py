"""Damaged versions of every kind of input: each is a record or a problem, never a crash.

Hypothesis damages real files made by real libraries (bit flips, cut ends, inserted, repeated
and removed chunks, overwritten lengths) and reads each as a scan would. ``bench/fuzz.py`` does
the same at scale, on real seed files, in processes.
"""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recordpack.options import Limits, ReadOptions
from recordpack.read.files import read_disk_file
from tests.builders import LAB, dicom_bytes, fax_tiff, jpeg_bytes, pdf_bytes, zip_bytes
from tests.test_read_cda import cda
from tests.test_read_fhir import lab_bundle
from tests.test_read_sr import sr_bytes
from tests.test_read_xdm import media

SEEDS: dict[str, Callable[[], bytes]] = {
    "report.pdf": lambda: pdf_bytes(LAB, pages=2),
    "image.dcm": dicom_bytes,
    "raw.dcm": lambda: dicom_bytes(preamble=False),
    "report.dcm": sr_bytes,
    "photo.jpg": jpeg_bytes,
    "fax.tif": lambda: fax_tiff([["PATHOLOGY REPORT"], ["page 2"]]),
    "portal.zip": lambda: zip_bytes({"a.pdf": pdf_bytes(LAB), "b.dcm": dicom_bytes()}),
    "xdm.zip": lambda: zip_bytes(media()),
    "labs.json": lambda: json.dumps(lab_bundle()).encode(),
    "export.xml": cda,
}
_CACHE: dict[str, bytes] = {}


def seed(name: str) -> bytes:
    if name not in _CACHE:
        _CACHE[name] = SEEDS[name]()
    return _CACHE[name]


@st.composite
def damaged(draw: st.DrawFn, name: str) -> bytes:
    data = bytearray(seed(name))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        match draw(st.sampled_from(["flip", "cut", "insert", "repeat", "length", "remove"])):
            case "flip" if data:
                data[at] ^= 1 << draw(st.integers(0, 7))
            case "cut":
                del data[at:]
            case "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=64))
            case "repeat":
                data[at:at] = data[at : at + draw(st.integers(1, 512))] * draw(st.integers(1, 4))
            case "length":
                data[at : at + 4] = draw(st.sampled_from([b"\xff\xff\xff\x7f", b"\0\0\0\0"]))
            case "remove":
                del data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_a_damaged_file_is_a_record_or_a_problem_never_a_crash(name: str, tmp_path: Path):
    options = ReadOptions(ocr_lang=None, limits=Limits(seconds=20))

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=damaged(name))
    def check(data: bytes) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        outcome = read_disk_file(name, path, options)
        assert outcome.found or outcome.problems or outcome.dicomdirs, "silently dropped"
        for problem in outcome.problems:
            assert problem.path.startswith(name) and problem.message

    check()
