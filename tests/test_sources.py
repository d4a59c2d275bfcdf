from pathlib import Path

import pytest

from recordpack.sources import Records
from tests.builders import write_pdf


def test_read_source_refuses_a_changed_file(tmp_path: Path):
    from recordpack.pipeline import scan_folder

    write_pdf(tmp_path / "a.pdf", ["x"])
    [item] = scan_folder(tmp_path).items
    write_pdf(tmp_path / "a.pdf", ["y"])
    with pytest.raises(OSError, match="changed since it was scanned"):
        Records(tmp_path).read(item.sources[0])
