import io

import pytest

from recordpack.read import tesseract
from tests.builders import REPORT, require_tool, scan_image


def test_confidence_is_the_mean_of_recognised_words():
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tHemoglobin\n"
        "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t70\t13.1\n"
        "5\t1\t1\t1\t1\t3\t0\t0\t10\t10\t10\t \n"
    )
    assert tesseract._mean_confidence(tsv) == 80.0
    assert tesseract._mean_confidence("") == 0.0


def test_one_run_gives_text_confidence_and_a_text_layer():
    require_tool("tesseract")
    out = io.BytesIO()
    scan_image(REPORT).save(out, "PNG")
    page = tesseract.read_page(tesseract.prepare(scan_image(REPORT)), "eng")
    assert "Hemoglobin" in page.text and page.confidence > 50
    assert page.layer.startswith(b"%PDF")


def test_a_failed_page_is_none_and_the_others_are_read(monkeypatch: pytest.MonkeyPatch):
    require_tool("tesseract")
    good = tesseract.prepare(scan_image(REPORT))
    results = tesseract.read_pages([good, b"not a png"], "eng", workers=2)
    assert results[0] is not None and results[1] is None
