import datetime as dt

from recordpack.options import BuildOptions, DateOrder, ReadOptions, today


def test_defaults_suit_a_patient_at_home(tmp_path):
    options = BuildOptions(output=tmp_path / "packet.pdf")
    assert options.read == ReadOptions(DateOrder.MDY, None, "eng", None)
    assert options.bundle is None and options.encrypt_password is None
    assert not options.allow_inside


def test_today_is_a_local_date():
    assert abs((today() - dt.date.today()).days) <= 1  # noqa: DTZ011 - the machine's own day
