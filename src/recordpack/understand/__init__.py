"""Stage 2, understand: turn what the readers found into items, each classified, dated and titled.

One item per document (identical files, same SHA-256, become one item that remembers every
path) and one per imaging study (an image stored twice, same SOP Instance UID, counts once).
Category rules and date labels are data (``data/rules/*.toml``); see
:mod:`~recordpack.understand.classify` and :mod:`~recordpack.understand.dates`.
"""

from __future__ import annotations

from collections import defaultdict

from recordpack.context import Context, collector_paused
from recordpack.models import Found, Inventory, Item, Outcome, Problem, Severity
from recordpack.understand.documents import document_item, document_key, split_file
from recordpack.understand.duplicates import collapse_copies
from recordpack.understand.studies import StudyGroup


def understand(ctx: Context, outcome: Outcome) -> Inventory:
    """Group, deduplicate, classify and date what the readers found."""
    copies: dict[str, list[Found]] = defaultdict(list)
    for f in outcome.found:
        copies[_identity(f)].append(f)
    groups = list(copies.values())
    problems = list(outcome.problems)
    documents = [g for g in groups if g[0].reading.dicom is None]
    images = [g for g in groups if g[0].reading.dicom is not None]
    documents = [part for g in documents for part in split_file(g, problems)]
    # classifying makes garbage the collector must see: it is not paused here
    items, copies_folded = collapse_copies(_documents(ctx, documents))
    problems += copies_folded
    with collector_paused():  # studies: thousands of headers grouped, objects with no cycles
        items += _studies(images, problems)
    return Inventory(
        root=str(ctx.root),
        items=tuple(items),
        problems=tuple(problems),
        files_seen=outcome.files_seen,
        bytes_seen=outcome.bytes_seen,
        duplicates=sum(len(group) - 1 for group in groups) + len(copies_folded),
    )


def _identity(found: Found) -> str:
    """What copies of one file share: its bytes, or for an image its DICOM identifiers."""
    header = found.reading.dicom
    if header is None or not header.sop_uid:
        return found.source.identity
    return f"dicom:{header.study_uid}:{header.sop_uid}"


def _documents(ctx: Context, groups: list[list[Found]]) -> list[Item]:
    """One item per document; with a cache, documents classified before are not again."""
    order = ctx.options.date_order
    memo = ctx.cache.derived([document_key(g[0], order) for g in groups]) if ctx.cache else None
    known = set(memo or ())
    items = [document_item(g[0], tuple(f.source for f in g), order, memo) for g in groups]
    if ctx.cache and memo is not None:
        ctx.cache.remember_derived({k: v for k, v in memo.items() if k not in known})
    return items


def _studies(groups: list[list[Found]], problems: list[Problem]) -> list[Item]:
    """One item per imaging study, its files grouped by Study and Series Instance UID."""
    studies: dict[str, StudyGroup] = {}
    for group in groups:
        first, sources = group[0], tuple(f.source for f in group)
        header = first.reading.dicom
        assert header is not None  # noqa: S101 - only DICOM images come here
        key = header.study_uid or f"no-study-uid:{header.series_uid or first.source.identity}"
        studies.setdefault(key, StudyGroup(key)).add(header, sources)
        if not header.study_uid:
            problems.append(_no_study_uid(first.source.display))
    return [study.to_item() for study in studies.values()]


def _no_study_uid(where: str) -> Problem:
    return Problem(
        where,
        Severity.WARNING,
        "DICOM image without a Study Instance UID; listed as a study of its own",
        "export the study again from the imaging system",
    )
