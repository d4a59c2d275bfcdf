import io
from pathlib import Path

import pytest

from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder


def test_decompression_bomb_images_are_refused(tmp_path: Path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20000, 10000)).save(out, "PNG")  # 200 MP, tiny on disk
    (tmp_path / "huge.png").write_bytes(out.getvalue())
    [problem] = scan_folder(tmp_path).problems
    assert "too large" in problem.message


def test_heic_without_the_extra_is_a_clear_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from recordpack.read import image

    monkeypatch.setattr(image, "HEIC_SUPPORT", False)
    (tmp_path / "IMG_1.HEIC").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    [problem] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    assert "HEIC photo" in problem.message and "recordpack[heic]" in problem.hint


def test_a_png_is_checked_chunk_by_chunk_not_decoded(tmp_path: Path):
    from PIL import Image, ImageDraw

    from recordpack.models import Kind
    from recordpack.read.image import read_image

    page = Image.new("L", (1700, 2200), 255)
    ImageDraw.Draw(page).text((100, 100), "PATHOLOGY REPORT", fill=0)
    out = io.BytesIO()
    page.save(out, "PNG", exif=Image.Exif())  # its (empty) EXIF after the pixels
    good = out.getvalue()
    assert read_image(io.BytesIO(good), Kind.PNG).pixels == (1700, 2200)
    at = good.index(b"IDAT") + 40
    flipped = good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :]  # one bit of the pixels
    (tmp_path / "damaged.png").write_bytes(flipped)
    [problem] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    assert "damaged or unreadable image" in problem.message
