"""A clinic's defaults (``recordpack.toml``), and the one place they meet a build's flags.

The config is found in the current folder or given with --config; :func:`resolve` turns flags,
the patient file and the config into :class:`~recordpack.options.BuildOptions`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recordpack.errors import RecordpackError, RuleDataError, UsageError
from recordpack.options import BuildOptions, DateOrder, Order, Paper, Profile, ReadOptions, today
from recordpack.rules import check_keys, read_toml

if TYPE_CHECKING:
    from recordpack.patient import Patient

CONFIG_FILE = "recordpack.toml"
PLACEHOLDERS = ("folder", "name", "dob", "date", "condition")


@dataclass(frozen=True, slots=True)
class Config:
    """Defaults for build and batch; every key is optional."""

    template: str | None = None
    date_order: DateOrder = DateOrder.MDY
    condition: str | None = None
    encrypt_env: str | None = None  # when set, packets are encrypted with this variable's value
    output_pattern: str = "{folder}"
    order: str = "sections"
    profile: str | None = None
    bundle: bool = False
    path: str = ""


_KEYS: dict[str, type] = {
    "template": str,
    "date_order": str,
    "condition": str,
    "encrypt_env": str,
    "output_pattern": str,
    "order": str,
    "profile": str,
    "bundle": bool,
}
_CHOICES = {
    "date_order": [o.value for o in DateOrder],
    "order": ["sections", "date"],
    "profile": ["full", "reports"],
}


def load_config(path: Path | None) -> Config:
    """The given config file, or ``./recordpack.toml`` if there is one, or the defaults."""
    if path is None:
        candidate = Path.cwd() / CONFIG_FILE
        if not candidate.is_file():
            return Config()
        path = candidate
    data = read_toml(path)
    values: dict[str, Any] = {}
    check_keys(data, _KEYS, str(path))
    for key, value in data.items():
        if not isinstance(value, _KEYS[key]):
            raise RuleDataError(f"{path}: key '{key}' must be a {_KEYS[key].__name__}")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise RuleDataError(f"{path}: key '{key}' must be one of {', '.join(_CHOICES[key])}")
        values[key] = value
    pattern = values.get("output_pattern", "{folder}")
    try:
        pattern.format(**dict.fromkeys(PLACEHOLDERS, "x"))
    except (KeyError, IndexError, ValueError) as exc:
        raise RuleDataError(
            f"{path}: key 'output_pattern': unknown placeholder {exc}",
            f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
        ) from None
    if "template" in values:
        values["template"] = str((path.parent / values["template"]).resolve())
    if "date_order" in values:
        values["date_order"] = DateOrder(values["date_order"])
    return Config(**values, path=str(path))


@dataclass(frozen=True, slots=True)
class Flags:
    """What one build asks for, from the command line or a batch job; None: not given.

    Each value left out comes from the patient file, then from the config (:func:`resolve`).
    """

    output: Path | None = None  # None: named by the config's output pattern, in ``outdir``
    patient_file: Path | None = None
    name: str | None = None
    dob: dt.date | None = None
    condition: str | None = None
    checklist_file: Path | None = None
    questions: tuple[str, ...] = ()
    consult_date: dt.date | None = None
    order: Order | None = None
    template: Path | None = None
    bundle: Path | bool | None = None  # a path; True: a zip beside the packet; None: the config's
    fhir: Path | None = None
    iso: Path | None = None
    profile: Profile | None = None
    attach_originals: bool = False
    encrypt_password: str | None = None
    allow_inside: bool = False
    force: bool = False
    paper: Paper | None = None


def resolve(
    folder: Path, flags: Flags, config: Config, read: ReadOptions, outdir: Path = Path()
) -> BuildOptions:
    """Build options from flags, the patient file and the config: each value the first given.

    The one place ``build``, ``batch``, ``check`` and ``request`` turn what they were asked
    into what a build does, so a setting means the same in each.
    """
    from recordpack.patient import resolve_patient

    patient = resolve_patient(
        folder,
        flags.patient_file,
        name=flags.name,
        dob=flags.dob,
        condition=flags.condition,
        questions=flags.questions,
        default_condition=config.condition,
    )
    named = output_name(config.output_pattern, folder, patient, flags.consult_date)
    output = flags.output or outdir / f"{named}.pdf"
    bundle = config.bundle if flags.bundle is None else flags.bundle
    profile = flags.profile or (Profile(config.profile) if config.profile else None)
    return BuildOptions(
        output=output,
        patient=patient,
        read=read,
        checklist=str(flags.checklist_file) if flags.checklist_file else patient.condition or None,
        consult_date=flags.consult_date,
        order=flags.order or Order(config.order),
        template_dir=_templates(flags.template, config),
        encrypt_password=flags.encrypt_password,
        attach_originals=flags.attach_originals,
        bundle=output.with_suffix(".zip") if bundle is True else bundle or None,
        fhir=flags.fhir,
        iso=flags.iso,
        profile=profile,
        allow_inside=flags.allow_inside,
        force=flags.force,
        paper=flags.paper,
    )


def output_name(pattern: str, folder: Path, patient: Patient, consult: dt.date | None) -> str:
    """A packet's file name from the config's pattern, safe on every file system."""
    values = {
        "folder": folder.name,
        "name": patient.name or "patient",
        "dob": patient.dob.isoformat() if patient.dob else "nodob",
        "date": (consult or today()).isoformat(),
        "condition": patient.condition or "general",
    }
    name = pattern.format(**values)
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or folder.name


def _templates(flag: Path | None, config: Config) -> str | None:
    """The template folder: --template, else the config's; one that does not exist is an error."""
    if flag is not None and not flag.is_dir():
        raise UsageError(f"--template {flag}: no such folder", "give the folder of your templates")
    chosen = str(flag) if flag else config.template
    if chosen and not Path(chosen).is_dir():
        raise RecordpackError(
            f"{config.path}: template folder {chosen} does not exist",
            "fix 'template' in the config, or remove it",
        )
    return chosen
