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
