"""Generate the synthetic example patient folder: a breast-cancer work-up over ~18 months.

Everything here is invented. The folder is messy on purpose, as real ones are: portal names
(``download (3).pdf``), a phone photo, a zip from a patient portal, a copy of an imaging CD with
DICOMDIR and extensionless files, one duplicate, and mixed date styles. Seeded and reproducible:

    python examples/make_examples.py            # writes examples/dana-whitfield/
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import shutil
import zipfile
from array import array
from pathlib import Path

import pikepdf
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

SEED = 20260930
PATIENT = "WHITFIELD, DANA M"
DOB = "07/22/1968"
MRN = "448812"
IDENT = f"Patient: {PATIENT}    DOB: {DOB}    MRN: {MRN}"
FIXED = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
ZIP_TIME = (2026, 10, 2, 9, 0, 0)

# Each document: file name, facility, lines. Lines ending in ":" or in capitals are printed bold.
DOCUMENTS: dict[str, tuple[str, list[str]]] = {
    "Imaging reports/mammogram.pdf": (
        "Lakeside Breast Imaging Center - 400 Harbor Ave, Portland OR",
        [
            "DIAGNOSTIC MAMMOGRAM BILATERAL WITH TOMOSYNTHESIS",
            IDENT,
            "Exam date: 04/28/2025    Accession: LBI-25-0419",
            "Referring physician: Helen Park, MD",
            "",
            "Clinical indication: Palpable lump, left breast, upper outer quadrant.",
            "Technique: Bilateral CC and MLO views with tomosynthesis; spot compression left.",
            "Comparison: Screening mammogram 03/15/2023.",
            "Findings:",
            "The breasts are heterogeneously dense, which may obscure small masses.",
            "Left breast 2 o'clock, 6 cm from the nipple: irregular mass 1.6 cm with spiculated",
            "margins, corresponding to the palpable finding. No suspicious calcifications.",
            "Right breast: no suspicious mass, calcification or architectural distortion.",
            "Impression:",
            "Left breast irregular spiculated mass, highly suggestive of malignancy.",
            "BI-RADS 5. Ultrasound-guided core biopsy recommended.",
            "",
            "Electronically signed: Samuel Ortiz, MD, Radiologist  04/28/2025 16:40",
        ],
    ),
    "scan0007.pdf": (
        "Lakeside Breast Imaging Center - 400 Harbor Ave, Portland OR",
        [
            "BREAST ULTRASOUND LEFT, LIMITED",
            IDENT,
            "Date of exam: 28 Apr 2025",
            "",
            "Indication: Mammographic mass, left breast 2 o'clock.",
            "Technique: Targeted grayscale and color Doppler ultrasound of the left breast and axilla.",
            "Findings:",
            "At 2 o'clock, 6 cm from the nipple, an irregular hypoechoic mass measures",
            "1.7 x 1.3 x 1.4 cm with angular margins and posterior shadowing.",
            "Left axilla: one lymph node with cortical thickening to 4 mm.",
            "Impression:",
            "1. Suspicious left breast mass, BI-RADS 5: ultrasound-guided core biopsy.",
            "2. Indeterminate left axillary lymph node: biopsy recommended.",
            "",
            "Electronically signed: Samuel Ortiz, MD  04/29/2025",
        ],
    ),
    "Pathology/core biopsy path report.pdf": (
        "Cascade Pathology Associates - Department of Anatomic Pathology",
        [
            "SURGICAL PATHOLOGY REPORT",
            IDENT,
            "Case: S25-10422    Date of procedure: 05-MAY-2025    Received: 05-MAY-2025",
            "Submitting physician: Samuel Ortiz, MD",
            "",
            "Clinical history: Left breast mass 1.7 cm, BI-RADS 5 on imaging of 04/28/2025.",
            "Specimen(s) received:",
            "A. Left breast, 2 o'clock, ultrasound-guided core needle biopsy",
            "B. Left axillary lymph node, core needle biopsy",
            "Gross description:",
            "A. Received in formalin, labeled with the patient's name: four cores, 1.2-1.5 cm.",
            "B. Received in formalin: two cores, 0.8 cm. Entirely submitted.",
            "Microscopic description:",
            "A. Infiltrating ductal carcinoma forming nests and cords in desmoplastic stroma.",
            "Final diagnosis:",
            "A. LEFT BREAST, CORE BIOPSY: INVASIVE DUCTAL CARCINOMA, Nottingham grade 2",
            "   (tubules 3, nuclei 2, mitoses 1). Ductal carcinoma in situ not identified.",
            "B. LEFT AXILLARY LYMPH NODE, CORE BIOPSY: metastatic carcinoma.",
            "Ancillary studies (block A1):",
            "Estrogen receptor (ER): positive, 95% of cells, strong intensity",
            "Progesterone receptor (PR): positive, 40%, moderate intensity",
            "HER2 (IHC): 1+, negative",
            "Ki-67: 18%",
            "",
            "Electronically signed out by: Priya Raman, MD, Pathologist  05/08/2025",
        ],
    ),
    "MRI breast report.pdf": (
        "Portland Regional Medical Center - Department of Radiology",
        [
            "MRI BREAST BILATERAL WITH AND WITHOUT CONTRAST",
            IDENT,
            "Exam date: 05/20/2025",
            "",
            "Indication: Newly diagnosed left breast invasive ductal carcinoma; extent of disease.",
            "Technique: Axial T1, T2 fat-saturated and dynamic contrast-enhanced images after",
            "7 mL gadobutrol. Subtraction and MIP reconstructions.",
            "Comparison: Mammogram and ultrasound of 04/28/2025.",
            "Findings:",
            "Left breast 2 o'clock: irregular enhancing mass 1.9 x 1.5 x 1.6 cm with washout",
            "kinetics and biopsy clip artifact. No additional suspicious enhancement.",
            "Right breast: no suspicious enhancement. Left axilla: one enlarged node.",
            "Impression:",
            "Known left breast carcinoma measuring 1.9 cm; single abnormal left axillary node.",
            "No contralateral disease. BI-RADS 6.",
            "",
            "Electronically signed: Ana Lindqvist, MD  05/21/2025",
        ],
    ),
    "download.pdf": (
        "Northwind Medical Laboratory - CLIA #38D0998877",
        [
            "COMPREHENSIVE METABOLIC PANEL",
            IDENT,
            "Collected: Jun 2, 2025 07:50    Received: Jun 2, 2025 09:15    Reported: Jun 2, 2025",
            "Ordering provider: Michael Okafor, MD",
            "",
            "Test                  Result   Flag   Units     Reference Range",
            "Sodium                139             mmol/L    135-145",
            "Potassium             4.2             mmol/L    3.5-5.1",
            "Glucose               104      H      mg/dL     70-99",
            "Creatinine            0.8             mg/dL     0.6-1.1",
            "ALT                   22              U/L       7-35",
            "AST                   19              U/L       10-35",
            "Alkaline phosphatase  84              U/L       40-130",
            "Total bilirubin       0.6             mg/dL     0.2-1.2",
            "Albumin               4.3             g/dL      3.5-5.0",
            "",
            "Result status: Final. Performing lab: Northwind Medical Laboratory.",
        ],
    ),
    "Op note 2025-08-12.pdf": (
        "Portland Regional Medical Center - Department of Surgery",
        [
            "OPERATIVE REPORT",
            IDENT,
            "Date of surgery: 08/12/2025",
            "Surgeon: Laura Chen, MD    Assistant: R. Gomez, PA-C",
            "Anesthesia: General endotracheal",
            "Preoperative diagnosis: Left breast invasive ductal carcinoma, cT1cN1.",
            "Postoperative diagnosis: Same.",
            "Procedure performed: Left partial mastectomy with wire localization; targeted",
            "axillary dissection with sentinel lymph node biopsy.",
            "Estimated blood loss: 30 mL",
            "Specimens: Left breast partial mastectomy (oriented); sentinel nodes x3; clipped node.",
            "Complications: None",
            "Description of procedure:",
            "The patient was brought to the operating room and placed in the supine position.",
            "The left breast and axilla were prepped and draped in the usual sterile fashion and a",
            "time-out was performed. The lesion was excised with the localization wire intact.",
            "Specimen radiograph confirmed the clip and the mass. Three sentinel nodes were found.",
            "The incisions were closed in layers. She went to PACU in stable condition.",
        ],
    ),
    "letter from Dr Okafor.pdf": (
        "Willamette Cancer Institute - Medical Oncology",
        [
            "Medical Oncology Consultation",
            IDENT,
            "Date of visit: 09/03/2025",
            "",
            "Dear Dr Park,",
            "Thank you for referring Ms Whitfield, a 57-year-old woman with left breast cancer.",
            "History of present illness:",
            "She presented in April 2025 with a palpable left breast mass. Core biopsy on",
            "05/05/2025 showed invasive ductal carcinoma, ER+/PR+/HER2-negative, with a positive",
            "axillary node. She underwent left partial mastectomy and targeted axillary dissection",
            "on 08/12/2025: pT1c(1.8 cm) pN1a(2/4), margins negative.",
            "Assessment and plan:",
            "Stage IIA hormone receptor-positive, HER2-negative breast cancer. We discussed adjuvant",
            "chemotherapy versus endocrine therapy alone; a 21-gene recurrence score was ordered.",
            "Radiation oncology referral placed. ECOG performance status 0.",
            "Follow up in 3 weeks with the genomic result.",
            "",
            "Yours sincerely,",
            "Michael Okafor, MD",
        ],
    ),
    "Genetic test results.pdf": (
        "Helix Diagnostics Genomics Laboratory - CLIA #05D2233445",
        [
            "HEREDITARY CANCER PANEL - GERMLINE TESTING",
            IDENT,
            "Specimen collected: 2025-06-10    Report date: 2025-06-30",
            "",
            "Result: NEGATIVE - no pathogenic or likely pathogenic variants identified.",
            "Genes analyzed: ATM, BRCA1, BRCA2, CDH1, CHEK2, PALB2, PTEN, STK11, TP53",
            "Variant of uncertain significance: CHEK2 c.1427C>T p.(Thr476Met), heterozygous",
            "Interpretation:",
            "No germline variant explains the personal history. The VUS should not be used for",
            "clinical decisions. Genetic counseling is recommended.",
            "Methodology: Next-generation sequencing, GRCh38; deletion/duplication analysis.",
        ],
    ),
    "Imaging reports/mammo followup.pdf": (
        "Lakeside Breast Imaging Center - 400 Harbor Ave, Portland OR",
        [
            "DIAGNOSTIC MAMMOGRAM BILATERAL - POST-TREATMENT",
            IDENT,
            "Exam date: 08/18/2026",
            "",
            "Comparison: 04/28/2025.",
            "Findings: Post-lumpectomy changes in the left breast with stable scar and clips.",
            "No new mass or suspicious calcifications in either breast.",
            "Impression: Expected post-treatment changes. BI-RADS 2, benign.",
            "Electronically signed: Samuel Ortiz, MD  08/18/2026",
        ],
    ),
}

PORTAL_ZIP: dict[str, tuple[str, list[str]]] = {
    "MyChart/Pathology/surgical_pathology.pdf": (
        "Cascade Pathology Associates - Department of Anatomic Pathology",
        [
            "SURGICAL PATHOLOGY REPORT",
            IDENT,
            "Case: S25-18733    Date of procedure: August 12, 2025    Signed out: August 15, 2025",
            "",
            "Specimen(s) received:",
            "A. Left breast, partial mastectomy, oriented",
            "B-D. Left axillary sentinel lymph nodes #1-3",
            "Gross description:",
            "A. Received fresh: oriented partial mastectomy 7.0 x 5.5 x 3.2 cm with clip and wire.",
            "Microscopic description:",
            "A. Invasive ductal carcinoma, treatment-naive, with associated DCIS (10%).",
            "Final diagnosis:",
            "A. LEFT BREAST, PARTIAL MASTECTOMY: INVASIVE DUCTAL CARCINOMA, 1.8 cm, grade 2.",
            "   Margins negative; closest margin 4 mm (superior).",
            "B-D. LYMPH NODES: metastatic carcinoma in 2 of 4 (largest deposit 6 mm).",
            "Cancer case summary:",
            "Histologic type: Invasive carcinoma of no special type (ductal)",
            "Histologic grade: Nottingham grade 2",
            "Lymphovascular invasion: Not identified",
            "Pathologic stage classification (pTNM, AJCC 8th): pT1c pN1a",
            "ER positive (95%), PR positive (35%), HER2 IHC 1+ (negative) - repeated on block A3.",
        ],
    ),
    "MyChart/Labs/Lab Results - CBC.pdf": (
        "Northwind Medical Laboratory - CLIA #38D0998877",
        [
            "COMPLETE BLOOD COUNT (CBC) WITH DIFFERENTIAL",
            IDENT,
            "Collected: 10/14/2026 08:05    Received: 10/14/2026 09:30    Reported: 10/14/2026",
            "",
            "Test             Result   Flag   Units       Reference Range",
            "WBC              5.8             10^3/uL     4.0-10.5",
            "Hemoglobin       12.9            g/dL        12.0-15.5",
            "Hematocrit       38.7            %           36-46",
            "Platelets        244             10^3/uL     150-400",
            "Neutrophils      3.4             10^3/uL     1.8-7.7",
            "Lymphocytes      1.7             10^3/uL     1.0-4.8",
            "",
            "Result status: Final.",
        ],
    ),
    "MyChart/Visit summary.txt": (
        "",
        [
            "Willamette Cancer Institute - Medical Oncology",
            "Progress Note",
            IDENT,
            "Date of service: 10/16/2026",
            "",
            "Subjective:",
            "Doing well on letrozole since November 2025; mild arthralgia.",
            "Assessment and plan:",
            "Stage IIA ER+/PR+/HER2- left breast cancer, no evidence of disease. Continue",
            "letrozole. Bone density scan ordered. Second opinion requested by the patient on",
            "extending endocrine therapy beyond 5 years.",
            "Return to clinic in 3 months.",
        ],
    ),
}

# A hospital records office's release: three reports in one PDF, each with its own page
# counter; each must come out as an item of its own.
RELEASE = "Records release - Portland Regional.pdf"
RELEASE_REPORTS: list[tuple[str, list[str]]] = [
    (
        "Portland Regional Medical Center - Cardiology",
        [
            "TRANSTHORACIC ECHOCARDIOGRAM",
            IDENT,
            "Date of study: 06/20/2025",
            "Indication: Baseline cardiac function before systemic breast cancer therapy.",
            "Findings:",
            "Left ventricle: normal size and wall thickness. Normal systolic function.",
            "Ejection fraction 62% (biplane). No regional wall motion abnormality.",
            "Valves: trace mitral regurgitation. No stenosis.",
            "Right ventricle: normal size and function. No pericardial effusion.",
            "Conclusion:",
            "Normal left ventricular size and systolic function, LVEF 62%.",
            "Electronically signed by Anita Rao, MD 06/20/2025",
        ],
    ),
    (
        "Portland Regional Medical Center - Radiology",
        [
            "XR CHEST 2 VIEWS",
            IDENT,
            "Exam date: 08/05/2025",
            "Indication: Preoperative evaluation.",
            "Comparison: None.",
            "Findings: The lungs are clear. No pleural effusion or pneumothorax.",
            "Heart size is normal. No suspicious osseous lesion.",
            "Impression:",
            "No acute cardiopulmonary process.",
            "Electronically signed by Peter Lindqvist, MD 08/05/2025",
        ],
    ),
    (
        "Portland Regional Medical Center - Radiation Oncology",
        [
            "RADIATION ONCOLOGY CONSULTATION",
            IDENT,
            "Date of service: 09/17/2025",
            "Referring physician: Michael Okafor, MD",
            "",
            "Reason for consultation:",
            "Adjuvant radiation after left partial mastectomy for invasive ductal carcinoma.",
            "",
            "History of present illness:",
            "Ms Whitfield is a 57-year-old woman who presented in April 2025 with a palpable",
            "left breast mass. Diagnostic mammogram and ultrasound showed a 1.9 cm irregular mass",
            "at 2 o'clock with an abnormal axillary node. Core biopsy on 05/05/2025 showed",
            "invasive ductal carcinoma, grade 2, ER 95%, PR 60%, HER2 1+ (negative), and the",
            "axillary node was positive. Breast MRI on 05/20/2025 showed a single lesion.",
            "She underwent left partial mastectomy with targeted axillary dissection on",
            "08/12/2025. Final pathology: 1.8 cm invasive ductal carcinoma, margins negative",
            "(closest 4 mm, anterior), 2 of 4 lymph nodes positive, no extranodal extension.",
            "She has recovered well from surgery and the incisions have healed.",
            "",
            "Past medical history:",
            "Hypertension, treated. Osteopenia. No prior radiation. No connective tissue disease.",
            "",
            "Medications:",
            "Lisinopril 10 mg daily. Calcium and vitamin D.",
            "",
            "Allergies:",
            "Penicillin (rash).",
            "",
            "Social history:",
            "Works as a school librarian. Never smoker. Lives with her husband.",
            "",
            "Family history:",
            "Mother with breast cancer at 61. Germline panel negative (06/10/2025).",
            "",
            "Physical examination:",
            "Well-appearing. Left breast: healed lateral incision, no seroma, mild edema.",
            "Left axilla: healed incision, no palpable adenopathy. Full shoulder range of motion.",
            "No lymphedema of the left arm. Right breast and axilla normal.",
            "",
            "Assessment:",
            "pT1c pN1a (2/4) M0, stage IIA, hormone receptor-positive, HER2-negative left breast",
            "cancer after breast-conserving surgery and targeted axillary dissection.",
            "",
            "Plan:",
            "Whole breast radiation with regional nodal irradiation, 40 Gy in 15 fractions,",
            "with a tumor bed boost, after any adjuvant chemotherapy. Deep inspiration breath",
            "hold for cardiac sparing. Risks discussed: fatigue, skin reaction, lymphedema,",
            "pneumonitis, and rare cardiac toxicity. She wishes to proceed.",
            "CT simulation will be scheduled once the systemic therapy plan is final.",
            "",
            "Electronically signed by Sara Nguyen, MD 09/17/2025",
        ],
    ),
]


def release_bytes() -> bytes:
    """Reports joined into one PDF, as a records office releases them (each keeps its footer)."""
    joined = pikepdf.new()
    for facility, lines in RELEASE_REPORTS:
        joined.pages.extend(pikepdf.open(io.BytesIO(pdf_bytes(facility, lines))).pages)
    out = io.BytesIO()
    joined.save(out, deterministic_id=True)
    return out.getvalue()


# A lab report sent by the portal twice: the copy must count once.
DUPLICATE = ("Portal downloads/download (3).pdf", "Portal downloads/download (4).pdf")
CBC_2025: tuple[str, list[str]] = (
    "Northwind Medical Laboratory - CLIA #38D0998877",
    [
        "COMPLETE BLOOD COUNT (CBC) WITH DIFFERENTIAL",
        IDENT,
        "Collected: 05/14/2025 07:42    Received: 05/14/2025 08:30    Reported: 05/14/2025",
        "",
        "Test             Result   Flag   Units       Reference Range",
        "WBC              6.1             10^3/uL     4.0-10.5",
        "Hemoglobin       13.4            g/dL        12.0-15.5",
        "Hematocrit       40.2            %           36-46",
        "Platelets        268             10^3/uL     150-400",
        "",
        "Tumor markers:",
        "CA 15-3          24.0            U/mL        0-31",
        "CEA              1.9             ng/mL       0-3.0",
        "",
        "Result status: Final.",
    ],
)

MED_LIST = [
    "MY MEDICATION LIST",
    "Dana Whitfield   DOB 07/22/1968",
    "List as of: 09/30/2026",
    "",
    "Letrozole 2.5 mg tablet - 1 by mouth daily",
    "Calcium + vitamin D 600 mg/800 IU - twice daily",
    "Lisinopril 10 mg tablet - 1 by mouth daily",
    "Ibuprofen 400 mg - as needed for joint pain",
    "",
    "Allergies: penicillin (rash)",
]


PATIENT_FILE = """\
# The patient file for the example: read by `recordpack build` from the records folder.
name = "Dana M Whitfield"
dob = 1968-07-22
sex = "F"
condition = "breast-cancer"
consult_date = 2026-12-08
questions = [
  "Should I continue letrozole beyond 5 years, given stage IIA ER+/HER2- disease with 2 positive nodes?",
  "Is the missing 21-gene recurrence score still worth obtaining now?",
]
treating = ["Michael Okafor, MD, medical oncology, Willamette Cancer Institute",
            "Laura Chen, MD, breast surgery, Portland Regional Medical Center"]
