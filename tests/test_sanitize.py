"""Active content hidden wherever a PDF may hold it never reaches the packet.

The hostile PDFs are made with pikepdf; the packet is searched with pypdf, object by object,
and with qpdf, as uncompressed bytes: neither shares code with the remover.
"""

import functools
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name, String
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject
from typer.testing import CliRunner

from recordpack import assemble as assembly
from recordpack.assemble import Part
from recordpack.layout.strips import render_strips
from tests.builders import pdf_bytes, require_tool

MARK = "RPX-ACTIVE"  # in every payload, so that its bytes can be looked for in the packet
ACTIONS = [
    "JavaScript",
    "Launch",
    "URI",
    "SubmitForm",
    "ImportData",
    "GoToR",
    "GoToE",
    "Rendition",
    "Sound",
    "Movie",
    "RichMediaExecute",
    "Hide",
    "SetOCGState",
    "Trans",
    "GoTo3DView",
    "ResetForm",
    "Named",
]
CARRYING = ["FileAttachment", "RichMedia", "Sound", "Movie", "Screen", "3D"]


@st.composite
def spellings(draw: st.DrawFn, words: list[str]) -> Any:
    """A name as producers write it: any case, as a name or as a string."""
    word = draw(st.sampled_from(words))
    word = draw(st.sampled_from([word, word.lower(), word.upper()]))
    return Name("/" + word) if draw(st.booleans()) else String(word)


@st.composite
def actions(draw: st.DrawFn) -> Dictionary:
    action = Dictionary(
        S=draw(spellings(ACTIONS)),
        JS=String(f"app.alert('{MARK}')"),
        URI=String(f"https://{MARK}.invalid/"),
        F=String(f"{MARK}.exe"),
    )
    if draw(st.booleans()):
        action.Type = draw(spellings(["Action"]))
    if draw(st.booleans()):
        del action["/S"]  # script with no type said: viewers run it all the same
        action.Next = Dictionary(S=Name.JavaScript, JS=String(MARK))
    return action


def embedded_file(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, f"MZ {MARK} program".encode())
    stream.Type = Name.EmbeddedFile
    return stream


def annotation(pdf: pikepdf.Pdf, subtype: Any, **extra: Any) -> pikepdf.Object:
    entry = Dictionary(Type=Name.Annot, Subtype=subtype, Rect=Array([10, 10, 90, 40]), **extra)
    return pdf.make_indirect(entry)


def goto(page: pikepdf.Page, then: Any = None) -> Dictionary:
    action = Dictionary(S=Name.GoTo, D=Array([page.obj, Name.Fit]))
    if then is not None:
        action.Next = then
    return action


# Each place takes the document, its page and an action, and hides the action (or content) there.
Place = Callable[[pikepdf.Pdf, pikepdf.Page, Dictionary, Any], None]


def _annots(page: pikepdf.Page) -> Array:
    if "/Annots" not in page.obj:
        page.obj.Annots = Array()
    return page.obj.Annots


