import os
from pathlib import Path

from recordpack.models import Severity
from recordpack.pipeline import scan_folder
from tests.builders import LAB, pdf_bytes, problems_by_path, write_pdf


def test_links_loops_and_odd_names(tmp_path: Path):
    write_pdf(tmp_path / "real" / "lab.pdf", LAB)
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    (tmp_path / "self").symlink_to(tmp_path / "self")
    os.mkfifo(tmp_path / "pipe")
    odd = os.fsencode(tmp_path) + b"/caf\xe9 results.pdf"  # Latin-1 name, not valid UTF-8
    fd = os.open(odd, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, pdf_bytes(LAB))
    os.close(fd)
    inv = scan_folder(tmp_path)
    found = problems_by_path(inv)
    assert "broken link" in found["gone.pdf"].message
    assert "loops back" in found["real/loop"].message
    assert "link" in found["self"].message
    assert found["pipe"].severity is Severity.INFO
    assert len(inv.items) == 1  # the lab and its odd-named twin are the same content
    assert len(inv.items[0].sources) == 2


def test_links_out_of_the_records_folder_are_not_followed(tmp_path: Path):
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    records = tmp_path / "records"
    (records / "inner").mkdir(parents=True)
    write_pdf(records / "inner" / "lab.pdf", ["COMPLETE BLOOD COUNT"])
    (records / "key.pdf").symlink_to(secret / "id_rsa")
    (records / "outside").symlink_to(secret)
    (records / "passwd").symlink_to("/etc/passwd")
    (records / "same-lab.pdf").symlink_to(records / "inner" / "lab.pdf")  # inside: followed
    inv = scan_folder(records)
    found = problems_by_path(inv)
    for name in ("key.pdf", "outside", "passwd"):
        assert "outside the records folder" in found[name].message
    [item] = inv.items
    assert sorted(s.path for s in item.sources) == ["inner/lab.pdf", "same-lab.pdf"]
