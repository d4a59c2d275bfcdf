import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack.cache import ScanCache
from recordpack.layout.scans import image_pages
from recordpack.models import Category, Kind, Severity
from recordpack.options import Limits, ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.read import tesseract as ocr
from tests.builders import REPORT, fax_tiff, phone_photo_jpeg, require_tool, scan_image

runner = CliRunner()
PATHOLOGY = [
    "CASCADE PATHOLOGY",
    "SURGICAL PATHOLOGY REPORT",
    "Date of procedure: 05/05/2025",
    "Gross description:",
    "Four cores in formalin.",
    "Final diagnosis:",
    "Invasive ductal carcinoma",
]


@pytest.fixture(autouse=True)
def needs_tesseract():
    require_tool("tesseract")


def scanned_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "IMG_0001.jpg").write_bytes(phone_photo_jpeg())
    (root / "fax.tif").write_bytes(fax_tiff([PATHOLOGY, ["Page 2", "Comment: none"]]))
    scan_pdf = image_pages(_png(scan_image(REPORT)))  # an image-only PDF, as scanners make
    (root / "scan0001.pdf").write_bytes(scan_pdf)
    return root


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.slow
def test_scans_are_read_classified_and_dated_from_ocr(tmp_path: Path):
    cache = ScanCache(tmp_path / "cache.sqlite")
    inv = scan_folder(scanned_folder(tmp_path / "r"), cache=cache)
    by_name = {s.path: i for i in inv.items for s in i.sources}
    photo, fax, pdf = by_name["IMG_0001.jpg"], by_name["fax.tif"], by_name["scan0001.pdf"]
    assert photo is pdf  # a photo and a scan of one report: one item, both copies listed
    for item in (photo, pdf):
        assert item.category is Category.LAB, item.reason
        assert "Hemoglobin" in item.text
        assert (str(item.date), item.date_source) == ("2025-03-14", "ocr:collected")
        assert item.reason.startswith("OCR text (confidence")
        assert item.ocr.confidence > 50
    assert fax.category is Category.PATHOLOGY and fax.pages == 2
    assert fax.ocr.pages == 2 and str(fax.date) == "2025-05-05"
    assert cache.db.execute("SELECT COUNT(*) FROM ocr_pages").fetchone()[0] == 4


@pytest.mark.slow
def test_ocr_is_never_redone_for_the_same_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = ScanCache(tmp_path / "cache.sqlite")
    folder = scanned_folder(tmp_path / "r")
    first = scan_folder(folder, cache=cache)
    shutil.copy(folder / "IMG_0001.jpg", folder / "copy of photo.jpg")  # new path, same content

    def fail(*args, **kwargs):
        raise AssertionError("OCR ran again")

    monkeypatch.setattr(ocr, "read_page", fail)
    again = scan_folder(folder, cache=cache)
    assert [i.text for i in again.items] == [i.text for i in first.items]