PLACES: dict[str, Place] = {
    "page /AA": lambda pdf, page, a, _: page.obj.__setitem__("/AA", Dictionary(O=a)),
    "page /PA": lambda pdf, page, a, _: page.obj.__setitem__("/PA", a),
    "link /A": lambda pdf, page, a, _: _annots(page).append(annotation(pdf, Name.Link, A=a)),
    "link /PA": lambda pdf, page, a, _: _annots(page).append(annotation(pdf, Name.Link, PA=a)),
    "goto then /Next": lambda pdf, page, a, _: _annots(page).append(
        annotation(pdf, Name.Link, A=goto(page, a))
    ),
    "goto then /Next array": lambda pdf, page, a, _: _annots(page).append(
        annotation(pdf, Name.Link, A=goto(page, Array([goto(page), a])))
    ),
    "annotation /AA": lambda pdf, page, a, _: _annots(page).append(
        annotation(pdf, Name.Square, AA=Dictionary(E=a))
    ),
    "widget's field /AA": lambda pdf, page, a, _: _annots(page).append(
        annotation(
            pdf,
            Name.Widget,
            Parent=pdf.make_indirect(Dictionary(FT=Name.Tx, T=String("f"), AA=Dictionary(K=a))),
        )
    ),
    "widget /A": lambda pdf, page, a, _: _annots(page).append(
        annotation(pdf, Name.Widget, FT=Name.Btn, T=String("b"), A=a)
    ),
    "popup of a scripted link": lambda pdf, page, a, _: _annots(page).append(
        annotation(pdf, Name.Popup, Parent=annotation(pdf, Name.Link, A=a))
    ),
    "page /PieceInfo": lambda pdf, page, a, _: page.obj.__setitem__(
        "/PieceInfo", Dictionary(App=Dictionary(Private=embedded_file(pdf)))
    ),
    "file attachment": lambda pdf, page, a, sub: _annots(page).append(
        annotation(
            pdf,
            sub,
            FS=Dictionary(
                Type=Name.Filespec, F=String(f"{MARK}.exe"), EF=Dictionary(F=embedded_file(pdf))
            ),
        )
    ),
    "media annotation": lambda pdf, page, a, sub: _annots(page).append(
        annotation(pdf, sub, A=a, RichMediaContent=Dictionary(Assets=String(MARK)))
    ),
    "a resource's private key": lambda pdf, page, a, _: page.obj.Resources.__setitem__(
        "/RPPrivate", Dictionary(Deep=Array([Dictionary(Deeper=a)]))
    ),
    "catalog /OpenAction and names": lambda pdf, page, a, _: (
        pdf.Root.__setitem__("/OpenAction", a)
        or pdf.Root.__setitem__(
            "/Names",
            Dictionary(
                JavaScript=Dictionary(Names=Array([String("x"), a])),
                EmbeddedFiles=Dictionary(
                    Names=Array(
                        [
                            String("f"),
                            Dictionary(Type=Name.Filespec, EF=Dictionary(F=embedded_file(pdf))),
                        ]
                    )
                ),
            ),
        )
    ),
}


def hostile(places: list[tuple[str, Dictionary, Any]]) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(["DISCHARGE SUMMARY", "visible text stays"])))
    page = pdf.pages[0]
    for place, action, subtype in places:
        PLACES[place](pdf, page, action, subtype)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@functools.cache
def strips() -> assembly.Strips:
    return render_strips(["stamp"], None)


def walk(reader: PdfReader) -> list[DictionaryObject]:
    """Every dictionary (and stream) reachable from the trailer."""
    seen: set[int] = set()
    found, stack = [], [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject | StreamObject):
            found.append(obj)
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return found


def word(value: object) -> str:
    return str(value).lstrip("/").lower()


def active_left(packet: bytes) -> list[str]:
    """What in ``packet`` could still run, submit, open or play: empty when it is inert."""
    left = []
    for obj in walk(PdfReader(io.BytesIO(packet))):
        keys = set(obj) & {"/JS", "/AA", "/EF", "/EmbeddedFiles", "/JavaScript", "/PieceInfo"}
        left += sorted(keys)
        if word(obj.get("/Subtype")) in {w.lower() for w in CARRYING}:
            left.append(f"annotation {obj['/Subtype']}")
        if word(obj.get("/Type")) in {"embeddedfile", "action"} and word(obj.get("/S")) != "goto":
            left.append(f"object of type {obj['/Type']}")
        for key in ("/A", "/PA", "/Next", "/OpenAction"):
            value = obj.get(key)
            for action in value if isinstance(value, ArrayObject) else [value]:
                action = action.get_object() if action is not None else None
                if not isinstance(action, DictionaryObject) or "/Title" in action:
                    continue  # an outline item's /Next is its sibling, not an action
                if word(action.get("/S")) != "goto":
                    left.append(f"{key} action {action.get('/S')}")
    plain = subprocess.run(
        [require_tool("qpdf"), "--object-streams=disable", "--stream-data=uncompress", "-", "-"],
        input=packet,
        capture_output=True,
        check=False,
    ).stdout
    if MARK.encode() in plain:
        left.append("a payload's bytes")
    return left


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(PLACES)), actions(), spellings(CARRYING)),
        min_size=1,
        max_size=4,
    )
)
def test_no_action_hidden_anywhere_reaches_the_packet(places: list[tuple[str, Any, Any]]) -> None:
    source = hostile(places)
    assert active_left(source), "the hostile PDF must hold what it is meant to"
    part = Part("#1 Discharge", "Notes", source, "stamp", index=1)
    out = io.BytesIO()
    done = assembly.assemble([part], title="t", subject="s", strips=strips(), destination=out)
    assert active_left(out.getvalue()) == []
    on_the_page = any(not place.startswith("catalog") for place, _, _ in places)
    assert (done.active_content_removed >= 1) == on_the_page  # the catalog is never copied
    text = PdfReader(out).pages[0].extract_text()
    assert "visible text stays" in text and "page 1 of 1" in text


