"""A SQLite cache, so re-running on an unchanged folder re-reads nothing.

``files``: what reading a file gave (its items' raw material and problems), keyed by absolute
path, size and modification time (ns); a changed file has a new key and is read again.
``scans``: a folder's whole inventory, with the fingerprint of every file's path, size and
time, so an unchanged folder is replayed without rebuilding thousands of readings.
``patients``: the fingerprint of a batch job's inputs and options, and its last result, so an
unchanged patient is skipped. ``derived`` and ``ocr``: documents' categories and dates, and
OCR pages. Values are JSON, never pickle: the cache file must not be able to run code. The
database is created owner-only; it holds text from health records.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from recordpack import __version__
from recordpack.models import (
    Category,
    DicomHeader,
    Found,
    Identity,
    Inventory,
    Item,
    Kind,
    Notice,
    OcrPage,
    OcrText,
    Outcome,
    Problem,
    Reading,
    Series,
    Severity,
    Source,
    Study,
)


def _rules_digest() -> str:
    """A digest of the bundled rules: a changed rule file understands files afresh."""
    digest = hashlib.sha256()
    for entry in sorted((resources.files("recordpack") / "data" / "rules").iterdir(), key=str):
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:12]


_Method = TypeVar("_Method", bound=Callable[..., Any])

# a new version, or new rules, read and understand files again
SCHEMA = f"recordpack-cache-7:{__version__}:{_rules_digest()}"


def _none() -> None:
    return None


def _guarded(empty: Callable[[], Any]) -> Callable[[_Method], _Method]:
    """A cache method whose SQLite failure is a cache in memory from then on, not an error.

    A name the database cannot hold (not UTF-8) is only not cached; ``empty`` makes what the
    method returns when it found nothing.
    """

    def wrap(method: _Method) -> _Method:
        @functools.wraps(method)
        def run(self: ScanCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UnicodeEncodeError:
                return empty()
            except sqlite3.Error as exc:
                self._without(exc)
                return empty()

        return cast("_Method", run)

    return wrap


class ScanCache:
    """Outcomes of reading files, and batch jobs' fingerprints, in one SQLite file."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create, owner-only) the cache at ``path``; None keeps it in memory.

        A cache that cannot be used never stops a command: a damaged file is moved aside and
        made anew; one that cannot be opened, written (a full disk, a read-only folder) or
        locked within a few seconds is left alone, and the run goes on with a cache in memory
        (what ``--no-cache`` does). :attr:`warning` then says what happened.
        """
        self.path = path.absolute() if path is not None else None
        self.warning = ""
        try:
            self.db = _open(self.path)
        except sqlite3.DatabaseError as exc:
            if self.path is None or isinstance(exc, sqlite3.OperationalError):
                self._without(exc)
                return
            aside = self.path.with_name(self.path.name + ".damaged")
            try:
                self.path.replace(aside)
                self.db = _open(self.path)
                self.warning = (
                    f"{self.path}: the cache was damaged ({exc}); kept as"
                    f" {aside.name}, and made anew"
                )
            except (sqlite3.Error, OSError) as again:
                self._without(again)
        except OSError as exc:
            self._without(exc)

    def _without(self, exc: Exception) -> None:
        """Go on with a cache in memory; say why once."""
        if not self.warning:
            why = getattr(exc, "strerror", None) or exc
            self.warning = f"{self.path}: the cache cannot be used ({why}); going on without it"
        if hasattr(self, "db"):  # the file's connection, given up
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = _open(None)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    @_guarded(dict)
    def lookup_folder(self, root: Path, password: bool) -> dict[str, Outcome]:
        """Every unchanged file under ``root`` that was read before, in one query.

        One query and one ``stat`` per file instead of one query per file: the warm re-scan
        of a large folder is then bound by decoding, not by round trips to SQLite.
        """
        prefix = str(root.absolute()).rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT path, size, mtime_ns, outcome FROM files WHERE path >= ? AND path < ?"
            " AND password=? AND schema=?",
            (prefix, prefix[:-1] + "0", int(password), SCHEMA),
        )
        unchanged: list[tuple[str, str]] = []
        for path, size, mtime_ns, outcome in rows:
            try:
                st = os.stat(path)  # noqa: PTH116 - a string path; no Path object per file
            except OSError:
                continue
            if st.st_size == size and st.st_mtime_ns == mtime_ns:
                unchanged.append((path, outcome))
        # One JSON parse for every row: for a small row the call costs more than the parsing.
        try:
            values = json.loads("[" + ",".join(text for _, text in unchanged) + "]")
            pairs = zip(unchanged, values, strict=True)
            return {path: _outcome(value) for (path, _), value in pairs}
        except (ValueError, TypeError, KeyError, IndexError):
            return {}  # a damaged cache: every file is read again, and stored afresh

    @_guarded(_none)
    def scan(self, root: Path, options: str, fingerprint: str) -> Inventory | None:
        """The inventory of the last scan of ``root`` with these options, if nothing changed."""
        row = self.db.execute(
            "SELECT fingerprint, inventory FROM scans WHERE root=? AND options=? AND schema=?",
            (str(root.absolute()), options, SCHEMA),
        ).fetchone()
        if row is None or row[0] != fingerprint:
            return None
        try:
            return _uninventory(json.loads(row[1]), str(root))  # the root as given this time
        except (ValueError, TypeError, KeyError, IndexError):
            return None  # a damaged row: the folder is scanned again, and stored afresh

    @_guarded(_none)
    def remember_scan(
        self, root: Path, options: str, fingerprint: str, inventory: Inventory
    ) -> None:
        """Keep a folder's inventory for the next scan of it, as long as no file changes."""
        self.db.execute(
            "INSERT OR REPLACE INTO scans VALUES (?, ?, ?, ?, ?)",
            (
                str(root.absolute()),
                options,
                SCHEMA,
                fingerprint,
                json.dumps(_inventory(inventory), ensure_ascii=False),
            ),
        )

    @_guarded(_none)
    def store(self, path: str, password: bool, outcome: Outcome) -> None:
        """Remember what reading ``path`` gave."""
        key = _key(path)
        if key is None:
            return
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (*key, int(password), SCHEMA, encode_outcome(outcome)),
        )

    @_guarded(dict)
    def derived(self, keys: list[str]) -> dict[str, list[Any]]:
        """The categories and dates of documents classified before (see inventory)."""
        found: dict[str, list[Any]] = {}
        for start in range(0, len(keys), 500):  # SQLite caps the number of parameters
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, value FROM derived WHERE schema=? AND key IN ({marks})",  # noqa: S608 - only placeholders
                (SCHEMA, *chunk),
            )
            found.update((key, json.loads(value)) for key, value in rows)
        return found

    @_guarded(_none)
    def remember_derived(self, values: dict[str, list[Any]]) -> None:
        """Keep the categories and dates just worked out."""
        self.db.executemany(
            "INSERT OR REPLACE INTO derived VALUES (?, ?, ?)",
            [(key, SCHEMA, json.dumps(value)) for key, value in values.items()],
        )

    @_guarded(_none)
    def patient(self, job: str) -> tuple[str, dict[str, Any]] | None:
        """The fingerprint and result of a batch job's last build."""
        row = self.db.execute(
            "SELECT fingerprint, result FROM patients WHERE job=?", (job,)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    @_guarded(_none)
    def remember_patient(self, job: str, fingerprint: str, result: dict[str, Any]) -> None:
        """Record a successful build."""
        self.db.execute(
            "INSERT OR REPLACE INTO patients VALUES (?, ?, ?)",
            (job, fingerprint, json.dumps(result)),
        )

    @_guarded(_none)
    def ocr_page(self, sha256: str, page: int, lang: str) -> OcrPage | None:
        """OCR done before on this page of this content; it is never redone."""
        row = self.db.execute(
            "SELECT text, confidence, layer, seconds, read_share, turn FROM ocr_pages"
            " WHERE sha256=? AND page=? AND lang=?",
            (sha256, page, lang),
        ).fetchone()
        return OcrPage(*row) if row else None

    @_guarded(_none)
    def remember_ocr(self, sha256: str, page: int, lang: str, result: OcrPage) -> None:
        """Keep what Tesseract read on a page."""
        self.db.execute(
            "INSERT OR REPLACE INTO ocr_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha256,
                page,
                lang,
                result.text,
                result.confidence,
                result.layer,
                result.seconds,
                result.read_share,
                result.turn,
            ),
        )


