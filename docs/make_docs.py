"""Write docs/commands/NAME.md for every command, and docs/examples/ from the bundled example.

Run ``python docs/make_docs.py`` after changing a command; tests/test_docs.py fails when a page
no longer matches what the command accepts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from typer.main import get_command

from recordpack.cli import app

DOCS = Path(__file__).parent / "commands"
EXAMPLES = Path(__file__).parent / "examples"
EXAMPLE = Path(__file__).parent.parent / "examples" / "dana-whitfield"
LETTER_DATE = "2026-11-23"  # fixed, so that the example letter only changes with the code


def example_outputs(target: Path) -> None:
    """What the commands write for the bundled example: a request letter, a FHIR Bundle."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        letters = Path(work) / "letters"
        subprocess.run(
            [sys.executable, "-m", "recordpack", "request", str(EXAMPLE), "-o", str(letters),
             "--date", LETTER_DATE, "--no-cache", "-q"], check=True,
        )  # fmt: skip
        first = sorted(letters.glob("*.txt"))[0]
        shutil.copy(first, target / "request-letter.txt")
        shutil.copy(first.with_suffix(".pdf"), target / "request-letter.pdf")
        subprocess.run(
            [sys.executable, "-m", "recordpack", "build", str(EXAMPLE), "-o",
             str(Path(work) / "packet.pdf"), "--fhir", str(target / "packet.fhir.json"),
             "--no-cache", "-q"], check=True,
        )  # fmt: skip


def commands() -> dict[str, Any]:
    """Every command by its full name (``checklists show`` included)."""
    root = get_command(app)
    found: dict[str, Any] = {}
    for name, command in sorted(root.commands.items()):  # type: ignore[attr-defined]
        found[name] = command
        for sub, inner in sorted(getattr(command, "commands", {}).items()):
            found[f"{name} {sub}"] = inner
    return found


def page(name: str, command: Any) -> str:
    """The Markdown page of one command."""
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    options = [p for p in command.params if p.param_type_name == "option"]
    places = [a.metavar or a.name.upper() for a in arguments]
    usage = " ".join(["recordpack", name, "[OPTIONS]", *places])
    lines = [f"# recordpack {name}", "", (command.help or "").strip(), "", "```", usage, "```", ""]
    if arguments:
        lines += ["| argument | meaning |", "|---|---|"]
        lines += [f"| `{a.metavar or a.name.upper()}` | {a.help or ''} |" for a in arguments]
        lines.append("")
    lines += ["| option | value | meaning |", "|---|---|---|"]
    for option in options:
        names = ", ".join(f"`{o}`" for o in [*option.opts, *option.secondary_opts])
        value = f"`{option.metavar}`".replace("|", "\\|") if option.metavar else ""
        help_text = (option.help or "").replace("|", "\\|")
        default = option.default
        if default not in (None, False, ()) and "default" not in help_text:
            help_text += f" (default: {getattr(default, 'value', default)})"
        if option.required:
            help_text += " (required)"
        envvar = getattr(option, "envvar", None)
        if envvar:
            help_text += f" Environment: `{envvar}`."
        lines.append(f"| {names} | {value} | {help_text} |")
    lines += ["", "Exit codes and the JSON shapes are in the README.", ""]
    return "\n".join(lines)


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    for name, command in commands().items():
        (DOCS / f"{name.replace(' ', '-')}.md").write_text(page(name, command))
    example_outputs(EXAMPLES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
