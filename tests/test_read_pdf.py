import io
from pathlib import Path

from pypdf import PdfWriter
from pypdf.actions import JavaScript

from recordpack.models import Category, Severity
from recordpack.options import ReadOptions
from recordpack.pipeline import scan_folder
from tests.builders import LAB, pdf_bytes


def test_the_right_password_opens_an_encrypted_pdf(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(LAB)))
    writer.encrypt(user_password="secret", algorithm="AES-256")
    writer.write(tmp_path / "locked.pdf")
    [item] = scan_folder(tmp_path, ReadOptions(password="secret")).items
    assert item.category is Category.LAB


def test_pdf_javascript_is_reported(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(LAB)))
    writer.add_open_action(JavaScript("app.alert('hi');"))
    writer.write(tmp_path / "js.pdf")
    inv = scan_folder(tmp_path)
    assert len(inv.items) == 1
    [problem] = inv.problems
    assert problem.severity is Severity.WARNING and "JavaScript" in problem.message


def test_files_attached_to_a_pdf_are_named_not_carried(tmp_path: Path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(LAB)))
    writer.add_attachment("setup.exe", b"MZ\x90\x00 not a record")
    writer.write(tmp_path / "with-attachment.pdf")
    inv = scan_folder(tmp_path)
    [problem] = inv.problems
    assert "attached files" in problem.message and problem.severity is Severity.WARNING


def test_bookmarks_pointing_nowhere_are_left_out_and_the_rest_kept():
    import pikepdf

    from recordpack.read.pdf import read_pdf
    from tests.builders import pages_pdf

    data = pages_pdf([["a"], ["b"], ["c"]], bookmarks={0: "Visit", 1: "Labs", 2: "Scan"})
    with pikepdf.open(io.BytesIO(data)) as pdf:
        second = pdf.Root.Outlines.First.Next
        second.Dest = pikepdf.Array([pikepdf.Dictionary(Type=pikepdf.Name.Page), pikepdf.Name.Fit])
        second.Next.Dest = pikepdf.Array([pikepdf.Name.Fit])  # no page at all
        out = io.BytesIO()
        pdf.save(out)
    reading = read_pdf(io.BytesIO(out.getvalue()))
    assert reading.pages == 3 and reading.outline == ((0, "Visit"),)