def test_links_within_the_document_and_form_fields_stay() -> None:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(["REPORT"], pages=2)))
    first, second = pdf.pages
    _annots(first).append(annotation(pdf, Name.Link, A=goto(second)))
    _annots(first).append(annotation(pdf, Name.Link, Dest=Array([second.obj, Name.Fit])))
    _annots(first).append(
        annotation(pdf, Name.Widget, FT=Name.Tx, T=String("name"), V=String("Jane"))
    )
    out = io.BytesIO()
    pdf.save(out)
    part = Part("#1", "Notes", out.getvalue(), "stamp", index=1)
    packet = io.BytesIO()
    done = assembly.assemble([part], title="t", subject="s", strips=strips(), destination=packet)
    assert done.active_content_removed == 0
    [page, _] = PdfReader(packet).pages
    kept = [a.get_object() for a in page["/Annots"]]
    assert [a["/Subtype"] for a in kept] == ["/Link", "/Link", "/Widget"]
    assert kept[0]["/A"]["/S"] == "/GoTo" and kept[2]["/V"] == "Jane"


def test_pdfs_inside_dicom_and_zips_reach_the_packet_inert(tmp_path: Path) -> None:
    from recordpack.cli import app
    from tests.builders import LAB, dicom_dataset, zip_bytes

    def places() -> list[tuple[str, Dictionary, Any]]:  # new objects for each document
        script = f"app.alert('{MARK}')"
        return [
            (place, Dictionary(S=Name.JavaScript, JS=String(script)), Name.FileAttachment)
            for place in sorted(PLACES)
        ]

    records = tmp_path / "records"
    records.mkdir()
    lab = pikepdf.open(io.BytesIO(pdf_bytes(LAB)))
    for place, action, subtype in places():
        PLACES[place](lab, lab.pages[0], action, subtype)
    hostile_lab = io.BytesIO()
    lab.save(hostile_lab)
    ds = dicom_dataset(modality="DOC")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    del ds.PixelData
    ds.EncapsulatedDocument = hostile_lab.getvalue()
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.save_as(records / "report.dcm", enforce_file_format=True)
    (records / "portal.zip").write_bytes(zip_bytes({"summary.pdf": hostile(places())}))
    out = tmp_path / "packet.pdf"
    result = CliRunner().invoke(
        app, ["build", str(records), "-o", str(out), "--no-ocr", "--no-cache", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["active_content_removed"] >= 2 * (len(PLACES) - 1)
    assert active_left(out.read_bytes()) == []
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "visible text stays" in text and LAB[0] in text


def test_names_that_are_not_utf8_are_judged_not_crashed_on() -> None:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(["REPORT", "visible text stays"])))
    page = pdf.pages[0]
    odd = pikepdf.Object.parse(b"/Java#ffscript")  # bytes no UTF-8 decoder takes
    _annots(page).append(annotation(pdf, odd, A=Dictionary(S=odd, F=String(MARK))))
    page.obj.AA = Dictionary(O=Dictionary(Type=odd, S=Name.GoTo))
    out = io.BytesIO()
    pdf.save(out)
    packet = io.BytesIO()
    part = Part("#1", "Notes", out.getvalue(), "stamp", index=1)
    done = assembly.assemble([part], title="t", subject="s", strips=strips(), destination=packet)
    assert done.active_content_removed == 2  # the action of unknown type, the automatic one
    assert active_left(packet.getvalue()) == []
