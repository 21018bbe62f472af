"""gradient, trapezoid, unwrap, ediff1d, interp, convolve and correlate against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import CASES, assert_all_like_numpy, assert_like_numpy, numpy_result, quiet, sample

import ooarray as oa
from ooarray.algorithms.calculus import ConvolveNode

pytestmark = pytest.mark.usefixtures("sync_executor")

#: The dtypes these functions meet: NumPy refuses booleans in some, and that is compared too.
CALCULUS_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int64, np.uint8, np.float32,
                                         np.float64, np.complex128)]
#: CASES without the 0-d and 4-d ones, for the many-argument grids.
SMALL_CASES = [c for c in CASES if 1 <= len(c[0]) <= 3]


def _compare(func, numpy_args, ooarray_args, **kwargs):
    """ooarray's ``func`` gives NumPy's values (tuples item by item) or its exception type."""
    expected, error = numpy_result(func, *numpy_args, **kwargs)
    if error is not None:
        with pytest.raises(type(error)), quiet():
            func(*ooarray_args, **kwargs)
        return
    with quiet():
        result = func(*ooarray_args, **kwargs)
    assert_all_like_numpy(result, expected)


def _case(case, dtype, rng, special=True):
    shape, chunks = case
    x = sample(shape, dtype, rng, special=special)
    return x, oa.asarray(x, chunks=chunks)


# -- gradient ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", CALCULUS_DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_gradient_over_axes_and_edge_orders(case, dtype, rng):
    x, a = _case(case, dtype, rng)
    for edge_order in (1, 2):
        _compare(np.gradient, (x,), (a,), edge_order=edge_order)
        for axis in range(-x.ndim, x.ndim):
            _compare(np.gradient, (x, 0.5), (a, 0.5), axis=axis, edge_order=edge_order)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.int64], ids=str)
@pytest.mark.parametrize("case", [c for c in SMALL_CASES if len(c[0]) >= 2],
                         ids=lambda c: f"{c[0]}-{c[1]}")
def test_gradient_with_coordinates(case, dtype, rng):
    x, a = _case(case, dtype, rng, special=False)
    shape = x.shape
    coords = [np.cumsum(rng.uniform(0.5, 2.0, n)) for n in shape]
    integer = [np.cumsum(rng.integers(1, 4, n)) for n in shape]
    uniform = [np.arange(n) * 3 for n in shape]  # equal steps: NumPy's scalar case
    lazy = [oa.asarray(c, chunks=2) for c in coords]
    for edge_order in (1, 2):
        for spacing in (coords, integer, uniform, [np.float32(2.0)] + coords[1:]):
            _compare(np.gradient, (x, *spacing), (a, *spacing), edge_order=edge_order)
        _compare(np.gradient, (x, *coords), (a, *lazy), edge_order=edge_order)
        _compare(np.gradient, (x, coords[1]), (a, lazy[1]), axis=1, edge_order=edge_order)
        _compare(np.gradient, (x, coords[0], 2.0), (a, lazy[0], 2.0), axis=(0, -1),
                 edge_order=edge_order)


def test_gradient_errors_are_numpys(rng):
    x = rng.standard_normal((4, 5))
    a = oa.asarray(x, chunks=2)
    for args, kwargs in [((1.0, 2.0, 3.0), {}), ((np.ones((4, 5)), 1.0), {}),
                         ((np.ones(3), 1.0), {}), ((), {"edge_order": 3}),
                         ((), {"axis": 2}), ((), {"axis": (0, 0)}),
                         ((np.ones(4),), {"axis": 0})]:
        _compare(np.gradient, (x, *args), (a, *args), **kwargs)
    short = oa.asarray(np.ones((2, 5)), chunks=1)
    with pytest.raises(ValueError, match="too small"):
        np.gradient(short, edge_order=2)
    with pytest.raises(TypeError):
        np.gradient(oa.asarray(np.ones(5, bool), chunks=2))


# -- trapezoid --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", CALCULUS_DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_trapezoid_over_axes_and_spacings(case, dtype, rng):
    y, a = _case(case, dtype, rng)
    _compare(np.trapezoid, (y,), (a,))
    for axis in range(-y.ndim, y.ndim):
        n = y.shape[axis]
        x1 = np.cumsum(rng.uniform(0.1, 1.0, n))
        xs = rng.uniform(0.0, 1.0, y.shape)
        _compare(np.trapezoid, (y,), (a,), dx=0.25, axis=axis)
        _compare(np.trapezoid, (y, x1), (a, x1), axis=axis)
        _compare(np.trapezoid, (y, x1), (a, oa.asarray(x1, chunks=2)), axis=axis)
        _compare(np.trapezoid, (y, xs), (a, oa.asarray(xs, chunks=case[1])), axis=axis)


def test_trapezoid_errors_are_numpys(rng):
    y = rng.standard_normal((3, 4))
    a = oa.asarray(y, chunks=2)
    _compare(np.trapezoid, (y, np.ones(5)), (a, np.ones(5)))
    _compare(np.trapezoid, (y,), (a,), axis=2)
    _compare(np.trapezoid, (np.float64(2.0),), (oa.asarray(np.float64(2.0)),))


# -- unwrap -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int64, np.float32, np.float64,
                                   np.complex128], ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_unwrap_over_axes_and_periods(case, dtype, rng):
    shape, chunks = case
    p = sample(shape, dtype, rng, special=False, low=-20, high=20)
    a = oa.asarray(p, chunks=chunks)
    _compare(np.unwrap, (p,), (a,))
    options = [{"discont": 4.0}, {"period": 6}, {"period": 5, "discont": 1}]  # int periods
    for axis in range(-p.ndim, p.ndim):
        _compare(np.unwrap, (p,), (a,), axis=axis, **options[axis % 3])


def test_unwrap_keeps_the_sign_of_half_period_jumps():
    p = np.array([0, 3, 0, -3, 1, 4, 10, 2, 5, 8], dtype=np.int64)  # jumps of exactly 3
    for chunks in (1, 3, 10):
        a = oa.asarray(p, chunks=chunks)
        assert_like_numpy(np.unwrap(a, period=6), np.unwrap(p, period=6))
        assert_like_numpy(np.unwrap(a.astype(float), period=6.0),
                          np.unwrap(p.astype(float), period=6.0))
    phase = np.angle(np.exp(1j * np.linspace(0, 40, 1001)))
    assert_like_numpy(np.unwrap(oa.asarray(phase, chunks=64)), np.unwrap(phase))


# -- ediff1d ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", CALCULUS_DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_ediff1d_with_and_without_ends(case, dtype, rng):
    x, a = _case(case, dtype, rng)
    ends = [None, 7, [1, 2], np.array([[3], [4]], np.int8), np.array([1.5]),
            oa.asarray(np.arange(3), chunks=2)]
    _compare(np.ediff1d, (x,), (a,))
    for begin, end in zip(ends, ends[::-1] + [None], strict=False):
        numpy_begin = begin.compute() if isinstance(begin, oa.OOArray) else begin
        numpy_end = end.compute() if isinstance(end, oa.OOArray) else end
        _compare(np.ediff1d, (x, numpy_end, numpy_begin), (a, end, begin))


# -- interp -----------------------------------------------------------------------------------
_XP = np.array([-5.0, -1.0, 0.0, 2.5, 6.0])
_FP = np.array([1.0, -2.0, 0.5, 3.0, 2.0])


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int64, np.float32, np.float64],
                         ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_interp_over_shapes_and_options(case, dtype, rng):
    x, a = _case(case, dtype, rng)
    _compare(np.interp, (x, _XP, _FP), (a, _XP, _FP))
    _compare(np.interp, (x, _XP, _FP + 1j * _FP), (a, _XP, _FP + 1j * _FP))
    _compare(np.interp, (x, _XP, _FP), (a, _XP, _FP), left=-9.0, right=9.0)
    _compare(np.interp, (x, _XP[::-1] + 1, _FP), (a, _XP[::-1] + 1, _FP), period=4.0)


def test_interp_samples_may_be_small_ooarrays_and_errors_are_numpys(rng):
    x = rng.uniform(-6, 7, 50)
    a = oa.asarray(x, chunks=7)
    assert_like_numpy(np.interp(a, oa.asarray(_XP, chunks=2), oa.asarray(_FP, chunks=3)),
                      np.interp(x, _XP, _FP))
    assert_like_numpy(np.interp(x, oa.asarray(_XP, chunks=2), _FP), np.interp(x, _XP, _FP))
    for xp, fp, kwargs in [([], [], {}), (_XP, _FP[:3], {}), (_XP, _FP, {"period": 0})]:
        _compare(np.interp, (x, xp, fp), (a, xp, fp), **kwargs)
    z = x + 1j
    _compare(np.interp, (z, _XP, _FP), (oa.asarray(z, chunks=7), _XP, _FP))


def test_interp_refuses_sample_points_larger_than_the_budget():
    x = oa.asarray(np.linspace(0, 1, 10))
    with oa.config.set(memory_limit="256KB"):
        xp = oa.linspace(0, 1, 20_000)
        with pytest.raises(oa.BudgetError, match="xp"):
            np.interp(x, xp, xp)


# -- convolve and correlate -------------------------------------------------------------------
_LENGTHS = [(1, 1), (1, 4), (5, 1), (7, 3), (7, 4), (3, 7), (4, 7), (6, 6), (20, 5), (2, 9)]


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.float32, np.float64,
                                   np.complex128], ids=str)
@pytest.mark.parametrize("lengths", _LENGTHS, ids=str)
def test_convolve_and_correlate_over_lengths_chunks_and_modes(lengths, dtype, rng):
    n, m = lengths
    x = sample((n,), dtype, rng, special=False)
    k = sample((m,), np.complex128 if dtype == np.float64 else dtype, rng, special=False)
    for chunks in sorted({1, 3, n}):  # chunks shorter than the kernel and its halo
        a = oa.asarray(x, chunks=chunks)
        for func in (np.convolve, np.correlate):
            for mode in ("full", "same", "valid"):
                _compare(func, (x, k, mode), (a, k, mode))
                _compare(func, (k, x, mode), (k, a, mode))
    lazy_kernel = oa.asarray(k, chunks=2)
    for func in (np.convolve, np.correlate):
        _compare(func, (x, k, "same"), (oa.asarray(x, chunks=2), lazy_kernel, "same"))


def test_convolve_regions_inside_chunks_and_default_modes(rng):
    x = rng.integers(-50, 50, 40)
    k = rng.integers(-5, 5, 6)
    a = oa.asarray(x, chunks=3)
    assert_like_numpy(np.convolve(a, k)[5:9], np.convolve(x, k)[5:9])
    assert_like_numpy(np.convolve(a, k)[::7], np.convolve(x, k)[::7])
    assert_like_numpy(np.correlate(a, k), np.correlate(x, k))  # 'valid' by default
    assert_like_numpy(np.correlate(a, k, 2), np.correlate(x, k, 2))  # NumPy's int modes
    assert_like_numpy(np.convolve(oa.asarray(np.int64(3)), k), np.convolve(np.int64(3), k))


def test_convolve_errors_are_numpys(rng):
    x = rng.standard_normal(10)
    a = oa.asarray(x, chunks=3)
    for func in (np.convolve, np.correlate):
        for args in [(x, []), ([], x), (x, np.ones((2, 2))), (np.ones((2, 5)), [1.0]),
                     (x, [1.0], "bad"), (x, [1.0], "Same"), (x, [1.0], None)]:
            _compare(func, args, (a, *args[1:]) if len(args[0]) == 10 else
                     (oa.asarray(np.asarray(args[0])), *args[1:]))


def _long_pair(dtype, n, m, rng):
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.random(n) < 0.3, rng.random(m) < 0.3
    if kind in "iu":
        return rng.integers(0, 100, n).astype(dtype), rng.integers(0, 100, m).astype(dtype)
    x, k = rng.standard_normal(n).astype(dtype), rng.standard_normal(m).astype(dtype)
    if kind == "c":
        x, k = x + 1j * rng.standard_normal(n), k + 1j * rng.standard_normal(m)
    return x, k


_FFT_CASES = [  # each dtype with one pair of lengths and two of the four windows, in turn
    (dtype, [(9000, 2100), (2100, 9000), (5000, 5000)][i % 3],
     [((np.convolve, "full"), (np.correlate, "same")),
      ((np.convolve, "same"), (np.correlate, "valid")),
      ((np.convolve, "valid"), (np.correlate, "full"))][i % 3])
    for i, dtype in enumerate([np.bool_, np.int8, np.uint8, np.int64, np.float32, np.float64,
                               np.complex128])]


@pytest.mark.parametrize("dtype, lengths, windows", _FFT_CASES,
                         ids=[f"{np.dtype(d)}-{n}x{m}" for d, (n, m), _ in _FFT_CASES])
def test_two_long_inputs_convolve_through_ffts(dtype, lengths, windows, rng, tmp_path):
    # Under 64 KB the kernel may take 2,000 B: both inputs are longer than that here.
    x, k = _long_pair(dtype, *lengths, rng)
    with oa.config.set(memory_limit="64KB"), oa.collect_stats() as stats:
        a, v = oa.asarray(x, chunks=1000), oa.asarray(k, chunks=700)
        for func, mode in windows:
            result, expected = func(a, v, mode), func(x, k, mode)
            assert result.dtype == expected.dtype and result.shape == expected.shape
            assert not isinstance(result.node, ConvolveNode)  # not a kernel in memory
            result.to_npy(tmp_path / "result.npy", overwrite=True)
            got = np.load(tmp_path / "result.npy")
            if np.dtype(dtype).kind in "biu":
                np.testing.assert_array_equal(got, expected)  # integers exactly
            else:
                tolerance = 1e-4 if dtype == np.float32 else 1e-9
                np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    assert 0 < stats.peak_bytes <= 64_000


def test_an_integer_fft_convolution_that_could_round_wrong_is_refused(rng):
    x = rng.integers(-10**9, 10**9, 5000)
    with oa.config.set(memory_limit="64KB"):
        a = oa.asarray(x, chunks=1000)
        with pytest.raises(ValueError, match="astype"):
            np.convolve(a, a)
        small = oa.asarray(x % 100, chunks=1000)  # the bound passes: exact integers
        np.testing.assert_array_equal(np.convolve(small, small)[::97].compute(),
                                      np.convolve(x % 100, x % 100)[::97])


def test_convolution_of_an_input_four_times_the_budget_stays_in_budget(tmp_path, rng):
    limit = 256 * 1024
    x = rng.standard_normal(4 * limit // 8)
    k = rng.standard_normal(101)
    np.save(tmp_path / "x.npy", x)
    with oa.config.set(memory_limit=limit), oa.collect_stats() as stats:
        a = oa.open(tmp_path / "x.npy")
        assert a.nbytes == 4 * limit
        np.convolve(a, k, mode="same").to_npy(tmp_path / "same.npy")
        np.correlate(a, k, mode="full").to_npy(tmp_path / "full.npy")
    np.testing.assert_allclose(np.load(tmp_path / "same.npy"), np.convolve(x, k, "same"),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.load(tmp_path / "full.npy"), np.correlate(x, k, "full"),
                               rtol=1e-10, atol=1e-10)
    assert 0 < stats.peak_bytes <= limit
    assert oa.execute.pool().overshoot_bytes == 0


@pytest.mark.parametrize("func", [
    np.unwrap, lambda a: np.gradient(a, edge_order=2), lambda a: np.ediff1d(a, to_begin=[1.0]),
    lambda a: np.interp(a, [-5.0, 0.0, 5.0], [1.0, 2.0, 0.0])],
    ids=["unwrap", "gradient", "ediff1d", "interp"])
def test_the_others_on_an_input_four_times_the_budget_stay_in_budget(func, tmp_path, rng):
    limit = 256 * 1024
    x = rng.uniform(-20, 20, 4 * limit // 8)
    np.save(tmp_path / "x.npy", x)
    with oa.config.set(memory_limit=limit), oa.collect_stats() as stats:
        func(oa.open(tmp_path / "x.npy")).to_npy(tmp_path / "out.npy")
        integral = float(np.trapezoid(oa.open(tmp_path / "x.npy"), dx=0.5))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), func(x), rtol=1e-10, atol=1e-9)
    assert integral == pytest.approx(np.trapezoid(x, dx=0.5), rel=1e-9)
    assert 0 < stats.peak_bytes <= limit
    assert oa.execute.pool().overshoot_bytes == 0


@pytest.mark.parametrize("chunks", [20_000, 15_000, 7_001])
def test_a_loop_of_unwraps_over_data_larger_than_the_budget(chunks, rng):
    # A program: the phase unwrapped and halved three times, 1.6 MB of data under 1 MB.
    # (Each unwrap adds its corrections to a[1:]; on a grid shifted from a[1:]'s, every task
    # read two chunks of the scan, and the first unwrap alone needed a 1.2 MiB task.)
    x = np.cumsum(rng.standard_normal(200_000)) % (2 * np.pi)
    expected = x.copy()
    with oa.config.set(memory_limit="1MB"), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=chunks)
        x[:] = 0  # the array keeps the values it was made from
        for _ in range(3):
            a = np.unwrap(a) * 0.5
            expected = np.unwrap(expected) * 0.5
        total, head, tail = float(a.sum()), a[:1000].compute(), a[-1000:].compute()
    assert total == pytest.approx(expected.sum(), rel=1e-12)
    np.testing.assert_allclose(head, expected[:1000], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tail, expected[-1000:], rtol=1e-12, atol=1e-9)
    assert 0 < stats.peak_bytes <= 1_000_000
