import io

from hypothesis import given
from hypothesis import strategies as st

from recordpack.read.text import MAX_TEXT_BYTES, read_text


def test_utf8_and_windows_1252_exports_are_both_read():
    assert read_text(io.BytesIO("Résumé: naïve".encode())).text == "Résumé: naïve"
    assert read_text(io.BytesIO("Résumé".encode("cp1252"))).text == "Résumé"
    assert read_text(io.BytesIO(b"\xef\xbb\xbfBOM first")).text == "BOM first"


def test_form_feeds_count_pages_and_only_the_head_is_read():
    assert read_text(io.BytesIO(b"one\ftwo\fthree")).pages == 3
    assert len(read_text(io.BytesIO(b"x" * (MAX_TEXT_BYTES + 10))).text) == MAX_TEXT_BYTES


@given(st.binary(max_size=2000))
def test_any_bytes_give_text(data: bytes):
    reading = read_text(io.BytesIO(data))
    assert isinstance(reading.text, str) and reading.pages >= 1
