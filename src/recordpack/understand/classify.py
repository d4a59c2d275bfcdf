"""Sort a document into the fixed vocabulary of categories, and say why.

Rules are data (``data/rules/categories.toml``). Content decides first: a document's own title in
its first lines beats section headers, headers beat vocabulary, and anything found under a
quoting section ("Results", "Labs", "Clinical history") counts little, because notes quote other
documents. The file or folder name is only a hint, used when the text says too little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from recordpack.errors import RuleDataError
from recordpack.models import Category
from recordpack.rules import check_keys, load_rules, require


@dataclass(frozen=True, slots=True)
class Classification:
    """A category with the reason for it, a confidence word and the document's own title."""

    category: Category
    reason: str
    confidence: str  # high | medium | low
    title: str = ""


@dataclass(frozen=True, slots=True)
class _Rule:
    category: Category
    header_weight: float  # how telling this category's headers are, against the others'
    titles: re.Pattern[str] | None
    headers: re.Pattern[str] | None
    keywords: re.Pattern[str] | None
    names: re.Pattern[str] | None
    modalities: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Rules:
    rules: tuple[_Rule, ...]
    quoting: re.Pattern[str]
    any_header: re.Pattern[str]
    weights: dict[str, float]


def _phrases(words: list[str]) -> str:
    return "|".join(re.escape(w.strip()) for w in sorted(words, key=len, reverse=True) if w.strip())


def _anywhere(words: list[str]) -> re.Pattern[str] | None:
    return re.compile(rf"(?<!\w)(?:{_phrases(words)})(?!\w)", re.I) if words else None


def _header(words: list[str]) -> re.Pattern[str] | None:
    """A header: at the start of a line (after an optional number), then a colon or the line end.

    Singular and plural both count ("Discharge diagnoses"), and so do joined headers
    ("CHIEF COMPLAINT/HISTORY OF PRESENT ILLNESS:", "PROGRESS NOTES, 4/16/01:").
    """
    if not words:
        return None
    forms = [form for word in words for form in _numbers(word.strip())]
    joined = r"(?:\s*[/&,][^:\n]{0,40})?"
    return re.compile(rf"^\s*(?:\d+[.)]\s*)?(?:{_phrases(forms)}){joined}\s*(?::|$)", re.I)


def _numbers(phrase: str) -> list[str]:
    """A header phrase in the singular and the plural (diagnosis -> diagnoses)."""
    if phrase.endswith("is"):
        return [phrase, phrase[:-2] + "es"]
    if phrase.endswith("s"):
        return [phrase]
    return [phrase, phrase + "s"]


_LISTS = ("titles", "headers", "keywords", "names", "modalities")


@cache
def load_category_rules() -> _Rules:
    """Load and validate the bundled category rules once per process."""
    data = load_rules("categories.toml")
    where = "data/rules/categories.toml"
    check_keys(data, ("scoring", "quoting", "category"), where)
    scoring = require(data, "scoring", dict, where)
    rules = []
    all_headers: list[str] = []
    for n, entry in enumerate(require(data, "category", list, where)):
        here = f"{where}: category #{n + 1}"
        check_keys(entry, ("id", "header_weight", *_LISTS), here)
        try:
            category = Category(require(entry, "id", str, here))
        except ValueError as exc:
            raise RuleDataError(f"{here}: unknown category id {entry['id']!r}") from exc
        lists: dict[str, list[str]] = {
            key: require(entry, key, list, f"{here} ({category})") if key in entry else []
            for key in _LISTS
        }
        all_headers += lists["headers"]
        rules.append(
            _Rule(
                category=category,
                header_weight=float(entry.get("header_weight", 1.0)),
                titles=_anywhere(lists["titles"]),
                headers=_header(lists["headers"]),
                keywords=_anywhere(lists["keywords"]),
                names=_anywhere(lists["names"]),
                modalities=frozenset(m.upper() for m in lists["modalities"]),
            )
        )
    missing = set(Category) - {r.category for r in rules}
    if missing:
        raise RuleDataError(f"{where}: no rules for categories {sorted(missing)}")
    quoting = require(require(data, "quoting", dict, where), "headers", list, f"{where} [quoting]")
    weights = {k: float(v) for k, v in scoring.items()}
    pattern = _header(quoting)
    assert pattern is not None  # noqa: S101 - validated non-empty above
    any_header = _header(all_headers)
    assert any_header is not None  # noqa: S101
    return _Rules(tuple(rules), pattern, any_header, weights)


