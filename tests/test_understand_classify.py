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
    printout = "\n".join(
        [
            "Results",
            "Date | Test | Value | Reference Range",
            "SODIUM | 140 mmol/L | 136-145",
            "POTASSIUM | 4.0 mmol/L | 3.4-5.0",
            "CREATININE | 0.9 mg/dL | 0.6-1.2",
            "GLUCOSE | 95 mg/dL",
        ]
    )
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


def test_the_value_of_a_naming_label_is_the_documents_title():
    text = (
        "EXAM:\nRight heart catheterization\nREASON FOR EXAM:\nDyspnea.\nFINDINGS:\n"
        "Pressures were measured.\nIMPRESSION:\nMild pulmonary hypertension."
    )
    result = classify_text(text)
    assert result.category is Category.CARDIOLOGY
    assert "title 'heart catheterization'" in result.reason
    same_line = classify_text("PROCEDURE DONE: Exercise treadmill stress test.\nFINDINGS:\nNone.")
    assert same_line.category is Category.CARDIOLOGY


def test_a_first_line_header_names_the_document():
    text = "DELIVERY NOTE:\nA healthy infant was born; the placenta was delivered intact."
    assert classify_text(text).category is Category.PROCEDURE
    later = "HISTORY:\nCough.\nDELIVERY NOTE:\nSee above."  # not the first line: no title
    assert "title" not in classify_text(later).reason


def test_a_kind_named_inside_the_story_counts_less_than_a_title():
    text = (
        "Patient had a normal MRI of the brain two years ago and now has vertigo.\n"
        "HISTORY OF PRESENT ILLNESS:\nDizzy for a week.\nASSESSMENT:\nVestibular neuritis.\n"
        "PLAN:\nVestibular therapy."
    )
    result = classify_text(text)
    assert result.category is Category.CLINICAL_NOTE
    assert "named early 'MRI'" not in result.reason


def test_a_result_table_heading_marks_a_lab_printout():
    text = (
        "Community Clinic\nResults\nCode | Description | Value | Unit | Reference Range\nA1 | x | 1"
    )
    result = classify_text(text)
    assert result.category is Category.LAB
    assert "table columns value, unit, reference range" in result.reason
    prose = "The test result was within the reference range and the value was normal."
    assert "table columns" not in classify_text(prose).reason


def test_one_signal_alone_does_not_decide():
    result = classify_text("INTERPRETATION:\nThe answers are reassuring.")
    assert result.category is Category.OTHER
    assert result.reason.startswith("too few signals to decide (headers interpretation")


def test_compound_words_and_specimen_labels_in_other_languages():
    dutch = "Maagbiopten: chronische gastritis, histologische beeld zonder dysplasie."
    assert classify_text(dutch).category is Category.PATHOLOGY
    english = "LEFT BREAST, ULTRASOUND-GUIDED CORE BIOPSY:\nInvasive ductal carcinoma, grade 2."
    assert classify_text(english).category is Category.PATHOLOGY
    story = "The patient underwent a core biopsy last week and is recovering well at home."
    assert classify_text(story).category is not Category.PATHOLOGY


def test_a_dense_specialty_vocabulary_outweighs_a_generic_header():
    text = (
        "INDICATIONS:\nChest pain.\nMEDICATIONS:\nAspirin.\n"
        "DESCRIPTION:\nModified Bruce protocol; sinus rhythm at 70 beats per minute; no ST"
        " depression; atrial fibrillation absent; coronary disease known; left ventricular"
        " function normal; ejection fraction 55%.\nCONCLUSION:\nNegative for ischemia."
    )
    result = classify_text(text)
    assert result.category is Category.CARDIOLOGY
    sparse = text.split("DESCRIPTION")[0] + "DESCRIPTION:\nSinus rhythm, no ST depression."
    assert classify_text(sparse).category is not Category.CARDIOLOGY


PHARMACOGENOMICS = """Gene | Genotype | Predicted phenotype
CYP2D6 | *1/*4 | Intermediate metabolizer
CYP2C19 | *1/*17 | Rapid metabolizer
SLCO1B1 | *1/*1 | Normal function
Allele function was assigned from published star allele definitions."""

CULTURE = """Specimen source: urine, clean catch
Organism identified: Escherichia coli, >100,000 CFU/mL
Antibiotic | MIC | Interpretation
Ampicillin | >=32 | Resistant
Nitrofurantoin | <=16 | Susceptible"""

DUTCH_CT = """Klinische gegevens: follow-up na resectie.
Vergelijking: eerder onderzoek.
Verslag:
Geen nieuwe laesies. Lever normaal.
Conclusie: stabiel beeld."""

LETTER = """Dear Dr Smith,
Thank you for asking me to see Mrs Jones. Her echocardiogram shows an ejection fraction of 55%
with mild mitral regurgitation; her ECG shows sinus rhythm and her stress test was negative for
ischemia. I have recommended she continue her current treatment.
Yours sincerely,"""


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (PHARMACOGENOMICS, Category.GENETICS),
        (CULTURE, Category.LAB),
        (DUTCH_CT, Category.RADIOLOGY),
        (LETTER, Category.CLINICAL_NOTE),
    ],
)
def test_families_read_by_their_general_vocabulary(text: str, category: Category):
    assert classify_text(text).category is category


def test_result_table_headings_run_together_by_extraction_still_count():
    glued = "Patient: A B\nTestResultFlagUnitsReference Range\nSodium 140 mmol/L 135-145"
    result = classify_text(glued)
    assert result.category is Category.LAB and "column" in result.reason
    assert classify_text("Testing results were shared with the family.").category is not (
        Category.LAB
    )
