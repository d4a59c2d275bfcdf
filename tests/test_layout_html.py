from pathlib import Path

import pytest
from pypdf import PdfReader

from recordpack.layout.html import RenderError, render_html, render_pdf, render_sections


def test_templates_escape_what_records_say():
    html = render_html(
        "text.html.j2", None, title="<script>alert(1)</script>", text="a & b", source="x.txt"
    )
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "a &amp; b" in html


def test_a_clinic_folder_overrides_by_file_name(tmp_path: Path):
    (tmp_path / "text.html.j2").write_text("<p>LETTERHEAD {{ title }}</p>")
    assert render_html("text.html.j2", str(tmp_path), title="T", text="", source="") == (
        "<p>LETTERHEAD T</p>"
    )


def test_a_broken_template_is_a_clear_error(tmp_path: Path):
    (tmp_path / "text.html.j2").write_text("{{ nothing_here }}")
    with pytest.raises(RenderError, match=r"template text\.html\.j2") as caught:
        render_pdf("text.html.j2", str(tmp_path), title="", text="", source="")
    assert "--template" in caught.value.hint


def test_sections_are_laid_out_once_and_split(tmp_path: Path):
    (tmp_path / "parts.html.j2").write_text(
        "{% for n in range(3) %}<section id='section-{{ n }}' style='break-before: page'>"
        "<p>part {{ n }}</p>{% if n == 1 %}<p style='break-before: page'>more</p>{% endif %}"
        "</section>{% endfor %}"
    )
    parts = render_sections("parts.html.j2", str(tmp_path), 3)
    import io

    pages = [len(PdfReader(io.BytesIO(p)).pages) for p in parts]
    assert pages == [1, 2, 1]
