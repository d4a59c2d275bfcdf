from recordpack.models import Category
from recordpack.understand.classify import classify_text
from recordpack.understand.titles import MAX_TITLE, title_for

OP_NOTE = """PREOPERATIVE DIAGNOSIS:
Carcinoma of the left upper lobe.
PROCEDURE:
LEFT UPPER LOBECTOMY AND MEDIASTINAL LYMPH NODE DISSECTION.
ANESTHESIA:
General."""


def test_the_documents_own_title_comes_first():
    assert title_for(OP_NOTE, Category.PROCEDURE, "OPERATIVE REPORT", "x.pdf") == "OPERATIVE REPORT"


def test_else_the_kind_and_its_subject_from_a_header():
    title = title_for(OP_NOTE, Category.PROCEDURE, "", "scan0159.pdf")
    assert title == "Procedure note: Left upper lobectomy and mediastinal lymph node dissection"
    exam = "EXAM:\nMRI brain without contrast.\nFINDINGS:\nNormal."
    assert title_for(exam, Category.RADIOLOGY, "", "a.pdf") == (
        "Imaging report: MRI brain without contrast"
    )
    beside = "SPECIMEN: Left breast, core biopsy\nDIAGNOSIS:\nCarcinoma."
    assert title_for(beside, Category.PATHOLOGY, "", "a.pdf") == (
        "Pathology report: Left breast, core biopsy"
    )


def test_else_the_kind_alone_and_the_file_name_last_and_marked():
    assert title_for("Some words.", Category.DISCHARGE, "", "a.pdf") == "Discharge summary"
    assert title_for("Some words.", Category.OTHER, "", "scan0159.pdf") == "Untitled (scan0159.pdf)"
    long = "PROCEDURE:\n" + "very long procedure name " * 10
    assert len(title_for(long, Category.PROCEDURE, "", "a.pdf")) <= MAX_TITLE


def test_a_sentence_naming_the_kind_counts_for_the_category_but_is_no_title():
    result = classify_text(
        "This is a cosmetic consultation.\nHISTORY OF PRESENT ILLNESS:\nx\nPLAN:\ny"
    )
    assert result.category is Category.CLINICAL_NOTE
    assert result.title == ""
