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
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from recordpack import __version__
from recordpack.errors import OutputError
from recordpack.layout.html import render_html
from recordpack.models import Category, Problem, Timeline
from recordpack.options import Profile
from recordpack.outputs import Staging, write_private
from recordpack.patient import Patient
from recordpack.results import PlacedItem
from recordpack.serialize import printable, problem_dict
from recordpack.sources import Records

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
    staging: Staging,
    records: Records,
    packet: bytes,
    timeline: Timeline,
    placed: Sequence[PlacedItem],
    problems: Sequence[Problem],
    profile: Profile,
    patient: Patient,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Build the bundle beside ``destination``; ``staging`` renames it in with the packet."""
    destination = destination.absolute()
    parts = (records, packet, timeline, placed, problems, profile, patient, progress)
    if destination.suffix.lower() != ".zip":
        _fill(staging.folder(destination), *parts)
        return destination
    with Staging() as scratch:  # the folder is only a step toward the zip: never renamed
        work = scratch.folder(destination.with_name(destination.name + ".d"))
        _fill(work, *parts)
        _zip_folder(work, staging.reserve(destination))
    return destination


def _fill(
    work: Path,
    records: Records,
    packet: bytes,
    timeline: Timeline,
    placed: Sequence[PlacedItem],
    problems: Sequence[Problem],
    profile: Profile,
    patient: Patient,
    progress: Callable[[int, int, str], None] | None,
) -> None:
    write_private(work / "packet.pdf", packet)
    pages = {p.item.index: (p.first_page, p.last_page) for p in placed}
    bundled: dict[str, str] = {}
    if profile.value == "full":
        bundled = write_dicom_media(work, records, timeline, progress)
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
    write_private(
        work / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    )
    context: dict[str, Any] = {
        "patient": patient, "items": timeline.items, "pages": pages, "profile": profile.value,
        "studies": [i for i in timeline.items if i.category is Category.IMAGING],
        "has_dicom": bool(bundled),
    }  # fmt: skip
    write_private(work / "INDEX.HTM", render_html("index.htm.j2", None, **context).encode())
    readme = render_html("readme.txt.j2", None, **context).replace("\n", "\r\n")
    write_private(work / "README.TXT", readme.encode())


def write_dicom_media(
    work: Path,
    records: Records,
    timeline: Timeline,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, str]:
    """Copy the DICOM files under DICOM/ (byte for byte) and write the DICOMDIR beside it.

    Returns the bundle path of each copied file, by SHA-256.
    """
    patients: dict[str, dict[str, _Study]] = {}
    patient_headers: dict[str, Dataset] = {}
    copied: dict[str, str] = {}
    studies = [i.study for i in timeline.items if i.category is Category.IMAGING and i.study]
    total = sum(len(series.files) for study in studies for series in study.series)
    for study_no, study in enumerate(studies, start=1):
        for series_no, series in enumerate(study.series, start=1):
            for image_no, (_, source) in enumerate(series.files, start=1):
                if source.sha256 in copied:
                    continue
                if progress:
                    progress(len(copied) + 1, total, "copying images to the bundle")
                data = records.read(source)
                parts = ["DICOM", f"ST{study_no:06d}", f"SE{series_no:06d}", f"IM{image_no:06d}"]
                write_private(work.joinpath(*parts), data)
                copied[source.sha256] = "/".join(parts)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
                pid = str(ds.get("PatientID", "") or "UNKNOWN")
                patient_headers.setdefault(pid, ds)
                entry = patients.setdefault(pid, {}).setdefault(
                    str(ds.get("StudyInstanceUID", "")), _Study(ds)
                )
                entry.series.setdefault(
                    str(ds.get("SeriesInstanceUID", "")), _Series(ds)
                ).images.append((ds, parts))
    if copied:
        write_dicomdir(work / "DICOMDIR", patients, patient_headers)
    return copied


_STUDY_KEYS = ["StudyDate", "StudyTime", "StudyDescription", "StudyInstanceUID", "StudyID",
               "AccessionNumber"]  # fmt: skip


class _Directory:
    """Directory records in file order, with each one's next sibling and first child."""

    def __init__(self) -> None:
        self.records: list[Dataset] = []
        self.links: list[list[int | None]] = []  # [next sibling, first child] per record

    def add(self, record: Dataset) -> int:
        self.records.append(record)
        self.links.append([None, None])
        return len(self.records) - 1

    def level(self, parent: int | None, children: list[int]) -> list[int]:
        """Chain ``children`` as siblings under ``parent``."""
        for a, b in itertools.pairwise(children):
            self.links[a][0] = b
        if parent is not None and children:
            self.links[parent][1] = children[0]
        return children


