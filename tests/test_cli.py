import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from recordpack.cli import app
from recordpack.serialize import TIMELINE_COLUMNS
from tests.builders import dicom_bytes, write_pdf

runner = CliRunner()
LAB = ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Hemoglobin 13 g/dL  Reference range 12-15"]


def folder(tmp_path: Path) -> Path:
    write_pdf(tmp_path / "lab.pdf", LAB)
    (tmp_path / "IM1").write_bytes(dicom_bytes())
    (tmp_path / "empty.pdf").write_bytes(b"")
    return tmp_path


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("scan", "timeline"):
        assert command in result.stdout


def test_version_names_the_libraries():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "pypdf" in result.stdout and "pydicom" in result.stdout


def test_scan_json_has_the_documented_shape(tmp_path: Path):
    result = runner.invoke(app, ["scan", str(folder(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"root", "items", "problems", "summary"}
    assert [i["index"] for i in data["items"]] == [1, 2]
    keys = {
        "id",
        "index",
        "category",
        "title",
        "date",
        "date_source",
        "date_ambiguous",
        "reason",
        "pages",
        "modality",
        "sources",
        "facts",
    }
    assert all(set(i) == keys for i in data["items"])
    assert set(data["items"][0]["sources"][0]) == {"path", "sha256", "size", "kind", "archive"}
    assert data["problems"] == [
        {
            "path": "empty.pdf",
            "severity": "error",
            "message": "empty file (0 bytes)",
            "hint": "download or copy it again",
        }
    ]
    assert data["summary"]["items"] == 2 and data["summary"]["problems"]["error"] == 1


def test_timeline_table_json_and_csv(tmp_path: Path):
    root = folder(tmp_path)
    table = runner.invoke(app, ["timeline", str(root)])
    assert table.exit_code == 0
    assert "COMPLETE BLOOD COUNT" in table.stdout and "imaging" in table.stdout
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["timeline", str(root), "--csv"]).stdout))
    )
    assert tuple(rows[0]) == TIMELINE_COLUMNS
    assert [(r["index"], r["category"], r["date"]) for r in rows] == [
        ("1", "lab", "2025-03-04"),
        ("2", "imaging", "2025-05-20"),
    ]


def test_date_order_option(tmp_path: Path):
    write_pdf(tmp_path / "lab.pdf", LAB)
    data = json.loads(
        runner.invoke(app, ["timeline", str(tmp_path), "--json", "--date-order", "DMY"]).stdout
    )
    [lab] = data["items"]
    assert (lab["date"], lab["date_ambiguous"]) == ("2025-04-03", True)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recordpack", *args], capture_output=True, text=True, check=False
    )


def test_a_missing_folder_exits_3_with_a_clear_message(tmp_path: Path):
    result = run("timeline", str(tmp_path / "nope"))
    assert result.returncode == 3
    assert "nope: not a folder" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_option_exits_2():
    assert run("timeline", ".", "--date-order", "XYZ").returncode == 2
