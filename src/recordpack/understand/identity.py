"""Whose record a document says it is: the name, date of birth and record number it prints.

Read once, while the document is understood, with the run's date order; the check stage
compares what was read, it never parses text again.
"""

from __future__ import annotations

import re

from recordpack.models import Identity
from recordpack.options import DateOrder
from recordpack.understand.dates import find_dates

HEAD_LINES = 25  # identity lines sit in a document's header block
_NAME = re.compile(
    r"(?:^|\s)(?:patient name|patient|name|pt)\s*[:#]\s*([A-Za-zÀ-ÿ' ,.-]{3,60}?)"
    r"(?=\s{2,}|\s+(?:dob|d\.o\.b|date of birth|mrn|age|sex)\b|$)",
    re.I | re.M,
)
_DOB = re.compile(
    r"(?:dob|d\.o\.b\.?|date of birth|birth date)\s*[:#]?\s*([0-9A-Za-z ,./-]{6,20})", re.I
)
_MRN = re.compile(
    r"(?:mrn|medical record (?:#|no\.?|number)|mr#)\s*[:#]?\s*([A-Z0-9-]{3,20})", re.I
)


def identity_in_text(text: str, order: DateOrder = DateOrder.MDY) -> Identity:
    """The name, date of birth and record number in a document's header block."""
    head = "\n".join(text.splitlines()[:HEAD_LINES])
    name = m.group(1).strip(" ,.") if (m := _NAME.search(head)) else ""
    dob = None
    if m := _DOB.search(head):
        found = find_dates(m.group(1), order)
        dob = found[0].date if found else None
    mrn = m.group(1) if (m := _MRN.search(head)) else ""
    return Identity(name, dob, mrn)
