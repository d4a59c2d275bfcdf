import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from pydicom.fileset import FileSet
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from typer.testing import CliRunner

from recordpack.cli import app
from tests.builders import (
    EXAMPLE,
    dicom_bytes,
    pages_pdf,
    pdf_bytes,
    require_tool,
    tree_hashes,
    write_pdf,
)

runner = CliRunner()
NAME = "Zoë Ødegård 王小明 Иванов"
PATIENT = f'''name = "{NAME}"
dob = 1968-07-22
condition = "breast-cancer"
consult_date = 2026-11-30
questions = ["Should I continue letrozole beyond 5 years?"]
[identifiers]
MRN = "448812"
[[physical]]
what = "pathology slides and blocks"
from = "Cascade Pathology Associates"
accession = "S25-10422"
requested = 2026-10-02
tracking = "1Z999AA10123456784"
'''


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("build")
    records = base / "records"
    shutil.copytree(EXAMPLE, records)
    (records / "patient.toml").write_text(PATIENT)
    before = tree_hashes(records)
    out = base / "out"
    result = runner.invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(out / "packet.pdf"),
            "--bundle",
            str(out / "bundle"),
            "--json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert tree_hashes(records) == before, "the source folder was modified"
    return records, out, json.loads(result.stdout)


def page_texts(pdf: Path) -> list[str]:
    pdftotext = require_tool("pdftotext")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def test_page_count_is_cover_plus_every_input_page(built):
    records, out, report = built
    reader = PdfReader(out / "packet.pdf")
    assert len(reader.pages) == report["pages"]
    spans = sum(i["last_page"] - i["first_page"] + 1 for i in report["items"])
    extras = 2  # the "not included" page (notes) and the transmittal sheet
    assert report["pages"] == report["cover_pages"] + spans + extras
    scan = json.loads(runner.invoke(app, ["scan", str(records), "--json"]).stdout)
    pages_in = {i["index"]: i["pages"] for i in scan["items"]}
    for item in report["items"]:
        if item["category"] != "imaging":  # studies get pages drawn for them
            assert item["last_page"] - item["first_page"] + 1 == pages_in[item["index"]], item


def test_every_item_is_bookmarked_under_its_section(built):
    _, out, report = built
    reader = PdfReader(out / "packet.pdf")
    titles = []

    def walk(entries, depth=0):
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            else:
                titles.append((depth, entry.title, reader.get_destination_page_number(entry) + 1))

    walk(reader.outline)
    for item in report["items"]:
        assert (1, f"#{item['index']} {item['title']}", item["first_page"]) in titles
    assert {t for d, t, _ in titles if d == 0} >= {
        "Cover and index",
        "Pathology",
        "Imaging",
        "Laboratory",
    }


def test_index_links_jump_to_the_right_pages(built):
    _, out, report = built
    reader = PdfReader(out / "packet.pdf")
    targets = set()
    for page in reader.pages[: report["cover_pages"]]:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if "/Dest" in annot:
                targets.add(reader.get_page_number(annot["/Dest"][0].get_object()) + 1)
            assert "/URI" not in str(annot.get("/A", ""))
    assert {i["first_page"] for i in report["items"]} <= targets


def test_page_labels_and_metadata(built):
    _, out, report = built
    reader = PdfReader(out / "packet.pdf")
    labels = reader.page_labels
    assert labels[: report["cover_pages"]] == ["i", "ii", "iii", "iv", "v"][: report["cover_pages"]]
    assert labels[report["cover_pages"]] == str(report["cover_pages"] + 1)
    meta = reader.metadata
    assert meta.title == f"Medical records: {NAME}"
    assert meta.producer == "recordpack" and NAME not in (meta.producer or "")


def test_every_page_is_stamped_and_the_cover_says_what_matters(built):
    _, out, report = built
    pages = page_texts(out / "packet.pdf")
    assert len(pages) == report["pages"]
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {report['pages']}" in text, number
        assert "Ødegård" in text and "1968-07-22" in text
    cover = pages[0]
    assert "Should I continue letrozole beyond 5 years?" in cover
    assert "Genomic recurrence test" in cover and "missing" in cover
    assert "Transmittal sheet" in pages[-1] and "1Z999AA10123456784" in pages[-1]


