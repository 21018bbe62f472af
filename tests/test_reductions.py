"""Reductions and ``ufunc.reduce`` against NumPy: axes, keepdims, dtype=, ddof, NaNs, ties,
empty inputs, all-NaN slices, integer wrap-around."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from helpers import (
    CASES,
    DTYPES,
    assert_like_numpy,
    chunkings,
    numpy_result,
    quiet,
    sample,
    tolerance,
)
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa

PLAIN = [np.sum, np.prod, np.mean, np.std, np.var, np.min, np.max, np.argmin, np.argmax,
         np.any, np.all]
NAN = [np.nansum, np.nanprod, np.nanmean, np.nanstd, np.nanvar, np.nanmin, np.nanmax,
       np.nanargmin, np.nanargmax]
ALL = PLAIN + NAN
ARG = {np.argmin, np.argmax, np.nanargmin, np.nanargmax}
WITH_DTYPE = {np.sum, np.prod, np.mean, np.std, np.var, np.nansum, np.nanprod, np.nanmean,
              np.nanstd, np.nanvar}
SQUARED = {np.var, np.nanvar}


def name(func) -> str:
    return func.__name__


def inputs(func, shape, dtype, rng, special=True) -> np.ndarray:
    """Values that keep products finite and make ties likely for the arg-reductions."""
    if func in (np.prod, np.nanprod):
        # Complex products with infinities depend on the order (inf * j gives NaN parts), and
        # no chunked product can keep NumPy's order.
        special = special and np.dtype(dtype).kind != "c"
        return sample(shape, dtype, rng, low=-2, high=2, special=special)
    if func in ARG:
        return sample(shape, dtype, rng, low=0, high=3, special=special)
    return sample(shape, dtype, rng, special=special)


def scale(func, x: np.ndarray) -> float:
    """Absolute rounding error a reduction may show: summation order differs from NumPy's."""
    if x.dtype.kind not in "fc":
        return 0.0
    finite = np.abs(x[np.isfinite(x)]).astype(np.float64)
    if func in (np.prod, np.nanprod):
        return 0.0
    return float((finite ** (2 if func in SQUARED else 1)).sum())


def check(func, x: np.ndarray, chunks, *, result_dtype_tol=True, **kwargs):
    """NumPy's exception type, or NumPy's dtype, shape and values."""
    a = oa.asarray(x, chunks=chunks)
    expected, error = numpy_result(func, x, **kwargs)
    if error is not None:
        with pytest.raises(type(error)), quiet():
            func(a, **kwargs).compute()
        return
    with quiet():
        result = func(a, **kwargs)
    expected_dtype = np.asarray(expected).dtype
    rtol = tolerance(expected_dtype) if expected_dtype.kind in "fc" else None
    if rtol is not None and x.dtype.kind in "fc":
        rtol = max(rtol, tolerance(x.dtype))
    atol = None if rtol is None else rtol * scale(func, x)
    assert_like_numpy(result, expected, rtol=rtol, atol=atol or None)


def axis_choices(ndim: int, func) -> list:
    choices: list = [None]
    choices += list(range(ndim)) + [-1 - i for i in range(ndim)]
    if func not in ARG:
        choices += [(0, -1)] if ndim >= 2 else []
        choices += list(itertools.combinations(range(ndim), 2))[1:2]
        choices += [tuple(range(ndim))] if ndim >= 1 else []
        choices += [()]
    return choices


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", ALL, ids=name)
def test_every_axis_and_keepdims(func, dtype, rng):
    x = inputs(func, (4, 3, 5), dtype, rng)
    for position, axis in enumerate(axis_choices(3, func)):
        check(func, x, (3, 2, 2), axis=axis, keepdims=bool(position % 2))
    check(func, x, (3, 2, 2), axis=None, keepdims=True)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", ALL, ids=name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_shapes_and_chunkings(func, case, rng):
    shape, chunks = case
    for dtype in (np.float64, np.int32):
        x = inputs(func, shape, dtype, rng)
        for axis in (None, -1, 0) if shape else (None,):
            check(func, x, chunks, axis=axis)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", sorted(WITH_DTYPE, key=name), ids=name)
@pytest.mark.parametrize("out_dtype", [np.int8, np.uint8, np.int64, np.float32, np.float64,
                                       np.complex128], ids=lambda t: t.__name__)
