import dataclasses
import html
import io
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link

from recordpack import assemble as assembly
from recordpack.assemble import BAND, STAMP_WIDTH, Part, Strips
from recordpack.layout.strips import render_strips
from tests.builders import LAB, pdf_bytes, require_tool


def assemble(parts: list[Part], **options: Any) -> SimpleNamespace:
    """The packet written to memory: its bytes, and what assembly reports."""
    out = io.BytesIO()
    done = assembly.assemble(parts, destination=out, **options)
    return SimpleNamespace(pdf=out.getvalue(), **dataclasses.asdict(done))


def strips_of(parts: list[Part]) -> Strips:
    return render_strips([p.stamp for p in parts], None)


def with_link(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.invalid/x"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_parts_are_joined_bookmarked_labelled_and_cleaned():
    cover = Part("Cover and index", "", pdf_bytes(["COVER"]), "cover", drawn=True)
    lab = Part(
        "#1 CBC", "Laboratory", with_link(pdf_bytes(["CBC"], pages=2)), "Jane · #1 CBC", index=1
    )
    note = Part("#2 Letter", "Clinical notes", pdf_bytes(["LETTER"]), "Jane · #2 Letter", index=2)
    done = assemble(
        [cover, lab, note],
        title="Medical records: Jane",
        subject="s",
        strips=strips_of([cover, lab, note]),
    )
    reader = PdfReader(io.BytesIO(done.pdf))
    assert (done.starts, done.total_pages, len(reader.pages)) == ((1, 2, 4), 4, 4)
    assert done.active_content_removed == 1  # the web link's action in the source page
    assert [a.get_object().get("/A") for a in reader.pages[1]["/Annots"]] == [None]
    outline = [
        (o.title if not isinstance(o, list) else [x.title for x in o]) for o in reader.outline
    ]
    assert outline == ["Cover and index", "Laboratory", ["#1 CBC"], "Clinical notes", ["#2 Letter"]]
    assert reader.page_labels == ["i", "2", "3", "4"]
    assert reader.metadata.title == "Medical records: Jane"
    assert "page 3 of 4" in reader.pages[2].extract_text()


def test_an_encrypted_packet_needs_its_password():
    part = Part("Cover", "", pdf_bytes(["COVER"]), "", drawn=True)
    done = assemble([part], title="t", subject="s", strips=strips_of([part]), encrypt_password="pw")
    reader = PdfReader(io.BytesIO(done.pdf))
    assert reader.is_encrypted and reader.decrypt("pw")


def bbox_words(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Per page, each word's left edge, bottom edge (from the top) and text, by pdftotext."""
    xhtml = subprocess.run(
        [require_tool("pdftotext"), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = xhtml.split("<page ")[1:]
    return [
        [
            (float(x), float(y), html.unescape(w))
            for x, y, w in re.findall(
                r'xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', p
            )
        ]
        for p in pages
    ]


def render(pdf: Path, page: int, tmp: Path, box: tuple[float, float, float, float]) -> Image.Image:
    """The part of a page inside ``box`` (left, top, width, height in points), at 144 dpi."""
    x, y, w, h = (round(v * 2) for v in box)
    subprocess.run(
        [
            require_tool("pdftoppm"),
            "-r",
            "144",
            "-f",
            str(page),
            "-l",
            str(page),
            "-x",
            str(x),
            "-y",
            str(y),
            "-W",
            str(w),
            "-H",
            str(h),
            "-gray",
            "-png",
            "-singlefile",
            str(pdf),
            str(tmp / "crop"),
        ],
        check=True,
    )
    return Image.open(tmp / "crop.png").convert("L")


def test_each_page_shows_and_carries_only_its_own_stamp(tmp_path: Path):
    stamps = ["Jane Doe · cover", "Jane Doe · #1 COMPLETE BLOOD COUNT", "Jane Doe · #2 LETTER"]
    parts = [
        Part("Cover", "", pdf_bytes(["COVER"]), stamps[0], drawn=True),
        Part("#1", "Labs", pdf_bytes(["CBC"], pages=2), stamps[1], index=1),
        Part("#2", "Notes", pdf_bytes(["LETTER"]), stamps[2], index=2),
    ]
    packet = tmp_path / "packet.pdf"
    packet.write_bytes(assemble(parts, title="t", subject="s", strips=strips_of(parts)).pdf)
    expected = [stamps[0], stamps[1], stamps[1], stamps[2]]
    for number, (words, stamp) in enumerate(zip(bbox_words(packet), expected, strict=True), 1):
        band = " ".join(
            w
            for x, bottom, w in words
            if bottom <= BAND and not w.isdigit() and w not in ("page", "of")
        )
        assert band == stamp, number
        others = [s for s in stamps if s != stamp]
        text = " ".join(w for _, _, w in words)
        assert not any(s.split(" · ")[1] in text for s in others), number

    # What the page shows in its band is its own strip, drawn alone, and not its neighbour's.
    width = STAMP_WIDTH
    strips = PdfReader(io.BytesIO(render_strips(stamps, None).pdf)).pages
    for n, strip in enumerate(strips):
        writer = PdfWriter()
        writer.add_page(strip)
        writer.write(tmp_path / f"strip{n}.pdf")
    shown = render(packet, 2, tmp_path, (24, 1, width, 12))
    alone = [render(tmp_path / f"strip{n}.pdf", 1, tmp_path, (0, 0, width, 12)) for n in range(3)]
    assert _mean_difference(shown, alone[1]) < 3  # grey levels of 255: the same strip
    assert (
        _mean_difference(shown, alone[1])
        < min(_mean_difference(shown, alone[0]), _mean_difference(shown, alone[2])) / 4
    )


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b.resize(a.size))).mean[0])


def hostile_page() -> bytes:
    """A page with what a hostile PDF hides in annotations: chained scripts, files, media."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["REPORT"])))
    page = writer.pages[0]

    def annot(subtype: str, **extra: object) -> object:
        rect = ArrayObject([NumberObject(0)] * 4)
        entry = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject(subtype),
                NameObject("/Rect"): rect,
            }
        )
        entry.update({NameObject(k): v for k, v in extra.items()})
        return writer._add_object(entry)

    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )
    goto = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([page.indirect_reference, NameObject("/Fit")]),
        }
    )
    chained = DictionaryObject({**goto, NameObject("/Next"): ArrayObject([script])})
    page[NameObject("/Annots")] = ArrayObject(
        [
            annot("/Link", **{"/A": chained}),  # harmless at first, a script after
            annot("/FileAttachment"),  # a file (an .exe, say) inside the page
            annot("/RichMedia"),  # Flash or video
            annot("/Link", **{"/A": goto}),  # an ordinary link: kept
        ]
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_chained_scripts_attachments_and_media_do_not_survive():
    part = Part("#1", "Labs", hostile_page(), "stamp", index=1)
    done = assemble([part], title="t", subject="s", strips=strips_of([part]))
    [page] = PdfReader(io.BytesIO(done.pdf)).pages
    kinds = [a.get_object()["/Subtype"] for a in page.get("/Annots") or []]
    assert kinds == ["/Link", "/Link"] and done.active_content_removed == 3
    assert [a.get_object()["/A"]["/S"] for a in page["/Annots"]] == ["/GoTo", "/GoTo"]
    assert b"app.alert" not in done.pdf


def awkward_pages() -> bytes:
    """A page turned sideways by /Rotate, and a page whose resources and size are inherited.

    Written by hand: PDF libraries push inherited entries down to the pages when they save.
    """
    text = b"BT /F1 12 Tf 72 700 Td (%s REPORT) Tj ET"
    streams = [text % b"SIDEWAYS", text % b"INHERITED"]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Rotate 90 >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 7 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(s), s) for s in streams),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    size = len(objects) + 1
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def test_rotated_and_inherited_pages_keep_their_text_and_get_the_stamp_on_top(tmp_path: Path):
    source = awkward_pages()
    assert PdfReader(io.BytesIO(source)).pages[0].rotation == 90
    part = Part("#1", "Labs", source, "Jane Doe · #1 REPORT", index=1)
    packet = tmp_path / "packet.pdf"
    packet.write_bytes(assemble([part], title="t", subject="s", strips=strips_of([part])).pdf)
    subprocess.run([require_tool("qpdf"), "--check", str(packet)], check=True, capture_output=True)
    for words, text in zip(bbox_words(packet), ("SIDEWAYS", "INHERITED"), strict=True):
        band = [w for _, bottom, w in words if bottom <= BAND]
        assert band[:4] == ["Jane", "Doe", "·", "#1"] and "page" in band
        assert text in [w for _, bottom, w in words if bottom > BAND]
    first = PdfReader(packet).pages[0]
    assert first.rotation == 0 and first.mediabox.width > first.mediabox.height  # shown as seen


def test_a_narrow_page_gets_its_stamp_scaled_to_fit(tmp_path: Path):
    from fpdf import FPDF

    pdf = FPDF(format=(80, 200))  # a till receipt, 80 mm wide
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.cell(text="RECEIPT")
    stamp = "Jane Doe · DOB 1968-07-22 · #1 A RECEIPT WITH A RATHER LONG TITLE"
    part = Part("#1", "Other", bytes(pdf.output()), stamp, index=1)
    packet = tmp_path / "packet.pdf"
    packet.write_bytes(assemble([part], title="t", subject="s", strips=strips_of([part])).pdf)
    [words] = bbox_words(packet)
    width = float(PdfReader(packet).pages[0].mediabox.width)
    band = [(x, w) for x, bottom, w in words if bottom <= BAND]
    assert [w for _, w in band][:2] == ["Jane", "Doe"]
    assert all(x < width for x, _ in band)


def with_extra_stream(data: bytes, stream_bytes: bytes, filters: int, *, direct: bool) -> bytes:
    """The page's content and one more stream; ``direct`` puts the streams in the array itself,
    which is not valid PDF but which pypdf reads (and qpdf reads as a document of no pages)."""
    from pypdf.generic import ArrayObject, NameObject, StreamObject

    writer = PdfWriter(clone_from=io.BytesIO(data))
    stream = StreamObject()
    stream._data = stream_bytes
    stream[NameObject("/Filter")] = ArrayObject([NameObject("/FlateDecode")] * filters)
    page = writer.pages[0]
    contents = page["/Contents"].get_object()
    streams = [contents, stream] if direct else [writer._add_object(x) for x in (contents, stream)]
    page[NameObject("/Contents")] = ArrayObject(streams)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.slow
def test_a_page_of_nested_deflate_is_copied_as_it_is_never_inflated():
    import zlib

    packer = zlib.compressobj(9)
    inner = b"".join([*(packer.compress(b"\0" * (1 << 24)) for _ in range(16)), packer.flush()])
    bomb = zlib.compress(inner, 9)  # a few hundred bytes that inflate to 256 MB
    part = Part(
        "#1",
        "Labs",
        with_extra_stream(pdf_bytes(["REPORT"]), bomb, 2, direct=False),
        "stamp",
        index=1,
    )
    done = assemble([part], title="t", subject="s", strips=strips_of([part]))
    assert len(done.pdf) < len(inner) / 4  # the outer layer was not even taken off
    assert (
        b"REPORT"
        in subprocess.run(
            [require_tool("pdftotext"), "-", "-"], input=done.pdf, capture_output=True, check=True
        ).stdout
    )


def test_a_page_tree_qpdf_cannot_follow_is_refused_not_dropped():
    import zlib

    import pytest

    odd = with_extra_stream(pdf_bytes(["REPORT"]), zlib.compress(b"% nothing"), 1, direct=True)
    assert len(PdfReader(io.BytesIO(odd)).pages) == 1  # what the scan saw
    with pytest.raises(ValueError, match="page tree is damaged"):
        Part("#1", "Labs", odd, "stamp", index=1)


def odd_part(name: str, mutate: Any, rotate: int, index: int) -> Part:
    """A part whose page is damaged in memory, as the assembler gets it.

    Not saved first: saving lets qpdf repair a damaged box before the assembler sees it.
    """
    part = Part(name, "Notes", pdf_bytes(["ODD PAGE REPORT"]), "stamp", index=index)
    page = part.document.pages[0].obj
    if rotate:
        page.Rotate = rotate
    mutate(part.document, page)
    return part


def _odd_mutations() -> dict[str, Any]:
    from pikepdf import Array, Dictionary, Name, String

    def inherited_from_nowhere(pdf: Any, page: Any) -> None:
        del page["/MediaBox"]
        if "/MediaBox" in pdf.Root.Pages:
            del pdf.Root.Pages["/MediaBox"]

    return {
        "MediaBox a name": lambda pdf, p: p.__setitem__("/MediaBox", Name.Letter),
        "MediaBox of three": lambda pdf, p: p.__setitem__("/MediaBox", Array([0, 0, 612])),
        "MediaBox of strings": lambda pdf, p: p.__setitem__(
            "/MediaBox", Array([String("a"), 0, 612, 792])
        ),
        "MediaBox inherited from nowhere": inherited_from_nowhere,
        "MediaBox flat": lambda pdf, p: p.__setitem__("/MediaBox", Array([0, 0, 612, 0])),
        "MediaBox inverted": lambda pdf, p: p.__setitem__("/MediaBox", Array([612, 792, 0, 0])),
        "CropBox a name": lambda pdf, p: p.__setitem__("/CropBox", Name.X),
        "Rotate a string": lambda pdf, p: p.__setitem__("/Rotate", String("90")),
        "Rotate 450": lambda pdf, p: p.__setitem__("/Rotate", 450),
        "Rotate 45.5": lambda pdf, p: p.__setitem__("/Rotate", 45.5),
        "Rotate an array": lambda pdf, p: p.__setitem__("/Rotate", Array([90])),
        "Resources a number": lambda pdf, p: p.__setitem__("/Resources", 5),
        "XObject a number": lambda pdf, p: p.Resources.__setitem__("/XObject", 5),
        "Font an array": lambda pdf, p: p.Resources.__setitem__("/Font", Array([1])),
        "Annots a number": lambda pdf, p: p.__setitem__("/Annots", 3),
        "an annotation's Rect of strings": lambda pdf, p: p.__setitem__(
            "/Annots", Array([Dictionary(Subtype=Name.Text, Rect=Array([String("x"), 1, 2, 3]))])
        ),
    }


def test_a_damaged_page_description_is_placed_and_stamped_never_a_failed_packet(tmp_path: Path):
    qpdf = require_tool("qpdf")
    cover = Part("Cover", "", pdf_bytes(["COVER"]), "cover", drawn=True)
    parts = [cover]
    for name, mutate in _odd_mutations().items():
        for rotate in (0, 90):
            parts.append(odd_part(name, mutate, rotate, len(parts)))
    done = assemble(parts, title="t", subject="s", strips=strips_of(parts))
    assert done.total_pages == len(parts) and done.unstamped == ()
    (tmp_path / "p.pdf").write_bytes(done.pdf)
    check = subprocess.run([qpdf, "--check", tmp_path / "p.pdf"], capture_output=True, check=False)
    assert check.returncode in (0, 3), check.stdout.decode()  # 3: warnings of the damaged inputs
    reader = PdfReader(io.BytesIO(done.pdf))
    for number, page in enumerate(reader.pages[1:], start=2):
        text = page.extract_text()
        assert f"page {number} of {len(parts)}" in text
        if "ODD PAGE REPORT" not in text:  # only where its font could not be kept
            assert parts[number - 1].title in ("Font an array", "Resources a number")


def test_a_page_that_cannot_be_stamped_is_placed_as_it_is_with_a_note(tmp_path: Path, monkeypatch):
    """The last resort, for a page no mending makes stampable.

    The stamper is made to fail on every source page; the build still places the page,
    unstamped, and says so.
    """
    from recordpack.options import BuildOptions, ReadOptions
    from recordpack.pipeline import build_packet

    stamp_page = assembly._stamp_page

    def failing(*args: Any, shrink: bool, **kwargs: Any) -> None:
        if shrink:  # a source page, not one recordpack drew
            raise ValueError("a page description no viewer could follow")
        stamp_page(*args, shrink=shrink, **kwargs)

    monkeypatch.setattr(assembly, "_stamp_page", failing)
    records = tmp_path / "records"
    records.mkdir()
    (records / "cbc.pdf").write_bytes(pdf_bytes(LAB))
    out = tmp_path / "p.pdf"
    options = BuildOptions(output=out, read=ReadOptions(ocr_lang=None))
    result = build_packet(records, options)
    [placed] = result.placed
    page = PdfReader(out).pages[placed.first_page - 1].extract_text()
    assert "COMPLETE BLOOD COUNT" in page  # placed, as it is
    assert f"page {placed.first_page} of {result.pages}" not in page  # without its stamp
    [note] = [p for p in result.problems if "damaged page description" in p.message]
    assert note.path == "cbc.pdf" and f"page {placed.first_page} " in note.message
