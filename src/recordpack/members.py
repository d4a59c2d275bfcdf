"""Files inside other files: what a FHIR export carries in itself, found the same way each time.

A portal's FHIR export may carry its reports' PDFs and images in the JSON itself (base64 in a
DiagnosticReport's ``presentedForm`` or a DocumentReference's content). They are records as a
zip's members are: the scan reads them and every later stage reads them back by the same name
(``attachment-1.pdf``, in the order the file holds them). Kept apart from the readers so the
records folder (:mod:`recordpack.sources`) can open them without the reading machinery.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

MAX_RESOURCES = 5000  # a bundle with more entries is read up to this many
MAX_ATTACHED = 64 * 1024 * 1024  # bytes of one attached file (base64 decoded)
REPORTS = ("Composition", "DiagnosticReport", "DocumentReference")
FILES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
}


def looks_like_fhir(head: bytes) -> bool:
    """A JSON object naming a FHIR resource type in the file's first bytes."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"{") and b'"resourceType"' in head[:4096]


def fhir_resources(root: Any) -> list[dict[str, Any]]:
    """The resources of a bundle (entries, nested bundles, contained ones) or the resource."""
    found: list[dict[str, Any]] = []
    pending = [root]
    while pending and len(found) < MAX_RESOURCES:
        item = pending.pop(0)
        if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
            continue
        if item["resourceType"] == "Bundle":
            pending += [e.get("resource") for e in _list(item.get("entry")) if isinstance(e, dict)]
            continue
        found.append(item)
        pending += _list(item.get("contained"))
    return found


def attachments(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """A report's attachments: its presented forms and a document reference's content."""
    forms = [f for f in _list(resource.get("presentedForm")) if isinstance(f, dict)]
    content = [c.get("attachment") for c in _list(resource.get("content")) if isinstance(c, dict)]
    return [f for f in (*forms, *content) if isinstance(f, dict) and f]


def content_type(form: dict[str, Any]) -> str:
    """An attachment's media type, lower case, without parameters."""
    kind = form.get("contentType")
    return kind.split(";")[0].strip().lower() if isinstance(kind, str) else ""


def attached_file(form: dict[str, Any]) -> bytes | None:
    """An attachment's bytes when it is a PDF or an image carried inline and decodes."""
    if not _carried(form):
        return None
    try:
        return base64.b64decode(form["data"]) or None
    except (binascii.Error, ValueError):
        return None


def attached_files(data: bytes) -> list[tuple[str, bytes]]:
    """The PDFs and images a FHIR file carries in itself, as (member name, bytes).

    Named by their order among the PDFs and images carried in the file (``attachment-1.pdf``),
    so the scan and every later reading give the same names; one that does not decode keeps
    its number and is left out (the reader names it in its warnings).
    """
    files = []
    for name, form in _carried_forms(data):
        if (raw := attached_file(form)) is not None:
            files.append((name, raw))
    return files


def attached(data: bytes, name: str) -> bytes | None:
    """One file a FHIR file carries, by the name :func:`attached_files` gave it, or None.

    Only it is decoded: reading back each of a file's hundred PDFs does not decode them all.
    """
    form = dict(_carried_forms(data)).get(name)
    return attached_file(form) if form is not None else None


def _carried_forms(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    try:
        root = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []
    forms = [
        form
        for resource in fhir_resources(root)
        if resource["resourceType"] in REPORTS[1:]
        for form in attachments(resource)
        if _carried(form)
    ]
    return [(f"attachment-{n}{FILES[content_type(f)]}", f) for n, f in enumerate(forms, start=1)]


def _carried(form: dict[str, Any]) -> bool:
    """A PDF or an image whose data is in the file, within the size one attachment may have."""
    data = form.get("data")
    return (
        content_type(form) in FILES
        and isinstance(data, str)
        and 0 < len(data) <= MAX_ATTACHED * 4 // 3 + 4
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