def _open(path: Path | None) -> sqlite3.Connection:
    """The cache's database at ``path`` (created owner-only), or in memory, with its tables."""
    if path is None:
        db = sqlite3.connect(":memory:", isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
        # WAL lets several workers read and write at once; the mode is stored in the file,
        # and switching it needs a lock, so only the first opener does it.
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for table in _TABLES:
        db.execute(f"CREATE TABLE IF NOT EXISTS {table}")
    return db


LOCK_WAIT = 5.0  # seconds another process may hold the cache before this run goes on without it
_TABLES = (
    "files (path TEXT, size INTEGER, mtime_ns INTEGER, password INTEGER, schema TEXT,"
    " outcome TEXT, PRIMARY KEY (path, size, mtime_ns, password, schema))",
    "scans (root TEXT, options TEXT, schema TEXT, fingerprint TEXT, inventory TEXT,"
    " PRIMARY KEY (root, options, schema))",
    "patients (job TEXT PRIMARY KEY, fingerprint TEXT, result TEXT)",
    "derived (key TEXT, schema TEXT, value TEXT, PRIMARY KEY (key, schema))",
    "ocr_pages (sha256 TEXT, page INTEGER, lang TEXT, text TEXT, confidence REAL, layer BLOB,"
    " seconds REAL, read_share REAL, turn INTEGER, PRIMARY KEY (sha256, page, lang))",
)


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/recordpack/cache.sqlite`` (``~/.cache`` by default); owner-only."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recordpack" / "cache.sqlite"


def _key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)  # noqa: PTH116 - a string path; no Path object per file
    except OSError:
        return None
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)  # noqa: PTH100


