"""The conclusion of a report, quoted verbatim for the cover: never paraphrased or generated.

For pathology, radiology, genetics and cardiology reports, the text under the first conclusion
header (``data/rules/findings.toml``: "FINAL DIAGNOSIS", "IMPRESSION", …), up to the next header,
shortened with "…".
"""

from __future__ import annotations

import re
from functools import cache

from recordpack.models import Category
from recordpack.rules import check_keys, load_rules

MAX_QUOTE = 280
_HEADER = re.compile(r"^\s*[A-Z][A-Za-z0-9 /&()-]{1,48}:")  # any other section header


@cache
def _headers() -> dict[Category, list[re.Pattern[str]]]:
    data = load_rules("findings.toml")
    check_keys(data, [c.value for c in Category], "data/rules/findings.toml")
    return {
        Category(category): [re.compile(rf"^\s*{re.escape(h)}\s*:?\s*(.*)$", re.I) for h in heads]
        for category, heads in data.items()
    }


def key_findings(text: str, category: Category) -> str:
    """The report's own conclusion, verbatim (whitespace folded), or ""."""
    lines = text.splitlines()
    for pattern in _headers().get(category, []):
        for n, line in enumerate(lines):
            if (m := pattern.match(line)) and (quote := _quote(m.group(1), lines[n + 1 :])):
                return quote
    return ""


def _quote(rest: str, following: list[str]) -> str:
    parts = [rest.strip()] if rest.strip() else []
    for line in following:
        if not line.strip():
            if parts:
                break
            continue
        if _HEADER.match(line) and parts:
            break
        parts.append(line.strip())
        if sum(len(p) for p in parts) > MAX_QUOTE:
            break
    quote = " ".join(" ".join(parts).split())
    return quote if len(quote) <= MAX_QUOTE else quote[: MAX_QUOTE - 1].rstrip(" ,;") + "…"
