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
    columns: frozenset[str]  # table column headings: "Test | Result | Units | Reference range"
    modalities: frozenset[str]
    forms: re.Pattern[str] | None = None  # a line that starts so: a letter's "Dear Dr"


@dataclass(frozen=True, slots=True)
class _Rules:
    rules: tuple[_Rule, ...]
    quoting: re.Pattern[str]
    naming: re.Pattern[str]  # labels whose value names the document: "EXAM:", "PROCEDURE:"
    any_header: re.Pattern[str]
    weights: dict[str, float]


_WORD_START = r"\w*"  # what a "*" phrase may follow: the start of a compound word


def _phrases(words: list[str], before: str = "") -> str:
    """Alternatives, longest first; a leading "*" lets ``before`` come first (see the rules)."""
    forms = sorted((w.strip() for w in words if w.strip()), key=len, reverse=True)
    return "|".join(before + re.escape(w[1:]) if w.startswith("*") else re.escape(w) for w in forms)


def _anywhere(words: list[str]) -> re.Pattern[str] | None:
    """Words anywhere; "*biopten" also ends a compound word ("colonbiopten", "Lungenbiopsie")."""
    return re.compile(rf"(?<!\w)(?:{_phrases(words, _WORD_START)})(?!\w)", re.I) if words else None


def _form(words: list[str]) -> re.Pattern[str] | None:
    """A line that starts with one of ``words``: a salutation ("Dear Dr Lee,") or a closing."""
    return re.compile(rf"^\W*(?:{_phrases(words)})(?!\w)", re.I) if words else None


def _header(words: list[str]) -> re.Pattern[str] | None:
    """A header: at the start of a line (after an optional number), then a colon or the line end.

    Singular and plural both count ("Discharge diagnoses"), and so do joined headers
    ("CHIEF COMPLAINT/HISTORY OF PRESENT ILLNESS:", "PROGRESS NOTES, 4/16/01:"). A "*" header
    ends a longer label and needs its colon: "*biopsy" matches "LEFT BREAST, CORE BIOPSY:".
    """
    if not words:
        return None
    plain = [form for word in words if not word.startswith("*") for form in _numbers(word.strip())]
    starred = [word for word in words if word.startswith("*")]
    joined = r"(?:\s*[/&,][^:\n]{0,40})?"
    pattern = rf"(?:{_phrases(plain)}){joined}\s*(?::|$)"
    if starred:
        pattern += rf"|[^:\n]{{0,60}}?(?<!\w)(?:{_phrases(starred, _WORD_START)})\s*:"
    return re.compile(rf"^\s*(?:\d+[.)]\s*)?(?:{pattern})", re.I)


def _label(words: list[str]) -> re.Pattern[str]:
    """A label at a line's start followed by a colon: "EXAM:", "Title of operation:"."""
    return re.compile(rf"^\s*(?:{_phrases(words)})\s*:", re.I)


def _numbers(phrase: str) -> list[str]:
    """A header phrase in the singular and the plural (diagnosis -> diagnoses)."""
    if phrase.endswith("is"):
        return [phrase, phrase[:-2] + "es"]
    if phrase.endswith("s"):
        return [phrase]
    return [phrase, phrase + "s"]


_LISTS = ("titles", "headers", "keywords", "names", "columns", "modalities", "forms")


@cache
def load_category_rules() -> _Rules:
    """Load and validate the bundled category rules once per process."""
    data = load_rules("categories.toml")
    where = "data/rules/categories.toml"
    check_keys(data, ("scoring", "quoting", "naming", "category"), where)
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
                columns=frozenset(c.lower() for c in lists["columns"]),
                modalities=frozenset(m.upper() for m in lists["modalities"]),
                forms=_form(lists["forms"]),
            )
        )
    missing = set(Category) - {r.category for r in rules}
    if missing:
        raise RuleDataError(f"{where}: no rules for categories {sorted(missing)}")
    quoting = require(require(data, "quoting", dict, where), "headers", list, f"{where} [quoting]")
    weights = {k: float(v) for k, v in scoring.items()}
    pattern = _header(quoting)
    assert pattern is not None  # noqa: S101 - validated non-empty above
    naming = _label(require(require(data, "naming", dict, where), "headers", list, where))
    any_header = _header(all_headers)
    assert any_header is not None  # noqa: S101
    return _Rules(tuple(rules), pattern, naming, any_header, weights)


