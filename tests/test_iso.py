import re
import subprocess
from pathlib import Path

import pytest

from recordpack.iso import write_iso
from recordpack.options import BuildOptions, ReadOptions
from recordpack.patient import load_patient
from recordpack.pipeline import build_packet
from recordpack.verify import verify_bundle
from tests.builders import EXAMPLE, require_tool


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("iso")
    options = BuildOptions(
        output=out / "packet.pdf",
        iso=out / "records.iso",
        patient=load_patient(EXAMPLE / "patient.toml"),
        read=ReadOptions(ocr_lang=None),
    )
    result = build_packet(EXAMPLE, options)
    assert result.iso == out / "records.iso" and result.bundle is None
    return out / "records.iso"


def isoinfo(*args: str) -> str:
    return subprocess.run(
        [require_tool("isoinfo"), *args], capture_output=True, text=True, check=True
    ).stdout


def test_the_image_is_iso_9660_level_1_with_long_names_beside(image: Path):
    assert sorted(p.name for p in image.parent.iterdir()) == ["packet.pdf", "records.iso"]
    assert image.stat().st_mode & 0o777 == 0o600
    info = isoinfo("-d", "-i", str(image))
    assert re.search(r"Volume id: RECORDS_\d{8}", info) and "Joliet" in info
    names = re.findall(r"\]\s+(\S+)\s*$", isoinfo("-l", "-i", str(image)), re.M)
    files = [n for n in names if ";" in n]
    assert "PACKET.PDF;1" in files and "DICOMDIR.;1" in files and "MANIFEST.JSO;1" in files
    for name in files:  # level 1: 8.3 d-characters
        assert re.fullmatch(r"[A-Z0-9_]{1,8}\.[A-Z0-9_]{0,3};1", name), name
    joliet = isoinfo("-J", "-f", "-i", str(image)).split()
    assert "/packet.pdf" in joliet and "/manifest.json" in joliet
    assert "/IHE_XDM/SUBSET01/METADATA.XML" in joliet


def test_files_on_the_disc_are_the_bundle_byte_for_byte(image: Path, tmp_path: Path):
    packet = subprocess.run(
        [require_tool("isoinfo"), "-i", str(image), "-x", "/PACKET.PDF;1"],
        capture_output=True,
        check=True,
    ).stdout
    assert packet == (image.parent / "packet.pdf").read_bytes()
    dicomdir = tmp_path / "DICOMDIR"
    dicomdir.write_bytes(
        subprocess.run(
            [require_tool("isoinfo"), "-i", str(image), "-x", "/DICOMDIR.;1"],
            capture_output=True,
            check=True,
        ).stdout
    )
    dump = subprocess.run([require_tool("dcmdump"), str(dicomdir)], capture_output=True, text=True)
    assert dump.returncode == 0 and "DICOM\\ST000001\\SE000001\\IM000001" in dump.stdout
    errors = [f for f in verify_bundle(image) if f.severity.value != "info"]
    assert errors == []


def test_short_names_never_collide(tmp_path: Path):
    folder = tmp_path / "b"
    folder.mkdir()
    for name in ("manifest.json", "manifest.jsonl", "a very long name.pdf", "a very long nose.pdf"):
        (folder / name).write_text(name)
    target = tmp_path / "x.iso"
    target.touch()
    write_iso(folder, target)
    names = [
        n for n in re.findall(r"\]\s+(\S+)\s*$", isoinfo("-l", "-i", str(target)), re.M) if ";" in n
    ]
    assert len(names) == len(set(names)) == 4
    text = subprocess.run(
        [require_tool("isoinfo"), "-J", "-i", str(target), "-x", "/manifest.jsonl"],
        capture_output=True,
        text=True,
    ).stdout
    assert text == "manifest.jsonl"


def test_more_files_than_a_process_may_keep_open(tmp_path: Path):
    import sys

    folder = tmp_path / "b" / "DICOM"
    folder.mkdir(parents=True)
    for n in range(300):
        (folder / f"IM{n:06d}").write_bytes(b"x" * 10)
    target = tmp_path / "x.iso"
    target.touch()
    code = (
        "import resource, sys; from pathlib import Path; from recordpack.iso import write_iso;"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64));"
        "write_iso(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b"), str(target)], check=True)
    listed = isoinfo("-l", "-i", str(target))
    assert listed.count("IM0") == 300
