"""ooarray.random: reproducible per seed and chunking, NumPy's dtypes, ranges and errors, and
distributions like NumPy's own generator's; nothing is made whole."""

from __future__ import annotations

import time

import numpy as np
import pytest
from helpers import assert_like_numpy

import ooarray as oa

METHODS = {
    "random": ((), {}),
    "standard_normal": ((), {}),
    "integers": ((-5, 17), {}),
    "uniform": ((-2.0, 3.5), {}),
}


def draw(seed, method, size, chunks, *args, **kwargs):
    generator = oa.random.default_rng(seed)
    default_args, default_kwargs = METHODS[method]
    return getattr(generator, method)(*(args or default_args), size=size, chunks=chunks,
                                      **{**default_kwargs, **kwargs})


def numpy_draw(seed, method, size, *args, **kwargs):
    default_args, default_kwargs = METHODS[method]
    generator = np.random.default_rng(seed)
    return getattr(generator, method)(*(args or default_args), size=size,
                                      **{**default_kwargs, **kwargs})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size, chunks", [((), ()), ((0,), 3), ((17,), 5), ((6, 7), (4, 3)),
                                          ((3, 4, 5), 1), ((5, 4), -1)])
def test_same_seed_and_chunking_give_identical_values(method, size, chunks):
    first = draw(42, method, size, chunks)
    again = draw(42, method, size, chunks)
    expected = numpy_draw(42, method, size)
    assert first.dtype == expected.dtype and first.shape == np.shape(expected)
    values = first.compute()
    assert_like_numpy(again, values, exact=True)
    assert_like_numpy(first, values, exact=True)  # computing twice regenerates the same
    with oa.config.set(executor="sync"):
        assert_like_numpy(draw(42, method, size, chunks), values, exact=True)


@pytest.mark.parametrize("method", METHODS)
def test_different_seeds_and_calls_differ(method):
    a = draw(1, method, (40, 30), (16, 16)).compute()
    b = draw(2, method, (40, 30), (16, 16)).compute()
    assert not np.array_equal(a, b)
    generator = oa.random.default_rng(1)
    one = getattr(generator, method)(*METHODS[method][0], size=(40, 30), chunks=(16, 16))
    two = getattr(generator, method)(*METHODS[method][0], size=(40, 30), chunks=(16, 16))
    assert not np.array_equal(one.compute(), two.compute())
    np.testing.assert_array_equal(one.compute(), a)


@pytest.mark.parametrize("method", METHODS)
def test_chunks_are_independent_and_slices_agree(method):
    a = draw(7, method, (30, 20), (7, 6))
    whole = a.compute()
    for index in [(slice(3, 9), slice(5, 6)), (slice(None, None, -4), 3), (29, slice(None))]:
        assert_like_numpy(a[index], whole[index], exact=True)
    # No chunk repeats another's stream.
    blocks = [whole[i:i + 7, j:j + 6].ravel()[:4] for i in range(0, 28, 7)
              for j in range(0, 18, 6)]
    assert len({b.tobytes() for b in blocks}) == len(blocks)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_random_and_standard_normal_dtypes_and_ranges(dtype):
    generator = oa.random.default_rng(3)
    values = generator.random((50, 40), dtype=dtype, chunks=(20, 15))
    assert values.dtype == np.random.default_rng(3).random(2, dtype=dtype).dtype
    x = values.compute()
    assert x.dtype == np.dtype(dtype) and x.min() >= 0 and x.max() < 1
    normal = generator.standard_normal((50, 40), dtype=dtype, chunks=(20, 15))
    assert normal.dtype == np.random.default_rng(3).standard_normal(2, dtype=dtype).dtype
    for bad in (np.int64, np.complex128, np.float16):
        with pytest.raises(TypeError):
            np.random.default_rng(0).random(3, dtype=bad)
        with pytest.raises(TypeError):
            generator.random(3, dtype=bad)
        with pytest.raises(TypeError):
            np.random.default_rng(0).standard_normal(3, dtype=bad)
        with pytest.raises(TypeError):
            generator.standard_normal(3, dtype=bad)


INTEGER_CASES = [(0, 1, False), (0, 1, True), (5, None, False), (-3, 3, True), (10, 12, False),
                 (-128, 127, True), (0, 255, True), (0, 2**64 - 1, True), (2**62, 2**63, False)]


@pytest.mark.parametrize("low, high, endpoint", INTEGER_CASES, ids=repr)
@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8, np.uint64, np.int32,
                                   np.bool_], ids=lambda t: t.__name__)