@pytest.mark.slow
def test_scanned_pages_are_searchable_in_the_packet_and_barely_grow(tmp_path: Path):
    folder = scanned_folder(tmp_path / "r")
    out = tmp_path / "packet.pdf"
    result = runner.invoke(
        app_module(),
        ["build", str(folder), "-o", str(out), "--json", "--cache", str(tmp_path / "c.sqlite")],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    pdftotext = require_tool("pdftotext")
    pages = subprocess.run(
        [pdftotext, str(out), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    for item in report["items"]:
        text = " ".join(pages[item["first_page"] - 1 : item["last_page"]])
        assert "Hemoglobin" in text or "carcinoma" in text, item
    cache = ScanCache(tmp_path / "c.sqlite")
    for name in ("IMG_0001.jpg", "fax.tif"):
        data = (folder / name).read_bytes()
        inv = scan_folder(folder, cache=cache)
        item = next(i for i in inv.items if i.sources[0].path == name)
        layers = {
            p: cache.ocr_page(item.sources[0].sha256, p, "eng").layer for p in range(item.pages)
        }
        assert len(image_pages(data)) <= 1.5 * len(data), name  # the image itself is not re-encoded
        text_layer_overhead = 3000 * item.pages  # Tesseract's invisible font and text, per page
        assert len(image_pages(data, layers=layers)) <= 1.5 * len(data) + text_layer_overhead, name


def test_without_tesseract_scans_are_kept_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(ocr, "tesseract", lambda: None)
    folder = scanned_folder(tmp_path / "r")
    inv = scan_folder(folder)
    assert len(inv.items) == 3
    notes = [p for p in inv.problems if "not searchable" in p.message]
    assert len(notes) == 3 and all(p.severity is Severity.WARNING for p in notes)
    assert "apt-get install tesseract-ocr" in notes[0].hint
    photo = next(i for i in inv.items if i.kind is Kind.JPEG)
    assert photo.category is Category.OTHER and "OCR not available" in photo.reason
    out = tmp_path / "p.pdf"
    result = runner.invoke(app_module(), ["build", str(folder), "-o", str(out), "-q"])
    assert result.exit_code == 0 and out.exists()


def test_no_ocr_option_and_unknown_language(tmp_path: Path):
    folder = scanned_folder(tmp_path / "r")
    off = json.loads(
        runner.invoke(app_module(), ["scan", str(folder), "--json", "--no-ocr"]).stdout
    )
    assert all(i["category"] == "other" or i["facts"].get("ocr") is None for i in off["items"])
    bad = json.loads(
        runner.invoke(app_module(), ["scan", str(folder), "--json", "--ocr-lang", "xyz"]).stdout
    )
    assert any("OCR language not installed: xyz" in p["message"] for p in bad["problems"])


def app_module():
    from recordpack.cli import app

    return app


@pytest.mark.slow
def test_iphone_heic_photos_are_read_and_placed(tmp_path: Path):
    from recordpack.read import image

    assert image.HEIC_SUPPORT  # the test extra installs pillow-heif
    folder = tmp_path / "r"
    folder.mkdir()
    out = io.BytesIO()  # libheif stores a photo upright (its rotation applied), as iPhones do
    scan_image(REPORT).convert("RGB").save(out, "HEIF", quality=80)
    (folder / "IMG_4031.HEIC").write_bytes(out.getvalue())
    [item] = scan_folder(folder, cache=ScanCache(None)).items
    assert (item.kind, item.category) == (Kind.HEIC, Category.LAB), item.reason
    packet = tmp_path / "p.pdf"
    result = runner.invoke(app_module(), ["build", str(folder), "-o", str(packet), "-q"])
    assert result.exit_code == 0, result.output
    pdftotext = require_tool("pdftotext")
    text = subprocess.run(
        [pdftotext, str(packet), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Hemoglobin" in text


def test_only_the_first_pages_of_a_very_long_scan_get_ocr(tmp_path: Path):
    (tmp_path / "fax.tif").write_bytes(fax_tiff([PATHOLOGY, ["Page 2"], ["Page 3"]]))
    options = ReadOptions(limits=Limits(ocr_pages=2))
    inventory = scan_folder(tmp_path, options)
    [item] = inventory.items
    assert item.ocr is not None and sorted(item.ocr.layers) == [0, 1]
    [warning] = inventory.problems
    assert "first 2 of its 3 pages" in warning.message
    assert "--limit ocr_pages=20" in warning.hint


def _joined(*pdfs: bytes) -> bytes:
    import pikepdf

    out = pikepdf.new()
    for data in pdfs:
        out.pages.extend(pikepdf.open(io.BytesIO(data)).pages)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


@pytest.mark.slow
def test_a_scanned_page_inside_a_text_pdf_is_read_and_found_as_its_own_report(tmp_path: Path):
    from tests.builders import pages_pdf
    from tests.test_understand_split import CT

    root = tmp_path / "r"
    root.mkdir()
    mixed = _joined(pages_pdf(CT), image_pages(_png(scan_image(REPORT))))
    (root / "download.pdf").write_bytes(mixed)
    inv = scan_folder(root)
    by_pages = {i.sources[0].pages: i for i in inv.items}
    assert set(by_pages) == {(1, 1), (2, 2)}
    ct, lab = by_pages[(1, 1)], by_pages[(2, 2)]
    assert ct.category is Category.RADIOLOGY and ct.ocr is None
    assert lab.category is Category.LAB and "Hemoglobin" in lab.text
    assert (str(lab.date), lab.date_source) == ("2025-03-14", "ocr:collected")
    assert lab.ocr is not None and set(lab.ocr.layers) == {0}  # the report's own first page
    out = tmp_path / "p.pdf"
    result = CliRunner().invoke(app_module(), ["build", str(root), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        [require_tool("pdftotext"), str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Hemoglobin" in text  # the scanned page is searchable in the packet


def test_a_download_of_scans_only_is_split_by_what_ocr_reads(tmp_path: Path):
    root = tmp_path / "r"
    root.mkdir()
    pages = image_pages(_png(scan_image(PATHOLOGY))), image_pages(_png(scan_image(REPORT)))
    (root / "faxes.pdf").write_bytes(_joined(*pages))
    inv = scan_folder(root)
    assert sorted((i.sources[0].pages, i.category) for i in inv.items) == [
        ((1, 1), Category.PATHOLOGY),
        ((2, 2), Category.LAB),
    ]


def _layer_lines(pdf: Path, page: int) -> list[str]:
    """The text pdftotext reads on a page, as the reader sees it (after /Rotate), line by line."""
    pdftotext = require_tool("pdftotext")
    out = subprocess.run(
        [pdftotext, "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [" ".join(line.split()) for line in out.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("angle", [90, 180])
def test_a_page_on_its_side_or_upside_down_is_read_and_shown_upright(tmp_path: Path, angle: int):
    turned = (
        scan_image(REPORT * 3, angle=0.0).convert("L").rotate(angle, expand=True, fillcolor=255)
    )
    records = tmp_path / "r"
    records.mkdir()
    (records / "photo.png").write_bytes(_png(turned))
    (records / "scan.pdf").write_bytes(image_pages(_png(turned)))
    result = runner.invoke(
        app_module(), ["build", str(records), "-o", str(tmp_path / "p.pdf"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert not [p for p in report["problems"] if "partly unreadable" in p["message"]]
    for item in report["items"]:
        lines = _layer_lines(tmp_path / "p.pdf", item["first_page"])
        assert any(line.startswith("Hemoglobin 13.1") for line in lines), (item, lines[:8])


def test_a_page_read_only_in_part_is_named_on_the_notes_page(tmp_path: Path):
    from PIL import ImageFilter

    page = scan_image(REPORT * 3, angle=0.0).convert("L")
    w, h = page.size
    smeared = page.crop((0, h // 3, w, h)).filter(ImageFilter.GaussianBlur(5))
    page.paste(smeared, (0, h // 3))  # two thirds of the print, too blurred to read
    records = tmp_path / "r"
    records.mkdir()
    (records / "letter.png").write_bytes(_png(page))
    result = runner.invoke(app_module(), ["scan", str(records), "--json"])
    problems = json.loads(result.stdout)["problems"]
    [note] = [p for p in problems if "partly unreadable" in p["message"]]
    assert note["path"] == "letter.png" and note["message"].startswith("page 1 ")
    assert "scan it again" in note["hint"]
