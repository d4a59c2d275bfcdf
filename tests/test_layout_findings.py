import datetime as dt
import io
import json
import subprocess
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from recordpack.cli import app
from recordpack.layout.findings import (
    COVER_QUOTE,
    ON_COVER,
    key_findings,
    needs_page,
    render_findings,
)
from recordpack.models import Category
from tests.builders import make_item, require_tool, write_pdf


def test_diagnosis_first_then_most_recent_then_pending():
    old = make_item(
        "a",
        index=1,
        date=dt.date(2025, 1, 1),
        title="CT",
        findings="Stable.",
        category=Category.RADIOLOGY,
    )
    new = make_item(
        "b",
        index=2,
        date=dt.date(2025, 6, 1),
        title="MRI",
        findings="New lesion.",
        category=Category.RADIOLOGY,
    )
    biopsy = make_item(
        "c",
        index=3,
        date=dt.date(2024, 2, 1),
        findings="Adenocarcinoma.",
        category=Category.PATHOLOGY,
    )
    pending = make_item(
        "d", index=4, date=dt.date(2025, 7, 1), findings="To follow.", category=Category.PATHOLOGY
    )
    letter = make_item("e", index=5, date=dt.date(2025, 7, 1), title="Letter")
    rows = key_findings([old, new, biopsy, pending, letter], {1: 5, 2: 9, 3: 11, 4: 12, 5: 13})
    assert [(r.number, r.page, r.pending) for r in rows] == [
        (3, 11, False),
        (2, 9, False),
        (1, 5, False),
        (4, 12, True),
    ]
    assert rows[1].link.endswith("/9")


def test_a_conclusion_two_reports_share_is_listed_once_with_both_numbers():
    same = "Benign  breast tissue."
    one = make_item("a", index=1, date=dt.date(2025, 1, 1), findings=same)
    two = make_item("b", index=2, date=dt.date(2025, 1, 9), findings=same.replace("  ", " "))
    rows = key_findings([one, two], {1: 3, 2: 4})
    assert len(rows) == 1 and rows[0].number == 2 and rows[0].also == [1]


def test_a_report_not_in_the_packet_is_not_quoted():
    placed = make_item("a", index=1, findings="Normal.")
    left_out = make_item("b", index=2, findings="Mass.")
    assert [r.number for r in key_findings([placed, left_out], {1: 3})] == [1]


def test_the_findings_page_is_needed_when_the_cover_shortens_or_leaves_out():
    items = [make_item(str(n), index=n, findings=f"Finding {n}.") for n in range(1, ON_COVER + 1)]
    pages = {n: n + 2 for n in range(1, ON_COVER + 2)}
    assert not needs_page(key_findings(items, pages))
    more = make_item("x", index=ON_COVER + 1, findings="One more.")
    assert needs_page(key_findings([*items, more], pages))
    long = make_item("y", index=1, findings="word " * 80)
    rows = key_findings([long], {1: 3})
    assert needs_page(rows) and len(rows[0].short) == COVER_QUOTE and rows[0].short[-1] == "…"


def test_the_findings_page_quotes_every_conclusion_whole():
    long = "Mass of the upper lobe, " * 20 + "consider biopsy."
    rows = key_findings([make_item("a", index=1, title="CT chest", findings=long)], {1: 7})
    text = PdfReader(io.BytesIO(render_findings(rows, None))).pages[0].extract_text()
    assert "consider biopsy." in " ".join(text.split()) and "page 7" in text


def _links(reader: PdfReader, page: int) -> set[int]:
    return {
        reader.get_page_number(a.get_object()["/Dest"][0].get_object()) + 1
        for a in reader.pages[page].get("/Annots") or []
        if "/Dest" in a.get_object()
    }


def test_the_cover_says_how_many_more_and_links_the_findings_page(tmp_path: Path):
    records = tmp_path / "records"
    records.mkdir()
    count = ON_COVER + 3
    for n in range(count):
        write_pdf(
            records / f"ct{n}.pdf",
            [
                "CT CHEST WITH CONTRAST",
                f"Exam date: 03/{n + 1:02d}/2025",
                "FINDINGS:",
                "Lungs are clear.",
                "IMPRESSION:",
                f"Nodule number {n} is stable.",
            ],
        )
    result = CliRunner().invoke(
        app,
        ["build", str(records), "-o", str(tmp_path / "p.pdf"), "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    reader = PdfReader(tmp_path / "p.pdf")
    pdftotext = require_tool("pdftotext")
    pages = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "p.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\f")
    cover_end = report["cover_pages"]
    at = next(n for n in range(cover_end) if "quoted whole from every report" in pages[n])
    assert f"{count - ON_COVER} more" in pages[0] and at + 1 in _links(reader, 0)
    listed = " ".join(pages[at].split())
    assert all(f"Nodule number {n} is stable." in listed for n in range(count))
    firsts = {i["first_page"] for i in report["items"]}
    assert _links(reader, at) == firsts and min(firsts) == cover_end + 1
    assert "Key findings" in [o.title for o in reader.outline if not isinstance(o, list)]
