"""The docs that cannot drift: a page per command, made from the command line itself."""

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recordpack.cli import app

DOCS = Path(__file__).parent.parent / "docs"


def make_docs():
    spec = importlib.util.spec_from_file_location("make_docs", DOCS / "make_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_has_a_current_page():
    docs = make_docs()
    commands = docs.commands()
    assert {"scan", "timeline", "check", "build", "init", "batch", "checklists show"} <= set(
        commands
    )
    for name, command in commands.items():
        path = DOCS / "commands" / f"{name.replace(' ', '-')}.md"
        assert path.read_text() == docs.page(name, command), (
            f"run python docs/make_docs.py ({name})"
        )
        for option in command.params:
            for flag in option.opts:
                if flag.startswith("--"):
                    assert f"`{flag}`" in path.read_text()


def test_shell_completion_is_offered():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert "--install-completion" in result.stdout and "Examples:" in result.stdout


@pytest.mark.slow
def test_the_example_letter_is_what_request_writes_today(tmp_path: Path):
    docs = make_docs()
    docs.example_outputs(tmp_path)
    stored = (DOCS / "examples" / "request-letter.txt").read_text()
    assert (tmp_path / "request-letter.txt").read_text() == stored, "run python docs/make_docs.py"
    assert "45 CFR 164.524" in stored and "Dana M Whitfield" in stored
    # the FHIR example: a valid document of the same resources (ids and times differ per build)
    from fhir.resources.R4B.bundle import Bundle

    def shape(path: Path) -> list[tuple[str, str]]:
        data = json.loads(path.read_text())
        Bundle.model_validate(data)
        return [
            (e["resource"]["resourceType"], e["resource"].get("description", ""))
            for e in data["entry"]
        ]

    assert shape(DOCS / "examples" / "packet.fhir.json") == shape(tmp_path / "packet.fhir.json")
