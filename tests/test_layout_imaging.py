import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from recordpack.layout.imaging import (
    FRAMES_PER_SERIES,
    grey_levels,
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


@settings(max_examples=120, deadline=None)
@given(
    kind=st.sampled_from(["uint8", "uint16", "int16", "int32"]),
    seed=st.integers(0, 2**32 - 1),
    spread=st.integers(0, 5000),
    rescale=st.sampled_from([None, (1, -1024), (0.5, 3.25), (2, 0)]),
    window=st.one_of(st.none(), st.tuples(st.floats(-2000, 4000), st.floats(1, 5000))),
    voi_function=st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
    monochrome1=st.booleans(),
)
def test_windowing_each_value_once_gives_the_grey_levels_of_windowing_each_pixel(
    kind, seed, spread, rescale, window, voi_function, monochrome1
):
    """The per-value table is a shortcut: the same 256 levels as windowing every pixel."""
    import numpy as np
    from pydicom.dataset import Dataset

    info = np.iinfo(kind)
    rng = np.random.default_rng(seed)
    least, most = max(info.min, -30000), min(info.max, 30000)
    spread = min(spread, most - least)
    low = int(rng.integers(least, most - spread, endpoint=True))
    pixels = rng.integers(low, low + spread, size=(37, 53), endpoint=True).astype(kind)
    ds = Dataset()
    ds.PixelRepresentation = int(info.min < 0)
    ds.BitsStored = info.bits
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    if rescale:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    if window:
        ds.WindowCenter, ds.WindowWidth = round(window[0], 2), round(window[1], 2)
        ds.VOILUTFunction = voi_function
    fast, fast_window = grey_levels(pixels, ds)
    slow, slow_window = grey_levels(pixels, ds, by_value=False)
    assert fast_window == slow_window
    assert fast.dtype == slow.dtype == np.uint8 and np.array_equal(fast, slow)
