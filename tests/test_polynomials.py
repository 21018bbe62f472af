"""Polynomials and function application (ooarray/ops/polynomials.py) against NumPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr
from helpers import assert_like_numpy, numpy_result, quiet, sample

import ooarray as oa

pytestmark = pytest.mark.usefixtures("sync_executor")

POLY_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int64, np.uint64, np.float32,
                                     np.float64, np.complex128)]
VECTORS = [((0,), 2), ((1,), 1), ((7,), 3), ((10,), ((3, 5, 2),)), ((9,), 9)]


def _data(shape, dtype, rng, low=-3, high=3):
    return sample(shape, dtype, rng, special=False, low=low, high=high)


def _same_error(func, expected_error, *args, **kwargs):
    assert expected_error is not None, "NumPy did not raise"
    with pytest.raises(type(expected_error)):
        func(*args, **kwargs)


# -- vander ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", POLY_DTYPES, ids=str)
@pytest.mark.parametrize("shape,chunks", VECTORS)
@pytest.mark.parametrize("N,increasing", [(None, False), (4, True), (0, False), (1, True)])
def test_vander(dtype, shape, chunks, N, increasing, rng):
    x = _data(shape, dtype, rng)
    assert_like_numpy(np.vander(oa.asarray(x, chunks=chunks), N, increasing),
                      np.vander(x, N, increasing))


@pytest.mark.parametrize("x,N", [(np.ones((2, 2)), None), (np.float64(1.0), None),
                                 (np.ones(3), -1), (np.ones(3), 2.5)])
def test_vander_errors(x, N):
    _, error = numpy_result(np.vander, x, N)
    _same_error(np.vander, error, oa.asarray(x), N)


# -- polyval --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", POLY_DTYPES, ids=str)
@pytest.mark.parametrize("shape,chunks", [((), ()), ((0,), 2), ((7,), 3), ((5, 6), (2, 4))])
@pytest.mark.parametrize("p", [[], [2], [3, -1, 2], np.array([1.5, 0.0, -2.0, 0.5], "f4"),
                               np.array([1 + 1j, 2])], ids=["empty", "const", "int", "f4", "c"])
def test_polyval(dtype, shape, chunks, p, rng):
    x = _data(shape, dtype, rng)
    expected, error = numpy_result(np.polyval, p, x)
    if error is not None:
        _same_error(np.polyval, error, p, oa.asarray(x, chunks=chunks))
        return
    assert_like_numpy(np.polyval(p, oa.asarray(x, chunks=chunks)), expected)


def test_polyval_special_values_and_array_p():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.0])
    p = np.array([1.0, -2.0, 3.0])
    with quiet():
        expected = np.polyval(p, x)
        assert_like_numpy(np.polyval(p, oa.asarray(x, chunks=4)), expected)
        assert_like_numpy(np.polyval(oa.asarray(p), oa.asarray(x, chunks=4)), expected)
        assert_like_numpy(np.polyval(oa.asarray(p), x), expected)


def test_polyval_integer_overflow_wraps_as_numpy():
    x = np.arange(-50, 50, dtype=np.int8)
    p = np.array([7, 3, 5, 1], np.int8)
    with quiet():
        expected = np.polyval(p, x)
    assert_like_numpy(np.polyval(p, oa.asarray(x, chunks=13)), expected)


def test_polyval_zero_d_p_is_numpy_error():
    _, error = numpy_result(np.polyval, np.float64(2.0), np.ones(3))
    _same_error(np.polyval, error, np.float64(2.0), oa.asarray(np.ones(3)))


# -- polyfit --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
@pytest.mark.parametrize("deg", [0, 1, 3])
@pytest.mark.parametrize("chunks", [50, 7])
def test_polyfit(dtype, deg, chunks, rng):
    x = np.linspace(-1, 2, 50).astype(dtype)
    y = (np.polyval([0.5, -1.0, 2.0, 0.25], np.linspace(-1, 2, 50))
         + rng.normal(0, 0.1, 50)).astype(dtype)
    expected = np.polyfit(x, y, deg)
    result = np.polyfit(oa.asarray(x, chunks=chunks), oa.asarray(y, chunks=chunks), deg)
    assert_like_numpy(result, expected, rtol=1e-3 if dtype == np.float32 else 1e-8)


def test_polyfit_full_weights_and_2d_y(rng):
    x = np.linspace(0, 3, 40)
    y = np.stack([np.cos(x), np.sin(x) + 1], axis=1)
    w = rng.uniform(0.5, 2, 40)
    expected = np.polyfit(x, y, 3, w=w, full=True)
    result = np.polyfit(oa.asarray(x, chunks=9), oa.asarray(y, chunks=(9, 2)), 3,
                        w=oa.asarray(w, chunks=9), full=True)
    assert len(result) == 5
    for got, want in zip(result[:2] + result[3:4], expected[:2] + expected[3:4],
                          strict=True):
        assert_like_numpy(got, want, rtol=1e-8)
    assert result[2] == expected[2] and type(result[2]) is type(expected[2])
    assert result[4] == expected[4]


@pytest.mark.parametrize("cov", [True, "unscaled"])
@pytest.mark.parametrize("two_d", [False, True])
def test_polyfit_cov(cov, two_d, rng):
    x = np.linspace(-1, 1, 30)
    y = x ** 2 + rng.normal(0, 0.05, 30)
    if two_d:
        y = np.stack([y, 2 * y], axis=1)
    c, v = np.polyfit(x, y, 2, cov=cov)
    oc, ov = np.polyfit(oa.asarray(x, chunks=8), oa.asarray(y, chunks=8), 2, cov=cov)
    assert_like_numpy(oc, c, rtol=1e-8)
    assert_like_numpy(ov, v, rtol=1e-6)


def test_polyfit_rank_warning():
    x = np.array([0.0, 0.0, 1.0, 1.0])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.warns(np.exceptions.RankWarning):
        np.polyfit(oa.asarray(x, chunks=2), oa.asarray(y, chunks=2), 3)


@pytest.mark.parametrize("x,y,deg,kw", [
    (np.ones(4), np.ones(4), -1, {}),
    (np.ones((2, 2)), np.ones(2), 1, {}),
    (np.ones(0), np.ones(0), 1, {}),
    (np.ones(4), np.ones((4, 2, 2)), 1, {}),
    (np.ones(4), np.ones(5), 1, {}),
    (np.arange(4.0), np.ones(4), 1, {"w": np.ones((4, 1))}),
    (np.arange(4.0), np.ones(4), 1, {"w": np.ones(3)}),
    (np.arange(3.0), np.ones(3), 2, {"cov": True}),
], ids=["deg", "x2d", "empty", "y3d", "lengths", "w2d", "wlength", "cov-points"])
def test_polyfit_errors(x, y, deg, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        _, error = numpy_result(np.polyfit, x, y, deg, **kw)
        kw = {k: oa.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        _same_error(np.polyfit, error, oa.asarray(x), oa.asarray(y), deg, **kw)


# -- arithmetic of coefficients -------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64, np.complex128], ids=str)
@pytest.mark.parametrize("func", [np.polyadd, np.polysub, np.polymul])
def test_poly_arithmetic(func, dtype, rng):
    a, b = _data((4,), dtype, rng), _data((2,), dtype, rng)
    assert_like_numpy(func(oa.asarray(a, chunks=3), b), func(a, b))
    assert_like_numpy(func(a, oa.asarray(b)), func(a, b))
    assert_like_numpy(func(oa.asarray(a), oa.asarray(b, chunks=1)), func(a, b))


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.complex128], ids=str)
@pytest.mark.parametrize("m", [0, 1, 2, 5])
def test_polyder_polyint(dtype, m, rng):
    p = _data((4,), dtype, rng)
    assert_like_numpy(np.polyder(oa.asarray(p, chunks=3), m), np.polyder(p, m))
    assert_like_numpy(np.polyint(oa.asarray(p, chunks=3), m), np.polyint(p, m))
    k = np.arange(1.0, m + 1)
    assert_like_numpy(np.polyint(oa.asarray(p), m, oa.asarray(k) if m else None),
                      np.polyint(p, m, k if m else None))


def test_polyder_polyint_errors():
    p = np.arange(3.0)
    for func, args in [(np.polyder, (-1,)), (np.polyint, (-1,)), (np.polyint, (3, [1.0, 2.0]))]:
        _, error = numpy_result(func, p, *args)
        _same_error(func, error, oa.asarray(p), *args)


# -- piecewise ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64, np.complex128], ids=str)
@pytest.mark.parametrize("shape,chunks", [((), ()), ((0,), 2), ((7,), 3), ((5, 6), (2, 4)),
                                          ((4, 3, 5), (3, 2, 2))])
def test_piecewise(dtype, shape, chunks, rng):
    x = _data(shape, dtype, rng)
    xo = oa.asarray(x, chunks=chunks)
    funcs = [lambda v: v * 2, 7, lambda v, k=1: v - k]

    def conds(v):
        return [np.real(v) < -1, np.real(v) > 1]

    with quiet():
        expected = np.piecewise(x, conds(x), funcs)  # the third is "otherwise"
    assert_like_numpy(np.piecewise(xo, conds(xo), funcs), expected)
    with quiet():
        expected = np.piecewise(x, conds(x), funcs[:2])
    assert_like_numpy(np.piecewise(xo, conds(xo), funcs[:2]), expected)


def test_piecewise_single_condition_args_and_otherwise_only(rng):
    x = rng.uniform(-2, 2, 20)
    xo = oa.asarray(x, chunks=6)
    assert_like_numpy(np.piecewise(xo, xo > 0, [lambda v, a, b=0: v * a + b, -1.0], 3, b=1),
                      np.piecewise(x, x > 0, [lambda v, a, b=0: v * a + b, -1.0], 3, b=1))
    _, error = numpy_result(np.piecewise, x, [], [lambda v: v + 1])  # NumPy's IndexError
    _same_error(np.piecewise, error, xo, [], [lambda v: v + 1])
    assert_like_numpy(np.piecewise(xo, [np.zeros(20, bool)], [1.0, lambda v: v + 1]),
                      np.piecewise(x, [np.zeros(20, bool)], [1.0, lambda v: v + 1]))
    ints = np.arange(-5, 5)  # values cast into x's dtype, as NumPy's assignment
    assert_like_numpy(np.piecewise(oa.asarray(ints, chunks=3), [ints > 0], [lambda v: v / 2]),
                      np.piecewise(ints, [ints > 0], [lambda v: v / 2]))


def test_piecewise_errors():
    x = np.arange(6.0)
    xo = oa.asarray(x, chunks=4)
    for conds, funcs in [([x > 1, x > 2], [1]), ([x > 1], [1, 2, 3])]:
        _, error = numpy_result(np.piecewise, x, conds, funcs)
        _same_error(np.piecewise, error, xo, [xo > 1] * len(conds), funcs)
    _, error = numpy_result(np.piecewise, x, [x[:3] > 1], [1])
    _same_error(np.piecewise, error, xo, [xo[:3] > 1], [1])
    small = np.arange(6, dtype=np.int8)
    _, error = numpy_result(np.piecewise, small, [small > 1], [1000])
    _same_error(np.piecewise, error, oa.asarray(small), [oa.asarray(small) > 1], [1000])


# -- apply_along_axis and apply_over_axes -----------------------------------------------------
def _stats(v):
    return np.array([v.min(), v.max(), v.sum()])


def _outer(v):
    return np.outer(v[:2], v[:3])


@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.complex128], ids=str)
@pytest.mark.parametrize("shape,chunks", [((7,), 3), ((5, 6), (2, 4)), ((4, 3, 5), (3, 2, 2)),
                                          ((5, 6), (5, 1))])
@pytest.mark.parametrize("func1d", [np.sum, _stats, np.sort, _outer, np.cumsum],
                         ids=["scalar", "three", "sort", "2d", "cumsum"])
def test_apply_along_axis(dtype, shape, chunks, func1d, rng):
    x = _data(shape, dtype, rng)
    xo = oa.asarray(x, chunks=chunks)
    for axis in range(-len(shape), len(shape)):
        if func1d is _outer and shape[axis] < 3:
            continue
        expected = np.apply_along_axis(func1d, axis, x)
        assert_like_numpy(np.apply_along_axis(func1d, axis, xo), expected)


def test_apply_along_axis_args_and_cast_to_first_lane_dtype():
    x = np.arange(12.0).reshape(3, 4)

    def first_int(v, scale, offset=0):  # the first lane gives an int: later ones are cast
        return int(v[0]) if v[0] == 0 else v[0] * scale + offset

    expected = np.apply_along_axis(first_int, 1, x, 0.5, offset=0.25)
    assert_like_numpy(np.apply_along_axis(first_int, 1, oa.asarray(x, chunks=2), 0.5,
                                          offset=0.25), expected)


@pytest.mark.parametrize("shape,axis", [((3, 4), 2), ((3, 0), 0), ((0, 4), 1), ((), 0)])
def test_apply_along_axis_errors(shape, axis):
    x = np.ones(shape)
    _, error = numpy_result(np.apply_along_axis, np.sum, axis, x)
    _same_error(np.apply_along_axis, error, np.sum, axis, oa.asarray(x))


@pytest.mark.parametrize("axes", [0, [0, 2], (-1,), [1, 1]])
@pytest.mark.parametrize("func", [np.sum, np.mean, np.cumsum])
def test_apply_over_axes(func, axes, rng):
    x = _data((4, 3, 5), np.float64, rng)
    xo = oa.asarray(x, chunks=(3, 2, 2))
    assert_like_numpy(np.apply_over_axes(func, xo, axes), np.apply_over_axes(func, x, axes))


def test_apply_over_axes_bad_function():
    x = np.ones((2, 3))

    def flatten(a, axis):
        return a.reshape(-1)[:1].reshape(())

    _, error = numpy_result(np.apply_over_axes, flatten, x, [0])
    _same_error(np.apply_over_axes, error, flatten, oa.asarray(x), [0])


# -- out of core --------------------------------------------------------------------------------
def test_polyval_and_apply_along_axis_within_a_small_budget(tmp_path, rng):
    limit = 256 * 1024
    values = rng.random((400, 320))  # 1000 KiB, about 4x the budget
    np.save(tmp_path / "x.npy", values)
    p = [0.5, -1.0, 2.0, 0.25]
    expected_poly = np.polyval(p, values).sum()
    expected_lanes = np.apply_along_axis(_stats, 0, values).sum(axis=1)
    with oa.config.set(memory_limit="256KB", chunk_bytes=None):
        x = oa.open(tmp_path / "x.npy")
        assert x.nbytes > 3 * limit
        with oa.collect_stats() as stats:
            total = float(np.sum(np.polyval(p, x)))
            lanes = np.sum(np.apply_along_axis(_stats, 0, x), axis=1).compute()
        assert stats.peak_bytes <= limit
    assert np.isclose(total, expected_poly, rtol=1e-10)
    np.testing.assert_allclose(lanes, expected_lanes, rtol=1e-10)


def test_apply_along_axis_refuses_a_lane_too_long_before_work():
    with oa.config.set(memory_limit="256KB"):
        x = oa.random.default_rng(0).random((4, 40_000))  # a lane of 320 KB
        with oa.collect_stats() as stats, pytest.raises(oa.BudgetError, match="lane"):
            np.apply_along_axis(np.sum, 1, x)
        assert stats.peak_bytes == 0


def test_large_coefficient_arrays_are_refused_before_work():
    with oa.config.set(memory_limit="256KB"):
        p = oa.random.default_rng(0).random(20_000)  # 160 KB, over a quarter of the budget
        for call in (lambda: np.polyadd(p, [1.0]), lambda: np.polyder(p),
                     lambda: np.polyval(p, oa.asarray(np.ones(3)))):
            with oa.collect_stats() as stats, pytest.raises(oa.BudgetError):
                call()
            assert stats.peak_bytes == 0


@pytest.mark.parametrize("u, v", [([1.0, 3, 2], [1.0, 1]), ([2, 0, -1, 4], [3, 1]),
                                  ([1.0 + 1j, 2], [1j]), ([5.0], [2.0, 1.0])])
def test_polydiv_poly_roots_on_small_coefficient_arrays(u, v):
    uu, vv = np.array(u), np.array(v)
    q, r = np.polydiv(oa.asarray(uu), oa.asarray(vv))
    want_q, want_r = np.polydiv(uu, vv)
    assert_like_numpy(q, want_q)
    assert_like_numpy(r, want_r)
    assert_like_numpy(np.poly(oa.asarray(uu)), np.poly(uu))
    got = np.roots(oa.asarray(uu)).compute()
    want = np.roots(uu)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(want), rtol=1e-10)
    square = oa.asarray(np.array([[2.0, 1], [1, 3]]))
    assert_like_numpy(np.poly(square), np.poly(np.array([[2.0, 1], [1, 3]])))
    with quiet():  # NumPy divides by a zero leading coefficient into infinities and NaNs
        got_q, got_r = np.polydiv(oa.asarray(uu), oa.asarray(np.array([0.0])))
        want_q, want_r = np.polydiv(uu, np.array([0.0]))
    assert_like_numpy(got_q, want_q)
    assert_like_numpy(got_r, want_r)
    with pytest.raises(ValueError):
        np.roots(oa.asarray(np.ones((2, 2))))


# -- numpy.polynomial.polynomial: polyval2d and polygrid2d ----------------------------------
_P = np.polynomial.polynomial
#: (x shape, x chunks), (y shape, y chunks): equal shapes for polyval2d, any for polygrid2d.
POINTS = [(((7,), 3), ((7,), 2)), (((), ()), ((), ())), (((0,), 2), ((0,), 1)),
          (((4, 5), (3, 2)), ((4, 5), 2)), (((5,), 2), ((3, 2), 1))]
COEFFICIENTS = [(1, 1), (3, 2), (2, 4), (2, 3, 2), (3,), (1,), ()]


def _check_poly2d(func, args, oa_args):
    expected, error = numpy_result(func, *args)
    if error is not None:
        _same_error(func, error, *oa_args)
        return
    with quiet():
        assert_like_numpy(func(*oa_args), expected, rtol=1e-6)


@pytest.mark.parametrize("func", [_P.polyval2d, _P.polygrid2d], ids=lambda f: f.__name__)
@pytest.mark.parametrize("cdtype", [np.int64, np.float32, np.complex128], ids=str)
@pytest.mark.parametrize("points", POINTS, ids=lambda p: f"{p[0][0]}-{p[1][0]}")
@pytest.mark.parametrize("dtype", POLY_DTYPES, ids=str)
def test_polyval2d_polygrid2d(func, cdtype, points, dtype, rng):
    (xs, xc), (ys, yc) = points
    x, y = _data(xs, dtype, rng), _data(ys, dtype, rng)
    xo, yo = oa.asarray(x, chunks=xc), oa.asarray(y, chunks=yc)
    for shape in COEFFICIENTS:
        c = _data(shape, cdtype, rng, low=-5, high=5)
        _check_poly2d(func, (x, y, c), (xo, yo, c))
        _check_poly2d(func, (x, y, c), (xo, y, c))  # an ndarray y
        _check_poly2d(func, (x, y, c), (x, yo, oa.asarray(c)))  # an OOArray c (computed)
        _check_poly2d(func, (x, 2.5, c), (xo, 2.5, c))  # a scalar y


def test_polyval2d_special_values_and_errors():
    x = np.array([0.0, np.inf, -np.inf, np.nan, 1e308, -0.0])
    xo = oa.asarray(x, chunks=4)
    c = np.array([[1.0, -2.0], [0.5, 3.0]])
    for func in (_P.polyval2d, _P.polygrid2d):
        _check_poly2d(func, (x, x[::-1], c), (xo, xo[::-1], c))
        for bad in (np.array([]), np.zeros((0, 2))):  # NumPy's IndexError
            _check_poly2d(func, (x, x, bad), (xo, xo, bad))
    _check_poly2d(_P.polyval2d, (x, x[:3], c), (xo, xo[:3], c))  # 'x, y are incompatible'


def test_polyval2d_and_polygrid2d_within_a_small_budget(tmp_path, rng):
    x, y = rng.random(100_000), rng.random(100_000)  # 800 KB each, about 3x the budget
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    c = rng.standard_normal((4, 3))
    with oa.config.set(memory_limit="256KB"):
        limit = oa.config.get().memory_limit
        xo, yo = oa.open(tmp_path / "x.npy"), oa.open(tmp_path / "y.npy")
        for name, result, want in [
                ("v", _P.polyval2d(xo, yo, c), _P.polyval2d(x, y, c)),
                ("g", _P.polygrid2d(xo[:600], yo[:500], c), _P.polygrid2d(x[:600], y[:500], c))]:
            assert result.nbytes > limit
            with oa.collect_stats() as stats:
                result.to_zarr(tmp_path / f"{name}.zarr")
            assert 0 < stats.peak_bytes <= limit
            np.testing.assert_allclose(zarr.open_array(str(tmp_path / f"{name}.zarr"))[...],
                                       want, rtol=1e-12)


# -- piecewise: any function gives NumPy's answer ---------------------------------------------
PIECES = {
    "centred_and_cumsum": [lambda v: v - v.mean(), np.cumsum],
    "sorted_scalar_size": [lambda v: np.sort(v)[::-1], 3.0, lambda v: v.size],
    "ufuncs": [np.sin, np.cos],
    "ufunc_scalar_ufunc": [np.sin, 2.0, np.exp],
    "vectorize": [np.vectorize(lambda t: t * 2), np.abs],
    "max_and_positions": [lambda v: v.max(), lambda v: np.arange(v.size)],
    "reversed_and_sum": [lambda v: v[::-1], lambda v: np.full(v.shape, v.sum())],
    "wrong_length": [lambda v: v[:1]],  # NumPy's ValueError (unless one element is selected)
    "in_memory": [lambda v: np.asarray(v) * 2],
}


@pytest.mark.parametrize("pieces", sorted(PIECES))
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.complex128], ids=str)
@pytest.mark.parametrize("shape,chunks", [((), ()), ((0,), 2), ((13,), 4), ((5, 6), (2, 4)),
                                          ((4, 3, 5), (3, 2, 2))])
def test_piecewise_with_any_function_is_numpys(pieces, dtype, shape, chunks, rng):
    x = _data(shape, dtype, rng)
    xo = oa.asarray(x, chunks=chunks)
    funcs = PIECES[pieces]
    for count in (len(funcs), len(funcs) - 1):  # with and without "otherwise"
        if not 1 <= count <= 2:
            continue
        conds = [np.real(x) > 1, np.real(x) < -1][:count]
        with quiet():
            expected, error = numpy_result(np.piecewise, x, conds, funcs)
        oa_conds = [np.real(xo) > 1, np.real(xo) < -1][:count]
        if error is not None:
            with pytest.raises(type(error)), quiet():
                np.piecewise(xo, oa_conds, funcs).compute()
            continue
        with quiet():
            assert_like_numpy(np.piecewise(xo, oa_conds, funcs), expected)


def test_piecewise_calls_each_function_once_on_the_whole_selection(rng):
    x = rng.uniform(-2, 2, 50)
    xo = oa.asarray(x, chunks=7)
    seen: list[tuple[type, int]] = []

    def record(v):
        seen.append((type(v), v.size))
        return v - v.mean()

    result = np.piecewise(xo, [xo > 0, xo > 5], [record, record, 1.0])  # nothing > 5
    assert seen == [(oa.OOArray, int((x > 0).sum()))]  # once, all of it; not for an empty one
    assert_like_numpy(result, np.piecewise(x, [x > 0, x > 5],
                                           [lambda v: v - v.mean(), lambda v: v, 1.0]))


def test_piecewise_elementwise_funclists_take_one_kernel_pass():
    from ooarray.algorithms.polynomials import PiecewiseNode

    xo = oa.asarray(np.linspace(-3, 3, 20), chunks=6)
    conds = [xo < 0]
    assert isinstance(np.piecewise(xo, conds, [np.sin, 2.0]).node, PiecewiseNode)
    assert isinstance(np.piecewise(xo, conds, [np.add, np.exp], 1.5).node, PiecewiseNode)
    # a ufunc with an array argument pairs it with the whole selection (10 elements here)
    extra = np.arange(10.0)
    added = np.piecewise(xo, conds, [np.add], extra)
    assert not isinstance(added.node, PiecewiseNode)
    x = np.linspace(-3, 3, 20)
    assert_like_numpy(added, np.piecewise(x, [x < 0], [np.add], extra))
    assert not isinstance(np.piecewise(xo, conds, [lambda v: v]).node, PiecewiseNode)


def test_piecewise_of_a_non_elementwise_function_within_a_small_budget(tmp_path, rng):
    x = rng.standard_normal(200_000)  # 1.6 MB
    np.save(tmp_path / "x.npy", x)
    funcs = [lambda v: v - v.mean(), np.cumsum, lambda v: 2 * v]
    with oa.config.set(memory_limit="512KB"):
        limit = oa.config.get().memory_limit
        a = oa.open(tmp_path / "x.npy")
        with oa.collect_stats() as stats:
            result = np.piecewise(a, [a < -1, a > 1], funcs)
            result.to_zarr(tmp_path / "r.zarr")
        assert 0 < stats.peak_bytes <= limit
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "r.zarr"))[...],
                               np.piecewise(x, [x < -1, x > 1], funcs), rtol=1e-9, atol=1e-9)
