from pathlib import Path

import pytest

from recordpack.config import Config, load_config
from recordpack.errors import RuleDataError
from recordpack.options import DateOrder


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert load_config(None) == Config()


def test_the_current_folders_file_is_read_and_paths_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "recordpack.toml").write_text(
        'date_order = "DMY"\ntemplate = "letterhead"\noutput_pattern = "{name}-{date}"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.date_order is DateOrder.DMY
    assert config.template == str((tmp_path / "letterhead").resolve())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('conditon = "x"', "unknown key 'conditon'"),
        ("bundle = 1", "key 'bundle' must be a bool"),
        ('order = "alphabetical"', "key 'order' must be one of sections, date"),
        ('output_pattern = "{surname}"', "unknown placeholder"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "recordpack.toml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        load_config(path)
