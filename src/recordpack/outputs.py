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
import json
import os
import re
import secrets
import shutil
import tempfile
import zipfile
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
            _remove(temporary)
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
        """Rename every output into place, all of them or none.

        What stands at a destination (recordpack's own earlier output: :func:`check_targets`
        refused anything else) is first renamed aside; if any rename fails, every move is
        undone and the old outputs are back. The old ones are removed only at the end.
        """
        aside: list[tuple[Path, Path]] = []  # (old output, its temporary name)
        placed: list[tuple[Path, Path]] = []  # (temporary, destination)
        try:
            for temporary, destination in self._moves:
                if destination.exists() or destination.is_symlink():
                    old = destination.with_name(
                        f"{temporary_prefix(destination.name)}{secrets.token_hex(4)}.old"
                    )
                    destination.rename(old)
                    aside.append((destination, old))
                temporary.rename(destination)
                placed.append((temporary, destination))
        except OSError as exc:
            for temporary, destination in reversed(placed):
                with contextlib.suppress(OSError):
                    destination.rename(temporary)
            for destination, old in reversed(aside):
                with contextlib.suppress(OSError):
                    old.rename(destination)
            raise OutputError(
                f"{exc.filename}: cannot be put in place ({exc.strerror or exc})",
                "check the output folder's permissions and free space",
            ) from exc
        self._moves.clear()
        for _, old in aside:
            _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


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
        raise UsageError(
            "-o -: the packet is a PDF file, not text for the terminal",
            "give a file name, e.g. -o packet.pdf",
        )
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


def check_targets(
    records: Path,
    targets: dict[str, Path | None],
    *,
    allow_inside: bool = False,
    force: bool = False,
    password: str | None = None,
) -> None:
    """Refuse, before any work, every output that could lose something recordpack did not write.

    ``targets`` names each output by what it is (``packet``, ``bundle``, ``fhir``, ``iso``,
    ``letters``). An output never holds the records folder or another output; one inside the
    records folder needs ``allow_inside``; whatever stands at an output's path is replaced only
    when it is recordpack's own earlier output of that kind (or with ``force``, never a folder
    inside the records folder). ``password`` opens an earlier encrypted packet.
    """
    chosen = {what: Path(path).absolute() for what, path in targets.items() if path is not None}
    refuse_inside(records, list(chosen.values()), allow_inside)
    source = Path(records).resolve()
    for what, path in chosen.items():
        real = path.resolve()
        if source.is_relative_to(real):
            raise OutputError(
                f"{path}: the {what} would replace the records folder {records}",
                f"give the {what} a path outside the records folder",
            )
        for other, there in chosen.items():
            if other != what and there.resolve().is_relative_to(real):
                raise OutputError(
                    f"{path}: the {what} would replace the {other} {there}",
                    "give each output a place of its own",
                )
        if not (path.exists() or path.is_symlink()):
            continue
        why = _not_ours(what, path, password)
        if why and (not force or (path.is_dir() and real.is_relative_to(source))):
            hint = "choose another name, or move it away yourself"
            raise OutputError(
                f"{path}: {why}; recordpack replaces only what it wrote",
                hint if force else f"{hint}, or pass --force to replace it",
            )


def _not_ours(what: str, path: Path, password: str | None) -> str:
    """Why what stands at ``path`` is not recordpack's own ``what``; empty when it is."""
    if path.is_symlink():
        return "is a link"
    folder = what == "letters" or (what == "bundle" and path.suffix.lower() != ".zip")
    if path.is_dir() != folder:
        return "is a folder" if path.is_dir() else "is a file, not a folder"
    if folder and not any(path.iterdir()):
        return ""  # an empty folder: nothing to lose
    try:
        return _RECOGNISED[what if what != "bundle" or folder else "zip"](path, password)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return f"cannot be read ({exc})"


def _our_packet(path: Path, password: str | None) -> str:
    import pikepdf  # only to recognise an earlier packet

    try:
        with pikepdf.open(path, password=password or "") as pdf:
            producer = str(pdf.docinfo.get("/Producer", ""))
    except (pikepdf.PdfError, pikepdf.PasswordError):
        return "is not a packet recordpack wrote"
    return "" if producer == "recordpack" else "is a PDF recordpack did not write"


def _our_fhir(path: Path, _: str | None) -> str:
    if path.stat().st_size > _MANIFEST_LIMIT:
        return "is not a FHIR document recordpack wrote"
    try:
        document = json.loads(path.read_bytes())
        authors = document["entry"][0]["resource"]["author"]
        ours = any(str(a.get("display", "")).startswith("recordpack ") for a in authors)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        ours = False
    return "" if ours else "is not a FHIR document recordpack wrote"


def _our_iso(path: Path, _: str | None) -> str:
    with path.open("rb") as fh:
        fh.seek(16 * 2048)  # the primary volume descriptor
        descriptor = fh.read(2048)
    ours = descriptor[:6] == b"\x01CD001" and descriptor[574:702].startswith(b"recordpack")
    return "" if ours else "is not an image recordpack wrote"


def _our_zip(path: Path, _: str | None) -> str:
    with zipfile.ZipFile(path) as zf:
        info = next((i for i in zf.infolist() if i.filename == "manifest.json"), None)
        if info is None or info.file_size > _MANIFEST_LIMIT:
            return "is not a bundle recordpack wrote (no manifest.json)"
        return "" if _generator(zf.read(info)) else "is not a bundle recordpack wrote"


def _our_bundle(path: Path, _: str | None) -> str:
    manifest = path / "manifest.json"
    if not manifest.is_file() or manifest.is_symlink() or manifest.stat().st_size > _MANIFEST_LIMIT:
        return "is a folder that is not a bundle recordpack wrote (no manifest.json)"
    listed = _generator(manifest.read_bytes())
    if listed is None:
        return "is a folder that is not a bundle recordpack wrote"
    for entry in path.rglob("*"):
        name = entry.relative_to(path).as_posix()
        if entry.is_symlink() or (entry.is_file() and not _bundled(name, listed)):
            return f"holds {name}, which recordpack did not write"
    return ""


def _our_letters(path: Path, _: str | None) -> str:
    for entry in path.iterdir():
        if entry.is_symlink() or not entry.is_file() or not _LETTER.fullmatch(entry.name):
            return f"holds {entry.name}, which is not a letter recordpack wrote"
    return ""


_MANIFEST_LIMIT = 256 * 1024 * 1024  # bytes: an XL bundle's manifest is a few MB
_LETTER = re.compile(r"\d{2}-[a-z0-9-]+\.(pdf|txt)")
_BUNDLE_FILES = re.compile(
    r"packet\.pdf|DICOMDIR|INDEX\.HTM|README\.TXT|manifest\.json"
    r"|IHE_XDM/SUBSET01/(METADATA\.XML|DOC\d{5}\.[A-Z0-9]{1,3})"
)
_RECOGNISED = {
    "packet": _our_packet,
    "bundle": _our_bundle,
    "zip": _our_zip,
    "fhir": _our_fhir,
    "iso": _our_iso,
    "letters": _our_letters,
}


def _generator(manifest: bytes) -> set[str] | None:
    """The bundle paths a recordpack manifest lists, or None when it is not one."""
    try:
        data = json.loads(manifest)
        if not str(data["generator"]).startswith("recordpack "):
            return None
        return {str(f["bundle_path"]) for f in data["files"] if f.get("bundle_path")}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _bundled(name: str, listed: set[str]) -> bool:
    return name in listed or bool(_BUNDLE_FILES.fullmatch(name))