def classify_text(text: str, name: str = "") -> Classification:
    """Classify a document from its text, with its path as a weak hint."""
    config = load_category_rules()
    w = config.weights
    lines = [line.strip() for line in text.splitlines()]
    quoted = _quoted_lines(lines, config)
    candidates = _title_candidates(lines, config, int(w["title_lines"]))

    scored: list[tuple[float, int, Category, list[str], str, int]] = []
    first_title = ""
    for order, rule in enumerate(config.rules):
        score, signals, title, evidence = _score(rule, lines, quoted, candidates, w)
        first_title = first_title or title
        scored.append((score, -order, rule.category, signals, title, evidence))
    score, _, category, signals, title, evidence = max(scored)

    # One header or one word alone is a coincidence, not a category; a title is enough.
    if score >= w["minimum"] and (evidence > 1 or score >= w["title"]):
        confidence = "high" if score >= w["title"] else "medium"
        return Classification(category, "; ".join(signals), confidence, title or first_title)
    for rule in config.rules:
        if rule.names and (m := rule.names.search(_name_words(name))):
            return Classification(
                rule.category,
                f"name '{m.group(0)}' (a hint only: the text says too little)",
                "low",
                first_title,
            )
    if not text.strip():
        reason = "no text to read"
    elif score > 0:
        reason = f"too few signals to decide ({'; '.join(signals)})"
    else:
        reason = "no category signals in the text"
    return Classification(Category.OTHER, reason, "low", first_title)


def classify_dicom(modality: str) -> Classification:
    """A DICOM study is ``imaging`` whatever its modality; the reason names the modality."""
    return Classification(Category.IMAGING, f"DICOM study, modality {modality}", "high")


def _score(
    rule: _Rule,
    lines: list[str],
    quoted: list[bool],
    candidates: list[tuple[float, int, str]],
    w: dict[str, float],
) -> tuple[float, list[str], str, int]:
    """The rule's score, the signals behind it, the title line, and how many signals there are."""
    score = 0.0
    signals: list[str] = []
    evidence = 0
    weight, line, phrase = _own_title(rule.titles, candidates) if rule.titles else (0, "", "")
    if phrase:
        score += w["title"] * weight
        evidence += 1
        signals.append(f"title '{phrase}'" if weight == 1 else f"named early '{phrase}'")
    # a sentence, or a line inside a section, names the kind, not the title
    title = line if weight == 1 and _looks_like_a_title(line) else ""
    if rule.headers and (found := _weights(rule.headers, lines, quoted, w, header=True)):
        score += w["header"] * rule.header_weight * sum(found.values())
        evidence += len(found)
        signals.append("headers " + ", ".join(sorted(found)))
    if rule.columns and len(columns := _table_heading(rule.columns, lines)) > 1:
        score += w["header"] * rule.header_weight
        evidence += len(columns)
        signals.append("table columns " + ", ".join(columns))
    if rule.forms and (form := next((m for x in lines if (m := rule.forms.match(x))), None)):
        score += w["title"]  # the form of the whole document: a letter about an echo is a letter
        evidence += 1
        signals.append(f"form '{form.group(0).strip(' ,')}'")
    if rule.keywords and (words := _weights(rule.keywords, lines, quoted, w, header=False)):
        best = sorted(words.values(), reverse=True)
        cap = int(w["keyword_cap"])  # a specialty's vocabulary adds up, with diminishing returns
        score += w["keyword"] * (sum(best[:cap]) + w["keyword_extra"] * sum(best[cap : 2 * cap]))
        evidence += len(words)
        signals.append("words " + ", ".join(sorted(words)[:6]))
    return score, signals, title, evidence


