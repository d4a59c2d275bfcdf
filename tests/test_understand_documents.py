from recordpack.models import Found, Kind, OcrText, Reading, Source
from recordpack.options import DateOrder
from recordpack.understand.documents import document_item, document_key

SOURCE = Source("labs/cbc.pdf", "c" * 64, 100, Kind.PDF)
LAB = "COMPLETE BLOOD COUNT\nCollected: 03/04/2025\nHemoglobin 13.1 g/dL  Reference range 12-15"


def test_the_key_changes_with_what_the_result_depends_on():
    plain = Found(SOURCE, Reading(Kind.PDF, text=LAB))
    read = Found(SOURCE, Reading(Kind.PDF, text=LAB, ocr=OcrText("eng", 90.0)))
    keys = {
        document_key(plain, DateOrder.MDY),
        document_key(plain, DateOrder.DMY),
        document_key(read, DateOrder.MDY),
    }
    assert len(keys) == 3


def test_a_remembered_result_is_used_and_a_new_one_remembered():
    found = Found(SOURCE, Reading(Kind.PDF, text=LAB, pages=1))
    memo: dict = {}
    first = document_item(found, (SOURCE,), DateOrder.MDY, memo)
    assert (first.category.value, str(first.date)) == ("lab", "2025-03-04")
    assert list(memo) == [document_key(found, DateOrder.MDY)]
    memo[document_key(found, DateOrder.MDY)][0] = "pathology"  # as if classified so before
    assert document_item(found, (SOURCE,), DateOrder.MDY, memo).category.value == "pathology"


def test_ocr_text_says_so_in_the_reason_and_the_date_source():
    found = Found(SOURCE, Reading(Kind.PDF, text=LAB, scanned=True, ocr=OcrText("eng", 87.5)))
    item = document_item(found, (SOURCE,), DateOrder.MDY, None)
    assert item.reason.startswith("OCR text (confidence 87.5)")
    assert item.date_source == "ocr:collected" and item.ocr is not None


def test_a_document_with_no_text_is_named_by_its_kind_or_else_its_file():
    found = Found(SOURCE, Reading(Kind.PDF, text=""))
    item = document_item(found, (SOURCE,), DateOrder.MDY, None)
    assert item.category.value == "lab" and item.confidence == "low"  # the folder name, a hint
    assert item.title == "Lab results"
    unknown = Source("scan0159.pdf", "d" * 64, 100, Kind.PDF)
    other = document_item(Found(unknown, Reading(Kind.PDF)), (unknown,), DateOrder.MDY, None)
    assert other.title == "Untitled (scan0159.pdf)"
