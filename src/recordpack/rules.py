"""Load the rule and checklist files shipped as package data, or a user's own file."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from recordpack.errors import RuleDataError


def load_rules(name: str) -> dict[str, Any]:
    """Parse ``data/rules/<name>``; a broken bundled file is a bug, reported with its name."""
    resource = resources.files("recordpack") / "data" / "rules" / name
    try:
        return tomllib.loads(resource.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleDataError(f"rules file data/rules/{name}: {exc}") from exc


def require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """Return ``data[key]`` if it has the expected type, else a precise :class:`RuleDataError`."""
    if key not in data:
        raise RuleDataError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise RuleDataError(
            f"{where}: key '{key}' should be a {kind.__name__}, not {type(value).__name__}"
        )
    return value


def read_toml(path: Path) -> dict[str, Any]:
    """A user's TOML file (checklist, patient file); errors name the file and what is wrong."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleDataError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleDataError(f"{path}: not valid TOML ({exc})") from exc


def check_keys(data: dict[str, Any], valid: Iterable[str], where: str) -> None:
    """Refuse a key the file format does not have, naming the closest one that it does.

    A misspelt key (``conditon``, ``DOB``) silently ignored would give a wrong packet.
    """
    known = list(valid)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise RuleDataError(f"{where}: unknown key '{key}'", f"{hint}keys: {', '.join(known)}")
