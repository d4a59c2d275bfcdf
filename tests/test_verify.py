import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recordpack.models import Severity
from recordpack.options import BuildOptions, ReadOptions
from recordpack.patient import load_patient
from recordpack.pipeline import build_packet
from recordpack.verify import verify_bundle
from tests.builders import EXAMPLE, dicom_bytes


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example's bundle, built once; tests damage copies of it."""
    out = tmp_path_factory.mktemp("bundle")
    patient = load_patient(EXAMPLE / "patient.toml")
    options = BuildOptions(
        output=out / "packet.pdf",
        patient=patient,
        bundle=out / "bundle",
        read=ReadOptions(ocr_lang=None),
    )
    build_packet(EXAMPLE, options)
    return out / "bundle"


def copy_of(clean: Path, tmp_path: Path) -> Path:
    target = tmp_path / "b"
    shutil.copytree(clean, target)
    return target


def problems(path: Path) -> list[tuple[str, str, str]]:
    return [
        (f.severity.value, f.path, f.message)
        for f in verify_bundle(path)
        if f.severity is not Severity.INFO
    ]


def test_our_own_bundle_follows_every_rule_as_folder_and_zip(clean: Path, tmp_path: Path):
    assert problems(clean) == []
    infos = [f.message for f in verify_bundle(clean)]
    assert any("DICOMDIR lists" in m for m in infos) and any("documents" in m for m in infos)
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(clean.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(clean).as_posix())
    assert problems(archive) == []


def test_changed_missing_and_unlisted_files_are_found(clean: Path, tmp_path: Path):
    bundle = copy_of(clean, tmp_path)
    image = next(p for p in sorted((bundle / "DICOM").rglob("*")) if p.is_file())
    data = bytearray(image.read_bytes())
    data[-1] ^= 0xFF
    image.write_bytes(bytes(data))
    (bundle / "IHE_XDM" / "SUBSET01" / "DOC00002.PDF").unlink()
    (bundle / "IHE_XDM" / "SUBSET01" / "DOC00003.PDF").write_bytes(b"%PDF-1.4 replaced")
    (bundle / "DICOM" / "ST000001" / "SE000001" / "extra.dcm").write_bytes(dicom_bytes())
    found = problems(bundle)
    messages = "\n".join(f"{s} {p} {m}" for s, p, m in found)
    rel = image.relative_to(bundle).as_posix()
    assert f"error {rel} its SHA-256 differs from manifest.json's" in messages
    gone = "IHE_XDM/SUBSET01/DOC00002.PDF listed in METADATA.XML but not on the medium"
    assert f"error {gone}" in messages
    assert "IHE_XDM/SUBSET01/DOC00003.PDF" in messages and "METADATA.XML says" in messages
    assert "SHA-1 differs" in messages
    extra = "DICOM/ST000001/SE000001/extra.dcm under DICOM/ but not in the DICOMDIR"
    assert f"warning {extra}" in messages
    assert found[0][0] == "error"  # errors come first


def test_programs_autorun_and_missing_indexes_are_errors(clean: Path, tmp_path: Path):
    bundle = copy_of(clean, tmp_path)
    (bundle / "AUTORUN.INF").write_text("[autorun]\nopen=viewer.exe\n")
    (bundle / "viewer.exe").write_bytes(b"MZ")
    (bundle / "README.TXT").unlink()
    (bundle / "IHE_XDM" / "SUBSET02").mkdir()
    (bundle / "IHE_XDM" / "SUBSET02" / "DOC00001.PDF").write_bytes(b"%PDF")
    (bundle / "DICOMDIR").unlink()
    paths = {p for s, p, _ in problems(bundle) if s == "error"}
    assert {"AUTORUN.INF", "viewer.exe", "README.TXT", "IHE_XDM/SUBSET02", "DICOMDIR"} <= paths


@pytest.mark.filterwarnings("ignore:Invalid value for VR CS")  # the names are wrong on purpose
def test_a_dicomdir_with_long_names_and_non_dicom_files_breaks_pdi(tmp_path: Path):
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian

    medium = tmp_path / "cd"
    (medium / "images").mkdir(parents=True)
    (medium / "images" / "scan0001.dcm").write_bytes(dicom_bytes())
    (medium / "images" / "NOTDICOM").write_bytes(b"plain text")
    records = []
    for parts in (["images", "scan0001.dcm"], ["images", "NOTDICOM"], ["IMAGES", "GONE"]):
        record = Dataset()
        record.DirectoryRecordType = "IMAGE"
        record.ReferencedFileID = parts
        records.append(record)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.DirectoryRecordSequence = Sequence(records)
    ds.save_as(medium / "DICOMDIR", enforce_file_format=True)
    (medium / "README.TXT").write_text("x")
    (medium / "INDEX.HTM").write_text("x")
    found = {(p, m.split(":")[0].split(" (")[0]) for s, p, m in problems(medium) if s == "error"}
    assert ("images/scan0001.dcm", "not an 8.3 DICOM name") in found
    assert ("images/NOTDICOM", "listed in the DICOMDIR but not a DICOM file") in found
    assert ("IMAGES/GONE", "listed in the DICOMDIR but not on the medium") in found