def test_unicode_names_use_real_fonts(built):
    _, out, _ = built
    pdffonts = require_tool("pdffonts")
    fonts = subprocess.run(
        [pdffonts, str(out / "packet.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVu" in fonts
    assert "WenQuanYi" in fonts or "Noto" in fonts  # a CJK font was found for 王小明


def test_packet_passes_qpdf_and_is_owner_only(built):
    _, out, _ = built
    qpdf = require_tool("qpdf")
    check = subprocess.run(
        [qpdf, "--check", str(out / "packet.pdf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert (out / "packet.pdf").stat().st_mode & 0o777 == 0o600
    assert not list(out.glob(".*part"))  # no temporary files left behind


def test_bundle_holds_originals_dicomdir_and_a_true_manifest(built):
    records, out, _ = built
    bundle = out / "bundle"
    assert {p.name for p in bundle.iterdir()} == {
        "packet.pdf",
        "DICOMDIR",
        "DICOM",
        "README.TXT",
        "INDEX.HTM",
        "manifest.json",
        "IHE_XDM",
    }
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert (
        manifest["packet"]["sha256"]
        == hashlib.sha256((out / "packet.pdf").read_bytes()).hexdigest()
    )
    for entry in manifest["files"]:
        disk = records / (entry["archive"] or entry["path"])
        assert disk.exists()
        if entry["archive"] is None:
            assert hashlib.sha256(disk.read_bytes()).hexdigest() == entry["sha256"]
            assert disk.stat().st_size == entry["size"]
        if entry["bundle_path"]:
            copy = bundle / entry["bundle_path"]
            digest = hashlib.sha256(copy.read_bytes()).hexdigest()
            if entry["source_pages"]:  # one report of a file of several: its own pages
                assert digest == entry["bundle_sha256"] != entry["sha256"]
            else:
                assert digest == entry["sha256"]  # byte for byte
            *folders, name = entry["bundle_path"].split("/")
            stem, _, extension = name.partition(".")  # 8.3: DICOM files have no extension
            assert all(len(p) <= 8 and p == p.upper() for p in [*folders, stem])
            assert len(extension) <= 3 and extension == extension.upper()
            assert not extension or folders == ["IHE_XDM", "SUBSET01"]
    fs = FileSet(pydicom.dcmread(bundle / "DICOMDIR"))
    assert len(fs) == 8
    assert {str(i.path).split("bundle/", 1)[1].split("/")[0] for i in fs} == {"DICOM"}
    assert fs.find(Modality="MR")[0].load().PatientName == "WHITFIELD^DANA^M"
    dcmdump = require_tool("dcmdump")
    dump = subprocess.run(
        [dcmdump, str(bundle / "DICOMDIR")], capture_output=True, text=True, check=True
    ).stdout
    assert (
        dump.count("(0004,1430) CS [IMAGE]") == 8 and "DICOM\\ST000001\\SE000001\\IM000001" in dump
    )
    assert "autorun" in (bundle / "README.TXT").read_text().lower()
    assert 'href="packet.pdf#page=' in (bundle / "INDEX.HTM").read_text()


def test_hostile_inputs_are_cleaned_or_listed(tmp_path: Path):
    records = tmp_path / "records"
    write_pdf(
        records / "lab.pdf", ["COMPLETE BLOOD COUNT", "Collected: 03/04/2025", "Reference range"]
    )
    writer = PdfWriter(
        clone_from=io.BytesIO(pdf_bytes(["OPERATIVE REPORT", "Date of surgery: 01/02/2025"]))
    )
    writer.add_open_action(JavaScript("app.alert('x');"))
    writer.add_uri(0, "https://example.invalid/", [0, 0, 100, 100])
    writer.write(records / "js.pdf")
    locked = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["secret"])))
    locked.encrypt(user_password="pw", algorithm="AES-256")
    locked.write(records / "locked.pdf")
    (records / "IM1").write_bytes(dicom_bytes()[:-50])
    out = tmp_path / "packet.pdf"
    result = runner.invoke(app, ["build", str(records), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["active_content_removed"] >= 1
    data = out.read_bytes()
    assert b"/JavaScript" not in data and b"example.invalid" not in data
    last = page_texts(out)[-1]
    assert "locked.pdf" in last and "encrypted PDF" in last
    assert "IM1" in last and "truncated DICOM" in last
    assert len(report["items"]) == 2


@pytest.mark.slow
def test_encrypted_packet_opens_only_with_the_password(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    out = tmp_path / "p.pdf"
    env = {**os.environ, "RECORDPACK_PACKET_PASSWORD": "correct horse"}
    result = runner.invoke(
        app, ["build", str(tmp_path / "r"), "-o", str(out), "--encrypt", "-q"], env=env
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert reader.is_encrypted
    assert not reader.decrypt("wrong")
    assert PdfReader(out).decrypt("correct horse")
    missing = runner.invoke(
        app,
        ["build", str(tmp_path / "r"), "-o", str(out), "--encrypt", "--no-input"],
        env={k: v for k, v in os.environ.items() if k != "RECORDPACK_PACKET_PASSWORD"},
    )
    assert missing.exit_code == 3 and "RECORDPACK_PACKET_PASSWORD" in missing.output


def test_output_inside_the_records_folder_is_refused(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    result = runner.invoke(app, ["build", str(tmp_path / "r"), "-o", str(tmp_path / "r" / "p.pdf")])
    assert result.exit_code == 4 and not (tmp_path / "r" / "p.pdf").exists()


def test_init_writes_a_template_that_reads_back(tmp_path: Path):
    result = runner.invoke(app, ["init", str(tmp_path), "--no-input"])
    assert result.exit_code == 0, result.output
    target = tmp_path / "patient.toml"
    assert "questions" in target.read_text() and target.stat().st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["init", str(tmp_path), "--no-input"]).exit_code == 4
    assert runner.invoke(app, ["init", str(tmp_path), "--no-input", "--force"]).exit_code == 0


def test_a_clinic_template_overrides_the_cover(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    templates = tmp_path / "letterhead"
    templates.mkdir()
    (templates / "cover.html.j2").write_text(
        "<html><body><h1>Northside Clinic referral</h1>{% for row in index %}"
        '<p><a href="{{ row.link }}">{{ row.title }}</a></p>{% endfor %}</body></html>'
    )
    out = tmp_path / "p.pdf"
    result = runner.invoke(
        app, ["build", str(tmp_path / "r"), "-o", str(out), "--template", str(templates), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Northside Clinic referral" in page_texts(out)[0]


@pytest.mark.slow
def test_date_order_and_attached_originals(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    out = tmp_path / "p.pdf"
    result = runner.invoke(
        app,
        [
            "build",
            str(tmp_path / "r"),
            "-o",
            str(out),
            "--order",
            "date",
            "--attach-originals",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    firsts = [i["first_page"] for i in report["items"]]
    assert firsts == sorted(firsts)
    assert [i["index"] for i in report["items"]] == sorted(i["index"] for i in report["items"])
    reader = PdfReader(out)
    assert len(reader.attachments) == 8
    original = next((tmp_path / "r" / "MRI CD 2025-05-20").rglob("IM000000"))
    assert original.read_bytes() in [
        data for files in reader.attachments.values() for data in files
    ]


def test_a_search_finds_a_document_on_its_own_pages_only(built):
    """Each page's text carries its own stamp, never the stamps of the pages after it."""
    _, out, report = built
    pages = page_texts(out / "packet.pdf")
    owner = {}  # page number -> index of the item on it
    for item in report["items"]:
        for number in range(item["first_page"], item["last_page"] + 1):
            owner[number] = item["index"]
    for number, text in enumerate(pages, start=1):
        if number in owner:
            assert text.count("Ødegård") == 1, number  # the stamp, once; the records name Dana
            assert f"#{owner[number]} " in text, number
    op_note = next(i for i in report["items"] if i["category"] == "procedure")
    hits = {n for n, text in enumerate(pages, start=1) if op_note["title"] in text}
    own = set(range(op_note["first_page"], op_note["last_page"] + 1))
    assert own <= hits <= own | set(range(1, report["cover_pages"] + 1))


def test_the_cover_quotes_key_findings_and_links_them(built):
    _, out, report = built
    cover = page_texts(out / "packet.pdf")[0]
    assert "Key findings, quoted from the reports" in cover
    assert "INVASIVE DUCTAL CARCINOMA" in cover.upper()
    reader = PdfReader(out / "packet.pdf")
    linked = {
        reader.get_page_number(a.get_object()["/Dest"][0].get_object()) + 1
        for a in reader.pages[0].get("/Annots") or []
        if "/Dest" in a.get_object()
    }
    pathology = {i["first_page"] for i in report["items"] if i["category"] == "pathology"}
    assert pathology <= linked  # each quoted report is a click away, from the first page


def test_a_failed_bundle_leaves_neither_packet_nor_temporaries(tmp_path: Path):
    records, out = tmp_path / "records", tmp_path / "out"
    records.mkdir()
    (records / "ct.dcm").write_bytes(dicom_bytes())
    out.mkdir()
    (out / "taken").write_text("a file where the bundle's folder should go")
    result = runner.invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(out / "packet.pdf"),
            "--no-ocr",
            "--no-cache",
            "--bundle",
            str(out / "taken" / "bundle"),
        ],
    )
    assert result.exit_code == 4
    assert sorted(p.name for p in out.iterdir()) == ["taken"]


SIGTERM_IN_BUNDLE = """
import os, signal, sys
from pathlib import Path
from recordpack.cli import handle_termination
from recordpack.errors import Terminated
from recordpack.options import BuildOptions, ReadOptions
from recordpack.pipeline import build_packet

def progress(done, total, stage):
    if "bundle" in stage:
        os.kill(os.getpid(), signal.SIGTERM)

handle_termination()
out = Path(sys.argv[2])
try:
    build_packet(Path(sys.argv[1]), BuildOptions(output=out / "packet.pdf", bundle=out / "b.zip",
                 read=ReadOptions(ocr_lang=None)), progress=progress)
except Terminated:
    sys.exit(143)
"""


def test_sigterm_while_bundling_removes_every_temporary(tmp_path: Path):
    records, out = tmp_path / "records", tmp_path / "out"
    records.mkdir()
    for n in range(3):
        (records / f"ct{n}.dcm").write_bytes(dicom_bytes(instance=n + 1))
    result = subprocess.run(
        [sys.executable, "-c", SIGTERM_IN_BUNDLE, str(records), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 143, result.stderr
    assert out.is_dir() and list(out.iterdir()) == []  # it got as far as writing, then cleaned


def test_an_encrypted_packet_with_a_bundle_says_the_bundle_is_not(tmp_path: Path):
    records = tmp_path / "records"
    records.mkdir()
    (records / "ct.dcm").write_bytes(dicom_bytes())
    result = runner.invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(tmp_path / "p.pdf"),
            "--bundle",
            str(tmp_path / "b.zip"),
            "--encrypt",
            "--no-ocr",
            "--no-cache",
            "--json",
        ],
        env={"RECORDPACK_PACKET_PASSWORD": "s3cret-horse"},
    )
    assert result.exit_code == 0, result.output
    problems = json.loads(result.stdout)["problems"]
    [warning] = [p for p in problems if p["path"].endswith("b.zip")]
    assert "not encrypted" in warning["message"] and "secure channel" in warning["hint"]


def _build(records: Path, *extra: str) -> object:
    return runner.invoke(app, ["build", str(records), "--no-ocr", "--no-cache", *extra])


@pytest.fixture
def small_records(tmp_path: Path) -> Path:
    records = tmp_path / "home" / "records"
    records.mkdir(parents=True)
    (records / "ct.dcm").write_bytes(dicom_bytes())
    write_pdf(records / "path.pdf", ["SURGICAL PATHOLOGY REPORT", "Collected: 05/02/2025"])
    return records


def test_a_bundle_never_replaces_the_records_folder_or_a_folder_holding_it(small_records: Path):
    home = small_records.parent
    before = tree_hashes(home)
    for target in (home, small_records, home.parent):
        for force in ((), ("--force",)):
            result = _build(
                small_records, "-o", str(home.parent / "p.pdf"), "--bundle", str(target), *force
            )
            assert result.exit_code == 4, result.output
            assert "records folder" in result.output
    assert tree_hashes(home) == before
    assert not (home.parent / "p.pdf").exists()


def test_a_bundle_never_replaces_the_packet_or_another_output(small_records: Path):
    out = small_records.parent.parent / "out"
    out.mkdir()
    result = _build(small_records, "-o", str(out / "p.pdf"), "--bundle", str(out))
    assert result.exit_code == 4 and "would replace the packet" in result.output
    result = _build(small_records, "-o", str(out / "p.pdf"), "--iso", str(out / "p.pdf"))
    assert result.exit_code == 4
    assert list(out.iterdir()) == []


def test_what_recordpack_did_not_write_is_refused_unless_forced(small_records: Path):
    out = small_records.parent.parent / "out"
    (out / "mine").mkdir(parents=True)
    (out / "mine" / "thesis.docx").write_bytes(b"years of work")
    (out / "folder.zip").mkdir()
    (out / "notes.txt").write_text("a file, not a bundle folder")
    (out / "p.pdf").write_bytes(pdf_bytes(["my own PDF"]))
    own = (out / "p.pdf").read_bytes()
    cases = [
        ("--bundle", "mine", "is not a bundle recordpack wrote"),
        ("--bundle", "folder.zip", "is a folder"),
        ("--bundle", "notes.txt", "is a file, not a folder"),
        ("--fhir", "notes.txt", "is not a FHIR document"),
    ]
    for flag, name, why in cases:
        result = _build(small_records, "-o", str(out / "new.pdf"), flag, str(out / name))
        assert result.exit_code == 4, (name, result.output)
        assert why in result.output and "--force" in result.output
    result = _build(small_records, "-o", str(out / "p.pdf"))
    assert result.exit_code == 4 and "a PDF recordpack did not write" in result.output
    assert (out / "p.pdf").read_bytes() == own
    assert (out / "mine" / "thesis.docx").read_bytes() == b"years of work"
    assert not (out / "new.pdf").exists()
    result = _build(small_records, "-o", str(out / "p.pdf"), "--force")
    assert result.exit_code == 0, result.output
    assert (out / "p.pdf").read_bytes() != own


def test_recordpack_replaces_its_own_outputs_but_not_what_was_added_to_them(small_records: Path):
    out = small_records.parent.parent / "out"
    targets = [
        "-o",
        str(out / "p.pdf"),
        "--bundle",
        str(out / "b"),
        "--fhir",
        str(out / "p.json"),
        "--iso",
        str(out / "p.iso"),
    ]
    for _ in range(2):  # the second run replaces the first's outputs, all of them
        result = _build(small_records, *targets)
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["b", "p.iso", "p.json", "p.pdf"]
    (out / "b" / "DICOM" / "my-notes.txt").write_text("added by hand")
    result = _build(small_records, *targets)
    assert result.exit_code == 4 and "holds DICOM/my-notes.txt" in result.output
    assert (out / "b" / "DICOM" / "my-notes.txt").is_file()
    result = _build(small_records, *targets, "--force")
    assert result.exit_code == 0, result.output
    assert not (out / "b" / "DICOM" / "my-notes.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == ["b", "p.iso", "p.json", "p.pdf"]


def test_each_report_of_a_download_all_file_is_indexed_bookmarked_and_placed_once(tmp_path):
    from tests.test_understand_split import CT, LAB, PATHOLOGY

    records = tmp_path / "records"
    records.mkdir()
    (records / "download.pdf").write_bytes(pages_pdf([*PATHOLOGY, *CT, *LAB]))
    out, fhir = tmp_path / "p.pdf", tmp_path / "p.json"
    result = runner.invoke(
        app,
        [
            "build",
            str(records),
            "-o",
            str(out),
            "--no-cache",
            "--bundle",
            str(tmp_path / "b"),
            "--fhir",
            str(fhir),
        ],
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    marks = {
        o.title: reader.get_destination_page_number(o)
        for o in reader.outline
        if not isinstance(o, list)
    }
    texts = [page.extract_text() for page in reader.pages]
    # each report's pages once, and its row in the cover's index
    assert sum("SURGICAL PATHOLOGY REPORT" in t for t in texts) == 3
    assert sum("CT CHEST WITH CONTRAST" in t for t in texts) == 2
    assert "CT CHEST WITH CONTRAST" in texts[marks["Imaging"]]
    assert "LABORATORY REPORT" in texts[marks["Laboratory"]]
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert sorted(f["source_pages"] for f in manifest["files"]) == [[1, 2], [3, 3], [4, 4]]
    titles = [
        a["attachment"]["title"]
        for e in json.loads(fhir.read_text())["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        for a in e["resource"]["content"]
    ]
    assert any(t.endswith("download.pdf, page 3") for t in titles)
