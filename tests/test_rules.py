from pathlib import Path

import pytest

from recordpack.errors import RuleDataError
from recordpack.rules import load_rules, read_toml, require


def test_bundled_rules_load():
    assert "category" in load_rules("categories.toml")
    assert "never" in load_rules("dates.toml")


def test_errors_name_the_file_and_the_key(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [unclosed")
    with pytest.raises(RuleDataError, match=r"broken\.toml: not valid TOML"):
        read_toml(broken)
    with pytest.raises(RuleDataError, match="cannot be read"):
        read_toml(tmp_path / "missing.toml")
    with pytest.raises(RuleDataError, match="key 'ids' should be a list, not str"):
        require({"ids": "x"}, "ids", list, "here")
    with pytest.raises(RuleDataError, match="here: missing key 'ids'"):
        require({}, "ids", list, "here")


def test_unknown_keys_name_the_closest_known_one():
    from recordpack.rules import check_keys

    check_keys({"name": 1}, ["name", "dob"], "here")
    with pytest.raises(RuleDataError, match="here: unknown key 'nmae'") as caught:
        check_keys({"nmae": 1}, ["name", "dob"], "here")
    assert caught.value.hint == "did you mean 'name'? keys: name, dob"
