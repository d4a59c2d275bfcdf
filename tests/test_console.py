import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from recordpack import console
from recordpack.models import Category, Inventory, Kind, Problem, Severity, Source, Timeline
from recordpack.results import BatchResult, JobResult
from tests.builders import make_item, pdf_bytes


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch):
    from rich.console import Console

    out = Console(width=120, record=True, force_terminal=False)
    monkeypatch.setattr(console, "out", out)
    monkeypatch.setattr(console, "err", out)
    return out


def test_the_timeline_table_numbers_every_item(captured):
    source = (Source("cbc.pdf", "a" * 64, 10, Kind.PDF),)
    items = (
        make_item(
            "a",
            index=1,
            date=dt.date(2025, 3, 14),
            category=Category.LAB,
            title="CBC",
            sources=source,
        ),
        make_item("b", index=2, title="Letter", sources=source),
    )
    inventory = Inventory("records", items, (), 2, 10, 0)
    console.print_timeline(Timeline(inventory, items))
    text = captured.export_text()
    assert "2025-03-14" in text and "CBC" in text and "Letter" in text


def test_the_summary_lists_each_problem_with_its_fix(captured):
    problem = Problem("x.pdf", Severity.ERROR, "damaged PDF", "export it again")
    inventory = Inventory("records", (), (problem,), 1, 10, 0)
    console.print_summary(Timeline(inventory, ()))
    text = captured.export_text()
    assert "x.pdf" in text and "damaged PDF" in text and "export it again" in text


def test_batch_lines_put_failures_first(captured):
    result = BatchResult(
        (
            JobResult("b", "built", 1.0, output="b.pdf", pages=3, complete=True),
            JobResult("a", "failed", 0.1, error="not a folder"),
        ),
        1.1,
    )
    console.print_batch(result)
    text = captured.export_text()
    assert text.index("a: not a folder") < text.index("b: 3 pages")
    assert "2 patients: 1 built, 0 unchanged, 1 failed" in text


def test_text_from_records_is_never_read_as_markup(captured):
    from recordpack.checklist import load_checklist

    source = (Source("[red]x[/].pdf", "a" * 64, 10, Kind.PDF),)
    items = (make_item("a", index=1, title="Report [/] of [bold]scan", sources=source),)
    console.print_timeline(Timeline(Inventory("r[/]", items, (), 1, 1, 0), items))
    text = captured.export_text()
    assert "Report [/] of [bold]scan" in text and "[red]x[/].pdf" in text
    console.print_checklist(load_checklist("breast-cancer"))
    assert "[required]" in captured.export_text()


@pytest.mark.slow
def test_escape_sequences_in_names_and_titles_never_reach_the_terminal(tmp_path: Path):
    (tmp_path / "evil\x1b]0;owned\x07.pdf").write_bytes(
        pdf_bytes(["SURGICAL PATHOLOGY REPORT \x1b[2J", "Final diagnosis: benign"])
    )
    (tmp_path / "empty\x1b[31m.pdf").write_bytes(b"")
    for command in ("check", "timeline", "scan"):
        result = subprocess.run(
            [sys.executable, "-m", "recordpack", command, str(tmp_path), "--no-ocr", "--no-cache"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "\x1b" not in result.stdout + result.stderr, command
    assert "empty\\x1b[31m.pdf" in result.stderr