def test_dtype_argument(func, out_dtype, dtype, rng):
    x = inputs(func, (6, 5), dtype, rng, special=False)
    check(func, x, (4, 2), dtype=out_dtype)
    check(func, x, (4, 2), axis=0, dtype=out_dtype, keepdims=True)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", [np.std, np.var, np.nanstd, np.nanvar], ids=name)
@pytest.mark.parametrize("ddof", [0, 1, 2.5, 5, 40])
def test_ddof(func, ddof, rng):
    for dtype in (np.float32, np.float64, np.complex128, np.int64):
        x = inputs(func, (6, 5), dtype, rng)
        for axis in (None, 0, 1, (0, 1)):
            check(func, x, (4, 2), axis=axis, ddof=ddof)


def test_correction_is_ddof(rng):
    x = sample((6, 5), np.float64, rng, special=False)
    check(np.var, x, 4, correction=1)
    check(np.std, x, 4, axis=0, correction=2)
    with pytest.raises(ValueError):
        np.var(oa.asarray(x), ddof=1, correction=1)


@given(data=st.data())
def test_random_reductions(data):
    func = data.draw(st.sampled_from(ALL), label="func")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    shape = data.draw(st.lists(st.integers(0, 5), max_size=4).map(tuple), label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x = inputs(func, shape, dtype, rng)
    axis = data.draw(st.sampled_from(axis_choices(len(shape), func)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    check(func, x, data.draw(chunkings(shape), label="chunks"), axis=axis, keepdims=keepdims)


# -- NaN ------------------------------------------------------------------------------------
@pytest.mark.parametrize("func", [np.min, np.max, np.argmin, np.argmax, np.sum, np.mean,
                                  np.var], ids=name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128],
                         ids=lambda t: t.__name__)
def test_nan_propagates_and_argmin_finds_the_first_nan(func, dtype):
    x = (np.arange(24).reshape(4, 6) % 5).astype(dtype)
    x[1, 4] = x[3, 1] = x[2, 2] = np.nan
    if dtype == np.complex128:
        x[0, 5] = complex(1, np.nan)
    for chunks in ((2, 4), 1, -1):
        for axis in (None, 0, 1):
            check(func, x, chunks, axis=axis)


@pytest.mark.parametrize("func", NAN, ids=name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128],
                         ids=lambda t: t.__name__)
def test_nan_variants_skip_nan(func, dtype, rng):
    x = inputs(func, (5, 7), dtype, rng, special=False)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 0] = 1  # no all-NaN column or row
    x[0, :] = 2
    for chunks in ((2, 3), 1, -1):
        for axis in (None, 0, 1, -1):
            check(func, x, chunks, axis=axis)


@pytest.mark.parametrize("func", [np.nanargmin, np.nanargmax], ids=name)
def test_all_nan_slice_nanarg_raises_value_error(func):
    x = np.ones((4, 6))
    x[:, 4] = np.nan
    a = oa.asarray(x, chunks=(3, 4))
    for axis in (0, None):
        probe = x if axis == 0 else np.full_like(x, np.nan)
        with pytest.raises(ValueError):
            func(probe, axis=axis)
        with pytest.raises(ValueError):
            func(a if axis == 0 else oa.asarray(probe, chunks=3), axis=axis).compute()
    check(func, x, (3, 4), axis=1)


@pytest.mark.parametrize("func", [np.nanmin, np.nanmax, np.nanmean, np.nanvar, np.nanstd],
                         ids=name)
def test_all_nan_slice_warns_and_gives_nan(func):
    x = np.ones((4, 6))
    x[:, 4] = np.nan
    a = oa.asarray(x, chunks=(3, 4))
    with pytest.warns(RuntimeWarning):
        expected = func(x, axis=0)
    with pytest.warns(RuntimeWarning):
        value = func(a, axis=0).compute()
    np.testing.assert_array_equal(value, expected)
    check(func, x, (3, 4), axis=0)


def test_nansum_of_all_nan_is_zero():
    x = np.full((3, 4), np.nan, np.float32)
    for func in (np.nansum, np.nanprod):
        check(func, x, 2)
        check(func, x, 2, axis=1)


# -- ties in argmin / argmax ------------------------------------------------------------------
@pytest.mark.parametrize("func", [np.argmin, np.argmax, np.nanargmin, np.nanargmax], ids=name)
@pytest.mark.parametrize("shape, chunks", [((9,), 2), ((7, 8), (2, 3)), ((5, 6, 7), (2, 4, 3)),
                                           ((4, 5, 6), 1)])
