"""Active content out of the packet, judged by what it does rather than by known spellings.

Every object the packet will contain is visited, from its trailer: pages, their resources,
annotations, form fields, and whatever private keys a producer hid things under. What stays is
what only shows or moves within the document: links to a page (``/Dest``, or a ``GoTo`` action)
and form fields, no longer live. Everything that runs, submits, opens another file, reaches the
network or carries content a viewer may play or open goes, wherever it is referred to from:

- actions of any type but ``GoTo`` (JavaScript, Launch, URI, SubmitForm, ImportData, GoToR,
  GoToE, Rendition, Sound, Movie, ...), and any dictionary with script (``/JS``);
- automatic actions (``/AA``: on open, on focus, on keystroke), always;
- embedded files and the places that hold them (``/EF``, ``/EmbeddedFiles``, ``/PieceInfo``),
  and the document-level scripts name tree (``/JavaScript``);
- annotations that carry a file, sound, movie, rich media or 3D content, and their streams.

Names are compared without case and whether written as names or as strings, as viewers
tolerate both.
"""

from __future__ import annotations

from typing import Any

from pikepdf import Array, Dictionary, Object, Pdf, Stream

_SAFE_ACTIONS = {"goto"}  # a jump within this document
_ACTION_KEYS = {"/A", "/PA", "/Next", "/OpenAction"}  # entries whose value is an action
_CARRYING = {"fileattachment", "richmedia", "sound", "movie", "screen", "3d"}
_CONTENT_TYPES = {"embeddedfile", "3d", "richmediacontent", "sound", "movie"}
_DROPPED_KEYS = {
    "/AA",
    "/JS",
    "/EF",
    "/EmbeddedFiles",
    "/JavaScript",
    "/PieceInfo",
    "/RichMediaContent",
    "/3DD",
    "/XFA",
}


def remove_active_content(pdf: Pdf) -> int:
    """Make ``pdf`` inert in place; returns how many entries were removed.

    Objects are walked once each (indirect ones by their number), so a loop of references or a
    shared resource costs nothing more; a stack rather than recursion, so a deep chain of
    ``/Next`` actions cannot exhaust Python's. An array under an action key (``/Next``) holds
    actions.
    """
    removed = 0
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, bool]] = [(pdf.trailer, False)]
    while stack:
        container, actions = stack.pop()
        for key, value in _children(container):
            if _dangerous(value, key in _DROPPED_KEYS, actions or key in _ACTION_KEYS):
                del container[key]
                removed += 1
            elif isinstance(value, _CONTAINERS):
                if value.is_indirect:
                    if value.objgen in seen:
                        continue
                    seen.add(value.objgen)
                stack.append((value, isinstance(value, Array) and key in _ACTION_KEYS))
    return removed


_CONTAINERS = (Dictionary, Array, Stream)


def _children(container: Any) -> list[tuple[Any, Object]]:
    """Each entry's key and value; an array's index and value, last first.

    Last first, so that removing one by its index leaves the others' indexes true.
    """
    if isinstance(container, Array):
        return list(reversed(list(enumerate(container))))
    return [(key, container[key]) for key in list(container.keys())]


def _dangerous(value: Object, dropped_key: bool, action: bool) -> bool:
    """Whether ``value`` is active content, to remove with the entry that refers to it.

    ``dropped_key``: it is under a key whose content is never kept; ``action``: its place says
    it is an action (``/A``, ``/Next``, ...).
    """
    if dropped_key:
        return True
    if not isinstance(value, Dictionary | Stream):
        return False
    if "/JS" in value:
        return True
    kind, subtype = _word(value.get("/Type")), _word(value.get("/Subtype"))
    if kind in _CONTENT_TYPES or subtype in _CARRYING:
        return True
    if action or kind == "action":
        return _word(value.get("/S")) not in _SAFE_ACTIONS
    return False


def _word(value: Object | None) -> str:
    """A name or string as a plain lower-case word: ``/JavaScript``, ``(javascript)`` alike."""
    if isinstance(value, Array | Dictionary | Stream):
        return "?"  # a container where a name belongs
    if value is None:
        return ""
    try:
        return str(value).lstrip("/").lower()
    except UnicodeDecodeError:  # a name of bytes that are not UTF-8: no type a viewer knows
        return "?"
