"""List the files of a records folder in a stable order, never leaving the folder.

Links are followed only while they stay inside the folder: a link to ``/etc/passwd`` or to a
private key must never end up in a packet. Loops and broken links are problems, not crashes.
"""

from __future__ import annotations

import os
from pathlib import Path

from recordpack.models import Problem, Severity


def walk(base: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The files under ``base`` as (path relative to base, path), and the problems met.

    Paths stay strings: a folder of 10,000 files would spend longer building path objects
    than walking.
    """
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    seen_dirs: set[tuple[int, int]] = set()
    real_base = os.path.realpath(base)

    def visit(folder: str, rel: str) -> None:
        try:
            st = os.stat(folder)  # noqa: PTH116 - strings, not Path objects, per folder
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(os_problem(rel or ".", exc, "folder"))
            return
        if (st.st_dev, st.st_ino) in seen_dirs:
            problems.append(Problem(rel, *_CANNED["loop"]))
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink() and not _inside(entry.path, real_base):
                problems.append(Problem(child, *_CANNED["outside"]))
                continue
            try:
                is_dir = entry.is_dir()  # follows links (inside the folder only, see above)
                is_file = entry.is_file()
            except OSError as exc:
                problems.append(os_problem(child, exc, "link"))
                continue
            if is_dir:
                visit(entry.path, child)
            elif is_file:
                files.append((child, entry.path))
            else:
                what = "broken" if entry.is_symlink() else "special"
                problems.append(Problem(child, *_CANNED[what]))

    visit(str(base), "")
    return files, problems


def _inside(path: str, real_base: str) -> bool:
    """Whether a link resolves to a place inside the records folder (broken links count)."""
    target = os.path.realpath(path)
    if not os.path.lexists(target) and not os.path.exists(path):  # noqa: PTH110
        return True  # broken: reported as such below
    return target == real_base or target.startswith(real_base.rstrip(os.sep) + os.sep)


_CANNED = {  # problems met on the walk: severity, message, what to do
    "loop": (
        Severity.WARNING,
        "folder link loops back to a folder already scanned; not followed",
        "nothing is missing: its files were read once already",
    ),
    "outside": (
        Severity.ERROR,
        "link to a place outside the records folder; not followed",
        "copy the file itself into the folder if it belongs to the records",
    ),
    "broken": (
        Severity.ERROR,
        "broken link: it points to a file that does not exist",
        "copy the real file into the folder",
    ),
    "special": (Severity.INFO, "not a regular file (device or pipe)", ""),
}


def os_problem(rel: str, exc: OSError, what: str) -> Problem:
    """A problem for a file or folder the system would not let us read."""
    if isinstance(exc, PermissionError):
        return Problem(
            rel,
            Severity.ERROR,
            f"{what} cannot be read: permission denied",
            "check its permissions, or copy it into a folder you own",
        )
    if exc.errno == 40:  # ELOOP: a link that points to itself
        return Problem(rel, Severity.ERROR, "link loop: the link points to itself", "remove it")
    return Problem(rel, Severity.ERROR, f"{what} cannot be read: {exc.strerror or exc}")
