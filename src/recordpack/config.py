"""A clinic's defaults, ``recordpack.toml``: found in the current folder or given with --config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recordpack.errors import RuleDataError
from recordpack.options import DateOrder
from recordpack.rules import check_keys, read_toml

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
    "template": str, "date_order": str, "condition": str, "encrypt_env": str,
    "output_pattern": str, "order": str, "profile": str, "bundle": bool,
}  # fmt: skip
_CHOICES = {"date_order": [o.value for o in DateOrder], "order": ["sections", "date"],
            "profile": ["full", "reports"]}  # fmt: skip


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
