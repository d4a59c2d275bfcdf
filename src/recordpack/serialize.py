"""Machine-readable forms of a timeline: the stable JSON shape (see README) and CSV."""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recordpack.checklist import ChecklistReport, Status
from recordpack.models import Category, Item, Problem, Severity, Source, Study, Timeline
from recordpack.results import BatchResult, BuildResult, JobResult, Mismatch, RequestState

if TYPE_CHECKING:
    from recordpack.request import RequestPlan

TIMELINE_COLUMNS = (
    "index",
    "date",
    "date_source",
    "date_ambiguous",
    "category",
    "title",
    "pages",
    "images",
    "modality",
    "reason",
    "path",
)


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(path: str) -> str:
    r"""File names that are not valid UTF-8 are shown with \\x escapes instead of failing."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def shown(text: str) -> str:
    r"""Text from files and file names as a terminal may show it: control characters as \\x1b.

    A file named with an escape sequence must not retitle the window or clear the screen.
    """
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", printable(text))


def source_dict(source: Source) -> dict[str, Any]:
    """One source file, with paths relative to the scanned folder."""
    return {
        "path": printable(source.path),
        "sha256": source.sha256,
        "size": source.size,
        "kind": source.kind.value,
        "archive": printable(source.archive) if source.archive else None,
        "pages": list(source.pages) if source.pages else None,
    }


def item_dict(item: Item) -> dict[str, Any]:
    """One item in the stable JSON shape; ``facts`` holds extra, per-kind details."""
    return {
        "id": item.id,
        "index": item.index,
        "category": item.category.value,
        "title": item.title,
        "date": item.date.isoformat() if item.date else None,
        "date_source": item.date_source or None,
        "date_ambiguous": item.date_ambiguous,
        "reason": item.reason,
        "pages": item.pages,
        "modality": item.modality,
        "sources": [source_dict(s) for s in item.sources],
        "facts": study_facts(item.study) if item.study else document_facts(item),
    }


def document_facts(item: Item) -> dict[str, Any]:
    """What the reader found besides the text: the category's confidence, scans, OCR, content."""
    facts: dict[str, Any] = {"confidence": item.confidence}
    if item.pixels:
        facts["width"], facts["height"] = item.pixels
    if item.scanned:
        facts["scanned"] = True
    if item.active_content:
        facts["active_content"] = list(item.active_content)
    if item.encapsulated:
        facts["encapsulated"] = "pdf"
    if item.ocr:
        facts["ocr"] = {
            "pages": item.ocr.pages,
            "confidence": item.ocr.confidence,
            "lang": item.ocr.lang,
        }
    return facts


def study_facts(study: Study) -> dict[str, Any]:
    """A study's headers; a series lists its image count, not its files; no patient identity."""
    return {
        "study_uid": study.uid,
        "description": study.description,
        "body_part": study.body_part,
        "accession": study.accession,
        "institution": study.institution,
        "images": study.images,
        "frames": study.frames,
        "series": [
            {
                "number": s.number,
                "modality": s.modality,
                "description": s.description,
                "body_part": s.body_part,
                "images": s.images,
            }
            for s in study.series
        ],
    }


def problem_dict(problem: Problem) -> dict[str, Any]:
    """One file that is not (or not wholly) in the record set, and what to do about it."""
    return {
        "path": printable(problem.path),
        "severity": problem.severity.value,
        "message": problem.message,
        "hint": problem.hint,
    }


def summary(timeline: Timeline) -> dict[str, Any]:
    """Counts a person or a script checks first."""
    inv = timeline.inventory
    by_category = Counter(item.category.value for item in timeline.items)
    severities = Counter(p.severity.value for p in inv.problems)
    return {
        "files": inv.files_seen,
        "bytes": inv.bytes_seen,
        "items": len(timeline.items),
        "by_category": {c.value: by_category[c.value] for c in Category if by_category[c.value]},
        "undated": len(timeline.undated),
        "ambiguous_dates": sum(1 for i in timeline.items if i.date_ambiguous),
        "duplicates": inv.duplicates,
        "problems": {s.value: severities[s.value] for s in Severity},
    }


def timeline_dict(timeline: Timeline) -> dict[str, Any]:
    """The whole inventory in the stable JSON shape."""
    return {
        "root": printable(timeline.inventory.root),
        "items": [item_dict(i) for i in timeline.items],
        "problems": [problem_dict(p) for p in timeline.inventory.problems],
        "summary": summary(timeline),
    }


