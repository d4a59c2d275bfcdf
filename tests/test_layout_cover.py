import datetime as dt
import io

from pypdf import PdfReader

from recordpack.assemble import LINK_PREFIX
from recordpack.layout.cover import (
    GLANCE_ROWS,
    NAMES_PER_REASON,
    IndexRow,
    _glance,
    render_not_included,
)
from recordpack.models import Category, Problem, Severity
from tests.builders import make_item


def test_index_rows_link_to_their_page():
    row = IndexRow("3", dt.date(2025, 1, 2), False, "lab", "CBC", 17)
    assert row.link == f"{LINK_PREFIX}17"


def test_at_a_glance_folds_labs_and_stays_short():
    labs = [
        make_item(f"l{n}", category=Category.LAB, date=dt.date(2025, 1, n + 1)) for n in range(20)
    ]
    events = [
        make_item(
            f"p{n}", category=Category.PATHOLOGY, date=dt.date(2024, 1, 1) + dt.timedelta(days=n)
        )
        for n in range(40)
    ]
    glance = _glance([*labs, *events])
    assert len(glance) == GLANCE_ROWS + 1  # both ends, and "…" between them
    assert sum("lab reports" in e["text"] for e in glance) == 1


def test_not_included_lists_errors_then_notes():
    problems = [
        Problem("a.pdf", Severity.ERROR, "damaged PDF", "export it again"),
        Problem("DICOMDIR", Severity.INFO, "lists 8 images, all found"),
    ]
    text = PdfReader(io.BytesIO(render_not_included(problems, None))).pages[0].extract_text()
    assert text.index("damaged PDF") < text.index("lists 8 images")
    assert "export it again" in text


def test_not_included_names_a_few_of_many_files_sharing_a_reason_and_counts_the_rest():
    empty = [
        Problem(f"inbox/e{n:05d}.pdf", Severity.ERROR, "empty file (0 bytes)", "copy it again")
        for n in range(3000)
    ]
    damaged = Problem("b.pdf", Severity.ERROR, "damaged PDF", "export it again")
    reader = PdfReader(io.BytesIO(render_not_included([*empty, damaged], None)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1
    assert text.count("empty file (0 bytes)") == 1
    assert "inbox/e00000.pdf" in text and "inbox/e02999.pdf" not in text
    assert f"and {3000 - NAMES_PER_REASON:,} more" in text
    assert "b.pdf" in text and "damaged PDF" in text


def test_the_cover_hides_empty_sections_and_tables_identity_mismatches(tmp_path):
    from recordpack.checklist import ChecklistReport, load_checklist
    from recordpack.layout.cover import render_cover
    from recordpack.patient import Patient
    from recordpack.results import CheckResult, Mismatch

    report = ChecklistReport(load_checklist("general"), dt.date(2026, 1, 1))
    item = make_item("a", index=2, title="CT CHEST", category=Category.OTHER)
    mismatch = Mismatch("name", "dana whitfield", "dana whitford", (2,))

    def cover_text(mismatches):
        check = CheckResult(report, mismatches, [])
        pdf = render_cover(
            patient=Patient(name="Dana Whitfield"),
            check=check,
            items=[item],
            index=[],
            prepared=dt.date(2026, 1, 1),
            source_count=1,
            template_dir=None,
        ).pdf
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    plain = cover_text([])
    assert "At a glance" not in plain and "Identity" not in plain  # nothing to show: no heading
    checked = cover_text([mismatch])
    assert "Identity and language" in checked
    row = next(line for line in checked.splitlines() if "#2 CT CHEST" in line)
    assert "name" in row and "dana whitford" in row and "dana whitfield" in row
