import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recordpack.members import MAX_ATTACHED, attached, attached_files, looks_like_fhir
from tests.builders import jpeg_bytes, json_values, pdf_bytes


def report(*forms: dict[str, Any], kind: str = "DiagnosticReport") -> dict[str, Any]:
    key = "presentedForm" if kind == "DiagnosticReport" else "content"
    items = list(forms) if key == "presentedForm" else [{"attachment": f} for f in forms]
    return {"resourceType": kind, key: items}


def inline(data: bytes, kind: str = "application/pdf") -> dict[str, Any]:
    return {"contentType": kind, "data": base64.b64encode(data).decode()}


def test_inline_pdfs_and_images_are_named_by_their_order_in_the_file():
    pdf, jpeg = pdf_bytes(["CT CHEST"]), jpeg_bytes()
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": report(inline(pdf), {"contentType": "text/plain", "data": "aGk="})},
            {"resource": report(inline(jpeg, "image/jpeg; name=x"), kind="DocumentReference")},
        ],
    }
    data = json.dumps(bundle).encode()
    assert looks_like_fhir(data[:4096])
    assert attached_files(data) == [("attachment-1.pdf", pdf), ("attachment-2.jpg", jpeg)]
    assert attached_files(data) == attached_files(data)  # the same names on every reading


def test_links_undecodable_and_oversized_attachments_are_not_files():
    link = {"contentType": "application/pdf", "url": "https://portal.example/1.pdf"}
    broken = {"contentType": "application/pdf", "data": "not base64 at all!"}
    huge = {"contentType": "application/pdf", "data": "A" * (MAX_ATTACHED * 4 // 3 + 8)}
    data = json.dumps(report(link, broken, huge, inline(b"%PDF-1.4 x"))).encode()
    assert attached_files(data) == [("attachment-2.pdf", b"%PDF-1.4 x")]  # broken keeps number 1
    assert attached(data, "attachment-2.pdf") == b"%PDF-1.4 x"
    assert attached(data, "attachment-1.pdf") is None and attached(data, "x.pdf") is None


def test_not_json_or_not_fhir_gives_nothing():
    assert attached_files(b"\xff\xfe{") == [] and attached_files(b"[1, 2]") == []
    assert not looks_like_fhir(b"<ClinicalDocument>")


JSON = json_values(
    [
        "resourceType",
        "entry",
        "resource",
        "presentedForm",
        "content",
        "attachment",
        "data",
        "contentType",
        "contained",
    ]
)


@given(JSON, st.sampled_from(["Bundle", "DiagnosticReport", "DocumentReference"]))
def test_any_json_gives_files_or_nothing_never_an_error(value: Any, kind: str):
    document = {"resourceType": kind, "entry": value, "presentedForm": value, "content": value}
    for name, data in attached_files(json.dumps(document).encode()):
        assert name.startswith("attachment-") and data
