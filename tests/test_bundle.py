import shutil
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from recordpack.cli import app
from tests.builders import EXAMPLE

runner = CliRunner()


def test_reports_profile_zip_has_no_images(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    result = runner.invoke(
        app,
        [
            "build",
            str(tmp_path / "r"),
            "-o",
            str(tmp_path / "p.pdf"),
            "--bundle",
            str(tmp_path / "b.zip"),
            "--profile",
            "reports",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(tmp_path / "b.zip").namelist()
    assert "packet.pdf" in names and not any(n.startswith("DICOM") for n in names)


def test_many_images_are_copied_by_workers_byte_for_byte_and_all_indexed(tmp_path: Path):
    import hashlib
    import subprocess

    from recordpack.bundle import PARALLEL_AFTER, write_dicom_media
    from recordpack.pipeline import scan_folder
    from recordpack.sources import Records
    from recordpack.timeline import build_timeline
    from tests.builders import dicom_bytes, require_tool

    records = tmp_path / "records"
    records.mkdir()
    count = PARALLEL_AFTER + 10
    for n in range(1, count + 1):
        (records / f"IM{n:04d}").write_bytes(dicom_bytes(series=1 + n % 2, instance=n))
    timeline = build_timeline(scan_folder(records))
    work = tmp_path / "bundle"
    copied = write_dicom_media(work, Records(records), timeline, workers=2)
    assert len(copied) == count
    for digest, place in copied.items():
        assert hashlib.sha256((work / place).read_bytes()).hexdigest() == digest
    dump = subprocess.run([require_tool("dcmdump"), str(work / "DICOMDIR")],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert dump.count("(0004,1430) CS [IMAGE]") == count
    assert dump.count("(0004,1430) CS [SERIES]") == 2
