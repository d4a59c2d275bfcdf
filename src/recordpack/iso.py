"""The bundle as an ISO 9660 image (``build --iso``), to burn on a CD or DVD or copy to USB.

Names follow ISO 9660 level 1 (8.3, upper case), as IHE PDI asks of the DICOM files, which are
already named so; Joliet and Rock Ridge carry the long names (``packet.pdf``,
``manifest.json``) for Windows, macOS and Linux. Files are streamed from the bundle folder
when the image is written, one open at a time, never held in memory. No boot record, no autorun.
"""

from __future__ import annotations

import re
from pathlib import Path

import pycdlib

from recordpack.options import today

_NOT_D = re.compile(r"[^A-Z0-9_]")  # ISO 9660 d-characters


def write_iso(folder: Path, target: Path, *, label: str = "RECORDS") -> None:
    """Master ``folder`` (a bundle) into the ISO image ``target``."""
    iso = pycdlib.PyCdlib()
    volume = _NOT_D.sub("_", f"{label}_{today():%Y%m%d}".upper())[:32]
    iso.new(
        interchange_level=1,
        vol_ident=volume,
        joliet=3,
        rock_ridge="1.09",
        app_ident_str="recordpack",
    )
    _add(iso, folder, "", "")
    with target.open("r+b") as out:  # reserved owner-only by the caller
        iso.write_fp(out)
    iso.close()


def _add(iso: pycdlib.PyCdlib, folder: Path, iso_dir: str, joliet_dir: str) -> None:
    taken: set[str] = set()
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        long_name = path.name[:64]  # Joliet names are at most 64 characters
        joliet = f"{joliet_dir}/{long_name}"
        if path.is_dir():
            name = _unique(_NOT_D.sub("_", path.name.upper())[:8] or "DIR", taken)
            iso.add_directory(
                f"{iso_dir}/{name}", rr_name=path.name, joliet_path=joliet, file_mode=0o040555
            )
            _add(iso, path, f"{iso_dir}/{name}", joliet)
        elif path.is_file():
            stem, _, suffix = path.name.upper().rpartition(".")
            stem, suffix = (stem, suffix) if stem else (suffix, "")
            name = _unique(_NOT_D.sub("_", stem)[:8] or "FILE", taken, _NOT_D.sub("_", suffix)[:3])
            name = name if "." in name else f"{name}."  # a file's identifier always has a dot
            # by name: pycdlib opens each file only while writing it (an XL bundle holds more
            # files than a process may keep open)
            iso.add_file(
                str(path),
                f"{iso_dir}/{name};1",
                rr_name=path.name,
                joliet_path=joliet,
                file_mode=0o100444,
            )  # read-only on the disc


def _unique(stem: str, taken: set[str], suffix: str = "") -> str:
    """An 8.3 name not yet used in this folder (``MANIFEST.JSO``, then ``MANIFE_1.JSO``)."""
    name = f"{stem}.{suffix}" if suffix else stem
    number = 1
    while name in taken:
        short = f"{stem[: 8 - len(str(number)) - 1]}_{number}"
        name = f"{short}.{suffix}" if suffix else short
        number += 1
    taken.add(name)
    return name
