"""The bundle: a folder or zip laid out like an IHE PDI / XDM medium.

```
packet.pdf      the packet
DICOMDIR        index of the images, for DICOM viewers (profile "full")
DICOM/          the original DICOM files, byte for byte: ST000001/SE000001/IM000001
IHE_XDM/SUBSET01/  the documents for systems that import XDM media: METADATA.XML, DOC00001.PDF
                (the packet) and, with profile "full", each original document (DOC00002...)
README.TXT      what this is and how to open it; there is no autorun
INDEX.HTM       a browsable index that needs nothing but a browser
manifest.json   every source file: path, sha256, size, item, pages in the packet, bundle path
```

The DICOMDIR is written by :mod:`recordpack.dicomdir` from a few strings of each header.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from recordpack import __version__
from recordpack.dicomdir import (
    PATIENT_KEYS,
    SECONDARY_CAPTURE,
    SERIES_KEYS,
    STUDY_KEYS,
    Image,
    dicomdir,
)
from recordpack.errors import quiet_worker
from recordpack.layout.html import render_html
from recordpack.models import Category, Source, Timeline
from recordpack.options import Profile
from recordpack.outputs import Staging, copy_private, write_private
from recordpack.read.dicom import header_text
from recordpack.results import Packet
from recordpack.serialize import printable, problem_dict
from recordpack.sources import Records
from recordpack.submission import SUBSET, write_submission


def write_bundle(
    packet: Packet,
    destination: Path | None,
    *,
    staging: Staging,
    iso: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    workers: int | None = None,
) -> Path | None:
    """Build the bundle beside ``destination``; ``staging`` renames it in with the packet.

    With ``iso``, the same content is also mastered into an ISO image (with no destination,
    the bundle is only a step toward the image). Returns the bundle's path.
    """
    if destination is not None and destination.suffix.lower() != ".zip":
        work = staging.folder(destination.absolute())
        _fill(work, packet, progress, workers)
        _master(work, iso, staging)
        return destination.absolute()
    with Staging() as scratch:  # the folder is only a step toward a zip or an image
        where = destination or iso
        assert where is not None  # noqa: S101 - one of them is asked for
        work = scratch.folder(where.absolute().with_name(where.name + ".d"))
        _fill(work, packet, progress, workers)
        _master(work, iso, staging)
        if destination is not None:
            _zip_folder(work, staging.reserve(destination.absolute()))
    return destination.absolute() if destination else None


def _master(work: Path, iso: Path | None, staging: Staging) -> None:
    if iso is not None:
        from recordpack.iso import write_iso  # pycdlib: only for this

        write_iso(work, staging.reserve(iso.absolute()))


def _fill(
    work: Path,
    packet: Packet,
    progress: Callable[[int, int, str], None] | None,
    workers: int | None,
) -> None:
    packet_sha256, packet_size = copy_private(packet.file, work / "packet.pdf")
    timeline, full = packet.timeline, packet.profile is Profile.FULL
    bundled: dict[str, Copy] = {}
    if full:
        bundled = write_dicom_media(work, packet.records, timeline, progress, workers)
    documents = write_submission(
        work, packet.records, timeline.items, packet.patient, originals=full
    )
    has_dicom = bool(bundled)
    bundled |= {
        d.source.identity: Copy(f"{SUBSET}/{d.name}", d.sha256) for d in documents if d.source
    }
    manifest = _manifest(packet, bundled, packet_sha256, packet_size)
    write_private(
        work / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    )
    context: dict[str, Any] = {
        "patient": packet.patient,
        "items": timeline.items,
        "pages": packet.pages,
        "profile": packet.profile.value,
        "studies": [i for i in timeline.items if i.category is Category.IMAGING],
        "has_dicom": has_dicom,
        "xdm": f"{SUBSET}/",
        "documents": len(documents),
        "originals": _originals(timeline, bundled),
    }
    write_private(work / "INDEX.HTM", render_html("index.htm.j2", None, **context).encode())
    readme = render_html("readme.txt.j2", None, **context).replace("\n", "\r\n")
    write_private(work / "README.TXT", readme.encode())


def _manifest(
    packet: Packet, bundled: dict[str, Copy], packet_sha256: str, packet_size: int
) -> dict[str, Any]:
    """manifest.json: every source file, where it is in the packet and in the bundle.

    A DICOM image is hashed as it is copied (the scan reads its header only); one that is not
    in the bundle (a second copy of an image, or a reports-only bundle) has no hash.
    """
    pages = packet.pages
    files = [
        {
            "path": printable(source.path),
            "archive": printable(source.archive) if source.archive else None,
            "source_pages": list(source.pages) if source.pages else None,
            "sha256": source.sha256 or (copy.sha256 if copy else None),
            # a report of a file that holds several is copied as its own pages
            "bundle_sha256": copy.sha256 if copy and source.pages else None,
            "size": source.size,
            "kind": source.kind.value,
            "item": item.index,
            "category": item.category.value,
            "title": item.title,
            "pages": list(pages[item.index]) if item.index in pages else None,
            "bundle_path": copy.path if copy else None,
        }
        for item in packet.timeline.items
        for source in item.sources
        for copy in [bundled.get(source.identity)]
    ]
    return {
        "generator": f"recordpack {__version__}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": packet.profile.value,
        "packet": {"path": "packet.pdf", "sha256": packet_sha256, "size": packet_size},
        "files": files,
        "not_included": [problem_dict(p) for p in packet.problems],
    }


def _originals(timeline: Timeline, bundled: dict[str, Copy]) -> dict[int, list[str]]:
    """Each document's copies in the bundle, for INDEX.HTM (a study's are its DICOM files)."""
    return {
        item.index: sorted(
            {bundled[s.identity].path for s in item.sources if s.identity in bundled}
        )
        for item in timeline.items
        if item.study is None
    }


class Copy(NamedTuple):
    """A source file's copy in the bundle."""

    path: str  # in the bundle, POSIX
    sha256: str | None


