"""Shared fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import EXAMPLE, tree_hashes


@pytest.fixture
def example_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example folder; asserts afterwards that the run changed nothing in it."""
    target = tmp_path / "dana"
    shutil.copytree(EXAMPLE, target)
    before = tree_hashes(target)
    yield target
    assert tree_hashes(target) == before, "the source folder was modified"


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands cache readings and OCR in ~/.cache by default; tests use a fresh folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