def timeline_csv(timeline: Timeline) -> str:
    """One row per item, for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TIMELINE_COLUMNS)
    for item in timeline.items:
        writer.writerow(
            (
                item.index,
                item.date.isoformat() if item.date else "",
                item.date_source,
                "yes" if item.date_ambiguous else "",
                item.category.value,
                item.title,
                item.pages if item.pages is not None else "",
                item.study.images if item.study else "",
                item.modality or "",
                item.reason,
                printable(item.sources[0].where),
            )
        )
    return buffer.getvalue()


def report_dict(
    report: ChecklistReport,
    mismatches: list[Mismatch],
    translation: list[Item],
    requests: tuple[RequestState, ...] = (),
) -> dict[str, Any]:
    """A checklist report in JSON: items with status, reason and evidence, then identity checks."""
    return {
        "checklist": {
            "id": report.checklist.id,
            "title": report.checklist.title,
            "sources": report.checklist.sources,
        },
        "consult_date": report.consult_date.isoformat(),
        "complete": report.complete,
        "summary": {s.value: report.count(s) for s in Status},
        "items": [
            {
                "id": r.item.id,
                "label": r.item.label,
                "level": r.item.level.value,
                "status": r.status.value,
                "reason": r.reason,
                "why": r.item.why,
                "ask": r.item.ask,
                "source": r.item.source,
                "evidence": [
                    {
                        "index": i.index,
                        "title": i.title,
                        "date": i.date.isoformat() if i.date else None,
                    }
                    for i in r.evidence
                ],
            }
            for r in report.results
        ],
        "identity": [
            {"field": m.field, "expected": m.expected, "found": m.found, "items": list(m.items)}
            for m in mismatches
        ],
        "translation": [{"index": i.index, "title": i.title} for i in translation],
        "requests": [
            {
                "provider": r.request.provider,
                "sent": r.request.sent.isoformat(),
                "jurisdiction": r.request.jurisdiction,
                "due": r.due.isoformat(),
                "received": r.request.received.isoformat() if r.request.received else None,
                "overdue": r.overdue,
            }
            for r in requests
        ],
    }


def request_dict(plan: RequestPlan, written: list[Path]) -> dict[str, Any]:
    """What ``recordpack request`` wrote: each letter's provider and records, and the rest."""
    return {
        "letters": [
            {
                "provider": letter.provider.name,
                "records": [
                    {"id": w.item.id, "label": w.item.label, "dates": w.dates, "form": w.form}
                    for w in letter.wanted
                ],
            }
            for letter in plan.letters
        ],
        "files": [str(path) for path in written],
        "not_assigned": [{"id": r.item.id, "label": r.item.label} for r in plan.unassigned],
    }


def build_dict(result: BuildResult) -> dict[str, Any]:
    """The build report for scripts: outputs, pages, where each item is, problems, checklist."""
    check = result.check
    return {
        "output": str(result.output),
        "bundle": str(result.bundle) if result.bundle else None,
        "fhir": str(result.fhir) if result.fhir else None,
        "iso": str(result.iso) if result.iso else None,
        "pages": result.pages,
        "cover_pages": result.cover_pages,
        "items": [
            {
                "index": p.item.index,
                "category": p.item.category.value,
                "title": p.item.title,
                "date": p.item.date.isoformat() if p.item.date else None,
                "first_page": p.first_page,
                "last_page": p.last_page,
            }
            for p in result.placed
        ],
        "problems": [problem_dict(p) for p in result.problems],
        "active_content_removed": result.active_content_removed,
        "seconds": result.seconds,
        "checklist": report_dict(check.report, check.mismatches, check.translation, check.requests),
    }


def job_dict(result: JobResult) -> dict[str, Any]:
    """One JSON line of ``batch --json``: a built, unchanged or failed patient."""
    if result.status == "failed":
        return {
            "job": result.job,
            "status": result.status,
            "error": result.error,
            "seconds": result.seconds,
        }
    return {
        "job": result.job,
        "status": result.status,
        "output": result.output,
        "bundle": result.bundle,
        "pages": result.pages,
        "items": result.items,
        "problems": [
            {"path": p.path, "severity": p.severity.value, "message": p.message}
            for p in result.problems
        ],
        "checklist": {
            "id": result.checklist,
            "complete": result.complete,
            "missing": list(result.missing),
        },
        "seconds": result.seconds,
    }


def job_from_dict(data: dict[str, Any]) -> JobResult:
    """A job's result as :func:`job_dict` wrote it (the cache keeps the last build's)."""
    checklist = data.get("checklist") or {}
    return JobResult(
        job=data["job"],
        status=data["status"],
        seconds=data.get("seconds", 0.0),
        output=data.get("output"),
        bundle=data.get("bundle"),
        pages=data.get("pages"),
        items=data.get("items"),
        problems=tuple(
            Problem(p["path"], Severity(p["severity"]), p["message"])
            for p in data.get("problems", [])
        ),
        checklist=checklist.get("id"),
        complete=checklist.get("complete"),
        missing=tuple(checklist.get("missing", ())),
        error=data.get("error"),
    )


def batch_summary(result: BatchResult) -> dict[str, Any]:
    """The last JSON line of ``batch --json``: counts by status and the total time."""
    return {
        "summary": True,
        "jobs": len(result.jobs),
        "built": result.count("built"),
        "unchanged": result.count("unchanged"),
        "failed": result.count("failed"),
        "incomplete": result.incomplete,
        "seconds": result.seconds,
    }