def test_integers_range_dtype_and_endpoint(low, high, endpoint, dtype):
    generator = oa.random.default_rng(11)
    try:
        expected = np.random.default_rng(11).integers(low, high, size=(30, 20), dtype=dtype,
                                                      endpoint=endpoint)
    except Exception as error:  # noqa: BLE001 -- ooarray must raise NumPy's type
        with pytest.raises(type(error)):
            generator.integers(low, high, size=(30, 20), dtype=dtype, endpoint=endpoint,
                               chunks=(7, 9)).compute()
        return
    result = generator.integers(low, high, size=(30, 20), dtype=dtype, endpoint=endpoint,
                                chunks=(7, 9))
    assert result.dtype == expected.dtype and result.shape == expected.shape
    x = result.compute()
    lo, hi = (0, low) if high is None else (low, high)
    top = hi if endpoint else hi - 1
    assert x.min() >= lo and x.max() <= top
    # Small ranges are fully covered, endpoint included only when asked for.
    if top - lo < 5:
        assert set(np.unique(x).tolist()) == set(np.unique(expected).tolist())


def test_integers_default_dtype_and_errors():
    generator = oa.random.default_rng(0)
    assert generator.integers(10, size=5).dtype == np.random.default_rng(0).integers(
        10, size=5).dtype
    for args, kwargs in [((5, 2), {}), ((0,), {}), ((0, 300), {"dtype": np.int8}),
                         ((0, 1.5), {"dtype": np.float64})]:
        with pytest.raises(Exception) as expected:  # noqa: B017 -- the type comes from NumPy
            np.random.default_rng(0).integers(*args, size=3, **kwargs)
        with pytest.raises(type(expected.value)):
            generator.integers(*args, size=3, **kwargs).compute()


def test_array_bounds_are_a_clear_type_error():
    generator = oa.random.default_rng(0)
    bounds = np.array([0, 10])
    assert np.random.default_rng(0).integers(bounds, 20).shape == (2,)  # NumPy broadcasts
    for call in (lambda: generator.integers(bounds, 20), lambda: generator.integers(0, bounds),
                 lambda: generator.integers(bounds, 20, size=(3, 2), chunks=1),
                 lambda: generator.uniform(bounds, 30.0, size=2)):
        with pytest.raises(TypeError, match="scalar low and high"):
            call()


def test_uniform_range_and_dtype():
    x = oa.random.default_rng(5).uniform(-2.0, 3.5, size=(40, 25), chunks=(9, 10))
    expected = np.random.default_rng(5).uniform(-2.0, 3.5, size=(40, 25))
    assert x.dtype == expected.dtype and x.shape == expected.shape
    values = x.compute()
    assert values.min() >= -2.0 and values.max() < 3.5
    with pytest.raises(TypeError):
        oa.random.default_rng(5).uniform(np.zeros(3), 1.0, size=3)


def test_size_none_and_negative_sizes():
    generator = oa.random.default_rng(0)
    scalar = generator.random()
    assert isinstance(scalar, oa.OOArray) and scalar.shape == ()
    assert 0 <= float(scalar) < 1
    for method in METHODS:
        with pytest.raises(ValueError):
            getattr(np.random.default_rng(0), method)(*METHODS[method][0], size=(2, -1))
        with pytest.raises(ValueError):
            getattr(generator, method)(*METHODS[method][0], size=(2, -1))
        with pytest.raises(TypeError):
            getattr(np.random.default_rng(0), method)(*METHODS[method][0], size=2.5)
        with pytest.raises(TypeError):
            getattr(generator, method)(*METHODS[method][0], size=2.5)
        shape = getattr(generator, method)(*METHODS[method][0], size=np.int64(3)).shape
        assert shape == (3,)


@pytest.mark.parametrize("method, args", [("random", ()), ("standard_normal", ()),
                                          ("uniform", (-1.0, 4.0)), ("integers", (0, 7))])
def test_distribution_matches_numpys(method, args):
    """The chunked streams have the same distribution as NumPy's generator's."""
    n = 200_000
    x = getattr(oa.random.default_rng(9), method)(*args, size=n, chunks=30_000).compute()
    y = getattr(np.random.default_rng(9), method)(*args, size=n)
    edges = np.quantile(y, np.linspace(0, 1, 11)[1:-1])
    edges = np.unique(edges)
    fx = np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1) / n
    fy = np.bincount(np.searchsorted(edges, y, side="right"), minlength=edges.size + 1) / n
    np.testing.assert_allclose(fx, fy, atol=0.006)
    assert abs(x.mean() - y.mean()) < 5 * y.std() / np.sqrt(n) * np.sqrt(2)
    assert abs(x.std() - y.std()) < 0.01 * y.std()


def test_huge_random_array_builds_instantly_and_is_never_whole():
    started = time.perf_counter()
    a = oa.random.default_rng(0).random((10**5, 10**5))
    b = oa.random.default_rng(0).integers(0, 10, size=(10**6, 10**6), dtype=np.int8)
    text = repr(a) + repr(b) + str(a)
    assert time.perf_counter() - started < 1.0
    assert "shape=(100000, 100000)" in text and "float64" in text
    with oa.collect_stats() as stats:
        corner = a[:2, :3].compute()
    assert corner.shape == (2, 3) and ((0 <= corner) & (corner < 1)).all()
    assert stats.tasks <= 3
