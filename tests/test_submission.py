import datetime as dt
import hashlib
import zipfile
from pathlib import Path

from defusedxml import ElementTree

from recordpack.models import Kind
from recordpack.options import BuildOptions, Profile, ReadOptions
from recordpack.patient import Patient, load_patient
from recordpack.pipeline import build_packet
from recordpack.read.xdm import read_metadata
from recordpack.submission import Document, metadata
from tests.builders import EXAMPLE

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"


def build(tmp_path: Path, bundle: str, profile: Profile | None = None) -> Path:
    options = BuildOptions(
        output=tmp_path / "packet.pdf",
        bundle=tmp_path / bundle,
        patient=load_patient(EXAMPLE / "patient.toml"),
        profile=profile,
        read=ReadOptions(ocr_lang=None),
    )
    return build_packet(EXAMPLE, options).bundle or tmp_path


def test_the_bundle_is_an_xdm_medium_our_reader_and_hashes_agree_with(tmp_path: Path):
    bundle = build(tmp_path, "bundle")
    subset = bundle / "IHE_XDM" / "SUBSET01"
    names = sorted(p.name for p in subset.iterdir())
    assert names[0] == "DOC00001.PDF" and "METADATA.XML" in names and len(names) > 10
    assert (subset / "DOC00001.PDF").read_bytes() == (tmp_path / "packet.pdf").read_bytes()
    entries, problems = read_metadata(
        (subset / "METADATA.XML").read_bytes(), "IHE_XDM/SUBSET01/METADATA.XML"
    )
    assert problems == [] and set(entries) == {f"IHE_XDM/SUBSET01/{n}" for n in names[:-1]}
    for name in names[:-1]:
        assert entries[f"IHE_XDM/SUBSET01/{name}"].size == (subset / name).stat().st_size
    assert entries["IHE_XDM/SUBSET01/DOC00001.PDF"].title == "Records for a second opinion"
    root = ElementTree.fromstring((subset / "METADATA.XML").read_bytes())
    hashes = {
        e.find(f"{RIM}Slot[@name='URI']/{RIM}ValueList/{RIM}Value").text: e.find(
            f"{RIM}Slot[@name='hash']/{RIM}ValueList/{RIM}Value"
        ).text
        for e in root.iter(f"{RIM}ExtrinsicObject")
    }
    for name, sha1 in hashes.items():
        assert hashlib.sha1((subset / name).read_bytes(), usedforsecurity=False).hexdigest() == sha1
    assert len(list(root.iter(f"{RIM}Association"))) == len(hashes)
    assert len(list(root.iter(f"{RIM}RegistryPackage"))) == 1


def test_with_the_reports_profile_only_the_packet_travels_as_xdm(tmp_path: Path):
    bundle = build(tmp_path, "small.zip", Profile.REPORTS)
    with zipfile.ZipFile(bundle) as zf:
        xdm = sorted(n for n in zf.namelist() if n.startswith("IHE_XDM/"))
        assert xdm == ["IHE_XDM/SUBSET01/DOC00001.PDF", "IHE_XDM/SUBSET01/METADATA.XML"]
        assert not any(n.startswith("DICOM/") for n in zf.namelist())


def test_metadata_names_the_patient_as_hl7_and_escapes_what_it_quotes():
    patient = Patient(
        name="Dana M O'Brien-Whitfield",
        dob=dt.date(1968, 7, 22),
        sex="F",
        identifiers=(("MRN", "44^88|12"),),
    )
    document = Document(
        "DOC00002.PDF",
        'Path <report> & "addendum"',
        Kind.PDF,
        "pathology",
        dt.date(2025, 4, 2),
        1234,
        "ab" * 20,
    )
    made = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    root = ElementTree.fromstring(b"".join(metadata([document], patient, made)))
    values = {
        s.get("name"): [v.text for v in s.iter(f"{RIM}Value")] for s in root.iter(f"{RIM}Slot")
    }
    assert values["serviceStartTime"] == ["20250402"] and values["size"] == ["1234"]
    info = values["sourcePatientInfo"]
    assert info[0].startswith("PID-3|448812^^^&2.25.") and info[0].endswith("&ISO")
    assert "PID-5|O'Brien-Whitfield^Dana M" in info and "PID-7|19680722" in info
    assert "PID-8|F" in info
    titles = [s.get("value") for s in root.iter(f"{RIM}LocalizedString")]
    assert 'Path <report> & "addendum"' in titles
    codes = {c.get("nodeRepresentation") for c in root.iter(f"{RIM}Classification")}
    assert {"11526-1", "urn:ihe:iti:xds-sd:pdf:2008", "N"} <= codes


def test_each_report_of_a_file_of_several_is_its_own_document_or_the_whole_file(tmp_path: Path):
    """Pages a damaged file does not have (its page tree read shorter than the scan read it)
    cannot be taken apart: the whole file goes instead, and the bundle is still made."""
    import io

    from pypdf import PdfReader

    from recordpack.models import Category, Source
    from recordpack.sources import Records
    from recordpack.submission import write_submission
    from tests.builders import make_item, pages_pdf

    records = tmp_path / "records"
    records.mkdir()
    data = pages_pdf([["Report one"], ["Report two"], ["Report two, page 2"]])
    (records / "all.pdf").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()

    def report(pages: tuple[int, int]):
        source = Source("all.pdf", digest, len(data), Kind.PDF, pages=pages)
        return make_item(f"p{pages[0]}", category=Category.CLINICAL_NOTE, sources=(source,))

    items = [report((1, 1)), report((2, 3)), report((4, 5))]  # the last: pages it has not
    work = tmp_path / "work"
    work.mkdir()
    (work / "packet.pdf").write_bytes(data)
    docs = write_submission(work, Records(records), items, Patient(), originals=True)
    sizes = [
        len(PdfReader(io.BytesIO((work / "IHE_XDM/SUBSET01" / d.name).read_bytes())).pages)
        for d in docs[1:]
    ]
    assert sizes == [1, 2, 3]
    assert docs[3].sha256 == digest and docs[1].sha256 != digest
