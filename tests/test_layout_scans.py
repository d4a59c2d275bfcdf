import io

import pytest
from pypdf import PdfReader

from recordpack.layout.scans import SIZES, default_paper, image_pages
from recordpack.options import Paper
from tests.builders import REPORT, fax_tiff, phone_photo_jpeg


def test_a_sideways_phone_photo_becomes_an_upright_page_with_its_jpeg_intact():
    photo = phone_photo_jpeg()
    reader = PdfReader(io.BytesIO(image_pages(photo, paper=Paper.A4)))
    [page] = reader.pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        SIZES[Paper.A4]
    )
    xobjects = page["/Resources"]["/XObject"]
    [stream] = [xobjects[name].get_object() for name in xobjects]
    assert stream["/Filter"] == "/DCTDecode"
    assert stream.get_data() == photo  # embedded as it is, not re-encoded


def test_each_fax_page_is_a_page():
    reader = PdfReader(io.BytesIO(image_pages(fax_tiff([REPORT, ["Page 2"]]))))
    assert len(reader.pages) == 2


LOCALES = [("en_US.UTF-8", Paper.LETTER), ("de_DE.UTF-8", Paper.A4), ("C", Paper.LETTER)]


@pytest.mark.parametrize(("lang", "paper"), LOCALES)
def test_paper_follows_the_locale(monkeypatch: pytest.MonkeyPatch, lang: str, paper: Paper):
    for variable in ("LC_ALL", "LC_PAPER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", lang)
    assert default_paper() is paper


def test_a_huge_scan_is_placed_at_about_300_dpi_not_at_full_size():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (6000, 5000), (250, 250, 250)).save(out, "PNG")  # 30 MP
    [page] = PdfReader(io.BytesIO(image_pages(out.getvalue()))).pages
    [image] = page.images
    width, height = image.image.size
    assert width * height <= 12_000_000 and width / height == pytest.approx(6000 / 5000, 0.01)
