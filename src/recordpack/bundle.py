"""The bundle: a folder or zip laid out like an IHE PDI / XDM medium.

```
packet.pdf      the packet
DICOMDIR        index of the images, for DICOM viewers (profile "full")
DICOM/          the original DICOM files, byte for byte: ST000001/SE000001/IM000001
README.TXT      what this is and how to open it; there is no autorun
INDEX.HTM       a browsable index that needs nothing but a browser
manifest.json   every source file: path, sha256, size, item, pages in the packet
```

The DICOMDIR is written here from the headers, not with pydicom's FileSet: FileSet re-encodes
the files it stores (the originals must stay byte-identical for a radiologist) and checks for
duplicates in O(n^2), minutes for a normal CT (TECH.md section 8). The record offsets are found
with a first write and filled in by a second one; their fields have a fixed size, so nothing moves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from recordpack import __version__
from recordpack.errors import OutputError
from recordpack.models import Category, Problem, Timeline
from recordpack.patient import Patient
from recordpack.render.html import render_html
from recordpack.scan import read_source
from recordpack.serialize import printable, problem_dict

if TYPE_CHECKING:
    from recordpack.pipeline import PlacedItem, Profile

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"


@dataclass(slots=True)
class _Series:
    header: Dataset
    images: list[tuple[Dataset, list[str]]] = field(default_factory=list)


@dataclass(slots=True)
class _Study:
    header: Dataset
    series: dict[str, _Series] = field(default_factory=dict)


def write_bundle(
    destination: Path,
    *,
    root: Path,
    packet: bytes,
    timeline: Timeline,
    placed: Sequence[PlacedItem],
    problems: Sequence[Problem],
    profile: Profile,
    patient: Patient,
) -> Path:
    """Write the bundle atomically: built in a temporary folder beside it, then renamed."""
    destination = destination.absolute()
    as_zip = destination.suffix.lower() == ".zip"
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    except OSError as exc:
        raise OutputError(f"{destination}: cannot be written ({exc.strerror or exc})") from exc
    tmp_zip = work.with_name(work.name + ".zip.part")
    try:
        work.chmod(0o700)
        _fill(work, root, packet, timeline, placed, problems, profile, patient)
        if as_zip:
            _zip_folder(work, tmp_zip)
            tmp_zip.chmod(0o600)
            tmp_zip.replace(destination)
            shutil.rmtree(work)
        else:
            if destination.exists():
                shutil.rmtree(destination)
            work.replace(destination)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        tmp_zip.unlink(missing_ok=True)
        raise
    return destination


def _fill(
    work: Path,
    root: Path,
    packet: bytes,
    timeline: Timeline,
    placed: Sequence[PlacedItem],
    problems: Sequence[Problem],
    profile: Profile,
    patient: Patient,
) -> None:
    _private_write(work / "packet.pdf", packet)
    pages = {p.item.index: (p.first_page, p.last_page) for p in placed}
    bundled: dict[str, str] = {}
    if profile.value == "full":
        bundled = write_dicom_media(work, root, timeline)
    files = [
        {
            "path": printable(source.path),
            "archive": printable(source.archive) if source.archive else None,
            "sha256": source.sha256,
            "size": source.size,
            "kind": source.kind.value,
            "item": item.index,
            "category": item.category.value,
            "title": item.title,
            "pages": list(pages[item.index]) if item.index in pages else None,
            "bundle_path": bundled.get(source.sha256),
        }
        for item in timeline.items
        for source in item.sources
    ]
    manifest = {
        "generator": f"recordpack {__version__}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": profile.value,
        "packet": {
            "path": "packet.pdf",
            "sha256": hashlib.sha256(packet).hexdigest(),
            "size": len(packet),
        },
        "files": files,
        "not_included": [problem_dict(p) for p in problems],
    }
    _private_write(
        work / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    )
    context: dict[str, Any] = {
        "patient": patient, "items": timeline.items, "pages": pages, "profile": profile.value,
        "studies": [i for i in timeline.items if i.category is Category.IMAGING],
        "has_dicom": bool(bundled),
    }  # fmt: skip
    _private_write(work / "INDEX.HTM", render_html("index.htm.j2", None, **context).encode())
    readme = render_html("readme.txt.j2", None, **context).replace("\n", "\r\n")
    _private_write(work / "README.TXT", readme.encode())


def _private_write(path: Path, data: bytes) -> None:
    for folder in reversed(path.parents):
        if not folder.exists():
            folder.mkdir(mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_dicom_media(work: Path, root: Path, timeline: Timeline) -> dict[str, str]:
    """Copy the DICOM files under DICOM/ (byte for byte) and write the DICOMDIR beside it.

    Returns the bundle path of each copied file, by SHA-256.
    """
    patients: dict[str, dict[str, _Study]] = {}
    patient_headers: dict[str, Dataset] = {}
    copied: dict[str, str] = {}
    study_no = 0
    for item in timeline.items:
        if item.category is not Category.IMAGING:
            continue
        study_no += 1
        all_series: list[dict[str, Any]] = item.facts.get("series", [])  # type: ignore[assignment]
        for series_no, series in enumerate(all_series, start=1):
            for image_no, (_, source) in enumerate(series["files"], start=1):
                if source.sha256 in copied:
                    continue
                data = read_source(root, source)
                parts = ["DICOM", f"ST{study_no:06d}", f"SE{series_no:06d}", f"IM{image_no:06d}"]
                _private_write(work.joinpath(*parts), data)
                copied[source.sha256] = "/".join(parts)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
                pid = str(ds.get("PatientID", "") or "UNKNOWN")
                patient_headers.setdefault(pid, ds)
                study = patients.setdefault(pid, {}).setdefault(
                    str(ds.get("StudyInstanceUID", "")), _Study(ds)
                )
                study.series.setdefault(
                    str(ds.get("SeriesInstanceUID", "")), _Series(ds)
                ).images.append((ds, parts))
    if copied:
        write_dicomdir(work / "DICOMDIR", patients, patient_headers)
    return copied


def write_dicomdir(
    path: Path, patients: dict[str, dict[str, _Study]], patient_headers: dict[str, Dataset]
) -> None:
    """A DICOMDIR (PS3.10 basic directory) for PATIENT / STUDY / SERIES / IMAGE records."""
    records: list[Dataset] = []
    links: list[tuple[int, int | None, int | None]] = []  # (record, next sibling, first child)

    def add(record: Dataset) -> int:
        records.append(record)
        links.append((len(records) - 1, None, None))
        return len(records) - 1

    def chain(indexes: list[int]) -> None:
        for a, b in itertools.pairwise(indexes):
            links[a] = (a, b, links[a][2])

    roots = []
    for pid, studies in patients.items():
        p = add(
            _record(
                "PATIENT",
                patient_headers[pid],
                ["PatientName", "PatientID"],
                defaults={"PatientID": pid},
            )
        )
        roots.append(p)
        study_ids = []
        for study in studies.values():
            s = add(
                _record(
                    "STUDY",
                    study.header,
                    [
                        "StudyDate",
                        "StudyTime",
                        "StudyDescription",
                        "StudyInstanceUID",
                        "StudyID",
                        "AccessionNumber",
                    ],
                )
            )
            study_ids.append(s)
            series_ids = []
            for series in study.series.values():
                se = add(
                    _record(
                        "SERIES",
                        series.header,
                        ["Modality", "SeriesInstanceUID", "SeriesNumber"],
                        defaults={"Modality": "OT", "SeriesNumber": 0},
                    )
                )
                series_ids.append(se)
                image_ids = []
                for ds, parts in series.images:
                    image = _record("IMAGE", ds, ["InstanceNumber"], defaults={"InstanceNumber": 0})
                    image.ReferencedFileID = parts
                    image.ReferencedSOPClassUIDInFile = ds.get("SOPClassUID") or ds.file_meta.get(
                        "MediaStorageSOPClassUID", "1.2.840.10008.5.1.4.1.1.7"
                    )
                    image.ReferencedSOPInstanceUIDInFile = (
                        ds.get("SOPInstanceUID") or generate_uid()
                    )
                    image.ReferencedTransferSyntaxUIDInFile = ds.file_meta.get(
                        "TransferSyntaxUID", ExplicitVRLittleEndian
                    )
                    image_ids.append(add(image))
                chain(image_ids)
                links[se] = (se, links[se][1], image_ids[0] if image_ids else None)
            chain(series_ids)
            links[s] = (s, links[s][1], series_ids[0] if series_ids else None)
        chain(study_ids)
        links[p] = (p, links[p][1], study_ids[0] if study_ids else None)
    chain(roots)

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(MEDIA_STORAGE_DIRECTORY)
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.FileSetID = "RECORDPACK"
    ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.FileSetConsistencyFlag = 0
    ds.DirectoryRecordSequence = DicomSequence(records)

    first = _encode(ds)  # first pass: where does each record start?
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tells = [
            r.seq_item_tell for r in pydicom.dcmread(io.BytesIO(first)).DirectoryRecordSequence
        ]
    for index, following, child in links:
        records[index].OffsetOfTheNextDirectoryRecord = (
            tells[following] if following is not None else 0
        )
        records[index].OffsetOfReferencedLowerLevelDirectoryEntity = (
            tells[child] if child is not None else 0
        )
    if roots:
        ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = tells[roots[0]]
        ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = tells[roots[-1]]
    second = _encode(ds)
    if len(second) != len(first):  # offsets are fixed-size UL values; a change means a bug
        raise OutputError("DICOMDIR layout changed between passes", "report this as a bug")
    _private_write(path, second)


def _record(
    kind: str, source: Dataset, keys: list[str], defaults: dict[str, Any] | None = None
) -> Dataset:
    record = Dataset()
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = kind
    if "SpecificCharacterSet" in source and kind == "PATIENT":
        record.SpecificCharacterSet = source.SpecificCharacterSet
    for key in keys:
        value = source.get(key)
        if value in (None, ""):
            value = (defaults or {}).get(key, "")
        setattr(record, key, value)
    return record


def _encode(ds: Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _zip_folder(folder: Path, target: Path) -> None:
    """Zip the bundle; DICOM files are stored (they rarely compress), the rest deflated."""
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            method = zipfile.ZIP_STORED if name.startswith("DICOM/") else zipfile.ZIP_DEFLATED
            zf.write(path, name, compress_type=method)
