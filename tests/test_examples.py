"""The README's commands and the bundled example, checked so the docs cannot drift."""

import datetime as dt
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack.cli import app
from recordpack.models import Source
from recordpack.pipeline import scan_folder
from recordpack.timeline import build_timeline
from tests.builders import EXAMPLE, require_tool, tree_hashes

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()

# Every document of the example, with the category and date a careful reader would give it.
EXPECTED = {
    "scan0007.pdf": ("radiology", "2025-04-28"),
    "Imaging reports/mammogram.pdf": ("radiology", "2025-04-28"),
    "Pathology/core biopsy path report.pdf": ("pathology", "2025-05-05"),
    "Portal downloads/download (3).pdf": ("lab", "2025-05-14"),
    "MRI breast report.pdf": ("radiology", "2025-05-20"),
    "MRI CD 2025-05-20/PT000000/ST000000/SE000000/IM000000": ("imaging", "2025-05-20"),
    "download.pdf": ("lab", "2025-06-02"),
    "Genetic test results.pdf": ("genetics", "2025-06-10"),
    "Records release - Portland Regional.pdf#1-1": ("cardiology", "2025-06-20"),
    "Records release - Portland Regional.pdf#2-2": ("radiology", "2025-08-05"),
    "Records release - Portland Regional.pdf#3-4": ("clinical-note", "2025-09-17"),
    "MyChart/Pathology/surgical_pathology.pdf": ("pathology", "2025-08-12"),
    "Op note 2025-08-12.pdf": ("procedure", "2025-08-12"),
    "letter from Dr Okafor.pdf": ("clinical-note", "2025-09-03"),
    "Imaging reports/mammo followup.pdf": ("radiology", "2026-08-18"),
    "Meds/IMG_2231.jpg": ("medications", "2026-09-30"),
    "MyChart/Labs/Lab Results - CBC.pdf": ("lab", "2026-10-14"),
    "MyChart/Visit summary.txt": ("clinical-note", "2026-10-16"),
}


def test_readme_starts_with_the_two_setup_commands():
    block = re.search(r"```\n(.*?)```", README, re.S)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert lines == [
        "pip install . && recordpack build examples/dana-whitfield"
        " -o packet.pdf --bundle packet-bundle",
        'pip install -e ".[test]" && pytest',
    ]
    assert (ROOT / ".ci" / "run").read_text().count('pip install -e "\\.\\[test\\]"') == 1


@pytest.mark.slow
def test_readme_main_command_runs_on_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    command = shlex.split(README.split("&& ", 1)[1].split("\n", 1)[0])
    assert command[:2] == ["recordpack", "build"]
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "dana-whitfield")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*command[1:], "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["items"]) == len(EXPECTED)
    assert (tmp_path / "packet.pdf").exists() and (tmp_path / "packet-bundle" / "DICOMDIR").exists()
    assert report["checklist"]["complete"] is True


def test_every_command_is_documented():
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    names += [g.name for g in app.registered_groups if g.name]
    assert {"scan", "timeline", "check", "build", "init", "batch", "checklists"} <= set(names)
    for name in names:
        assert f"recordpack {name}" in README
    assert "recordpack checklists show" in README


def where(source: Source) -> str:
    """A source's path, with its pages when it is one report of a file that holds several."""
    return f"{source.path}#{source.pages[0]}-{source.pages[1]}" if source.pages else source.path


def test_every_example_document_has_the_right_category_and_date(example_copy: Path):
    timeline = build_timeline(scan_folder(example_copy))
    got = {where(i.sources[0]): (i.category.value, str(i.date)) for i in timeline.items}
    assert got == EXPECTED
    assert timeline.inventory.duplicates == 1
    assert not any(i.date_ambiguous for i in timeline.items)
    notes = sorted(p.message.split(":")[0] for p in timeline.inventory.problems)
    assert notes == [
        "DICOMDIR (index of an imaging CD) lists 8 images, all found",
        "holds 3 reports (pages 1, 2, 3-4); each is listed on its own",
        "patient file",
    ]
    assert [i.date for i in timeline.items] == sorted(i.date for i in timeline.items)
    assert all(isinstance(i.date, dt.date) for i in timeline.items)


def test_the_example_generator_is_reproducible(tmp_path: Path):
    subprocess.run(
        ["python", str(ROOT / "examples" / "make_examples.py"), str(tmp_path / "again")], check=True
    )
    fresh = {k.split("again/", 1)[1]: v for k, v in tree_hashes(tmp_path / "again").items()}
    committed = {k.split("dana-whitfield/", 1)[1]: v for k, v in tree_hashes(EXAMPLE).items()}
    assert fresh == committed


def test_example_dicomdir_reads_with_dcmtk():
    dcmdump = require_tool("dcmdump")
    out = subprocess.run(
        [dcmdump, str(EXAMPLE / "MRI CD 2025-05-20" / "DICOMDIR")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("(0004,1430) CS [IMAGE]") == 8
    assert "WHITFIELD^DANA^M" in out


@pytest.mark.parametrize("name", ["Pathology/core biopsy path report.pdf", "download.pdf"])
def test_example_pdfs_extract_with_poppler(name: str):
    pdftotext = require_tool("pdftotext")
    text = subprocess.run(
        [pdftotext, str(EXAMPLE / name), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "WHITFIELD, DANA M" in text


def test_readme_checklist_and_patient_examples_load(tmp_path: Path):
    from recordpack.checklist import load_checklist
    from recordpack.config import load_config
    from recordpack.patient import load_patient

    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    config_block, checklist_block, patient_block, providers_block = blocks
    (tmp_path / "recordpack.toml").write_text(config_block)
    config = load_config(tmp_path / "recordpack.toml")
    assert config.date_order.value == "DMY" and config.bundle is True
    (tmp_path / "clinic.toml").write_text(checklist_block)
    checklist = load_checklist(str(tmp_path / "clinic.toml"))
    assert [i.id for i in checklist.items] == ["receptors", "slides"]
    (tmp_path / "patient.toml").write_text(patient_block)
    patient = load_patient(tmp_path / "patient.toml")
    assert patient.physical[0].received == dt.date(2026, 10, 14)
    (tmp_path / "patient.toml").write_text(providers_block)
    patient = load_patient(tmp_path / "patient.toml")
    assert patient.providers[0].holds == ("pathology",)
    assert patient.requests[0].received == dt.date(2026, 11, 20)