referring = "Helen Park, MD, primary care"
medications = ["letrozole 2.5 mg daily", "calcium + vitamin D twice daily", "lisinopril 10 mg daily"]
allergies = ["penicillin (rash)"]
history = \"\"\"Left breast invasive ductal carcinoma found on a palpable lump in April 2025;
lumpectomy and targeted axillary dissection in August 2025 (pT1c pN1a); adjuvant
radiation; letrozole since November 2025.\"\"\"

[identifiers]
MRN = "448812"

[[physical]]
what = "pathology slides and blocks, core biopsy and lumpectomy"
from = "Cascade Pathology Associates"
accession = "S25-10422, S25-18733"
requested = 2026-11-10

# Holders of records, for `recordpack request` (all addresses are fictional).
[[provider]]
name = "Cascade Pathology Associates"
department = "Release of information"
address = "1200 NW Example Avenue, Portland, OR 97209"
fax = "+1 503 555 0142"
holds = ["pathology"]

[[provider]]
name = "Willamette Cancer Institute"
department = "Health information management"
address = "4400 SW Example Road, Portland, OR 97239"
email = "records@wci.example"
holds = ["genomic-assay", "clinical-note"]

[[request]]
provider = "Cascade Pathology Associates"
sent = 2026-11-10
items = ["slides"]
"""


def pdf_bytes(facility: str, lines: list[str], *, printed: str = "10/02/2026") -> bytes:
    """A report as a real PDF: facility banner, body, and a portal print stamp in the footer."""
    pdf = _Report(format="letter")
    pdf.stamp = f"Printed {printed} from patient portal."
    pdf.set_creation_date(FIXED)
    pdf.set_title(lines[0].title() if lines else "")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    if facility:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(text=facility, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    for n, line in enumerate(lines):
        heading = n == 0 or (line.endswith(":") and len(line) < 40)
        pdf.set_font("Courier" if "  " in line.strip() else "Helvetica", "B" if heading else "",
                     13 if n == 0 else 10)
        pdf.multi_cell(w=0, h=5.5, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class _Report(FPDF):
    """A report page with the portal's print stamp in the footer, as portal printouts have."""

    stamp = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "I", 7)
        self.cell(text=f"{self.stamp} Page {self.page_no()} of {{nb}}")


