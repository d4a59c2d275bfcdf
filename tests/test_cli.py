import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack import pipeline
from recordpack.cli import app
from recordpack.errors import ExitCode
from recordpack.serialize import TIMELINE_COLUMNS
from tests.builders import LAB, dicom_bytes, tree_hashes, write_pdf

runner = CliRunner()


def folder(tmp_path: Path) -> Path:
    write_pdf(tmp_path / "lab.pdf", LAB)
    (tmp_path / "IM1").write_bytes(dicom_bytes())
    (tmp_path / "empty.pdf").write_bytes(b"")
    return tmp_path


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("scan", "timeline", "check", "build", "init", "batch", "checklists"):
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
    source_keys = {"path", "sha256", "size", "kind", "archive", "pages"}
    assert set(data["items"][0]["sources"][0]) == source_keys
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


def test_usage_errors_exit_2(tmp_path: Path):
    (tmp_path / "p").mkdir()
    assert run("batch", str(tmp_path), "-o", str(tmp_path / "o"), "--shard", "x").returncode == 2
    no_scheduler = run("batch", str(tmp_path), "-o", str(tmp_path / "o"), "--executor", "dask")
    assert no_scheduler.returncode == 2 and "--scheduler" in no_scheduler.stderr


def test_verbose_adds_the_traceback_and_keeps_the_exit_code(tmp_path: Path):
    result = run("--verbose", "timeline", str(tmp_path / "nope"))
    assert result.returncode == 3
    assert "Traceback" in result.stderr and "nope: not a folder" in result.stderr


def test_an_internal_error_is_one_line_without_patient_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("Dana Whitfield 1968-07-22")

    monkeypatch.setattr(pipeline, "scan_folder", broken)
    quiet = runner.invoke(app, ["scan", str(tmp_path)])
    assert quiet.exit_code == ExitCode.BUG
    assert "internal error (ZeroDivisionError)" in quiet.output
    assert "Traceback" not in quiet.output and "Whitfield" not in quiet.output
    loud = runner.invoke(app, ["--verbose", "scan", str(tmp_path)])
    assert loud.exit_code == ExitCode.BUG and "Whitfield" in loud.output  # asked for


def test_a_full_disk_exits_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import errno
    import os

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = runner.invoke(
        app,
        [
            "build",
            str(folder(tmp_path / "r")),
            "-o",
            str(tmp_path / "out" / "p.pdf"),
            "--no-ocr",
            "-q",
        ],
    )
    assert result.exit_code == ExitCode.OUTPUT, result.output
    assert "No space left" in result.output
    assert list((tmp_path / "out").iterdir()) == []


def test_the_readme_documents_every_exit_code():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme[readme.index("### Exit codes") :]
    for code in ExitCode:
        if code is not ExitCode.OK:
            assert f"| {code.value} |" in table, code.name


def on_a_terminal(args: list[str], typed: str) -> tuple[int, str]:
    """Run recordpack on a real pseudo-terminal, typing ``typed`` ahead; exit code and screen."""
    import os
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: recordpack, its stdin a terminal
        os.execv(sys.executable, [sys.executable, "-m", "recordpack", *args])  # noqa: S606
    os.write(fd, typed.encode())
    screen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


def test_init_asks_again_until_each_answer_is_valid(tmp_path: Path):
    typed = "Dana Whitfield\n22/07/1968\n1968-07-22\nbreast cancr\nbreast-cancer\nIs it needed?\n"
    code, screen = on_a_terminal(["init", str(tmp_path)], typed)
    assert code == 0, screen
    assert "YYYY-MM-DD" in screen and "did you mean" in screen
    from recordpack.patient import load_patient

    patient = load_patient(tmp_path / "patient.toml")
    assert (patient.name, str(patient.dob), patient.condition) == (
        "Dana Whitfield",
        "1968-07-22",
        "breast-cancer",
    )
    again = run("init", str(tmp_path), "--no-input")
    assert again.returncode == 4 and "--force" in again.stderr
    assert run("init", str(tmp_path), "--no-input", "--force").returncode == 0


