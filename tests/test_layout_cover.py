import datetime as dt
import io

from pypdf import PdfReader

from recordpack.assemble import LINK_PREFIX
from recordpack.layout.cover import GLANCE_ROWS, IndexRow, _glance, render_not_included
from recordpack.models import Category, Problem, Severity
from tests.builders import make_item


def test_index_rows_link_to_their_page():
    row = IndexRow("3", dt.date(2025, 1, 2), False, "lab", "CBC", 17)
    assert row.link == f"{LINK_PREFIX}17"


def test_at_a_glance_folds_labs_and_stays_short():
    labs = [make_item(f"l{n}", category=Category.LAB, date=dt.date(2025, 1, n + 1))
            for n in range(20)]  # fmt: skip
    events = [make_item(f"p{n}", category=Category.PATHOLOGY, date=dt.date(2024, 1, 1)
                        + dt.timedelta(days=n)) for n in range(40)]  # fmt: skip
    glance = _glance([*labs, *events])
    assert len(glance) == GLANCE_ROWS + 1  # both ends, and "…" between them
    assert sum("lab reports" in e["text"] for e in glance) == 1


def test_not_included_lists_errors_then_notes():
    problems = [Problem("a.pdf", Severity.ERROR, "damaged PDF", "export it again"),
                Problem("DICOMDIR", Severity.INFO, "lists 8 images, all found")]  # fmt: skip
    text = PdfReader(io.BytesIO(render_not_included(problems, None))).pages[0].extract_text()
    assert text.index("damaged PDF") < text.index("lists 8 images")
    assert "export it again" in text
