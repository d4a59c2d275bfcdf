import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from recordpack.errors import ReadError
from recordpack.models import Category
from recordpack.options import BuildOptions, ReadOptions
from recordpack.pipeline import build_packet, scan_folder
from recordpack.read.cda import looks_like_cda, read_cda


def cda(
    code: str = "18842-5", title: str = "Discharge Summary", *, encounter: bool = True
) -> bytes:
    """A small C-CDA document as portals export them: header, encounter, sections, a table."""
    component = (
        '<componentOf><encompassingEncounter><effectiveTime><low value="20250301"/>'
        '<high value="20250306"/></effectiveTime></encompassingEncounter></componentOf>'
        if encounter
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="{code}" codeSystem="2.16.840.1.113883.6.1"/>
  <title>{title}</title>
  <effectiveTime value="20250310120000+0000"/>
  <recordTarget><patientRole><patient><name><given>Dana</given><family>Whitfield</family></name>
  <administrativeGenderCode code="F" displayName="Female"/>
  <birthTime value="19680722"/></patient></patientRole></recordTarget>
  <author><assignedAuthor><assignedPerson><name><prefix>Dr</prefix><given>Ravi</given>
  <family>Okafor</family></name></assignedPerson><representedOrganization><name>Riverside
  Oncology</name></representedOrganization></assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><name>Portland Regional</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  {component}
  <component><structuredBody>
    <component><section><title>Hospital Course</title>
      <text><paragraph>Admitted with pneumonia &amp; treated with antibiotics.</paragraph></text>
    </section></component>
    <component><section><title>Results</title>
      <text><table><thead><tr><th>Test</th><th>Value</th></tr></thead>
      <tbody><tr><td>Hemoglobin</td><td>12.1 g/dL</td></tr></tbody></table></text>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>""".encode()


def test_a_cda_is_read_as_a_record_with_its_type_title_and_dates():
    assert looks_like_cda(cda()[:4096])
    reading = read_cda(cda())
    assert (reading.doc_type, reading.title) == ("18842-5", "Discharge Summary")
    assert next(iter(reading.dates.items())) == ("cda:discharge", dt.date(2025, 3, 6))
    assert "HOSPITAL COURSE:" in reading.text and "Hemoglobin | 12.1 g/dL" in reading.text
    assert "<" not in reading.text


def test_the_header_says_whose_document_it_is_who_wrote_it_where_and_when():
    lines = read_cda(cda()).text.split("HOSPITAL COURSE:")[0].splitlines()
    assert lines[0] == "DISCHARGE SUMMARY"
    assert {
        "Patient: Dana Whitfield",
        "Date of birth: 1968-07-22",
        "Sex: Female",
        "Author: Dr Ravi Okafor",
        "Author's organisation: Riverside Oncology",
        "Organisation: Portland Regional",
        "Encounter: 2025-03-01 to 2025-03-06",
        "Document created: 2025-03-10",
    } <= set(lines)


def test_the_type_decides_the_category_and_its_date(tmp_path: Path):
    (tmp_path / "export.xml").write_bytes(cda())
    (tmp_path / "op.xml").write_bytes(cda("11504-8", "Operative Report"))
    (tmp_path / "ccd.xml").write_bytes(
        cda("34133-9", "Continuity of Care Document", encounter=False)
    )
    items = {i.sources[0].path: i for i in scan_folder(tmp_path, ReadOptions(ocr_lang=None)).items}
    assert items["export.xml"].category is Category.DISCHARGE
    assert str(items["export.xml"].date) == "2025-03-06"
    assert items["op.xml"].category is Category.PROCEDURE
    assert items["op.xml"].date_source == "cda:encounter"  # no service event: the encounter
    ccd = items["ccd.xml"]
    assert ccd.category is Category.OTHER and ccd.file_dated  # only its creation date
    assert "LOINC 34133-9" in ccd.reason


def test_the_packet_shows_sections_not_xml(tmp_path: Path):
    records = tmp_path / "r"
    records.mkdir()
    (records / "export.xml").write_bytes(cda())
    build_packet(records, BuildOptions(output=tmp_path / "p.pdf", read=ReadOptions(ocr_lang=None)))
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "p.pdf").pages)
    assert "HOSPITAL COURSE" in text and "ClinicalDocument" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&b;</title></ClinicalDocument>',
            "entity declarations",
        ),
        (b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>cut', "damaged C-CDA"),
    ],
)
def test_hostile_or_damaged_xml_is_a_problem(data: bytes, message: str, tmp_path: Path):
    with pytest.raises(ReadError, match=message):
        read_cda(data)
    (tmp_path / "bad.xml").write_bytes(data)
    [problem] = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    assert message in problem.message and problem.hint
