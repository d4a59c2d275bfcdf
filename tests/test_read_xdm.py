import datetime as dt
from pathlib import Path

from recordpack.models import Severity
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from recordpack.read.xdm import read_metadata
from tests.builders import pdf_bytes, tree_hashes, zip_bytes

NOTE = ["Findings are stable.", "No new lesions are seen on this examination."]


def metadata(documents: list[tuple[str, str, str, int]]) -> bytes:
    """An XDM submission set's METADATA.XML (ebRIM 3.0): URI, title, service time, size."""
    objects = "".join(
        f"""<rim:ExtrinsicObject id="Document{n}" mimeType="application/pdf">
      <rim:Slot name="URI"><rim:ValueList><rim:Value>{uri}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="creationTime"><rim:ValueList><rim:Value>20260105</rim:Value>
        </rim:ValueList></rim:Slot>
      <rim:Slot name="serviceStartTime"><rim:ValueList><rim:Value>{service}</rim:Value>
        </rim:ValueList></rim:Slot>
      <rim:Slot name="size"><rim:ValueList><rim:Value>{size}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Name><rim:LocalizedString value="{title}"/></rim:Name>
    </rim:ExtrinsicObject>"""
        for n, (uri, title, service, size) in enumerate(documents, start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
    xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <rim:RegistryObjectList>{objects}</rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>""".encode()


def media(size_of_second: int | None = None) -> dict[str, bytes]:
    first, second = pdf_bytes(NOTE), pdf_bytes(["Dear colleague, thank you for the referral."])
    index = metadata(
        [
            ("DOC0001.PDF", "CT chest with contrast", "20251103093000", len(first)),
            ("DOC0002.PDF", "Thoracic surgery letter", "20251110", size_of_second or len(second)),
        ]
    )
    return {
        "README.TXT": b"Medical records export",
        "INDEX.HTM": b"<html><body>Records</body></html>",
        "IHE_XDM/SUBSET01/METADATA.XML": index,
        "IHE_XDM/SUBSET01/DOC0001.PDF": first,
        "IHE_XDM/SUBSET01/DOC0002.PDF": second,
    }


def test_the_index_gives_titles_and_service_dates_to_documents_in_a_zip(tmp_path: Path):
    (tmp_path / "export.zip").write_bytes(zip_bytes(media()))
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    items = {i.sources[0].path: i for i in inventory.items}
    ct = items["IHE_XDM/SUBSET01/DOC0001.PDF"]
    assert ct.title == "CT chest with contrast"
    assert (ct.date, ct.date_source) == (dt.date(2025, 11, 3), "xdm:service")
    assert not ct.file_dated
    assert items["IHE_XDM/SUBSET01/DOC0002.PDF"].title == "Thoracic surgery letter"
    assert not [p for p in inventory.problems if p.severity is not Severity.INFO]


def test_the_same_media_copied_to_a_folder_is_read_the_same(tmp_path: Path):
    for name, data in media().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    before = tree_hashes(tmp_path)
    items = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).items
    assert {i.title for i in items} == {"CT chest with contrast", "Thoracic surgery letter"}
    assert tree_hashes(tmp_path) == before


def test_a_size_that_disagrees_with_the_index_is_reported(tmp_path: Path):
    (tmp_path / "export.zip").write_bytes(zip_bytes(media(size_of_second=99_999)))
    problems = scan_folder(tmp_path, ReadOptions(ocr_lang=None)).problems
    [warning] = [p for p in problems if p.severity is Severity.WARNING]
    assert warning.path == "export.zip!IHE_XDM/SUBSET01/DOC0002.PDF"
    assert "99,999" in warning.message and warning.hint


def test_a_damaged_or_hostile_index_is_a_warning_and_the_documents_are_still_read(
    tmp_path: Path,
):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<x>&b;</x>"
    )
    assert read_metadata(bomb, "IHE_XDM/S/METADATA.XML")[0] == {}
    files = media() | {"IHE_XDM/SUBSET01/METADATA.XML": b"<rim:Submit"}
    (tmp_path / "export.zip").write_bytes(zip_bytes(files))
    inventory = scan_folder(tmp_path, ReadOptions(ocr_lang=None))
    assert len(inventory.items) == 2
    [warning] = [p for p in inventory.problems if p.severity is Severity.WARNING]
    assert "XDM index could not be read" in warning.message
    assert warning.path == "export.zip!IHE_XDM/SUBSET01/METADATA.XML"
