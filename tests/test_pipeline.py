import io
import subprocess
from pathlib import Path

from pypdf import PdfReader

from recordpack.layout.scans import image_pages
from recordpack.options import BuildOptions, DateOrder, ReadOptions
from recordpack.pipeline import build_packet, scan_folder
from tests.builders import EXAMPLE, REPORT, require_tool, scan_image, tree_hashes


def png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_library_caller_without_a_cache_gets_searchable_scans(tmp_path: Path):
    """OCR text layers travel with the items, so no cache is needed for them."""
    require_tool("tesseract")
    records = tmp_path / "records"
    records.mkdir()
    (records / "scan0001.pdf").write_bytes(image_pages(png(scan_image(REPORT))))
    result = build_packet(records, BuildOptions(output=tmp_path / "packet.pdf"), cache=None)
    [placed] = result.placed
    assert placed.item.ocr is not None and placed.item.ocr.pages == 1
    page = subprocess.run(
        [
            require_tool("pdftotext"),
            "-f",
            str(placed.first_page),
            "-l",
            str(placed.first_page),
            str(tmp_path / "packet.pdf"),
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Hemoglobin" in page


def test_the_stages_give_a_packet_and_time_each_stage(tmp_path: Path):
    before = tree_hashes(EXAMPLE)
    options = BuildOptions(output=tmp_path / "p.pdf", read=ReadOptions(ocr_lang=None))
    result = build_packet(EXAMPLE, options)
    assert set(result.seconds) == {"scan", "pages", "assembly", "write"}
    assert len(PdfReader(tmp_path / "p.pdf").pages) == result.pages
    assert len(result.placed) == len(result.timeline.items)
    assert tree_hashes(EXAMPLE) == before


def test_scan_folder_takes_read_options(tmp_path: Path):
    from tests.builders import write_pdf

    write_pdf(tmp_path / "lab.pdf", ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025"])
    [mdy] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).items
    [dmy] = scan_folder(tmp_path, ReadOptions(DateOrder.DMY, ocr_lang=None)).items
    assert (str(mdy.date), str(dmy.date)) == ("2025-03-04", "2025-04-03")


def test_every_stage_reports_its_progress(tmp_path: Path):
    heard: list[tuple[int, int, str]] = []
    options = BuildOptions(
        output=tmp_path / "p.pdf", bundle=tmp_path / "bundle", read=ReadOptions(ocr_lang=None)
    )
    build_packet(EXAMPLE, options, progress=lambda d, t, s: heard.append((d, t, s)))
    stages = list(dict.fromkeys(stage for _, _, stage in heard))
    assert stages == [
        "reading files",
        "laying out pages",
        "assembling the PDF",
        "copying images to the bundle",
    ]
    for stage in stages:  # each stage ends complete
        done, total = next((d, t) for d, t, s in reversed(heard) if s == stage)
        assert done == total > 0, stage


def test_files_attached_to_a_source_pdf_stay_out_of_the_packet(tmp_path: Path):
    import io as _io

    from pypdf import PdfWriter

    from tests.builders import pdf_bytes

    records = tmp_path / "r"
    records.mkdir()
    writer = PdfWriter(clone_from=_io.BytesIO(pdf_bytes(["COMPLETE BLOOD COUNT"])))
    writer.add_attachment("setup.exe", b"MZ\x90\x00 not a record")
    writer.write(records / "lab.pdf")
    result = build_packet(
        records, BuildOptions(output=tmp_path / "p.pdf", read=ReadOptions(ocr_lang=None))
    )
    assert PdfReader(tmp_path / "p.pdf").attachments == {}
    assert b"setup.exe" not in (tmp_path / "p.pdf").read_bytes()
    assert any("attached files" in p.message for p in result.problems)
