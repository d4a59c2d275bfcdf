"""Stage 2, understand: turn what the readers found into items, each classified, dated and titled.

One item per document (identical files, same SHA-256, become one item that remembers every
path) and one per imaging study. Category rules and date labels are data
(``data/rules/*.toml``); see :mod:`~recordpack.understand.classify` and
:mod:`~recordpack.understand.dates`.
"""

from __future__ import annotations

from collections import defaultdict

from recordpack.context import Context
from recordpack.models import Found, Inventory, Item, Outcome, Problem, Severity
from recordpack.understand.documents import document_item, document_key
from recordpack.understand.studies import StudyGroup


def understand(ctx: Context, outcome: Outcome) -> Inventory:
    """Group, deduplicate, classify and date what the readers found.

    With a cache, documents classified before are not classified again.
    """
    order = ctx.options.date_order
    found = outcome.found
    keys = [document_key(f, order) for f in found if f.reading.dicom is None]
    memo = ctx.cache.derived(keys) if ctx.cache else None
    known = set(memo or ())
    by_hash: dict[str, list[Found]] = defaultdict(list)
    for f in found:
        by_hash[f.source.sha256].append(f)
    items: list[Item] = []
    studies: dict[str, StudyGroup] = {}
    problems = list(outcome.problems)
    for group in by_hash.values():
        first, sources = group[0], tuple(f.source for f in group)
        header = first.reading.dicom
        if header is None:
            items.append(document_item(first, sources, order, memo))
            continue
        key = header.study_uid or f"no-study-uid:{header.series_uid or first.source.sha256}"
        studies.setdefault(key, StudyGroup(key)).add(header, sources)
        if not header.study_uid:
            problems.append(_no_study_uid(first.source.display))
    items.extend(study.to_item() for study in studies.values())
    if ctx.cache and memo is not None:
        ctx.cache.remember_derived({k: v for k, v in memo.items() if k not in known})
    return Inventory(
        root=str(ctx.root),
        items=tuple(items),
        problems=tuple(problems),
        files_seen=outcome.files_seen,
        bytes_seen=outcome.bytes_seen,
        duplicates=sum(len(group) - 1 for group in by_hash.values()),
    )


def _no_study_uid(where: str) -> Problem:
    return Problem(
        where,
        Severity.WARNING,
        "DICOM image without a Study Instance UID; listed as a study of its own",
        "export the study again from the imaging system",
    )
