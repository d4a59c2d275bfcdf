import pytest
from hypothesis import given
from hypothesis import strategies as st

from recordpack.models import Category
from recordpack.understand.findings import MAX_SECTION, is_pending, key_findings

PATHOLOGY = """SURGICAL PATHOLOGY REPORT
SPECIMEN: Left breast, core biopsy
FINAL DIAGNOSIS:
Invasive ductal carcinoma,
Nottingham grade 2.
ANCILLARY STUDIES (block A1):
ER positive."""


def test_the_conclusion_is_quoted_verbatim_up_to_the_next_header():
    assert key_findings(PATHOLOGY, Category.PATHOLOGY) == (
        "Invasive ductal carcinoma, Nottingham grade 2."
    )
    report = "FINDINGS:\nA 9 mm mass.\nIMPRESSION: BI-RADS 4. Biopsy recommended.\n\nSigned."
    assert key_findings(report, Category.RADIOLOGY) == "BI-RADS 4. Biopsy recommended."


def test_only_reports_whose_conclusion_a_doctor_reads_first():
    assert key_findings(PATHOLOGY, Category.CLINICAL_NOTE) == ""
    assert key_findings("No conclusion here.", Category.RADIOLOGY) == ""


def test_a_sentence_that_starts_with_a_heading_word_is_not_a_heading():
    report = "FINDINGS:\nImpression of a heterogeneous liver on this study.\nNo ascites."
    assert key_findings(report, Category.RADIOLOGY) == ""


@pytest.mark.parametrize("heading", ["IMPRESSIONS:", "Impressions", "CONCLUSIONS :", "Conclusion"])
def test_plural_headings_leave_nothing_of_their_own_in_the_quote(heading: str):
    report = f"FINDINGS:\nSmall cyst.\n{heading}\nSimple renal cyst, no follow-up needed.\n"
    assert key_findings(report, Category.RADIOLOGY) == "Simple renal cyst, no follow-up needed."


def test_a_summary_outranks_an_interpretation_paragraph():
    echo = (
        "INTERPRETATION:\nThe left ventricle is normal in size. The aortic valve is thickened\n"
        "with reduced opening.\n\nIN SUMMARY:\n1. Moderate aortic stenosis.\n"
        "2. Normal LV function.\n"
    )
    assert key_findings(echo, Category.CARDIOLOGY) == (
        "1. Moderate aortic stenosis. 2. Normal LV function."
    )


def test_a_numbered_list_runs_across_blank_lines():
    ct = (
        "IMPRESSION:\n1. No pulmonary embolism.\n\n2. Numerous subcentimeter nodules;\n"
        "consider chest CT in 3 months.\n\nElectronically signed by the radiologist."
    )
    assert key_findings(ct, Category.RADIOLOGY) == (
        "1. No pulmonary embolism. 2. Numerous subcentimeter nodules; "
        "consider chest CT in 3 months."
    )


def test_a_sentence_cut_by_a_blank_line_goes_on_but_a_new_paragraph_does_not():
    cut = "IMPRESSION:\nMass in the right lobe measuring\n\n4 cm, suspicious.\n\nThank you."
    assert (
        key_findings(cut, Category.RADIOLOGY)
        == "Mass in the right lobe measuring 4 cm, suspicious."
    )
    whole = "IMPRESSION:\nNormal study.\n\nThe patient tolerated the exam well."
    assert key_findings(whole, Category.RADIOLOGY) == "Normal study."


def test_a_short_capital_heading_after_a_finished_sentence_ends_the_section():
    note = "IMPRESSION:\n1. Pacemaker implanted.\n2. No complications.\nPLAN\n1. Chest x-ray.\n"
    assert key_findings(note, Category.PROCEDURE) == "1. Pacemaker implanted. 2. No complications."


def test_a_diagnostic_opinion_is_quoted():
    report = (
        "GROSS DESCRIPTION:\nProstate, 45 g.\nDIAGNOSTIC OPINION:\nAdenocarcinoma, Gleason 9.\n"
    )
    assert key_findings(report, Category.PATHOLOGY) == "Adenocarcinoma, Gleason 9."


@pytest.mark.parametrize(
    "heading, text",
    [
        ("CONCLUSIE:", "Geen afwijkingen."),
        ("Beurteilung:", "Kein Nachweis einer Metastase."),
        ("Conclusion :", "Pas d'anomalie."),
        ("CONCLUSIÓN:", "Sin hallazgos patológicos."),
    ],
)
def test_conclusions_in_dutch_german_french_and_spanish(heading: str, text: str):
    assert key_findings(f"Verslag\n{heading}\n{text}\n", Category.RADIOLOGY) == text


def test_an_operative_note_quotes_its_postoperative_diagnosis_not_its_narrative():
    note = (
        "PREOPERATIVE DIAGNOSIS:\nInguinal hernia.\nPOSTOPERATIVE DIAGNOSIS:\n"
        "Left indirect inguinal hernia.\nSUMMARY:\nThe patient was placed supine and draped.\n"
    )
    assert key_findings(note, Category.PROCEDURE) == "Left indirect inguinal hernia."


def test_an_earlier_diagnosis_heading_yields_to_the_impression():
    check = "DIAGNOSIS:\nCardiomyopathy.\nFINDINGS:\nLeads fine.\nIMPRESSION:\nNormal device.\n"
    assert key_findings(check, Category.CARDIOLOGY) == "Normal device."


def test_a_pending_result_is_pending():
    quote = key_findings("FINAL DIAGNOSIS:\nTo follow.\n-----------\nLab ID", Category.PATHOLOGY)
    assert quote == "To follow." and is_pending(quote)
    assert not is_pending(
        "Adenocarcinoma; a further stain is pending on block A2, ER/PR/HER2 "
        "to follow in an addendum once the block is recut."
    )


def test_a_long_conclusion_is_kept_whole_up_to_a_bound():
    long = "IMPRESSION:\n" + "word " * 400
    quote = key_findings(long, Category.RADIOLOGY)
    assert len(quote) <= MAX_SECTION and quote.endswith("…") and quote.startswith("word word")
    assert len(key_findings("IMPRESSION:\n" + "word " * 100, Category.RADIOLOGY)) == 499


@given(st.text(alphabet=st.sampled_from("IMPRESON:CLUSIA \n1.-ab"), max_size=400))
def test_any_text_gives_a_bounded_quote(text: str):
    for category in (Category.RADIOLOGY, Category.PROCEDURE, Category.PATHOLOGY):
        assert len(key_findings(text, category)) <= MAX_SECTION