def test_ties_give_the_first_occurrence(func, shape, chunks, rng):
    for dtype in (np.int8, np.uint64, np.float32, np.bool_):
        x = rng.integers(0, 2, shape).astype(dtype)  # many ties, across chunks
        for axis in [None, *range(len(shape)), -1]:
            check(func, x, chunks, axis=axis)
            check(func, x, chunks, axis=axis, keepdims=True)
    x = np.zeros(shape)  # one value everywhere: the answer is 0 along every axis
    for axis in [None, *range(len(shape))]:
        check(func, x, chunks, axis=axis)


def test_first_extreme_is_in_a_later_chunk_but_earlier_in_c_order():
    # Block (0, 1) holds flat index 3 and block (1, 0) holds flat index 8; both are minima.
    x = np.ones((4, 4))
    x[0, 3] = x[2, 0] = 0
    for chunks in ((2, 2), (1, 3), (3, 1)):
        check(np.argmin, x, chunks)
    y = np.ones((3, 3, 3))
    y[0, 2, 2] = y[2, 0, 0] = y[1, 1, 1] = 5
    check(np.argmax, y, (2, 2, 2))
    check(np.argmax, y, 1)


# -- empty inputs ---------------------------------------------------------------------------
@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", ALL, ids=name)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (2, 0, 3)])
def test_empty_inputs_give_numpys_result_or_error(func, shape):
    for dtype in (np.float64, np.int32, np.bool_):
        x = np.zeros(shape, dtype)
        for axis in [None, *range(len(shape))]:
            check(func, x, 2, axis=axis)
            check(func, x, 2, axis=axis, keepdims=True)


def test_empty_mean_warns_like_numpy():
    x = np.zeros((0, 3))
    with pytest.warns(RuntimeWarning):
        np.mean(x)
    with pytest.warns(RuntimeWarning):
        np.mean(oa.asarray(x)).compute()
    check(np.mean, x, 2)


# -- integer overflow ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.uint64],
                         ids=lambda t: t.__name__)
def test_integer_overflow_wraps_like_numpy(dtype):
    info = np.iinfo(dtype)
    x = np.full((6, 7), info.max, dtype)
    x[::2, 1::3] = info.min
    for func in (np.sum, np.prod, np.nansum, np.nanprod):
        for axis in (None, 0, 1):
            check(func, x, (4, 3), axis=axis)
            check(func, x, (4, 3), axis=axis, dtype=dtype)
    check(np.add.reduce, x, (4, 3), axis=0)
    check(np.multiply.reduce, x, (4, 3), axis=None)
    check(np.mean, x, (4, 3))
    check(np.var, x, (4, 3), axis=1)


# -- ufunc.reduce ----------------------------------------------------------------------------
REDUCIBLE = [np.add, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin, np.logical_and,
             np.logical_or, np.logical_xor, np.bitwise_and, np.bitwise_or, np.bitwise_xor]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("ufunc", REDUCIBLE, ids=name)
def test_ufunc_reduce(ufunc, dtype, rng):
    special = not (ufunc is np.multiply and dtype.kind == "c")  # see inputs()
    x = sample((4, 3, 5), dtype, rng, low=-2, high=2, special=special)
    reduce = ufunc.reduce
    scale_func = np.prod if ufunc is np.multiply else np.sum
    for axis in (0, -1, None, (0, 2), ()):
        for keepdims in (False, True):
            expected, error = numpy_result(reduce, x, axis=axis, keepdims=keepdims)
            a = oa.asarray(x, chunks=(3, 2, 2))
            if error is not None:
                with pytest.raises(type(error)), quiet():
                    reduce(a, axis=axis, keepdims=keepdims).compute()
                continue
            with quiet():
                result = reduce(a, axis=axis, keepdims=keepdims)
            rtol = tolerance(expected.dtype) if expected.dtype.kind in "fc" else None
            assert_like_numpy(result, expected, rtol=rtol,
                              atol=None if rtol is None else rtol * scale(scale_func, x) or None)
    check(reduce, x, (3, 2, 2))  # the default axis is 0


def test_ufunc_reduce_dtype_and_initial(rng):
    x = sample((6, 4), np.int8, rng, low=50, high=120)
    check(np.add.reduce, x, 4, axis=0, dtype=np.int8)
    check(np.add.reduce, x, 4, axis=0, dtype=np.float32)
    check(np.add.reduce, x, 4, axis=1, initial=7)
    check(np.maximum.reduce, x, 4, axis=None, initial=119)
    check(np.maximum.reduce, np.zeros((0, 3)), 2, axis=0)
    check(np.maximum.reduce, np.zeros((0, 3)), 2, axis=0, initial=-1.0)


