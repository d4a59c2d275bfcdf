"""Writing outputs: atomically, owner-only, and never into the records folder.

A packet and its bundle appear together, whole, or not at all: each is written to a temporary
name beside its destination (owner-only, named with the writing process's id), and they are
renamed into place together at the end (:class:`Staging`). On any failure, Ctrl-C or SIGTERM
the temporaries are removed; those of a run that was killed outright are removed by the next
run that writes the same output, once their process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from recordpack.errors import OutputError, UsageError


def temporary_prefix(name: str) -> str:
    """``.packet.pdf.<pid>.``: whose temporary it is, so a later run knows when it is stale."""
    return f".{name}.{os.getpid()}."


def remove_stale(destination: Path) -> None:
    """Remove temporaries of ``destination`` left by runs that were killed (their pid is gone)."""
    pattern = re.compile(rf"^\.{re.escape(destination.name)}\.(\d+)\.")
    with contextlib.suppress(OSError):
        for entry in destination.parent.iterdir():
            if (m := pattern.match(entry.name)) and not process_alive(int(m.group(1))):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (ours, or one we may not signal, counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no permission to ask: leave it be
        return True
    return True


def _mkstemp(path: Path) -> tuple[int, str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        return tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc})", "choose another output folder"
        ) from exc


class Staging:
    """Outputs built beside their destinations, renamed into place together by :meth:`commit`.

    Used as a context manager: leaving it without a commit (an error, Ctrl-C, SIGTERM)
    removes every temporary, so a packet never appears without the bundle it was built with.
    """

    def __init__(self) -> None:
        self._moves: list[tuple[Path, Path]] = []  # (temporary, destination)

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for temporary, _ in self._moves:
            if temporary.is_dir() and not temporary.is_symlink():
                shutil.rmtree(temporary, ignore_errors=True)
            else:
                temporary.unlink(missing_ok=True)
        self._moves.clear()

    def reserve(self, path: Path) -> Path:
        """An empty owner-only temporary file beside ``path``, renamed to it at commit."""
        path = path.absolute()
        fd, tmp = _mkstemp(path)
        os.close(fd)
        Path(tmp).chmod(0o600)
        self._moves.append((Path(tmp), path))
        return Path(tmp)

    def file(self, path: Path, data: bytes) -> None:
        """Write ``data`` to a temporary beside ``path`` (0600), to be renamed at commit."""
        with self.reserve(path).open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def folder(self, path: Path) -> Path:
        """A new owner-only temporary folder beside ``path``, renamed to it at commit."""
        path = path.absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(path)
            work = Path(tempfile.mkdtemp(prefix=temporary_prefix(path.name), dir=path.parent))
        except OSError as exc:
            raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
        work.chmod(0o700)
        self._moves.append((work, path))
        return work

    def commit(self) -> None:
        """Rename every output into place (a folder replaces the old one), then forget them."""
        for temporary, destination in self._moves:
            if temporary.is_dir() and destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            temporary.replace(destination)
        self._moves.clear()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` (created 0600), then rename over it."""
    with Staging() as staging:
        staging.file(path, data)
        staging.commit()


def write_private(path: Path, data: bytes) -> None:
    """Create a new file (and its missing folders) that only the owner can read."""
    with open_private(path) as fh:
        fh.write(data)


def copy_private(source: Path, path: Path) -> tuple[str, int]:
    """Copy a file we made to a new owner-only file, streaming; its SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, open_private(path) as dst:
        while chunk := src.read(1024 * 1024):
            digest.update(chunk)
            size += dst.write(chunk)
    return digest.hexdigest(), size


def open_private(path: Path) -> BinaryIO:
    """A new file (and its missing folders) that only the owner can read, open for writing."""
    for folder in reversed(path.parents):
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)  # another worker may be first
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def check_packet_path(path: Path) -> None:
    """The packet is a file: refuse a folder, and ``-`` (a PDF is not for a terminal or a pipe)."""
    if str(path) == "-":
        raise UsageError("-o -: the packet is a PDF file, not text for the terminal",
                         "give a file name, e.g. -o packet.pdf")  # fmt: skip
    if path.is_dir():
        raise UsageError(
            f"{path}: is a folder", f"give the packet a file name, e.g. -o {path / 'packet.pdf'}"
        )


def refuse_inside(folder: Path, targets: list[Path | None], allowed: bool = False) -> None:
    """The records folder is read-only to us unless the user says otherwise."""
    if allowed:
        return
    source = Path(folder).resolve()
    for target in targets:
        if target is not None and Path(target).resolve().is_relative_to(source):
            raise OutputError(
                f"{target}: inside the records folder {folder}",
                "write the packet elsewhere (e.g. -o ~/packet.pdf), or pass --allow-inside",
            )