# JSON codec ------------------------------------------------------------------------------------


_HEADER_FIELDS = tuple(f for f in DicomHeader.__slots__ if f != "dates")
_DATES_AT = DicomHeader.__slots__.index("dates")  # positional construction: no keyword dict


def encode_outcome(outcome: Outcome) -> str:
    """An outcome as JSON (dates as ISO strings).

    A plain DICOM image, by far the most common file, is stored as one flat list: decoding it
    is then a few microseconds, which is what a warm re-scan of a CT study costs.
    """
    if _plain_dicom(outcome):
        found = outcome.found[0]
        header = found.reading.dicom
        assert header is not None  # noqa: S101 - checked by _plain_dicom
        return json.dumps(
            [
                "D",
                _source(found.source),
                [getattr(header, f) for f in _HEADER_FIELDS],
                _dates(header.dates),
                sorted(outcome.paths, key=str),
                outcome.bytes_seen,
            ],
            ensure_ascii=False,
        )
    return json.dumps(
        {
            "found": [
                {"source": _source(f.source), "reading": _reading(f.reading)} for f in outcome.found
            ],
            "problems": [[p.path, p.severity.value, p.message, p.hint] for p in outcome.problems],
            "dicomdirs": [[_source(s), refs] for s, refs in outcome.dicomdirs],
            "paths": [list(p) for p in sorted(outcome.paths, key=str)],
            "bytes_seen": outcome.bytes_seen,
            "files_seen": outcome.files_seen,
        },
        ensure_ascii=False,
    )


def _plain_dicom(outcome: Outcome) -> bool:
    if len(outcome.found) != 1 or outcome.problems or outcome.dicomdirs:
        return False
    reading = outcome.found[0].reading
    return reading == Reading(kind=Kind.DICOM, dicom=reading.dicom, dates=reading.dates) and (
        reading.dicom is not None and outcome.files_seen == 1
    )


def decode_outcome(text: str) -> Outcome:
    """The outcome an earlier :func:`encode_outcome` stored."""
    return _outcome(json.loads(text))