def test_build_refuses_a_folder_or_a_dash_as_the_packet(tmp_path: Path):
    records = folder(tmp_path / "r")
    (tmp_path / "out").mkdir()
    to_folder = run("build", str(records), "-o", str(tmp_path / "out"), "--no-ocr")
    assert to_folder.returncode == 2 and "is a folder" in to_folder.stderr
    assert "packet.pdf" in to_folder.stderr
    to_dash = run("build", str(records), "-o", "-", "--no-ocr")
    assert to_dash.returncode == 2 and "PDF file" in to_dash.stderr
    assert not Path("-").exists()


def test_batch_with_nothing_to_do_says_so(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = run("batch", str(tmp_path / "empty"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "no patients to build" in result.stderr


def test_help_shows_plain_words_for_values():
    for command in ("scan", "timeline", "check", "build", "batch", "init"):
        text = runner.invoke(app, [command, "--help"], terminal_width=200).stdout
        for odd in ("<bool>", "<list[str]>", "<%Y-%m-%d>", "<str>"):
            assert odd not in text, (command, odd)


def test_build_and_check_use_the_clinic_config_below_the_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    records = tmp_path / "r"
    records.mkdir()
    write_pdf(records / "lab.pdf", ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025"])
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "recordpack.toml").write_text(
        'encrypt_env = "CLINIC_SECRET"\ndate_order = "DMY"\ncondition = "prostate-cancer"\n'
    )
    monkeypatch.chdir(clinic)
    monkeypatch.setenv("CLINIC_SECRET", "s3cret")
    built = runner.invoke(
        app, ["build", str(records), "-o", str(tmp_path / "p.pdf"), "--no-ocr", "--json"]
    )
    assert built.exit_code == 0, built.output
    report = json.loads(built.stdout)
    assert report["items"][0]["date"] == "2025-04-03"  # the config's day-first order
    assert report["checklist"]["checklist"]["id"] == "prostate-cancer"
    from pypdf import PdfReader

    assert PdfReader(tmp_path / "p.pdf").is_encrypted  # the clinic's policy holds for build too
    flagged = runner.invoke(
        app, ["check", str(records), "--no-ocr", "--json", "--date-order", "MDY", "-c", "general"]
    )
    assert json.loads(flagged.stdout)["checklist"]["id"] == "general"
    missing = runner.invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(tmp_path / "q.pdf"),
            "--template",
            str(tmp_path / "nope"),
        ],
    )
    assert missing.exit_code == 2 and "no such folder" in missing.output


def test_limits_are_raised_by_name_and_bad_ones_are_usage_errors(tmp_path: Path):
    write_pdf(tmp_path / "long.pdf", LAB, pages=3)
    unknown = run("scan", str(tmp_path), "--limit", "bytes=5")
    assert unknown.returncode == 2 and "unknown limit 'bytes'" in unknown.stderr
    assert run("scan", str(tmp_path), "--limit", "pages=lots").returncode == 2
    low = json.loads(run("scan", str(tmp_path), "--json", "--no-ocr", "--limit", "pages=2").stdout)
    [problem] = low["problems"]
    assert "3 pages" in problem["message"] and "--limit pages=20" in problem["hint"]


def test_a_cache_inside_the_records_folder_is_refused_and_nothing_is_written(tmp_path: Path):
    write_pdf(tmp_path / "labs.pdf", LAB)
    before = tree_hashes(tmp_path)
    result = run("scan", str(tmp_path), "--cache", str(tmp_path / "sub" / "cache.sqlite"))
    assert result.returncode == 2 and "inside the records folder" in result.stderr
    assert "--no-cache" in result.stderr
    assert tree_hashes(tmp_path) == before


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_help_and_version_load_neither_the_readers_nor_the_model(flag: str):
    """Start-up stays instant: the PDF, DICOM and image libraries, the terminal renderer and
    the data model load when a command runs (a module made lazy is not yet of the module type).
    """
    code = (
        f"import sys, types; from recordpack.cli import main; sys.argv = ['recordpack', '{flag}']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pydicom', 'pypdf', 'numpy', 'PIL', 'weasyprint', 'rich',"
        " 'recordpack.models', 'recordpack.pipeline', 'recordpack.console')"
        " if type(sys.modules.get(m)) is types.ModuleType))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"
    assert result.stdout.startswith("recordpack " if flag == "--version" else "Usage:")
