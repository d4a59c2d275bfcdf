import datetime as dt
import io
import subprocess
from functools import partial
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from recordpack.checklist import ChecklistReport, load_checklist
from recordpack.layout.cover import IndexRow, render_cover
from recordpack.layout.drawing import Drawing
from recordpack.layout.index import SPLIT_AFTER, index_pages, lay_out_index
from recordpack.models import Category
from recordpack.patient import Patient
from recordpack.results import CheckResult
from tests.builders import make_item

WIDE = " ".join(["WWWW"] * 9)  # 44 characters the model puts on one line; they take two
TITLES = [
    "CBC",
    "CT CHEST ABDOMEN AND PELVIS WITH CONTRAST",
    "Discharge summary after laparoscopic right hemicolectomy with ileocolic anastomosis",
    "Untitled (IMG_2041.jpg)",
]


def _cover(count: int, titles: list[str], file_dated_every: int = 0):
    """Items, their index rows, and the cover laid out with the rows given (``whole``)."""
    items = [
        make_item(
            str(n),
            index=n,
            date=dt.date(2025, 1, 1 + n % 28),
            title=titles[n % len(titles)],
            category=Category.LAB,
            date_source="pdf:CreationDate"
            if file_dated_every and n % file_dated_every == 0
            else "stated",
        )
        for n in range(1, count + 1)
    ]
    rows = [
        IndexRow(
            str(i.index), i.date, False, "lab", i.title, 1000 + i.index, file_date=i.file_dated
        )
        for i in items
    ]
    check = CheckResult(ChecklistReport(load_checklist("general"), dt.date(2026, 1, 1)), [], [])
    whole = partial(
        render_cover,
        patient=Patient(name="Dana Whitfield"),
        check=check,
        items=items,
        index_alone=True,
        prepared=dt.date(2026, 1, 1),
        source_count=len(items),
        template_dir=None,
    )
    return rows, whole


def _pages(pdf: bytes) -> int:
    return len(pikepdf.open(io.BytesIO(pdf)).pages)


@pytest.mark.slow
def test_the_index_length_is_known_before_it_is_laid_out():
    """The guess that lets the cover be laid out once holds for short, long and file-dated rows."""
    for count, file_dated_every in ((40, 0), (150, 7), (300, 3)):
        rows, whole = _cover(count, TITLES, file_dated_every)
        summary = _pages(whole(index=[]).pdf) - 1
        guessed = index_pages([(r.title, r.file_date) for r in rows])
        assert _pages(whole(index=rows).pdf) - summary == guessed, count


def _rendered(pdf: bytes, folder: Path) -> list[Image.Image]:
    folder.mkdir()
    (folder / "in.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-gray", str(folder / "in.pdf"), str(folder / "p")], check=True
    )
    return [Image.open(p) for p in sorted(folder.glob("p-*.pgm"))]


def _fonts(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len({f.objgen for page in doc.pages for f in page.Resources.Font.values()})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("titles", "file_dated_every", "split"),
    [
        (TITLES, 5, True),  # the line model guesses every page break: joined at the guessed row
        # wide letters wrap sooner than the model guesses: the halves meet further on, as rows
        # of different heights bring the two runs' page breaks together
        ([WIDE, "CBC", "Discharge summary after laparoscopic right hemicolectomy"], 5, None),
        # every row misjudged alike: the runs' breaks never meet, and the index is laid out whole
        ([WIDE], 0, False),
    ],
)
def test_a_long_index_laid_out_in_two_halves_is_the_same_pages(
    tmp_path: Path, titles: list[str], file_dated_every: int, split: bool | None
):
    rows, whole = _cover(2 * SPLIT_AFTER, titles, file_dated_every)
    one = whole(index=rows).pdf
    with Drawing(2, parallel=True) as drawing:
        two = lay_out_index(drawing, rows, whole, None)
    assert _pages(two) == _pages(one)
    for a, b in zip(
        _rendered(one, tmp_path / "one"), _rendered(two, tmp_path / "two"), strict=True
    ):
        assert ImageChops.difference(a, b).getbbox() is None
    text = [
        subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout
        for pdf in (one, two)
    ]
    assert text[0] == text[1] and b"1300" in text[0]
    if split is not None:  # joined from two layout runs, each with its own fonts; or one run
        assert _fonts(two) > _fonts(one) if split else two == one


@pytest.mark.slow
def test_a_short_index_or_a_single_worker_lays_it_out_in_one_run():
    short, whole = _cover(40, TITLES)
    long, whole_long = _cover(2 * SPLIT_AFTER, TITLES)
    with Drawing(2, parallel=True) as two, Drawing(1, parallel=True) as one:
        assert lay_out_index(two, short, whole, None) == whole(index=short).pdf
        assert lay_out_index(one, long, whole_long, None) == whole_long(index=long).pdf
