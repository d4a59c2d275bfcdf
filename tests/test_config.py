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


def test_a_flag_beats_the_patient_file_which_beats_the_config(tmp_path: Path):
    import datetime as dt

    from recordpack.config import Flags, resolve
    from recordpack.options import Order, Profile, ReadOptions

    (tmp_path / "patient.toml").write_text('name = "Ann Lee"\ncondition = "breast-cancer"\n')
    config = Config(
        condition="general",
        order="date",
        profile="reports",
        bundle=True,
        output_pattern="{name}-{condition}",
    )
    plain = resolve(tmp_path, Flags(consult_date=dt.date(2026, 1, 2)), config, ReadOptions())
    assert plain.patient.name == "Ann Lee" and plain.checklist == "breast-cancer"
    assert plain.output == Path("Ann_Lee-breast-cancer.pdf")
    assert plain.bundle == Path("Ann_Lee-breast-cancer.zip")  # the config's: beside the packet
    assert (plain.order, plain.profile) == (Order.DATE, Profile.REPORTS)
    asked = Flags(
        output=tmp_path / "p.pdf",
        condition="prostate-cancer",
        order=Order.SECTIONS,
        bundle=False,
        profile=Profile.FULL,
    )
    flagged = resolve(tmp_path, asked, config, ReadOptions())
    assert flagged.checklist == "prostate-cancer" and flagged.bundle is None
    assert (flagged.output, flagged.order, flagged.profile) == (
        tmp_path / "p.pdf",
        Order.SECTIONS,
        Profile.FULL,
    )


def test_a_template_folder_that_is_not_there_is_refused(tmp_path: Path):
    from recordpack.config import Flags, resolve
    from recordpack.errors import RecordpackError
    from recordpack.options import ReadOptions

    with pytest.raises(RecordpackError, match="no such folder"):
        resolve(tmp_path, Flags(template=tmp_path / "nope"), Config(), ReadOptions())
    with pytest.raises(RecordpackError, match="does not exist"):
        resolve(tmp_path, Flags(), Config(template=str(tmp_path / "gone")), ReadOptions())
