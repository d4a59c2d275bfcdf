import subprocess
import sys

import pytest

import recordpack


def test_the_public_api_loads_on_first_use():
    code = (
        "import sys, recordpack\n"
        "assert 'recordpack.pipeline' not in sys.modules\n"
        "assert 'pydicom' not in sys.modules and 'pypdf' not in sys.modules\n"
        "recordpack.scan_folder\n"
        "assert 'recordpack.pipeline' in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_every_name_in_all_resolves():
    for name in recordpack.__all__:
        assert getattr(recordpack, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        recordpack.nope  # noqa: B018
