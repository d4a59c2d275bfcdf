import datetime as dt

from recordpack.models import Category, Kind, OcrText, Source
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.understand.duplicates import collapse_copies
from tests.builders import REPORT, make_item, require_tool, scan_image, write_pdf

NOTE = (
    "Progress note. The patient reports less shortness of breath since the last visit and walks "
    "two blocks without stopping. Lungs clear, heart regular, no edema. Blood pressure {bp}, "
    "weight {kg} kilograms. Plan: continue furosemide and review kidney function next month."
)


def note(id_: str, day: int, bp: str = "128/76", kg: str = "81.4", **fields: object):
    values: dict[str, object] = {
        "category": Category.CLINICAL_NOTE,
        "date": dt.date(2025, 3, day),
        "date_source": "text:date of service",
        "text": NOTE.format(bp=bp, kg=kg),
        "sources": (Source(f"{id_}.pdf", id_ * 8, 100, Kind.PDF),),
    }
    return make_item(id_, **(values | fields))


def test_a_photo_of_a_report_is_folded_into_the_pdf_of_it():
    photo = note("b", 4, ocr=OcrText("eng", 88.0), kind=Kind.JPEG)
    items, notes = collapse_copies([photo, note("a", 4)])
    assert [i.id for i in items] == ["a"]  # the copy with a text layer goes in the packet
    assert [s.path for s in items[0].sources] == ["a.pdf", "b.pdf"]
    assert len(notes) == 1 and notes[0].path == "b.pdf" and "a.pdf" in notes[0].message


def test_notes_copied_forward_stay_apart():
    other_day = [note("a", 4), note("b", 11)]
    assert len(collapse_copies(other_day)[0]) == 2
    other_numbers = [note("a", 4), note("b", 4, bp="141/90", kg="83.0")]
    assert len(collapse_copies(other_numbers)[0]) == 2


def test_a_file_date_or_no_date_never_folds():
    undated = [note("a", 4, date=None), note("b", 4, date=None)]
    file_dated = [
        note("a", 4, date_source="pdf:CreationDate"),
        note("b", 4, date_source="pdf:CreationDate"),
    ]
    assert len(collapse_copies(undated)[0]) == 2
    assert len(collapse_copies(file_dated)[0]) == 2


PANEL = [
    *REPORT,
    "Platelets   251   10^3/uL   150-400",
    "Hematocrit   39.8   %   36.0-46.0",
    "Neutrophils   61   %   40-75",
    "Lymphocytes   28   %   20-45",
    "Comment: normal morphology, no blasts seen on review",
    "Reviewed by the laboratory director",
]


def test_a_report_and_its_photo_in_one_folder_are_one_item(tmp_path):
    require_tool("tesseract")
    write_pdf(tmp_path / "cbc.pdf", PANEL)
    scan_image(PANEL).save(tmp_path / "IMG_0412.jpg")
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang="eng"))
    assert len(inventory.items) == 1, [(i.reason, i.date, i.text[:300]) for i in inventory.items]
    assert {s.path for s in inventory.items[0].sources} == {"cbc.pdf", "IMG_0412.jpg"}
    assert inventory.items[0].sources[0].path == "cbc.pdf"
    assert any("another copy" in p.message for p in inventory.problems)