def photo_bytes(rng: random.Random) -> bytes:
    """A phone photo of a paper medication list: off-white, slightly rotated, with EXIF date."""
    page = Image.new("L", (1240, 1600), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=34)
    y = 120
    for line in MED_LIST:
        draw.text((110, y), line, fill=25, font=font)
        y += 62
    page = page.rotate(rng.uniform(-3, 3), expand=True, fillcolor=140)
    noise = Image.effect_noise(page.size, 12).point(lambda v: v // 8)
    page = Image.blend(page, noise, 0.08).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Google"
    exif[0x0110] = "Pixel 7"
    exif.get_ifd(0x8769)[0x9003] = "2026:09:30 18:22:05"
    out = io.BytesIO()
    page.save(out, "JPEG", quality=70, exif=exif)
    return out.getvalue()


def write_dicom_cd(folder: Path, rng: random.Random) -> None:
    """A copy of an imaging CD: an MR breast study of two small series, with a DICOMDIR."""
    staging = folder.parent / ".dicom-staging"
    staging.mkdir(parents=True, exist_ok=True)
    study_uid = generate_uid(entropy_srcs=[str(SEED), "study"])
    fs = FileSet()
    fs.UID = generate_uid(entropy_srcs=[str(SEED), "file-set"])
    fs.ID = "WHITFIELD"
    for series_no, description in ((1, "AX T1 PRE"), (2, "AX T1 POST DYN")):
        series_uid = generate_uid(entropy_srcs=[str(SEED), "series", str(series_no)])
        for instance in range(1, 5):
            sop_uid = generate_uid(entropy_srcs=[str(SEED), "sop", str(series_no), str(instance)])
            ds = _mr_slice(study_uid, series_uid, sop_uid, series_no, description, instance, rng)
            path = staging / f"{series_no}-{instance}.dcm"
            ds.save_as(path, enforce_file_format=True)
            fs.add(path)
    fs.write(folder)
    shutil.rmtree(staging)


def _mr_slice(study_uid: str, series_uid: str, sop_uid: str, series_no: int, description: str,
              instance: int, rng: random.Random) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = "20250520"
    ds.StudyTime = "101500"
    ds.Modality = "MR"
    ds.Manufacturer = "Synthetic"
    ds.InstitutionName = "Portland Regional Medical Center"
    ds.StudyDescription = "MRI BREAST BILATERAL W/WO CONTRAST"
    ds.SeriesDescription = description
    ds.BodyPartExamined = "BREAST"
    ds.PatientName = "WHITFIELD^DANA^M"
    ds.PatientID = MRN
    ds.PatientBirthDate = "19680722"
    ds.PatientSex = "F"
    ds.AccessionNumber = "PRMC-25-55120"
    ds.StudyID = "1"
    ds.SeriesNumber = series_no
    ds.InstanceNumber = instance
    ds.SliceLocation = float(instance * 4)
    ds.ImagePositionPatient = [0.0, 0.0, float(instance * 4)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [2.5, 2.5]
    ds.SliceThickness = 4.0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = 600
    ds.WindowWidth = 1200
    enhance = 1.8 if series_no == 2 else 1.0
    pixels = array("H")
    for y in range(64):
        for x in range(64):
            breast = ((x - 32) / 30) ** 2 + ((y - 40) / 22) ** 2 < 1
            lesion = ((x - 22) / 4) ** 2 + ((y - 34) / 4) ** 2 < 1 and instance in (2, 3)
            value = 300 + rng.randint(0, 60) if breast else rng.randint(0, 20)
            if lesion:
                value = int(700 * enhance)
            pixels.append(min(value, 4095))
    ds.PixelData = pixels.tobytes()
    return ds


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """A portal download: a zip with fixed timestamps so it is byte-for-byte reproducible."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def build(target: Path) -> None:
    """Write the whole example folder into ``target`` (replacing it)."""
    rng = random.Random(SEED)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, (facility, lines) in DOCUMENTS.items():
        _write(target / name, pdf_bytes(facility, lines))
    cbc = pdf_bytes(*CBC_2025)
    for name in DUPLICATE:
        _write(target / name, cbc)
    _write(target / RELEASE, release_bytes())
    _write(target / "Meds" / "IMG_2231.jpg", photo_bytes(rng))
    members = {
        name: ("\n".join(lines) + "\n").encode() if name.endswith(".txt") else pdf_bytes(facility, lines)
        for name, (facility, lines) in PORTAL_ZIP.items()
    }
    write_zip(target / "MyChart_export_2026-10-20.zip", members)
    write_dicom_cd(target / "MRI CD 2025-05-20", rng)
    _write(target / "patient.toml", PATIENT_FILE.encode())


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main() -> None:
    """Command line: ``python examples/make_examples.py [TARGET]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", type=Path,
                        default=Path(__file__).parent / "dana-whitfield")
    build(parser.parse_args().target)


if __name__ == "__main__":
    main()
