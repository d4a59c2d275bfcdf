"""Writing outputs: atomically, owner-only, and never into the records folder.

A packet or bundle appears whole or not at all: it is written to a temporary name beside its
destination (created 0600) and renamed over it, and the temporary is removed on any failure.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from recordpack.errors import OutputError, UsageError


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` (created 0600), then rename over it."""
    path = path.absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc})", "choose another output folder"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Create a new file (and its missing folders) that only the owner can read."""
    for folder in reversed(path.parents):
        if not folder.exists():
            folder.mkdir(mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


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