def classify_text(text: str, name: str = "") -> Classification:
    """Classify a document from its text, with its path as a weak hint."""
    config = load_category_rules()
    w = config.weights
    lines = [line.strip() for line in text.splitlines()]
    quoted = _quoted_lines(lines, config)
    title_zone = [(n, line) for n, line in enumerate(lines[: int(w["title_lines"])]) if line]
    name_hint = _name_words(name)

    scored: list[tuple[float, int, Category, list[str], str]] = []
    first_title = ""
    for order, rule in enumerate(config.rules):
        score, signals, title = _score(rule, lines, quoted, title_zone, w)
        first_title = first_title or title
        scored.append((score, -order, rule.category, signals, title))
    score, _, category, signals, title = max(scored)

    if score >= w["minimum"]:
        confidence = "high" if score >= w["title"] else "medium"
        return Classification(category, "; ".join(signals), confidence, title or first_title)
    for rule in config.rules:
        if rule.names and (m := rule.names.search(name_hint)):
            return Classification(
                rule.category,
                f"name '{m.group(0)}' (a hint only: the text says too little)",
                "low",
                first_title,
            )
    reason = "no text to read" if not text.strip() else "no category signals in the text"
    return Classification(Category.OTHER, reason, "low", first_title)


def classify_dicom(modality: str) -> Classification:
    """A DICOM study is ``imaging`` whatever its modality; the reason names the modality."""
    return Classification(Category.IMAGING, f"DICOM study, modality {modality}", "high")


def _score(
    rule: _Rule,
    lines: list[str],
    quoted: list[bool],
    title_zone: list[tuple[int, str]],
    w: dict[str, float],
) -> tuple[float, list[str], str]:
    score = 0.0
    signals: list[str] = []
    line, phrase = _own_title(rule.titles, title_zone) if rule.titles else ("", "")
    if phrase:
        score += w["title"]
        signals.append(f"title '{phrase}'")
    title = line if _looks_like_a_title(line) else ""  # a sentence names the kind, not a title
    if rule.headers and (found := _weights(rule.headers, lines, quoted, w, header=True)):
        score += w["header"] * rule.header_weight * sum(found.values())
        signals.append("headers " + ", ".join(sorted(found)))
    if rule.keywords and (words := _weights(rule.keywords, lines, quoted, w, header=False)):
        best = sorted(words.values(), reverse=True)[: int(w["keyword_cap"])]
        score += w["keyword"] * sum(best)
        signals.append("words " + ", ".join(sorted(words)[:6]))
    return score, signals, title


def _own_title(titles: re.Pattern[str], title_zone: list[tuple[int, str]]) -> tuple[str, str]:
    """The line in the document's first lines that names its kind, and the phrase, or "".

    The title has no "label:" and is often in capitals: "SURGICAL PATHOLOGY REPORT" rather
    than a letterhead that mentions "Anatomic Pathology", or "Comparison: prior mammogram".
    Title-like lines win over sentences that name the kind ("This is a consultation.").
    """
    matches = [
        (_looks_like_a_title(line), line.isupper(), len(m.group(0)) / len(line), -n, line,
         m.group(0))
        for n, line in title_zone
        if len(line) <= 100 and ":" not in line and (m := titles.search(line))
    ]  # fmt: skip
    if not matches:
        return "", ""
    *_, title, phrase = max(matches)
    return title, phrase


def _looks_like_a_title(line: str) -> bool:
    """Short, no "label:", not a sentence: "MRI RIGHT SHOULDER", not "Patient had a normal MRI."."""
    return (
        len(line) <= 80
        and ":" not in line
        and not line.rstrip().endswith((".", ","))
        and (line[:1].isupper() or line[:1].isdigit())
        and len(line.split()) <= 12
    )


def _weights(
    pattern: re.Pattern[str],
    lines: list[str],
    quoted: list[bool],
    w: dict[str, float],
    *,
    header: bool,
) -> dict[str, float]:
    """Each distinct header (at a line's start) or word found, weighed down where quoted."""
    found: dict[str, float] = {}
    for line, is_quoted in zip(lines, quoted, strict=True):
        matches = [m] if header and (m := pattern.match(line)) else []
        if not header:
            matches = list(pattern.finditer(line))
        for m in matches:
            key = m.group(0).strip(" :").lower() if header else m.group(0).lower()
            found[key] = max(found.get(key, 0.0), w["quoted_weight"] if is_quoted else 1.0)
    return found


def _quoted_lines(lines: list[str], config: _Rules) -> list[bool]:
    """Mark the lines that sit under a quoting header until the next other header.

    A quoting header before any other is the document's own subject ("Results" heading a lab
    printout), not a quotation of another document.
    """
    marks = []
    quoting = False
    started = False  # a section of the document's own was seen
    for line in lines:
        if config.quoting.match(line):
            quoting = started
        elif config.any_header.match(line):
            quoting = False
            started = True
        marks.append(quoting)
    return marks


def _name_words(name: str) -> str:
    """File and folder names as words: ``Labs/2024_cbc.pdf`` -> ``labs 2024 cbc``."""
    path = PurePosixPath(name)
    parts = [*path.parent.parts, path.stem]
    return re.sub(r"[_\-.()\[\]]+", " ", " ".join(parts)).lower()
