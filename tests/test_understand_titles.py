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
    assert title_for(exam, Category.RADIOLOGY, "", "a.pdf") == "MRI brain without contrast"
    named = "INDICATION:\nDizziness.\nPROCEDURE:\nLeft carotid stenting.\nA CT was reviewed."
    assert title_for(named, Category.RADIOLOGY, "", "a.pdf") == "CT: Left carotid stenting"
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


def test_else_the_kind_of_test_the_text_names_first():
    echo = "REASON FOR EXAM:\nMurmur.\nFINDINGS:\nTransthoracic echocardiogram was performed."
    assert title_for(echo, Category.CARDIOLOGY, "", "a.pdf") == "Transthoracic echocardiogram"
    mri = "Hartford, CT 06101\nMRI LEFT KNEE WITHOUT CONTRAST\nComparison: CT of 2021."
    assert title_for(mri, Category.RADIOLOGY, "", "a.pdf") == "MRI left knee"
    narrative = "Axial CT images were obtained from the base of the brain to the upper abdomen."
    assert title_for(narrative, Category.RADIOLOGY, "", "a.pdf") == "CT"  # no guessed body part


def test_a_general_kind_only_when_nothing_more_telling_is_named():
    stress = "The baseline electrocardiogram showed sinus rhythm.\nA Bruce protocol treadmill test."
    assert title_for(stress, Category.CARDIOLOGY, "", "a.pdf") == "Exercise stress test"
    assert title_for("The ECG shows sinus rhythm.", Category.CARDIOLOGY, "", "a.pdf") == (
        "Electrocardiogram"
    )


def test_abbreviations_count_only_in_capitals_and_never_inside_words():
    assert title_for("The act of the doctor.", Category.RADIOLOGY, "", "a.pdf") == "Imaging report"
    assert title_for("Ct scan is not named so.", Category.RADIOLOGY, "", "a.pdf") == (
        "Imaging report"
    )


def test_a_category_title_takes_its_sender_from_a_letterhead():
    listing = "Lakeside Family Clinic\nMedications\nPatient: A B"
    assert title_for(listing, Category.MEDICATIONS, "", "a.pdf") == (
        "Medication list from Lakeside Family Clinic"
    )
    letter = "Harbor View Hospital\nDear colleague, thank you."
    assert title_for(letter, Category.OTHER, "", "a.pdf") == "Document from Harbor View Hospital"
    sentence = "She was seen at the clinic on Monday for a follow-up of her pain and fatigue today."
    assert title_for(sentence, Category.MEDICATIONS, "", "a.pdf") == "Medication list"