def write_dicom_media(
    work: Path,
    records: Records,
    timeline: Timeline,
    progress: Callable[[int, int, str], None] | None = None,
    workers: int | None = None,
) -> dict[str, Copy]:
    """Copy the DICOM files under DICOM/ (byte for byte) and write the DICOMDIR beside it.

    Files are streamed, in worker processes when there are many; only a few strings of each
    header are kept for the DICOMDIR. Returns each copied file's copy, by source identity.
    """
    jobs: dict[str, tuple[Source, tuple[str, ...]]] = {}
    studies = [i.study for i in timeline.items if i.category is Category.IMAGING and i.study]
    for study_no, study in enumerate(studies, start=1):
        for series_no, series in enumerate(study.series, start=1):
            for image_no, (_, source) in enumerate(series.files, start=1):
                parts = ("DICOM", f"ST{study_no:06d}", f"SE{series_no:06d}", f"IM{image_no:06d}")
                jobs.setdefault(source.identity, (source, parts))
    images, copied = [], {}
    copies = _copies(records, work, list(jobs.values()), workers)
    for done, (identity, (image, sha256)) in enumerate(zip(jobs, copies, strict=True), start=1):
        if progress:
            progress(done, len(jobs), "copying images to the bundle")
        images.append(image)
        copied[identity] = Copy("/".join(image.file_id), sha256)
    if images:
        write_private(work / "DICOMDIR", dicomdir(images))
    return copied


PARALLEL_AFTER = 200  # images: below this, worker processes cost more than they save


def _copies(
    records: Records, work: Path, jobs: list[tuple[Source, tuple[str, ...]]], workers: int | None
) -> Iterator[tuple[Image, str]]:
    count = workers or os.cpu_count() or 1
    sources = [source for source, _ in jobs]
    places = [parts for _, parts in jobs]
    if count <= 1 or len(jobs) < PARALLEL_AFTER:
        yield from map(partial(copy_image, records, work), sources, places)
        return
    with ProcessPoolExecutor(max_workers=count, initializer=quiet_worker) as pool:
        yield from pool.map(partial(copy_image, records, work), sources, places, chunksize=32)


def copy_image(
    records: Records, work: Path, source: Source, parts: tuple[str, ...]
) -> tuple[Image, str]:
    """Copy one DICOM file into the bundle and read back what its DICOMDIR record needs.

    Returns:
        The DICOMDIR's record of the copy, and the copy's SHA-256.
    """
    target = work.joinpath(*parts)
    sha256 = records.copy(source, target)
    keys = (*PATIENT_KEYS, *STUDY_KEYS, *SERIES_KEYS, "InstanceNumber")
    values = header_text(
        target,
        (*keys, "SOPClassUID", "SOPInstanceUID", "MediaStorageSOPClassUID", "TransferSyntaxUID"),
    )
    for key in ("SeriesNumber", "InstanceNumber"):  # IS: an integer, whatever the file held
        values[key] = values[key] if values[key].lstrip("-").isdigit() else ""
    sop_class = values["SOPClassUID"] or values["MediaStorageSOPClassUID"] or SECONDARY_CAPTURE
    image = Image(
        {k: values[k] for k in keys},
        parts,
        sop_class,
        values["SOPInstanceUID"] or generate_uid(),
        values["TransferSyntaxUID"] or ExplicitVRLittleEndian,
    )
    return image, sha256


def _zip_folder(folder: Path, target: Path) -> None:
    """Zip the bundle; DICOM files are stored (they rarely compress), the rest deflated."""
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            method = zipfile.ZIP_STORED if name.startswith("DICOM/") else zipfile.ZIP_DEFLATED
            zf.write(path, name, compress_type=method)
