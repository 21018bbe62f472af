"""Statistics against NumPy: histogram (every bin form and estimator), histogram_bin_edges,
histogram2d, histogramdd, bincount, digitize, count_nonzero, ptp, average, cov, corrcoef;
values, dtypes, shapes and exception types over the shared chunkings and dtypes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import CASES, DTYPES, assert_like_numpy, chunked_arrays, numpy_result, quiet, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa

REAL_DTYPES = [d for d in DTYPES if d.kind != "c"]
ESTIMATORS = ["auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"]


def case_id(case) -> str:
    return f"{case[0]}-{case[1]}"


def same_error(func, numpy_args, ooarray_args, **kwargs):
    """NumPy raises on ``numpy_args``: ooarray raises the same type (computing the result)."""
    _, error = numpy_result(func, *numpy_args, **kwargs)
    assert error is not None, "the case should make NumPy raise"
    with pytest.raises(type(error)), quiet():
        result = func(*ooarray_args, **kwargs)
        for part in result if isinstance(result, (tuple, list)) else [result]:
            for item in part if isinstance(part, list) else [part]:
                item.compute()


def check_histogram(x, chunks, rtol=None, **kwargs):
    """ooarray's histogram is NumPy's: exception type, or counts and edges."""
    a = oa.asarray(x, chunks=chunks)
    if "weights" in kwargs and kwargs["weights"] is not None:
        w = kwargs["weights"]
        ookwargs = dict(kwargs, weights=oa.asarray(w, chunks=chunks))
    else:
        ookwargs = kwargs
    expected, error = numpy_result(np.histogram, x, **kwargs)
    if error is not None:
        with pytest.raises(type(error)), quiet():
            hist, edges = np.histogram(a, **ookwargs)
            hist.compute()
        return
    with quiet():
        hist, edges = np.histogram(a, **ookwargs)
    assert_like_numpy(hist, expected[0], rtol=rtol)
    assert_like_numpy(edges, expected[1])


# -- histogram ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_histogram_counts_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    check_histogram(x, chunks, bins=5)  # NaN / inf data: NumPy's ValueError
    check_histogram(x, chunks, bins=4, range=(-5, 5))
    check_histogram(x, chunks, bins=[-20, -3, 0, 0.5, 7, 20])


@pytest.mark.parametrize("case", CASES[3:], ids=case_id)
def test_histogram_weights_and_density(case, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, np.float64, rng, special=False)
    for wdtype in (np.float64, np.int32, np.complex128, np.float32):
        w = sample(shape, wdtype, rng, special=False)
        rtol = 1e-5 if wdtype == np.float32 else None  # float32 sums in another order
        check_histogram(x, chunks, rtol, bins=6, weights=w)
        check_histogram(x, chunks, rtol, bins=[-9, -1, 2, 3, 9], weights=w)
        check_histogram(x, chunks, rtol, bins=3, range=(-4, 4), weights=w, density=True)
    check_histogram(x, chunks, bins=7, density=True)
    check_histogram(x, chunks, bins=[-9, -1, 2, 3, 9], density=True)
    # bool weights: NumPy adds them with ``or`` (equal bins) or refuses them (explicit edges)
    w = sample(shape, np.bool_, rng)
    check_histogram(x, chunks, bins=6, weights=w)
    check_histogram(x, chunks, bins=[-9, -1, 2, 3, 9], weights=w)


def test_histogram_of_a_constant_and_of_large_integers(sync_executor):
    check_histogram(np.full((9,), 3.5), 4, bins=3)
    check_histogram(np.full((9,), 7, np.int64), 4, bins=3)
    extremes = np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max] * 3, np.int64)
    check_histogram(extremes, 2, bins=5)
    check_histogram(np.array([0, 255, 3], np.uint8), 1, bins=255)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_],
                         ids=str)
def test_histogram_bin_estimators(estimator, dtype, rng, sync_executor):
    if np.dtype(dtype).kind == "f":
        x = rng.standard_normal(500).astype(dtype) * 3
    else:
        x = sample((500,), dtype, rng, low=0, high=60)
    a = oa.asarray(x, chunks=37)
    check_histogram(x, 37, bins=estimator)
    check_histogram(x, 37, bins=estimator, range=(1, 40))
    edges, _ = numpy_result(np.histogram_bin_edges, x, bins=estimator)
    with quiet():
        assert_like_numpy(np.histogram_bin_edges(a, bins=estimator), edges)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_histogram_estimators_on_empty_single_and_constant_data(estimator, sync_executor):
    for x in (np.array([]), np.array([2.0]), np.full(7, 4.0), np.array([1.0, 1.0, 5.0])):
        check_histogram(x, 3, bins=estimator)
    check_histogram(np.arange(10.0), 3, bins=estimator, range=(20, 30))  # nothing in range


def test_histogram_argument_errors(rng):
    x = rng.standard_normal(20)
    a = oa.asarray(x, chunks=6)
    for kwargs in ({"bins": 0}, {"bins": -2}, {"bins": 2.5}, {"bins": [[1, 2], [3, 4]]},
                   {"bins": [3, 1, 2]}, {"bins": "nope"}, {"range": (2, 1)},
                   {"range": (0, np.inf)}, {"range": (0, 1, 2)}, {"weights": np.ones(3)},
                   {"bins": "sturges", "weights": np.ones(20)}):
        same_error(np.histogram, (x,), (a,), **kwargs)
    with_nan = x.copy()
    with_nan[3] = np.nan
    same_error(np.histogram, (with_nan,), (oa.asarray(with_nan, chunks=6),))
    same_error(np.histogram_bin_edges, (with_nan,), (oa.asarray(with_nan, chunks=6),))
    tiny = np.array([0.0, 5e-324])
    same_error(np.histogram, (tiny,), (oa.asarray(tiny),))  # too many bins for the range


def test_histogram_refuses_counts_larger_than_the_budget():
    with oa.config.set(memory_limit="1MB"), pytest.raises(oa.BudgetError, match="bins"):
        np.histogram(oa.asarray(np.arange(10.0)), bins=10**6)


def test_histogram_warns_for_bool_input_like_numpy():
    x = np.array([True, False, True])
    with pytest.warns(RuntimeWarning, match="Converting input from bool"):
        hist, _ = np.histogram(oa.asarray(x), bins=2)
    assert_like_numpy(hist, np.histogram(x.astype(np.uint8), bins=2)[0])


@given(chunked_arrays(REAL_DTYPES, min_dims=1, max_dims=3),
       st.integers(1, 12), st.booleans())
def test_histogram_hypothesis(data, bins, with_range):
    x, chunks = data
    with oa.config.set(executor="sync"):
        check_histogram(x, chunks, bins=bins, range=(-50, 50) if with_range else None)


def test_histogram_groups_of_blocks_add_up_on_threads(rng):
    x = rng.standard_normal(6000)
    w = rng.uniform(0, 1, 6000)
    with oa.config.set(num_threads=2, memory_limit="8MB"):
        a = oa.asarray(x, chunks=100)  # 60 blocks in 8 groups, added up by a last task
        hist, edges = np.histogram(a, bins=40, weights=oa.asarray(w, chunks=70))
        assert hist.node.label == "histogram"
        assert_like_numpy(hist, np.histogram(x, bins=40, weights=w)[0])
        assert_like_numpy(edges, np.histogram_bin_edges(x, bins=40))
    assert oa.execute.pool().overshoot_bytes == 0


# -- histogramdd, histogram2d -------------------------------------------------------------
def check_dd(func, numpy_args, ooarray_args, rtol=None, **kwargs):
    expected, error = numpy_result(func, *numpy_args, **kwargs)
    if error is not None:
        same_error(func, numpy_args, ooarray_args, **kwargs)
        return
    with quiet():
        result = func(*ooarray_args, **kwargs)
    assert_like_numpy(result[0], expected[0], rtol=rtol)
    edges = result[1] if func is np.histogramdd else result[1:]
    expected_edges = expected[1] if func is np.histogramdd else expected[1:]
    assert len(edges) == len(expected_edges)
    for got, want in zip(edges, expected_edges, strict=True):
        assert_like_numpy(got, want)


@pytest.mark.parametrize("chunks", [(7, 3), (1, 1), (5, 2), (40, 3)])
def test_histogramdd_like_numpy(chunks, rng, sync_executor):
    x = rng.standard_normal((40, 3))
    x[4, 1] = 1.5  # lands on an edge given below
    a = oa.asarray(x, chunks=chunks)
    w = rng.uniform(0, 2, 40)
    for kwargs in ({}, {"bins": 4}, {"bins": (2, 3, 4)},
                   {"bins": [np.array([-2, 0, 1.5]), 3, [-9, 9]]},
                   {"bins": 3, "range": [(-1, 1), None, (0, 2)]},
                   {"bins": (2, 3, 4), "density": True},
                   {"bins": 3, "weights": w}, {"bins": 3, "weights": w, "density": True}):
        ookwargs = dict(kwargs)
        if "weights" in kwargs:
            ookwargs["weights"] = oa.asarray(w, chunks=chunks[0])
        expected, _ = numpy_result(np.histogramdd, x, **kwargs)
        with quiet():
            hist, edges = np.histogramdd(a, **ookwargs)
        assert_like_numpy(hist, expected[0])
        for got, want in zip(edges, expected[1], strict=True):
            assert_like_numpy(got, want)


def test_histogramdd_sample_forms_and_integer_data(rng, sync_executor):
    x = rng.integers(0, 9, 30)
    y = rng.standard_normal(30).astype(np.float32)
    check_dd(np.histogramdd, ([x, y],), ([oa.asarray(x, chunks=7), oa.asarray(y, chunks=4)],),
             bins=3)
    check_dd(np.histogramdd, (x,), (oa.asarray(x, chunks=7),), bins=5)
    check_dd(np.histogramdd, (np.empty((0, 2)),), (oa.asarray(np.empty((0, 2))),))
    check_dd(np.histogramdd, (np.empty((0, 2)),), (oa.asarray(np.empty((0, 2))),),
             range=[(0, 1), (0, 2)])


def test_histogramdd_errors(rng):
    x = rng.standard_normal((10, 2))
    a = oa.asarray(x, chunks=3)
    for kwargs in ({"bins": (2, 3, 4)}, {"bins": 0}, {"bins": 1.5},
                   {"bins": [[[1, 2]], 2]}, {"bins": [[3, 1, 2], 2]},
                   {"range": [(0, 1)]}, {"range": [(1, 0), None]},
                   {"weights": np.ones(9)}, {"weights": np.ones((10, 1))},
                   {"weights": np.ones(10, complex)}):
        same_error(np.histogramdd, (x,), (a,), **kwargs)
    with_nan = x.copy()
    with_nan[2, 1] = np.nan
    same_error(np.histogramdd, (with_nan,), (oa.asarray(with_nan, chunks=3),))
    same_error(np.histogramdd, (np.ones((2, 2, 2)),), (oa.asarray(np.ones((2, 2, 2))),))


@pytest.mark.parametrize("chunks", [3, 1, 25])
def test_histogram2d_like_numpy(chunks, rng, sync_executor):
    x, y = rng.standard_normal(25), rng.uniform(-1, 1, 25)
    w = rng.uniform(0, 1, 25)
    ox, oy, ow = (oa.asarray(v, chunks=chunks) for v in (x, y, w))
    for kwargs in ({}, {"bins": 4}, {"bins": (3, 5)}, {"bins": [-2, 0, 0.5, 2]},
                   {"bins": [[-2, 0, 2], [-1, 1]]}, {"range": [(-1, 1), (0, 1)]},
                   {"density": True}):
        check_dd(np.histogram2d, (x, y), (ox, oy), **kwargs)
    expected = np.histogram2d(x, y, bins=3, weights=w)
    hist, xedges, yedges = np.histogram2d(ox, oy, bins=3, weights=ow)
    assert_like_numpy(hist, expected[0])
    same_error(np.histogram2d, (x, y[:-1]), (ox, oy[:-1]))


# -- bincount, digitize -------------------------------------------------------------------
@pytest.mark.parametrize("case", [c for c in CASES if len(c[0]) == 1], ids=case_id)
@pytest.mark.parametrize("dtype", [d for d in DTYPES if d.kind in "biu"], ids=str)
def test_bincount_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng, low=0, high=30)
    a = oa.asarray(x, chunks=chunks)
    w = rng.uniform(-1, 1, shape)
    for kwargs, ookwargs in (({}, {}), ({"minlength": 40}, {"minlength": 40}),
                             ({"weights": w}, {"weights": oa.asarray(w, chunks=chunks)}),
                             ({"weights": w, "minlength": 3}, {"weights": w, "minlength": 3})):
        expected, error = numpy_result(np.bincount, x, **kwargs)
        if error is not None:
            with pytest.raises(type(error)):
                np.bincount(a, **ookwargs).compute()
            continue
        assert_like_numpy(np.bincount(a, **ookwargs), expected)


def test_bincount_errors(rng):
    x = np.array([0, 3, 1, 1])
    a = oa.asarray(x, chunks=3)
    for numpy_x, kwargs in ((np.array([1, -1, 2]), {}), (np.array([1.0, 2.0]), {}),
                            (np.ones((2, 2), int), {}), (np.array(3), {}),
                            (x, {"minlength": -1}), (x, {"minlength": None}),
                            (x, {"minlength": 2.5}), (x, {"weights": np.ones(3)}),
                            (x, {"weights": np.ones((4, 1))}),
                            (x, {"weights": np.ones(4, complex)})):
        same_error(np.bincount, (numpy_x,), (oa.asarray(numpy_x, chunks=3),), **kwargs)
    assert_like_numpy(np.bincount(a[:0], minlength=3), np.bincount(x[:0], minlength=3))


def test_bincount_of_a_result_larger_than_one_task_is_chunked(rng, sync_executor):
    x = rng.integers(0, 300_000, 5000)
    x[7] = 299_999
    w = rng.uniform(0, 1, 5000)
    with oa.config.set(memory_limit="4MB"):
        counts = np.bincount(oa.asarray(x, chunks=700))
        assert len(counts.chunks[0]) > 1  # each chunk of bins is one pass over x
        assert_like_numpy(counts, np.bincount(x))
        weighted = np.bincount(oa.asarray(x, chunks=700), weights=oa.asarray(w, chunks=500))
        assert_like_numpy(weighted, np.bincount(x, weights=w))


@given(chunked_arrays([np.dtype(np.int64), np.dtype(np.uint8)], min_dims=1, max_dims=1,
                      max_side=30, elements=st.integers(0, 40)),
       st.integers(0, 50), st.booleans())
def test_bincount_hypothesis(data, minlength, weighted):
    x, chunks = data
    w = np.linspace(-1, 1, x.size) if weighted else None
    with oa.config.set(executor="sync"):
        result = np.bincount(oa.asarray(x, chunks=chunks), weights=w, minlength=minlength)
        # weighted sums in another order: a bin summing to zero may hold 1e-16
        assert_like_numpy(result, np.bincount(x, weights=w, minlength=minlength), atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_digitize_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    for bins, right in (([-5, 0, 0.5, 4], False), ([-5, 0, 0.5, 4], True),
                        ([9, 3, 0, -2], False), ([9, 3, 0, -2], True), ([], False)):
        expected, error = numpy_result(np.digitize, x, bins, right)
        if error is not None:
            with pytest.raises(type(error)):
                np.digitize(a, bins, right).compute()
            continue
        assert_like_numpy(np.digitize(a, bins, right), np.asarray(expected))


def test_digitize_errors():
    a = oa.asarray(np.arange(4.0))
    for bins in ([[1, 2]], [3, 1, 2], 2):
        same_error(np.digitize, (np.arange(4.0), bins), (a, bins))


# -- count_nonzero, ptp -------------------------------------------------------------------
def axes_for(ndim: int) -> list:
    """None, the first and last axis, all axes, and two apart."""
    axes = [None, tuple(range(ndim))] + ([0, -1] if ndim else [])
    return axes + ([(0, ndim - 1)] if ndim > 2 else [])


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_count_nonzero_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng, low=-1, high=1)
    a = oa.asarray(x, chunks=chunks)
    for axis in axes_for(len(shape)):
        for keepdims in (False, True):
            expected = np.count_nonzero(x, axis=axis, keepdims=keepdims)
            assert_like_numpy(np.count_nonzero(a, axis=axis, keepdims=keepdims),
                              np.asarray(expected, np.intp))
    same_error(np.count_nonzero, (x,), (a,), axis=max(len(shape), 1))


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_ptp_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng, low=-100, high=100)
    a = oa.asarray(x, chunks=chunks)
    for axis in axes_for(len(shape)):
        for keepdims in (False, True):
            expected, error = numpy_result(np.ptp, x, axis=axis, keepdims=keepdims)
            if error is not None:
                with pytest.raises(type(error)), quiet():
                    np.ptp(a, axis=axis, keepdims=keepdims).compute()
                continue
            assert_like_numpy(np.ptp(a, axis=axis, keepdims=keepdims), expected)
    if len(shape) and x.size and dtype.kind != "b":
        assert_like_numpy(a.ptp(axis=0), np.ptp(x, axis=0))


def test_ptp_wraps_like_numpy_and_fills_out():
    x = np.array([-128, 127, 5], np.int8)
    assert_like_numpy(np.ptp(oa.asarray(x, chunks=1)), np.ptp(x))
    out = np.empty((), np.int64)
    np.ptp(oa.asarray(x, chunks=2), out=out)
    assert out == np.ptp(x, out=np.empty((), np.int64))


# -- average ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("dtype", [np.dtype(t) for t in (np.bool_, np.int32, np.float32,
                                                         np.complex128)], ids=str)
def test_average_like_numpy(case, dtype, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng, special=False)
    a = oa.asarray(x, chunks=chunks)
    full_weights = rng.uniform(0.5, 2, shape)
    calls = [({}, {}), ({"returned": True}, {"returned": True}),
             ({"weights": full_weights, "returned": True},
              {"weights": oa.asarray(full_weights, chunks=chunks), "returned": True})]
    for axis in sorted({0, len(shape) - 1}) if shape else ():
        w = rng.uniform(0.5, 2, shape[axis])
        calls += [({"axis": axis}, {"axis": axis}),
                  ({"axis": axis, "keepdims": True}, {"axis": axis, "keepdims": True}),
                  ({"axis": axis, "weights": w, "returned": True},
                   {"axis": axis, "weights": w, "returned": True}),
                  ({"axis": axis, "weights": w, "keepdims": True},
                   {"axis": axis, "weights": oa.asarray(w), "keepdims": True})]
    if len(shape) > 1:
        w = rng.uniform(0.5, 2, (shape[0], shape[-1]))
        calls.append(({"axis": (0, -1), "weights": w}, {"axis": (0, -1), "weights": w}))
    for kwargs, ookwargs in calls:
        expected, error = numpy_result(np.average, x, **kwargs)
        if error is not None:
            with pytest.raises(type(error)), quiet():
                np.average(a, **ookwargs)
            continue
        with quiet():
            result = np.average(a, **ookwargs)
        if kwargs.get("returned"):
            assert isinstance(result, tuple) and len(result) == 2
            assert_like_numpy(result[0], expected[0])
            assert_like_numpy(result[1], expected[1])
        else:
            assert_like_numpy(result, expected)


def test_average_errors(rng):
    x = rng.standard_normal((3, 4))
    a = oa.asarray(x, chunks=2)
    for kwargs in ({"weights": np.ones(4)}, {"axis": 1, "weights": np.ones(3)},
                   {"axis": 0, "weights": np.zeros(3)}, {"axis": 2},
                   {"weights": np.zeros((3, 4))}):
        expected, error = numpy_result(np.average, x, **kwargs)
        assert error is not None
        with pytest.raises(type(error)):
            np.average(a, **kwargs)


# -- cov, corrcoef ------------------------------------------------------------------------
COV_INPUTS = [((4, 50), (3, 7)), ((2, 9), (1, 1)), ((30,), (7,)), ((1, 12), (1, 5)),
              ((12, 3), (5, 3)), ((0, 5), (1, 2)), ((3, 1), (2, 1)), ((3, 0), (2, 1))]


@pytest.mark.parametrize("shape,chunks", COV_INPUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.complex128], ids=str)
def test_cov_and_corrcoef_like_numpy(shape, chunks, dtype, rng, sync_executor):
    x = sample(shape, dtype, rng, special=False)
    a = oa.asarray(x, chunks=chunks)
    observations = shape[-1] if len(shape) == 2 else shape[0]
    fw = rng.integers(0, 4, observations)
    aw = rng.uniform(0, 1, observations)
    calls = [{}, {"bias": True}, {"ddof": 3}, {"rowvar": False}, {"dtype": np.float32},
             {"fweights": fw}, {"aweights": aw}, {"fweights": fw, "aweights": aw, "ddof": 2},
             {"fweights": fw, "aweights": aw, "bias": True}]
    for kwargs in calls:
        if kwargs.get("rowvar") is False and ("fweights" in kwargs or "aweights" in kwargs):
            continue
        expected, error = numpy_result(np.cov, x, **kwargs)
        if error is not None:
            with pytest.raises(type(error)), quiet():
                np.cov(a, **kwargs).compute()
            continue
        with quiet():
            result = np.cov(a, **kwargs)
        assert_like_numpy(result, expected, rtol=1e-4 if result.dtype.itemsize <= 8
                          and result.dtype.kind != "c" and result.dtype == np.float32
                          else None)
    for kwargs in ({}, {"rowvar": False}):
        expected, error = numpy_result(np.corrcoef, x, **kwargs)
        if error is None:
            with quiet():
                assert_like_numpy(np.corrcoef(a, **kwargs), expected)


def test_cov_with_y_and_many_observations(rng):
    n = 20_000
    x = rng.standard_normal((3, n)) * 1e3 + 1e6  # a large mean: the two-pass formula matters
    y = rng.standard_normal((2, n))
    a, b = oa.asarray(x, chunks=(2, 3000)), oa.asarray(y, chunks=(1, 4096))
    assert_like_numpy(np.cov(a, b), np.cov(x, y), rtol=1e-9)
    assert_like_numpy(np.cov(a, y[0]), np.cov(x, y[0]), rtol=1e-9)
    assert_like_numpy(np.cov(a.T, b.T, rowvar=False), np.cov(x.T, y.T, rowvar=False),
                      rtol=1e-9)
    assert_like_numpy(np.corrcoef(a, b), np.corrcoef(x, y), rtol=1e-9)
    fw = rng.integers(1, 3, n)
    assert_like_numpy(np.cov(a, fweights=oa.asarray(fw, chunks=5000)),
                      np.cov(x, fweights=fw), rtol=1e-9)


def test_cov_of_many_variables_is_a_tiled_product(rng):
    x = rng.standard_normal((60, 400))
    aw = np.linspace(0.1, 1, 400)
    with oa.config.set(memory_limit="200KB"):  # 60 x 60 products: too large for one tally
        c = np.cov(oa.asarray(x), aweights=aw)
        assert "matmul" in repr(c.node.inputs[0])
        assert_like_numpy(c, np.cov(x, aweights=aw))
        assert_like_numpy(np.corrcoef(oa.asarray(x)), np.corrcoef(x))


def test_tally_pins_a_chunk_shared_by_its_blocks_once(sync_executor):
    # weights in coarser chunks than the data: each weights chunk serves ten blocks
    rng = oa.random.default_rng(3)
    a, w = rng.standard_normal(3000, chunks=100), rng.standard_normal(3000, chunks=1000)
    x, weights = a.compute(), w.compute()
    with oa.collect_stats() as stats:
        hist, _ = np.histogram(a, bins=5, range=(-1, 1), weights=w)
        assert_like_numpy(hist, np.histogram(x, bins=5, range=(-1, 1), weights=weights)[0])
    assert stats.bytes_read == x.nbytes + weights.nbytes  # no chunk read twice


def test_cov_errors(rng):
    x = rng.standard_normal((3, 6))
    a = oa.asarray(x, chunks=2)
    for args, kwargs in (((), {"ddof": 1.5}), ((), {"fweights": np.full(6, 1.5)}),
                         ((), {"fweights": np.ones((2, 3))}), ((), {"fweights": np.ones(5)}),
                         ((), {"fweights": -np.ones(6)}), ((), {"aweights": np.ones(5)}),
                         ((), {"aweights": -np.ones(6)}), ((np.ones((2, 5)),), {})):
        same_error(np.cov, (x, *args), (a, *args), **kwargs)
    same_error(np.cov, (np.ones((2, 2, 2)),), (oa.asarray(np.ones((2, 2, 2))),))
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        np.cov(oa.asarray(np.array([[1.0], [2.0]])))


# -- memory -------------------------------------------------------------------------------
MiB = 2**20
BUDGET = 16 * MiB

MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], int(sys.argv[2])
    oa.config.set(memory_limit=budget)
    x, ids = oa.open(f"{directory}/x.zarr"), oa.open(f"{directory}/ids.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        hist, edges = np.histogram(x, bins=50)
        hist = hist.compute()
        counts = np.bincount(ids.ravel(), weights=x.ravel()).compute()
    print(json.dumps({"hist": hist.tolist(), "edges": edges.compute().tolist(),
                      "counts": counts.tolist(), "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_histogram_and_bincount_of_data_4x_the_budget_stay_within_it(tmp_path):
    rows = 4 * BUDGET // (8 * 1024)  # x: 64 MiB of float64, ids: 64 MiB of int64
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(11)
        x = rng.standard_normal((rows, 1024), chunks=(256, 1024))
        x.to_zarr(tmp_path / "x.zarr")
        (np.floor(np.abs(x) * 100)).astype(np.int64).to_zarr(tmp_path / "ids.zarr")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(BUDGET)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    import zarr

    x = zarr.open_array(str(tmp_path / "x.zarr"))[...]
    ids = zarr.open_array(str(tmp_path / "ids.zarr"))[...]
    hist, edges = np.histogram(x, bins=50)
    np.testing.assert_array_equal(measured["hist"], hist)
    np.testing.assert_allclose(measured["edges"], edges, rtol=1e-12)
    np.testing.assert_allclose(measured["counts"], np.bincount(ids.ravel(), x.ravel()),
                               rtol=1e-9, atol=1e-9)
    assert measured["read"] >= 2 * x.nbytes  # it really streamed the data through the pool
    assert measured["pool_peak"] <= BUDGET
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * BUDGET + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 16 MiB"


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("shape, chunks", [((1000,), 300), ((37, 41), (10, 41)),
                                           ((6, 7, 8), (6, 7, 8)), ((5, 200), (5, 64))])
def test_var_and_std_summed_piece_by_piece_equal_numpy(monkeypatch, dtype, shape, chunks):
    """Whole-block variances sum squared deviations a few elements at a time (pieces of 7
    here, so that every block has many, some partial)."""
    from ooarray.ops import reduction_specs
    monkeypatch.setattr(reduction_specs, "DEVIATION_PIECE", 7)
    # (float16 sums near 0: NumPy's own float16 var overflows where the sum passes 65504)
    offset = 0.5 if dtype == np.float16 else 100
    values = (np.random.default_rng(4).standard_normal(shape) * 3 + offset).astype(dtype)
    array = oa.asarray(values, chunks=chunks)
    tolerance = {np.float64: 1e-12, np.float32: 1e-5, np.float16: 1e-2}[dtype]
    for ddof in (0, 1):
        got, want = np.var(array, ddof=ddof), np.var(values, ddof=ddof)
        assert np.asarray(got).dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=tolerance)
        np.testing.assert_allclose(np.asarray(np.std(array, ddof=ddof)),
                                   np.std(values, ddof=ddof), rtol=tolerance)
