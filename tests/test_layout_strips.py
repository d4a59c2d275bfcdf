import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from recordpack.assemble import STAMP_WIDTH
from recordpack.layout.html import RenderError, render_pdf
from recordpack.layout.strips import render_strips
from tests.builders import require_tool

TEXTS = [
    "Jane Doe · DOB 1968-07-22 · cover",
    "Jane Doe · #1 COMPLETE BLOOD COUNT",
    "Zoë 李小龍 · #2 " + "A TITLE LONG ENOUGH TO BE CUT SHORT " * 4,  # a fallback font, an ellipsis
    "Jane Doe · #3 <b>not bold</b> & done",
]


def _pages(pdf: bytes, tmp: Path, name: str) -> list[Image.Image]:
    """Each page at 150 dpi, in grey."""
    (tmp / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            require_tool("pdftoppm"),
            "-r",
            "150",
            "-gray",
            "-png",
            str(tmp / f"{name}.pdf"),
            str(tmp / name),
        ],
        check=True,
    )
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{name}-*.png"))]


def _text(pdf: bytes, page: int) -> str:
    run = subprocess.run(
        [require_tool("pdftotext"), "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return " ".join(run.stdout.decode().split())


def _alone(text: str, template_dir: str | None) -> bytes:
    """The stamp laid out on its own page by the page engine: what a strip must look like."""
    return render_pdf(
        "stamps.html.j2",
        template_dir,
        strips=[text],
        width=f"{STAMP_WIDTH:.1f}",
        band="12.0",
        height="12.0",
    )


def _check(strips: bytes, texts: list[str], template_dir: str | None, tmp: Path) -> None:
    """Each strip looks as its stamp laid out alone, and carries its own text and no other."""
    shown = _pages(strips, tmp, "strips")
    assert len(shown) == len(texts)
    for number, (image, text) in enumerate(zip(shown, texts, strict=True), start=1):
        [alone] = _pages(_alone(text, template_dir), tmp, f"alone{number}")
        assert ImageChops.difference(image, alone).getbbox() is None, number  # pixel for pixel
        carried = _text(strips, number)
        assert carried and " ".join(text.split()).startswith(carried.rstrip("…").strip()), number
        assert all(
            other.split("·")[-1].strip()[:12] not in carried for other in texts if other != text
        ), number


def test_stamps_cut_from_one_page_look_as_if_laid_out_alone(tmp_path: Path):
    strips = render_strips([*TEXTS, TEXTS[0]], None)
    assert strips.texts == tuple(TEXTS)  # each distinct stamp once
    _check(strips.pdf, TEXTS, None, tmp_path)
    with pikepdf.open(io.BytesIO(strips.pdf)) as pdf:  # cut from one page: one set of fonts
        assert len({page.Resources.objgen for page in pdf.pages}) == 1
        assert [float(v) for v in pdf.pages[0].mediabox] == [0, 0, STAMP_WIDTH, 12]


def test_a_template_that_draws_more_than_text_lays_each_stamp_out_alone(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    stock = Path(__file__).parents[1] / "src" / "recordpack" / "data" / "templates"
    css = (stock / "stamps.html.j2").read_text()
    ruled = css.replace("padding: 2pt 0 0 0;", "padding: 2pt 0 0 0; border-bottom: 1pt solid #000;")
    assert ruled != css
    (templates / "stamps.html.j2").write_text(ruled)
    strips = render_strips(TEXTS, str(templates))
    _check(strips.pdf, TEXTS, str(templates), tmp_path)
    with pikepdf.open(io.BytesIO(strips.pdf)) as pdf:
        assert len({page.Resources.objgen for page in pdf.pages}) == len(TEXTS)


def test_a_stamp_taller_than_its_page_is_a_template_error(tmp_path: Path):
    stock = Path(__file__).parents[1] / "src" / "recordpack" / "data" / "templates"
    shutil.copytree(stock, tmp_path / "templates")
    template = tmp_path / "templates" / "stamps.html.j2"
    template.write_text(
        template.read_text()
        .replace("white-space: nowrap;", "")
        .replace("height: {{ band }}pt;", "min-height: {{ band }}pt;")
    )
    with pytest.raises(RenderError, match=r"stamps\.html\.j2"):
        render_strips(["word " * 400], str(tmp_path / "templates"))
