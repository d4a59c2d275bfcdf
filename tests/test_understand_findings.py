from recordpack.models import Category
from recordpack.understand.findings import MAX_QUOTE, key_findings

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


def test_a_long_conclusion_is_shortened_with_an_ellipsis():
    long = "IMPRESSION:\n" + "word " * 200
    quote = key_findings(long, Category.RADIOLOGY)
    assert len(quote) <= MAX_QUOTE and quote.endswith("…") and quote.startswith("word word")