def test_maximum_reduce_propagates_nan(rng):
    x = sample((5, 6), np.float64, rng)
    for chunks in (2, 1, -1):
        for axis in (0, 1, None):
            check(np.maximum.reduce, x, chunks, axis=axis)
            check(np.fmin.reduce, x, chunks, axis=axis)


def test_non_reorderable_ufunc_reduce(rng):
    x = sample((6, 4), np.float64, rng, special=False)
    # Along an axis held in one chunk: NumPy's values.
    check(np.subtract.reduce, x, (6, 2), axis=0)
    check(np.divide.reduce, x, (3, 4), axis=1)
    # NumPy refuses several axes at once.
    check(np.subtract.reduce, x, (6, 4), axis=(0, 1))
    # Across chunks ooarray cannot keep NumPy's left-to-right order: a clear TypeError.
    with pytest.raises(TypeError, match="rechunk"):
        np.subtract.reduce(oa.asarray(x, chunks=(2, 4)), axis=0)


def test_reduction_methods_match_functions(rng):
    x = sample((5, 6), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=(2, 4))
    assert_like_numpy(a.sum(axis=0), x.sum(axis=0))
    assert_like_numpy(a.mean(keepdims=True), x.mean(keepdims=True))
    assert_like_numpy(a.std(ddof=1, axis=1), x.std(ddof=1, axis=1))
    assert_like_numpy(a.var(axis=(0, 1)), x.var(axis=(0, 1)))
    assert_like_numpy(a.prod(axis=1), x.prod(axis=1))
    assert_like_numpy(a.min(axis=0), x.min(axis=0))
    assert_like_numpy(a.max(), x.max())
    assert_like_numpy(a.argmin(axis=1), x.argmin(axis=1))
    assert_like_numpy(a.argmax(), x.argmax())
    assert_like_numpy((a > 0).any(axis=0), (x > 0).any(axis=0))
    assert_like_numpy((a > 0).all(), (x > 0).all())
    assert_like_numpy(np.amax(a, axis=1), np.amax(x, axis=1))
    assert_like_numpy(np.amin(a, axis=1), np.amin(x, axis=1))


@pytest.mark.usefixtures("sync_executor")
def test_reductions_of_0d_arrays(rng):
    for func in ALL:
        for dtype in (np.float64, np.int8, np.bool_):
            x = np.array(3, dtype)
            check(func, x, ())
            check(func, x, (), axis=None, keepdims=True)


def test_bad_axis_raises_numpys_error(rng):
    x = sample((3, 4), np.float64, rng)
    a = oa.asarray(x, chunks=2)
    for func in ALL:
        for axis in (2, -3, (0, 0)):
            expected, error = numpy_result(func, x, axis=axis)
            assert error is not None
            with pytest.raises(type(error)):
                func(a, axis=axis)
    with pytest.raises(TypeError):
        np.argmin(a, axis=(0, 1))


def test_out_argument(rng):
    x = sample((5, 6), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=(2, 4))
    out = np.empty(6)
    assert np.sum(a, axis=0, out=out) is out
    np.testing.assert_allclose(out, x.sum(axis=0))
    target = oa.zeros((6,), np.float32)
    assert np.mean(a, axis=0, out=target) is target
    assert_like_numpy(target, x.mean(axis=0).astype(np.float32))
    with pytest.raises(ValueError):
        np.sum(a, axis=0, out=np.empty(5))


