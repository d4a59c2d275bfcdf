import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from recordpack.context import Context
from recordpack.layout.pages import item_pages
from recordpack.options import BuildOptions, ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.sources import Records
from tests.builders import pdf_bytes


def first_item(root: Path, options: ReadOptions):
    [item] = scan_folder(root, options).items
    return item, Context(Records(root), options)


def test_a_pdf_is_copied_as_it_is(tmp_path: Path):
    data = pdf_bytes(["COMPLETE BLOOD COUNT"], pages=2)
    (tmp_path / "cbc.pdf").write_bytes(data)
    item, ctx = first_item(tmp_path, ReadOptions(ocr_lang=None))
    assert item_pages(ctx, item, BuildOptions(tmp_path / "out.pdf"), "") == data


def test_an_encrypted_pdf_is_decrypted_for_the_packet(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["PATHOLOGY REPORT"])))
    writer.encrypt(user_password="pw", algorithm="AES-256")
    writer.write(tmp_path / "locked.pdf")
    options = ReadOptions(password="pw", ocr_lang=None)
    item, ctx = first_item(tmp_path, options)
    pages = item_pages(ctx, item, BuildOptions(tmp_path / "out.pdf", read=options), "")
    assert not PdfReader(io.BytesIO(pages)).is_encrypted


def test_a_text_record_is_laid_out(tmp_path: Path):
    (tmp_path / "note.txt").write_text("CONSULTATION NOTE\nSeen today for <follow-up>.")
    item, ctx = first_item(tmp_path, ReadOptions(ocr_lang=None))
    pages = item_pages(ctx, item, BuildOptions(tmp_path / "out.pdf"), "")
    assert "<follow-up>" in PdfReader(io.BytesIO(pages)).pages[0].extract_text()


def test_a_record_changed_since_the_scan_is_refused(tmp_path: Path):
    (tmp_path / "cbc.pdf").write_bytes(pdf_bytes(["COMPLETE BLOOD COUNT"]))
    item, ctx = first_item(tmp_path, ReadOptions(ocr_lang=None))
    (tmp_path / "cbc.pdf").write_bytes(pdf_bytes(["SOMETHING ELSE"]))
    with pytest.raises(OSError, match="changed since it was scanned"):
        item_pages(ctx, item, BuildOptions(tmp_path / "out.pdf"), "")
