import io

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link

from recordpack.assemble import Part, assemble
from recordpack.layout.cover import stamp_renderer
from tests.builders import pdf_bytes


def with_link(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.invalid/x"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_parts_are_joined_bookmarked_labelled_and_cleaned():
    cover = Part("Cover and index", "", pdf_bytes(["COVER"]), "cover", drawn=True)
    lab = Part("#1 CBC", "Laboratory", with_link(pdf_bytes(["CBC"], pages=2)), "Jane · #1 CBC",
               index=1)  # fmt: skip
    note = Part("#2 Letter", "Clinical notes", pdf_bytes(["LETTER"]), "Jane · #2 Letter", index=2)
    done = assemble([cover, lab, note], title="Medical records: Jane", subject="s",
                    stamps=stamp_renderer(None))  # fmt: skip
    reader = PdfReader(io.BytesIO(done.pdf))
    assert (done.starts, done.total_pages, len(reader.pages)) == ((1, 2, 4), 4, 4)
    assert done.active_content_removed == 1  # the web link in the source page
    assert not reader.pages[1].get("/Annots")
    outline = [
        (o.title if not isinstance(o, list) else [x.title for x in o]) for o in reader.outline
    ]
    assert outline == ["Cover and index", "Laboratory", ["#1 CBC"], "Clinical notes", ["#2 Letter"]]
    assert reader.page_labels == ["i", "2", "3", "4"]
    assert reader.metadata.title == "Medical records: Jane"
    assert "page 3 of 4" in reader.pages[2].extract_text()


def test_an_encrypted_packet_needs_its_password():
    part = Part("Cover", "", pdf_bytes(["COVER"]), "", drawn=True)
    done = assemble([part], title="t", subject="s", stamps=stamp_renderer(None),
                    encrypt_password="pw")  # fmt: skip
    reader = PdfReader(io.BytesIO(done.pdf))
    assert reader.is_encrypted and reader.decrypt("pw")