def test_the_command_exits_1_on_a_broken_rule_and_speaks_json(clean: Path, tmp_path: Path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "recordpack", "verify", *args], capture_output=True, text=True
        )

    good = run(str(clean))
    assert good.returncode == 0 and "follows the media rules" in good.stderr
    bundle = copy_of(clean, tmp_path)
    (bundle / "INDEX.HTM").unlink()
    bad = run(str(bundle), "--json")
    assert bad.returncode == 1
    assert {"severity": "error", "path": "INDEX.HTM"}.items() <= json.loads(bad.stdout)[0].items()
    assert run(str(tmp_path / "nothing")).returncode == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(index=st.binary(max_size=3000), dicomdir=st.binary(max_size=3000), cut=st.integers(0, 4000))
def test_damaged_indexes_are_findings_never_crashes(
    tmp_path: Path, index: bytes, dicomdir: bytes, cut: int
):
    medium = tmp_path / "m.zip"
    with zipfile.ZipFile(medium, "w") as zf:
        zf.writestr("IHE_XDM/SUBSET01/METADATA.XML", index)
        zf.writestr("DICOMDIR", dicom_bytes()[:cut] + dicomdir)
        zf.writestr("manifest.json", index[: cut // 2])
        zf.writestr("../escape", b"x")
    findings = verify_bundle(medium)
    assert any(f.path == "../escape" and f.severity is Severity.ERROR for f in findings)


def test_a_pipe_or_a_device_is_refused_at_once(tmp_path: Path):
    import os

    fifo = tmp_path / "medium.zip"
    os.mkfifo(fifo)  # opening it to read would wait forever for a writer
    for medium in (fifo, Path("/dev/zero")):
        [finding] = verify_bundle(medium)
        assert finding.severity is Severity.ERROR and "not a regular file" in finding.message


def _zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(folder).as_posix())
    return target


def _patch_member(archive: Path, name: str, change) -> None:
    """Change a member's local header or data in place, as damage or a hostile tool would."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    data = bytearray(archive.read_bytes())
    change(data, info.header_offset, info)
    archive.write_bytes(bytes(data))


def test_members_that_cannot_be_read_are_findings_not_crashes(clean: Path, tmp_path: Path):
    medium = _zipped(clean, tmp_path / "b.zip")
    with zipfile.ZipFile(medium) as zf:
        dicom = sorted(n for n in zf.namelist() if n.startswith("DICOM/"))

    def bad_crc(data, at, info):
        data[at + 14] ^= 0xFF  # the CRC in the local header; the central one is read
        start = at + 30 + len(info.filename.encode()) + len(info.extra)
        data[start + 5] ^= 0xFF  # and a byte of the data, which no longer matches it

    def encrypted(data, at, info):
        for offset in (at + 6, data.rindex(info.filename.encode()) - 38):  # local, central flags
            data[offset] |= 1

    def unknown_method(data, at, info):
        for offset in (at + 8, data.rindex(info.filename.encode()) - 36):
            data[offset] = 99

    for name, change in zip(dicom[:3], (bad_crc, encrypted, unknown_method), strict=True):
        _patch_member(medium, name, change)
    found = problems(medium)
    for name in dicom[:3]:
        assert any(path == name and "cannot be read" in message for _, path, message in found)


def test_hostile_indexes_are_findings_within_their_limits(clean: Path, tmp_path: Path):
    folder = copy_of(clean, tmp_path)
    (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    assert any("manifest.json" in p and "cannot be read" in m for _, p, m in problems(folder))
    (folder / "manifest.json").write_text(
        json.dumps({"packet": {"path": "packet.pdf", "sha256": "0"}, "files": [1, "x", None]})
    )
    assert any("cannot be read" in m for _, p, m in problems(folder) if p == "manifest.json")
    [metadata] = list(folder.glob("IHE_XDM/*/METADATA.XML"))
    with metadata.open("ab") as fh:
        fh.write(b" " * (17 * 1024 * 1024))  # more than an index may be: not parsed
    found = problems(_zipped(folder, tmp_path / "big.zip"))
    assert any(p.endswith("METADATA.XML") and "more than the 16 MB" in m for _, p, m in found)


def test_links_inside_a_medium_are_reported_never_followed(clean: Path, tmp_path: Path):
    folder = copy_of(clean, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not part of the medium")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    (folder / "README2.TXT").symlink_to(outside / "secret.txt")
    found = verify_bundle(folder)
    links = sorted(f.path for f in found if "link" in f.message)
    assert links == ["README2.TXT", "elsewhere"]
    assert not [f for f in found if "secret" in f.path]
