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
