import tomllib
from importlib import resources

import pytest

from recordpack.models import Category
from recordpack.understand.classify import classify_text, load_category_rules

SAMPLES = {
    Category.LAB: """Northwind Laboratory
COMPLETE BLOOD COUNT
Collected: 03/04/2025
Test  Result  Flag  Units  Reference Range
Hemoglobin 13.1 g/dL 12.0-15.5
WBC 6.2 10^3/uL 4.0-10.5""",
    Category.PATHOLOGY: """SURGICAL PATHOLOGY REPORT
Specimen(s) received: left breast core biopsy
Gross description:
Four cores in formalin.
Microscopic description:
Infiltrating carcinoma.
Final diagnosis:
Invasive ductal carcinoma, Nottingham grade 2.""",
    Category.RADIOLOGY: """CT CHEST WITH CONTRAST
Technique: Axial images after IV contrast.
Comparison: None.
Findings:
No pulmonary nodules.
Impression:
No evidence of metastatic disease.""",
    Category.PROCEDURE: """OPERATIVE REPORT
Preoperative diagnosis: cholelithiasis
Postoperative diagnosis: same
Surgeon: A. Smith, MD
Estimated blood loss: 10 mL
The patient was brought to the operating room and placed in the supine position.""",
    Category.CLINICAL_NOTE: """Oncology Consultation
Dear Dr Park,
Thank you for referring Ms Doe.
History of present illness:
Palpable mass.
Assessment and plan:
Surgery first.""",
    Category.DISCHARGE: """DISCHARGE SUMMARY
Admission date: 01/02/2025
Discharge date: 01/05/2025
Hospital course:
Uneventful.
Discharge medications:
None.""",
    Category.MEDICATIONS: """MEDICATION LIST
List as of: 02/02/2025
Letrozole 2.5 mg tablet by mouth daily
Metoprolol 25 mg tablet twice daily PRN""",
    Category.GENETICS: """HEREDITARY CANCER PANEL
Genes analyzed: BRCA1, BRCA2, PALB2
Variant of uncertain significance: CHEK2, heterozygous
Interpretation:
No pathogenic variants. Genetic counseling is recommended.""",
    Category.CARDIOLOGY: """TRANSTHORACIC ECHOCARDIOGRAM
Left ventricle:
Normal size. LVEF 60%. No wall motion abnormality.
Mitral valve:
Trace regurgitation.""",
}


@pytest.mark.parametrize("category", list(SAMPLES))
def test_each_category_from_its_own_words(category: Category):
    result = classify_text(SAMPLES[category], "download (3).pdf")
    assert result.category is category, result.reason
    assert result.confidence == "high"
    assert result.reason


def test_the_title_line_is_the_documents_own_name():
    text = "Cascade Anatomic Pathology Associates\n" + SAMPLES[Category.PATHOLOGY]
    assert classify_text(text).title == "SURGICAL PATHOLOGY REPORT"


def test_quoted_results_do_not_turn_a_note_into_a_lab_or_pathology_report():
    text = """DISCHARGE SUMMARY
Hospital course:
Admitted for pneumonia.
Pertinent results:
Reference range 4.0-10.5, Hemoglobin 10.1, WBC 12.0, creatinine, sodium, potassium
Gross description:
Final diagnosis:
Discharge medications:
Amoxicillin."""
    assert classify_text(text).category is Category.DISCHARGE


def test_header_words_inside_sentences_do_not_count():
    text = "We reviewed the findings and our impression is that the technique was fine."
    assert classify_text(text).category is Category.OTHER


def test_the_file_name_is_only_a_hint_when_the_text_says_too_little():
    result = classify_text("", "Pathology/IMG_0042.jpg")
    assert result.category is Category.PATHOLOGY
    assert result.confidence == "low"
    assert "name" in result.reason
    assert classify_text(SAMPLES[Category.LAB], "Pathology/report.pdf").category is Category.LAB


def test_no_text_and_no_hint_is_other():
    result = classify_text("", "IMG_2231.jpg")
    assert (result.category, result.reason) == (Category.OTHER, "no text to read")


def test_bundled_rules_cover_every_category_and_parse():
    raw = tomllib.loads(
        (resources.files("recordpack") / "data" / "rules" / "categories.toml").read_text()
    )
    ids = {entry["id"] for entry in raw["category"]}
    assert ids == {c.value for c in Category}
    rules = load_category_rules()
    for rule in rules.rules:
        if rule.category not in (Category.IMAGING, Category.OTHER):
            assert rule.titles and rule.headers and rule.keywords, rule.category


def test_plural_and_joined_headers_count():
    text = (
        "PREOPERATIVE DIAGNOSES:\n1. Mass.\nPOSTOPERATIVE DIAGNOSES:\nSame.\nPROCEDURE:\nExcision."
    )
    assert classify_text(text).category is Category.PROCEDURE
    note = "CHIEF COMPLAINT/HISTORY OF PRESENT ILLNESS:\nCough.\nPHYSICAL EXAMINATION:\nClear."
    assert classify_text(note).category is Category.CLINICAL_NOTE


def test_a_results_heading_first_is_the_documents_own_subject():
    printout = "\n".join(["Results", "Date | Test | Value | Reference Range",
                          "SODIUM | 140 mmol/L | 136-145", "POTASSIUM | 4.0 mmol/L | 3.4-5.0",
                          "CREATININE | 0.9 mg/dL | 0.6-1.2", "GLUCOSE | 95 mg/dL"])  # fmt: skip
    assert classify_text(printout).category is Category.LAB
    quoted = (
        "HISTORY OF PRESENT ILLNESS:\nTired.\nRESULTS:\nSodium 140 mmol/L, glucose 95 mg/dL,"
        " potassium 4.0 mmol/L, creatinine 0.9 mg/dL.\nASSESSMENT:\nWell."
    )
    assert classify_text(quoted).category is Category.CLINICAL_NOTE


def test_rhythm_reports_are_cardiology_not_radiology():
    holter = (
        "INDICATION:\nSyncope.\nHOLTER MONITOR SUMMARY ANALYSIS:\nSinus rhythm, heart rate 54 to"
        " 106 beats per minute, occasional premature ventricular contractions.\nIMPRESSION:\nNone."
    )
    assert classify_text(holter).category is Category.CARDIOLOGY
