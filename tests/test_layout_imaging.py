import io

from PIL import Image

from recordpack.layout.imaging import (
    FRAMES_PER_SERIES,
    key_images,
    pick_instances,
    render_key_image,
)
from recordpack.models import Kind, Source
from tests.builders import dicom_bytes


def test_key_slices_are_spread_through_the_series():
    files = [(n, Source(f"IM{n}", "a" * 64, 1, Kind.DICOM)) for n in range(1, 101)]
    picked = [n for n, _ in pick_instances(files)]
    assert len(picked) == FRAMES_PER_SERIES and picked[0] == 1 and picked[-1] == 100
    assert pick_instances(files[:3]) == files[:3]


def test_a_slice_is_drawn_small_with_its_window_named():
    png, window = render_key_image(dicom_bytes())
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and max(image.size) <= 256
    assert window


def test_a_slice_that_cannot_be_drawn_is_a_note_not_a_failure():
    good = Source("IM1", "a" * 64, 1, Kind.DICOM)
    bad = Source("IM2", "b" * 64, 1, Kind.DICOM)
    data = {good: dicom_bytes(), bad: dicom_bytes()[:300]}
    images, note = key_images([(1, good), (2, bad)], data.__getitem__)
    assert [i.instance for i in images] == [1]
    assert note.startswith("image not rendered")
