from pathlib import Path

import pytest

from recordpack.sources import Records
from tests.builders import write_pdf


def test_read_source_refuses_a_changed_file(tmp_path: Path):
    from recordpack.pipeline import scan_folder

    write_pdf(tmp_path / "a.pdf", ["x"])
    [item] = scan_folder(tmp_path).items
    write_pdf(tmp_path / "a.pdf", ["y"])
    with pytest.raises(OSError, match="changed since it was scanned"):
        Records(tmp_path).read(item.sources[0])


def test_copy_streams_a_file_byte_for_byte_and_refuses_a_changed_one(tmp_path: Path):
    from recordpack.pipeline import scan_folder

    records = tmp_path / "records"
    write_pdf(records / "a.pdf", ["x"], pages=40)
    [item] = scan_folder(records).items
    [source] = item.sources
    Records(records).copy(source, tmp_path / "out" / "copy.pdf")
    copy = tmp_path / "out" / "copy.pdf"
    assert copy.read_bytes() == (records / "a.pdf").read_bytes()
    assert copy.stat().st_mode & 0o777 == 0o600 and copy.parent.stat().st_mode & 0o777 == 0o700
    write_pdf(records / "a.pdf", ["y"], pages=40)
    with pytest.raises(OSError, match="changed since it was scanned"):
        Records(records).copy(source, tmp_path / "out" / "again.pdf")
    assert not (tmp_path / "out" / "again.pdf").exists()  # nothing half-right is left


def test_members_of_zips_and_of_zips_in_zips_are_read_back(tmp_path: Path):
    from recordpack.pipeline import scan_folder
    from tests.builders import pdf_bytes, zip_bytes

    inner = zip_bytes({"deep/lab.pdf": pdf_bytes(["COMPLETE BLOOD COUNT", "Hemoglobin 13"])})
    outer = zip_bytes({"path.pdf": pdf_bytes(["SURGICAL PATHOLOGY REPORT"]), "more.zip": inner})
    (tmp_path / "portal.zip").write_bytes(outer)
    sources = [s for item in scan_folder(tmp_path).items for s in item.sources]
    assert {s.archive for s in sources} == {"portal.zip", "portal.zip!more.zip"}
    for source in sources:
        data = Records(tmp_path).read(source)
        assert data.startswith(b"%PDF") and len(data) == source.size
    (tmp_path / "portal.zip").write_bytes(zip_bytes({"other.pdf": pdf_bytes(["x"])}))
    with pytest.raises(OSError, match="cannot be read from its zip"):
        Records(tmp_path).read(sources[0])


def test_an_image_is_checked_by_size_and_its_copy_hashed(tmp_path: Path):
    """The scan read an image's header only; a copy says its hash, and a cut file is refused."""
    import hashlib

    from recordpack.pipeline import scan_folder
    from tests.builders import dicom_bytes

    records = tmp_path / "records"
    records.mkdir()
    (records / "IM1").write_bytes(dicom_bytes())
    [item] = scan_folder(records).items
    [source] = item.sources
    digest = Records(records).copy(source, tmp_path / "out" / "IM1")
    assert digest == hashlib.sha256((records / "IM1").read_bytes()).hexdigest()
    (records / "IM1").write_bytes(dicom_bytes()[:-10])
    with pytest.raises(OSError, match="changed since it was scanned"):
        Records(records).copy(source, tmp_path / "out" / "again")
    with pytest.raises(OSError, match="changed since it was scanned"):
        Records(records).read(source)


def test_names_with_exclamation_marks_and_backslashes_are_read_back(tmp_path: Path):
    import json

    from typer.testing import CliRunner

    from recordpack.cli import app
    from tests.builders import pdf_bytes, zip_bytes

    def report(title: str) -> bytes:
        return pdf_bytes([title, "Collected: 03/04/2025"])

    inner = zip_bytes({"deep!er/lab.pdf": report("LIPID PANEL")})
    records = tmp_path / "records"
    records.mkdir()
    (records / "labs!2024.zip").write_bytes(
        zip_bytes(
            {
                "a!b.pdf": report("COMPLETE BLOOD COUNT"),
                "scans\\kidney.pdf": report("BASIC METABOLIC PANEL"),
                "more!2024.zip": inner,
            }
        )
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(out / "p.pdf"),
            "--bundle",
            str(out / "b.zip"),
            "--profile",
            "full",
            "--no-ocr",
            "--no-cache",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert len(built["items"]) == 3, built["problems"]
    assert not [p for p in built["problems"] if "could not" in p["message"]]