def test_reductions_stay_lazy_and_warn_at_most_at_compute():
    a = oa.asarray(np.full((4, 4), np.nan), chunks=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = np.nanmin(a, axis=0) + 1
    assert isinstance(result, oa.OOArray)


@pytest.mark.parametrize("func", [np.mean, np.nanmean, np.var, np.std], ids=name)
def test_small_integer_dtype_with_counts_past_its_range(func, rng):
    x = sample((300, 2), np.int64, rng, low=0, high=3)
    for axis in (None, 0):
        check(func, x, (128, 1), axis=axis, dtype=np.int8)
        check(func, x, (128, 1), axis=axis, dtype=np.uint8, keepdims=True)
    check(func, x.astype(np.float32), (128, 1), axis=0, dtype=np.float32)


def test_empty_reduction_with_huge_kept_axes_takes_no_memory():
    a = oa.zeros((0, 10**12), np.float32)
    for func in (np.sum, np.prod, np.any):
        result = func(a, axis=0)
        expected = func(np.zeros((0, 3), np.float32), axis=0)
        assert result.shape == (10**12,) and result.dtype == expected.dtype
        assert_like_numpy(result[:3], expected)
    with quiet():
        keep = np.nanmean(oa.zeros((4, 0, 10**9)), axis=1, keepdims=True)
        assert keep.shape == (4, 1, 10**9)
        assert_like_numpy(keep[:, :, :2], np.nanmean(np.zeros((4, 0, 2)), axis=1, keepdims=True))
    with pytest.raises(ValueError):
        np.max(a, axis=0)


ZERO_D_FUNCS = ALL + [np.amin, np.amax, np.ptp, np.count_nonzero, np.add.reduce,
                      np.maximum.reduce, np.cumsum, np.argsort, np.sort, np.take,
                      np.argpartition, np.partition, np.median, np.average]


def _zero_d_call(func, x, axis, keepdims):
    kwargs = {"axis": axis}
    if keepdims:
        kwargs["keepdims"] = True
    if func in (np.take, np.argpartition, np.partition):
        return func(x, 0, **kwargs)
    return func(x, **kwargs)


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("axis", [0, -1, 1, -2, (0,), (), None], ids=str)
@pytest.mark.parametrize("func", ZERO_D_FUNCS, ids=lambda f: getattr(f, "__name__", str(f)))
@pytest.mark.parametrize("value", [np.int8(3), np.float32(-2.5), np.complex128(1 - 1j)],
                         ids=lambda v: v.dtype.name)
def test_reductions_of_0d_arrays_take_numpys_axes(value, func, axis, keepdims, eager):
    """Found by the differential test: sum, min, argmin, any, ptp, ufunc.reduce, argsort, take
    ... of a 0-d array with axis=0 or -1 raised AxisError; NumPy accepts those (and only
    those, and not as a tuple) for them, and refuses them for mean, var, sort, median...
    Whatever NumPy does (result or exception type), ooarray does."""
    x = np.array(value)
    expected, error = numpy_result(_zero_d_call, func, x, axis, keepdims)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        if error is not None:
            with pytest.raises(type(error)), quiet():
                result = _zero_d_call(func, oa.asarray(x), axis, keepdims)
                if isinstance(result, oa.OOArray):
                    result.compute()
            return
        with quiet():
            result = _zero_d_call(func, oa.asarray(x), axis, keepdims)
    if eager and not isinstance(result, oa.OOArray):
        assert type(result) is type(expected)
        np.testing.assert_array_equal(result, expected, strict=True)
    else:
        assert_like_numpy(result, expected)


_BIG = np.float32(1e30)
COMPLEX_OVERFLOW = {
    "1e30*1e30": [[_BIG], [_BIG]], "inf-first": [[np.inf], [2]], "inf-second": [[2], [np.inf]],
    "inf-imag": [[complex(0, np.inf)], [_BIG]], "three": [[_BIG, 1], [_BIG, 2], [1, _BIG]],
}


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [-1, 1, (-1, 1), (1, -1)], ids=str)
@pytest.mark.parametrize("func", [np.prod, np.nanprod, np.multiply.reduce], ids=name)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=str)
@pytest.mark.parametrize("values", COMPLEX_OVERFLOW.values(), ids=COMPLEX_OVERFLOW.keys())
def test_complex_product_past_the_range_like_numpy(values, dtype, func, chunks, eager):
    """Found by the differential test: np.prod of complex64 [[1e30], [1e30]] along axis 0 in
    one chunk gave inf+nanj, NumPy inf+0j: the combine multiplied the block's product by the
    identity 1+0j again ((1+0j) * (inf+0j) is inf+nanj). NumPy starts from the identity once;
    so do the block holding the first elements, and no other block nor the combine. NaN and
    inf where NumPy has them, part by part, along one axis (over several axes split into
    several blocks the products are grouped otherwise than NumPy's, as sums are)."""
    x = np.array(values, dtype)
    for axis in (0, 1):
        with quiet():
            expected = func(x, axis=axis)
            with oa.config.set(eager_bytes="1MiB" if eager else 0):
                result = func(oa.asarray(x, chunks=chunks), axis=axis)
            got = np.asarray(result.compute() if isinstance(result, oa.OOArray) else result)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        for part in (np.real, np.imag):
            np.testing.assert_array_equal(part(got), part(expected))
