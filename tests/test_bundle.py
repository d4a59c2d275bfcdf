import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack.cli import app
from tests.builders import EXAMPLE

runner = CliRunner()


@pytest.mark.slow
def test_reports_profile_zip_has_no_images(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "r")
    result = runner.invoke(
        app,
        [
            "build",
            str(tmp_path / "r"),
            "-o",
            str(tmp_path / "p.pdf"),
            "--bundle",
            str(tmp_path / "b.zip"),
            "--profile",
            "reports",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(tmp_path / "b.zip").namelist()
    assert "packet.pdf" in names and not any(n.startswith("DICOM") for n in names)


def test_many_images_are_copied_by_workers_byte_for_byte_and_all_indexed(tmp_path: Path):
    import hashlib
    import subprocess

    from recordpack.bundle import PARALLEL_AFTER, write_dicom_media
    from recordpack.pipeline import scan_folder
    from recordpack.sources import Records
    from recordpack.timeline import build_timeline
    from tests.builders import dicom_bytes, require_tool

    records = tmp_path / "records"
    records.mkdir()
    count = PARALLEL_AFTER + 10
    for n in range(1, count + 1):
        (records / f"IM{n:04d}").write_bytes(dicom_bytes(series=1 + n % 2, instance=n))
    timeline = build_timeline(scan_folder(records))
    work = tmp_path / "bundle"
    copied = write_dicom_media(work, Records(records), timeline, workers=2)
    assert len(copied) == count
    for copy in copied.values():
        assert hashlib.sha256((work / copy.path).read_bytes()).hexdigest() == copy.sha256
    dump = subprocess.run(
        [require_tool("dcmdump"), str(work / "DICOMDIR")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert dump.count("(0004,1430) CS [IMAGE]") == count
    assert dump.count("(0004,1430) CS [SERIES]") == 2


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.slow
def test_index_htm_opens_in_headless_chromium_with_every_link_resolved(tmp_path: Path):
    import subprocess
    from html.parser import HTMLParser

    from PIL import Image

    from tests.builders import require_tool

    chromium = require_tool("chromium")
    bundle = tmp_path / "bundle"
    command = ["build", str(EXAMPLE), "-o", str(tmp_path / "p.pdf"), "--bundle", str(bundle)]
    result = CliRunner().invoke(app, [*command, "--no-ocr", "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    page = (bundle / "INDEX.HTM").as_uri()

    def browse(*args: str) -> str:
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'c'}", *args, page],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.hrefs: list[str] = []
            self.tags: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.add(tag)
            self.hrefs += [v for k, v in attrs if k in ("href", "src") and v]

    dom = Links()
    dom.feed(browse("--dump-dom"))  # the document as Chromium built it
    assert "table" in dom.tags and not {"script", "iframe", "object", "embed"} & dom.tags
    assert len(dom.hrefs) > 20
    for href in dom.hrefs:
        assert "://" not in href and not href.startswith("/"), href  # nothing outside the bundle
        assert (bundle / href.split("#")[0]).is_file(), href
    shot = tmp_path / "index.png"
    browse(f"--screenshot={shot}", "--window-size=1000,1200")
    with Image.open(shot) as image:
        assert image.size == (1000, 1200)
        low, high = image.convert("L").getextrema()
        assert high - low > 150  # text drawn on the page, not a blank or error screen