def _outcome(data: Any) -> Outcome:
    """An outcome from its parsed JSON; a plain DICOM image takes the shortest path."""
    if isinstance(data, list):
        _, source, values, dates, paths, bytes_seen = data
        parsed = _undates(dates)
        header = DicomHeader(*values[:_DATES_AT], parsed, *values[_DATES_AT:])  # type: ignore[call-arg]
        reading = Reading(kind=Kind.DICOM, dicom=header, dates=parsed)
        found = [Found(_unsource(source), reading)]
        return Outcome(found, [], [], set(map(tuple, paths)), bytes_seen, 1)
    return Outcome(
        found=[Found(_unsource(f["source"]), _unreading(f["reading"])) for f in data["found"]],
        problems=[Problem(p[0], Severity(p[1]), p[2], p[3]) for p in data["problems"]],
        dicomdirs=[(_unsource(s), refs) for s, refs in data["dicomdirs"]],
        paths={(p[0], p[1]) for p in data["paths"]},
        bytes_seen=data["bytes_seen"],
        files_seen=data["files_seen"],
    )


def _source(s: Source) -> list[Any]:
    return [s.path, s.sha256, s.size, s.kind.value, s.archive, s.pages]


_KINDS = {kind.value: kind for kind in Kind}  # a dict lookup; calling the enum costs more


def _unsource(v: list[Any]) -> Source:
    pages = v[5] if len(v) > 5 else None
    return Source(v[0], v[1], v[2], _KINDS[v[3]], v[4], (pages[0], pages[1]) if pages else None)


def _dates(d: dict[str, dt.date]) -> dict[str, str]:
    return {k: v.isoformat() for k, v in d.items()}


def _undates(d: dict[str, str]) -> dict[str, dt.date]:
    return dict(_undates_items(tuple(d.items())))


@functools.lru_cache(maxsize=1024)
def _undates_items(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, dt.date], ...]:
    return tuple((k, _iso(v)) for k, v in items)  # the slices of a study share their dates


