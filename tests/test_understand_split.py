import io
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from recordpack.models import Kind, Reading
from recordpack.read.pdf import read_pdf
from recordpack.understand.split import split_pages
from tests.builders import pages_pdf

HEAD = "Patient: Alex Example   DOB: 02/03/1970   MRN: 5550001"


def starts(pages: list[list[str]], **kwargs) -> list[int]:
    reading = read_pdf(io.BytesIO(pages_pdf(pages, **kwargs)))
    return [segment.first for segment in split_pages(reading)]


PATHOLOGY = [
    [
        "SURGICAL PATHOLOGY REPORT",
        HEAD,
        "SPECIMEN:",
        "Right breast, core biopsy",
        "FINAL DIAGNOSIS:",
        "Invasive ductal carcinoma.",
        "Page 1 of 2",
    ],
    [
        "SURGICAL PATHOLOGY REPORT",
        HEAD,
        "MICROSCOPIC DESCRIPTION:",
        "Sheets of tumor cells.",
        "Electronically signed by Dr. Path",
        "Page 2 of 2",
    ],
]
CT = [
    [
        "CT CHEST WITH CONTRAST",
        HEAD,
        "INDICATION:",
        "Staging.",
        "FINDINGS:",
        "No nodules.",
        "IMPRESSION:",
        "No metastatic disease.",
        "Electronically signed by Dr. Rad",
    ]
]
LAB = [
    [
        "LABORATORY REPORT",
        HEAD,
        "Collected: 04/12/2025",
        "Test | Result | Units | Reference range",
        "Hemoglobin | 13.2 | g/dL | 12.0-16.0",
    ]
]


def test_a_download_all_file_is_split_into_its_reports():
    assert starts([*PATHOLOGY, *CT, *LAB]) == [0, 2, 3]


def test_a_portal_footer_counting_the_whole_file_does_not_hide_the_reports():
    pages = [*PATHOLOGY, *CT, *LAB]
    footed = [
        [*lines, f"MyPortal download  Page {n + 1} of {len(pages)}"]
        for n, lines in enumerate(pages)
    ]
    assert starts(footed) == [0, 2, 3]


def test_one_report_over_several_pages_is_never_cut():
    running = [
        [
            "DISCHARGE SUMMARY",
            HEAD,
            "Admission date: 01/02/2025",
            "HISTORY:",
            "Admitted with chest pain and shortness",
        ],
        [
            "DISCHARGE SUMMARY",
            HEAD,
            "of breath after climbing stairs.",
            "HOSPITAL COURSE:",
            "Treated and improved.",
        ],
        ["DISCHARGE SUMMARY", HEAD, "DISCHARGE MEDICATIONS:", "Aspirin 81 mg daily."],
    ]
    assert starts(running) == [0]
    continued = [
        [
            "OPERATIVE REPORT",
            HEAD,
            "PREOPERATIVE DIAGNOSIS:",
            "Breast cancer.",
            "PROCEDURE:",
            "Left lumpectomy.",
            "Continued on next page",
        ],
        ["(continued)", "FINDINGS:", "A 2 cm mass.", "The specimen was oriented and"],
        ["sent to pathology.", "ESTIMATED BLOOD LOSS:", "Minimal."],
    ]
    assert starts(continued) == [0]


def test_one_lab_result_per_page_gives_one_report_per_page():
    printouts = [
        [
            "LABORATORY REPORT",
            HEAD,
            f"Collected: 0{month}/10/2025",
            "Test | Result | Units | Reference range",
            f"Glucose | 9{month} | mg/dL | 70-99",
            "Page 1 of 1",
        ]
        for month in (1, 2, 3)
    ]
    assert starts(printouts) == [0, 1, 2]


def test_the_files_own_bookmarks_come_first():
    plain = [["Some text"], ["More text"], ["Other text"], ["Last text"]]
    assert starts(plain, bookmarks={0: "Visit note", 2: "Results"}) == [0, 2]


def test_a_blank_separator_page_stays_with_the_report_before_it():
    assert starts([*CT, [], *LAB]) == [0, 2]


def test_an_unsure_boundary_is_marked_for_a_person_to_check():
    pages = [
        ["Clinic letter", "Dear colleague, thank you for seeing this patient."],
        ["INDICATION:", "Chest pain.", "The exercise test was stopped at 9 minutes."],
    ]
    segments = split_pages(read_pdf(io.BytesIO(pages_pdf(pages))))
    assert [s.first for s in segments] == [0, 1]
    assert not segments[1].sure and "INDICATION" in segments[1].why


page_text = st.text(st.sampled_from("Pag1 of2\nCONTINUED:ab.-"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(page_text, min_size=1, max_size=12), st.sets(st.integers(0, 15)))
def test_segments_cover_every_page_once_in_order(texts, images):
    reading = Reading(
        Kind.PDF, pages=len(texts), page_texts=tuple(texts), image_pages=tuple(sorted(images))
    )
    segments = split_pages(reading)
    assert segments[0].first == 0 and segments[-1].last == len(texts) - 1
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(segments))
    assert all(s.first <= s.last for s in segments)