def write_dicomdir(
    path: Path, patients: dict[str, dict[str, _Study]], patient_headers: dict[str, Dataset]
) -> None:
    """A DICOMDIR (PS3.10 basic directory) for PATIENT / STUDY / SERIES / IMAGE records."""
    d = _Directory()
    roots = []
    for pid, studies in patients.items():
        p = d.add(_record("PATIENT", patient_headers[pid], ["PatientName", "PatientID"],
                          defaults={"PatientID": pid}))  # fmt: skip
        roots.append(p)
        study_ids = []
        for study in studies.values():
            s = d.add(_record("STUDY", study.header, _STUDY_KEYS))
            study_ids.append(s)
            series_ids = []
            for series in study.series.values():
                se = d.add(_record("SERIES", series.header,
                                   ["Modality", "SeriesInstanceUID", "SeriesNumber"],
                                   defaults={"Modality": "OT", "SeriesNumber": 0}))  # fmt: skip
                series_ids.append(se)
                d.level(se, [d.add(_image_record(ds, parts)) for ds, parts in series.images])
            d.level(s, series_ids)
        d.level(p, study_ids)
    d.level(None, roots)
    write_private(path, _encode_directory(d, roots))


def _image_record(ds: Dataset, parts: list[str]) -> Dataset:
    image = _record("IMAGE", ds, ["InstanceNumber"], defaults={"InstanceNumber": 0})
    image.ReferencedFileID = parts
    image.ReferencedSOPClassUIDInFile = ds.get("SOPClassUID") or ds.file_meta.get(
        "MediaStorageSOPClassUID", "1.2.840.10008.5.1.4.1.1.7"
    )
    image.ReferencedSOPInstanceUIDInFile = ds.get("SOPInstanceUID") or generate_uid()
    image.ReferencedTransferSyntaxUIDInFile = ds.file_meta.get(
        "TransferSyntaxUID", ExplicitVRLittleEndian
    )
    return image


def _encode_directory(d: _Directory, roots: list[int]) -> bytes:
    """The DICOMDIR's bytes, in two passes: record offsets found, then filled in."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(MEDIA_STORAGE_DIRECTORY)
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.FileSetID = "RECORDPACK"
    ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.FileSetConsistencyFlag = 0
    ds.DirectoryRecordSequence = DicomSequence(d.records)

    first = _encode(ds)  # first pass: where does each record start?
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequence = pydicom.dcmread(io.BytesIO(first)).DirectoryRecordSequence
    tells = [r.seq_item_tell for r in sequence]
    for record, (following, child) in zip(d.records, d.links, strict=True):
        record.OffsetOfTheNextDirectoryRecord = tells[following] if following is not None else 0
        record.OffsetOfReferencedLowerLevelDirectoryEntity = (
            tells[child] if child is not None else 0
        )
    if roots:
        ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = tells[roots[0]]
        ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = tells[roots[-1]]
    second = _encode(ds)
    if len(second) != len(first):  # offsets are fixed-size UL values; a change means a bug
        raise OutputError("DICOMDIR layout changed between passes", "report this as a bug")
    return second


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