@functools.lru_cache(maxsize=4096)
def _iso(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _reading(r: Reading) -> dict[str, Any]:
    """A reading as JSON; its OCR text is not stored here (the ``ocr`` table keeps pages)."""
    dicom = None
    if r.dicom is not None:
        dicom = {
            k: (_dates(v) if k == "dates" else v)
            for k, v in ((name, getattr(r.dicom, name)) for name in DicomHeader.__slots__)
        }
    return {
        "kind": r.kind.value,
        "text": r.text if r.ocr is None else "",
        "pages": r.pages,
        "title": r.title,
        "dates": _dates(r.dates),
        "dicom": dicom,
        "warnings": [[w.message, w.hint, w.severity.value] for w in r.warnings],
        "scanned": r.scanned,
        "active_content": list(r.active_content),
        "encapsulated": r.encapsulated,
        "pixels": list(r.pixels) if r.pixels else None,
        "doc_type": r.doc_type,
        "page_texts": _own_texts(r),
        "image_pages": list(r.image_pages),
        "outline": [list(mark) for mark in r.outline],
    }


def _own_texts(r: Reading) -> list[str]:
    """Each page's text as the file has it: pages read by OCR get theirs from the OCR table."""
    read = r.ocr.layers if r.ocr else {}
    return [("" if n in read else text) for n, text in enumerate(r.page_texts)]


def _unreading(v: dict[str, Any]) -> Reading:
    dicom = None
    if v["dicom"] is not None:
        dicom = DicomHeader(**{**v["dicom"], "dates": _undates(v["dicom"]["dates"])})
    return Reading(
        kind=Kind(v["kind"]),
        text=v["text"],
        pages=v["pages"],
        title=v["title"],
        dates=_undates(v["dates"]),
        dicom=dicom,
        warnings=tuple(Notice(m, h, Severity(s)) for m, h, s in v["warnings"]),
        scanned=v["scanned"],
        active_content=tuple(v["active_content"]),
        encapsulated=v["encapsulated"],
        pixels=(v["pixels"][0], v["pixels"][1]) if v["pixels"] else None,
        doc_type=v["doc_type"],
        page_texts=tuple(v["page_texts"]),
        image_pages=tuple(v["image_pages"]),
        outline=tuple((page, title) for page, title in v["outline"]),
    )


def _inventory(inventory: Inventory) -> dict[str, Any]:
    return {
        "items": [_item(i) for i in inventory.items],
        "problems": [[p.path, p.severity.value, p.message, p.hint] for p in inventory.problems],
        "files_seen": inventory.files_seen,
        "bytes_seen": inventory.bytes_seen,
        "duplicates": inventory.duplicates,
    }


def _uninventory(v: dict[str, Any], root: str) -> Inventory:
    return Inventory(
        root=root,
        items=tuple(_unitem(i) for i in v["items"]),
        problems=tuple(Problem(p[0], Severity(p[1]), p[2], p[3]) for p in v["problems"]),
        files_seen=v["files_seen"],
        bytes_seen=v["bytes_seen"],
        duplicates=v["duplicates"],
    )


def _item(i: Item) -> list[Any]:
    """An item as a flat list; a study's files point into the item's own sources."""
    where = {s: n for n, s in enumerate(i.sources)}
    study = i.study and [
        i.study.uid,
        i.study.description,
        i.study.body_part,
        i.study.accession,
        i.study.institution,
        i.study.images,
        i.study.frames,
        [
            [
                s.uid,
                s.number,
                s.modality,
                s.description,
                s.body_part,
                s.images,
                [[number, where[source]] for number, source in s.files],
            ]
            for s in i.study.series
        ],
    ]
    pages = (i.ocr or _NO_OCR).layers.items()
    layers = {str(n): base64.b64encode(page).decode() for n, page in pages}
    ocr = i.ocr and [
        i.ocr.lang,
        i.ocr.confidence,
        layers,
        {str(n): turn for n, turn in i.ocr.turns.items()},
    ]
    return [
        i.id,
        i.category.value,
        i.title,
        _day(i.date),
        i.date_source,
        i.date_ambiguous,
        i.reason,
        i.pages,
        i.modality,
        [_source(s) for s in i.sources],
        i.kind.value,
        i.confidence,
        [i.identity.name, _day(i.identity.dob), i.identity.mrn],
        study,
        i.scanned,
        list(i.active_content),
        i.encapsulated,
        list(i.pixels) if i.pixels else None,
        ocr,
        i.findings,
        i.text,
        i.index,
    ]


def _unitem(v: list[Any]) -> Item:
    (
        id_,
        category,
        title,
        date,
        date_source,
        ambiguous,
        reason,
        pages,
        modality,
        sources,
        kind,
        confidence,
        identity,
        study,
        scanned,
        active,
        encapsulated,
        pixels,
        ocr,
        findings,
        text,
        index,
    ) = v
    found = tuple(_unsource(s) for s in sources)
    return Item(
        id_,
        Category(category),
        title,
        _unday(date),
        date_source,
        ambiguous,
        reason,
        pages,
        modality,
        found,
        _KINDS[kind],
        confidence,
        Identity(identity[0], _unday(identity[1]), identity[2]),
        study and _unstudy(study, found),
        scanned,
        tuple(active),
        encapsulated,
        (pixels[0], pixels[1]) if pixels else None,
        ocr and _unocr(ocr),
        findings,
        text,
        index,
    )


def _unstudy(study: list[Any], found: tuple[Source, ...]) -> Study:
    """A study; each series' files point into its item's sources (``found``)."""
    series = tuple(
        Series(*s[:6], tuple((number, found[n]) for number, n in s[6]))  # type: ignore[call-arg]
        for s in study[7]
    )
    return Study(*study[:7], series)  # type: ignore[call-arg]


def _unocr(ocr: list[Any]) -> OcrText:
    layers = {int(n): base64.b64decode(t) for n, t in ocr[2].items()}
    return OcrText(ocr[0], ocr[1], layers, {int(n): turn for n, turn in ocr[3].items()})


_NO_OCR = OcrText("", 0.0)


def _day(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def _unday(text: str | None) -> dt.date | None:
    return _iso(text) if text else None