_CAPS_HEAD = re.compile(r"^(?:\d+[.)]\s*)?([A-Z0-9][A-Z0-9 /&()'.-]{2,60}?)\s*[:,]")


_CELLS = re.compile(r"\s*(?:\||\t|\s{2,})\s*")


def _table_heading(columns: frozenset[str], lines: list[str]) -> list[str]:
    """The known column headings of the first table heading row that has two or more of them.

    A row of cells ("Test | Value | Reference Range | Flag") is how a result table starts,
    whatever the portal; the cells must be the headings exactly, not words inside a sentence.
    """
    for line in lines:
        cells = [c.lower().strip(" :") for c in _CELLS.split(line)]
        found = [part for c in cells for part in ([c] if c in columns else _glued(c, columns))]
        if len(found) > 1:
            return found
    return []


def _glued(cell: str, columns: frozenset[str]) -> list[str]:
    """Headings text extraction ran together ("TestResultUnitsReference Range"), or [].

    Only a cell made wholly of two or more known headings counts, so a word that merely starts
    with one ("testing", "results were") does not.
    """
    squeezed = cell.replace(" ", "")
    if len(squeezed) > 80:
        return []
    names = {c.replace(" ", ""): c for c in columns}
    best: list[list[str] | None] = [[]] + [None] * len(squeezed)  # headings ending at each place
    for end in range(1, len(squeezed) + 1):
        for start in range(end):
            name, prior = names.get(squeezed[start:end]), best[start]
            if name and prior is not None:
                best[end] = [*prior, name]
                break
    whole = best[-1]
    return whole if whole and len(whole) > 1 else []


def _title_candidates(lines: list[str], config: _Rules, zone: int) -> list[tuple[float, int, str]]:
    """The lines that may carry the document's own name: (weight, line number, text).

    A document names itself before its first section ("SURGICAL PATHOLOGY REPORT"), in a first
    line that is itself a header ("DELIVERY NOTE:", "2-D ECHOCARDIOGRAM, ..."), or in the value
    of a naming label near the top ("EXAM: Left heart catheterization"). A kind named in a
    sentence or inside an early section ("Transthoracic echocardiogram was performed") is a
    weaker sign: it may be the story ("Patient had a normal MRI ..."), so it counts half.
    """
    found: list[tuple[float, int, str]] = []
    opened = False  # a section has begun: plain lines are no longer titles
    first = True
    for n, line in enumerate(lines[:zone]):
        if not line:
            continue
        head = _CAPS_HEAD.match(line)
        is_header = bool(head or config.any_header.match(line) or config.quoting.match(line))
        if head and first:
            found.append((1.0, n, head.group(1)))
        if (naming := config.naming.match(line)) is not None:
            found.append((1.0, n, line[naming.end() :].strip(" :") or _next_line(lines, n)))
        elif not is_header:
            own = not opened and _looks_like_a_title(line)
            found.append((1.0 if own else 0.5, n, line))
        opened = opened or is_header
        first = False
    return found


def _next_line(lines: list[str], n: int) -> str:
    return next((line for line in lines[n + 1 : n + 4] if line), "")


def _own_title(
    titles: re.Pattern[str], candidates: list[tuple[float, int, str]]
) -> tuple[float, str, str]:
    """The candidate that names the document's kind: (weight, line, phrase), or nothing.

    The title has no "label:" and is often in capitals: "SURGICAL PATHOLOGY REPORT" rather
    than a letterhead that mentions "Anatomic Pathology", or "Comparison: prior mammogram".
    Title-like lines win over sentences that name the kind ("This is a consultation.").
    """
    matches = [
        (
            weight,
            _looks_like_a_title(line),
            line.isupper(),
            len(m.group(0)) / len(line),
            -n,
            line,
            m.group(0),
        )
        for weight, n, line in candidates
        if len(line) <= 100 and (m := titles.search(line))
    ]
    if not matches:
        return 0.0, "", ""
    best = max(matches)
    return best[0], best[-2], best[-1]


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
