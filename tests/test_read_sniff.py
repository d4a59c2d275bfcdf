from hypothesis import given
from hypothesis import strategies as st

from recordpack.models import Kind
from recordpack.read.sniff import HEAD_SIZE, sniff
from tests.builders import dicom_bytes, jpeg_bytes, pdf_bytes


def test_pdf_even_with_junk_before_the_header():
    assert sniff(pdf_bytes(["x"])[:HEAD_SIZE]) is Kind.PDF
    assert sniff((b"\r\n garbage " + pdf_bytes(["x"]))[:HEAD_SIZE]) is Kind.PDF


def test_dicom_with_and_without_preamble():
    assert sniff(dicom_bytes()[:HEAD_SIZE]) is Kind.DICOM
    assert sniff(dicom_bytes(preamble=False)[:HEAD_SIZE]) is Kind.DICOM


def test_dicom_whose_preamble_looks_like_tiff_is_dicom():
    data = bytearray(dicom_bytes())
    data[:4] = b"II*\x00"  # dual-personality files exist (pydicom's CT_small.dcm)
    assert sniff(bytes(data[:HEAD_SIZE])) is Kind.DICOM


def test_images_zip_and_text():
    assert sniff(jpeg_bytes()) is Kind.JPEG
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 20) is Kind.PNG
    assert sniff(b"II*\x00" + b"\0" * 20) is Kind.TIFF
    assert sniff(b"MM\x00*" + b"\0" * 20) is Kind.TIFF
    assert sniff(b"\0\0\0\x18ftypheic" + b"\0" * 20) is Kind.HEIC
    assert sniff(b"PK\x03\x04" + b"\0" * 20) is Kind.ZIP
    assert sniff(b"Progress note\nDate of service: 01/02/2025\n") is Kind.TEXT
    assert sniff("Zoë Ødegård — café".encode()) is Kind.TEXT


def test_binary_garbage_and_empty_are_unknown():
    assert sniff(b"") is Kind.UNKNOWN
    assert sniff(b"\x00\x01\x02\x03\xff\xfe" * 10) is Kind.UNKNOWN


@given(st.binary(max_size=HEAD_SIZE))
def test_any_bytes_give_a_kind_and_never_raise(head: bytes):
    assert isinstance(sniff(head), Kind)


@given(st.binary(max_size=600))
def test_anything_after_a_pdf_header_is_a_pdf(tail: bytes):
    assert sniff((b"%PDF-1.7\n" + tail)[:HEAD_SIZE]) is Kind.PDF
