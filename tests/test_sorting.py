"""Sorting and order statistics against NumPy: sort, argsort, partition, searchsorted, the
unique family and the quantiles, on lanes that fit a task and on 1-D arrays sorted out of core
(a tiny ``memory_limit`` forces the sample sort)."""

import collections
import gc
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy, chunked_arrays, numpy_result, quiet, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.algorithms.sorting import BucketNode, OrderStatsNode

REAL_DTYPES = [d for d in DTYPES if d.kind != "c"]
#: A budget under which a lane of a few thousand elements is sorted by the sample sort.
SMALL = "256KB"
METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
           "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
           "normal_unbiased", "lower", "higher", "midpoint", "nearest"]


def _tied(n, dtype, rng):
    """Values with many ties (and NaN, -0.0, complex NaN parts where the dtype has them)."""
    dtype = np.dtype(dtype)
    values = sample((n,), dtype, rng, low=-3, high=3)
    if dtype.kind in "fc":
        values = np.round(values)
        values[rng.integers(0, n, n // 20)] = np.nan
        values[rng.integers(0, n, n // 20)] = -0.0
    if dtype.kind == "c":
        values[rng.integers(0, n, n // 20)] = complex(1, np.nan)
        values[rng.integers(0, n, n // 20)] = complex(np.nan, -2)
    return values


def _same_error(func, expected_error):
    with pytest.raises(type(expected_error)):
        func()


# -- sort and argsort -------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort_and_argsort_over_the_grid(case, dtype, axis, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    expected, error = numpy_result(np.sort, x, axis=axis)
    expected_order, order_error = numpy_result(np.argsort, x, axis=axis, kind="stable")
    if order_error is not None:
        _same_error(lambda: np.argsort(a, axis=axis), order_error)
    else:  # NumPy argsorts a 0-d array along axis 0 or -1 (as shape (1,)); it sorts none
        assert_like_numpy(np.argsort(a, axis=axis, kind="stable"), expected_order)
    if error is not None:
        _same_error(lambda: np.sort(a, axis=axis), error)
        return
    assert_like_numpy(np.sort(a, axis=axis), expected, exact=True)
    assert_like_numpy(np.argsort(a, axis=axis, kind="stable"),
                      np.argsort(x, axis=axis, kind="stable"))
    order = np.argsort(a, axis=axis)  # quicksort's order of ties is unspecified: compare values
    flat = x.reshape(-1) if axis is None else x
    got = np.take_along_axis(flat, order.compute(), axis=-1 if axis is None else axis)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sample_sort_of_a_long_1d_array_equals_numpy_stable(dtype, rng):
    x = _tied(6000 * max(1, 8 // dtype.itemsize), dtype, rng)  # several buckets
    with oa.config.set(memory_limit=SMALL):
        a = oa.asarray(x, chunks=700)
        ordered, order = np.sort(a), np.argsort(a, stable=True)
    # planned under the small budget; computed under the default one, which holds the result
    assert isinstance(ordered.node, BucketNode) and len(ordered.chunks[0]) > 1
    assert_like_numpy(ordered, np.sort(x), exact=True)
    assert_like_numpy(order, np.argsort(x, stable=True))


def test_sample_sort_of_constant_data_and_of_a_flattened_2d_array():
    with oa.config.set(memory_limit=SMALL):
        zeros = np.zeros(8000, np.int32)
        assert_like_numpy(np.argsort(oa.asarray(zeros, chunks=999), kind="stable"),
                          np.argsort(zeros, kind="stable"))
        x = np.random.default_rng(3).normal(size=(80, 90))
        a = oa.asarray(x, chunks=(7, 90))
        assert_like_numpy(np.sort(a, axis=None), np.sort(x, axis=None), exact=True)
        assert_like_numpy(np.argsort(a, axis=None, kind="stable"),
                          np.argsort(x, axis=None, kind="stable"))
        a.sort(axis=None)  # the method rebinds the array
        assert_like_numpy(a, np.sort(x, axis=None), exact=True)


class _TaskCount(oa.Callback):
    """Counts the tasks that ran, by the label of their node."""

    def __init__(self):
        self.labels = collections.Counter()

    def on_task_end(self, task, stats):
        if not task.sink:  # a sink task has the label of the root it writes
            self.labels[task.node.label] += 1


def test_sample_sort_of_a_computed_array_computes_it_once(rng, tmp_path):
    # The sort reads its input three times (samples, counts, pieces): a gather through an
    # argsort is computed once into a chunk file in spill_dir, not three times; the file
    # goes with the sorted array.
    x, y = rng.integers(0, 1000, 100_000), rng.normal(size=100_000)
    spill = tmp_path / "spill"
    spill.mkdir()
    with oa.config.set(memory_limit=SMALL, spill_dir=str(spill)):
        gathered = oa.asarray(y, chunks=5000)[np.argsort(oa.asarray(x, chunks=5000))]
        with _TaskCount() as count:
            result = np.sort(gathered)
            result.to_npy(tmp_path / "sorted.npy")
    assert count.labels["gather"] == len(gathered.chunks[0])
    np.testing.assert_array_equal(np.load(tmp_path / "sorted.npy"), np.sort(y))
    del result, gathered
    gc.collect()
    assert not list(spill.iterdir())


@pytest.mark.parametrize("memory_limit", [448, 512, 768, 2048])
@pytest.mark.parametrize("n, dtype", [(8, np.float64), (10, np.complex128), (33, np.int16)],
                         ids=str)
def test_sample_sort_with_one_bucket_numbers_every_element(memory_limit, n, dtype, rng):
    # A budget so small that the array is sorted in several blocks but one bucket: the
    # bucket's bounds are scalars, and argsort once numbered every element of a block 0
    # ([4 4 4 4 0 0 0 0] for np.arange(8.0)[::-1] at 512 bytes).
    values = rng.integers(-5, 5, n).astype(dtype)[::-1]
    with oa.config.set(memory_limit=memory_limit):
        for kind in (None, "stable"):
            try:
                result = np.argsort(oa.asarray(values), kind=kind)
                np.testing.assert_array_equal(np.asarray(result),
                                              np.argsort(values, kind="stable"))
                np.testing.assert_array_equal(np.asarray(np.sort(oa.asarray(values))),
                                              np.sort(values))
            except oa.BudgetError:
                pass  # too small to run at all: a clear error is right too


def test_long_lanes_of_an_nd_array_are_refused_before_work():
    with oa.config.set(memory_limit=SMALL):
        a = oa.zeros((3, 20000))
        with pytest.raises(oa.BudgetError, match="1-D"):
            np.sort(a, axis=1)
        short = np.sort(a, axis=0)  # short lanes are fine
    assert_like_numpy(short, np.zeros((3, 20000)))


@pytest.mark.parametrize("kwargs, error", [
    ({"axis": 2}, np.exceptions.AxisError),
    ({"kind": "bogus"}, ValueError),
    ({"order": "f"}, ValueError),
])
def test_sort_argument_errors_are_numpys(kwargs, error):
    a = oa.asarray(np.arange(6.0).reshape(2, 3))
    for func in (np.sort, np.argsort):
        with pytest.raises(error):
            func(np.arange(6.0).reshape(2, 3), **kwargs)
        with pytest.raises(error):
            func(a, **kwargs)


@given(chunked_arrays(max_side=7))
def test_sort_and_stable_argsort_property(data):
    x, chunks = data
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(np.sort(a, axis=None), np.sort(x, axis=None), exact=True)
    assert_like_numpy(np.argsort(a, axis=None, stable=True), np.argsort(x, axis=None,
                                                                       stable=True))


# -- partition ----------------------------------------------------------------------------
def _check_partition(values, x, kth, axis):
    """The partition property: the k-th element is where a sort puts it, with the smaller
    ones before it and the larger ones after (compared as sorted multisets)."""
    ordered = np.sort(x, axis=axis)
    values = np.moveaxis(values, axis, -1)
    ordered = np.moveaxis(ordered, axis, -1)
    cuts = sorted({k % x.shape[axis] for k in np.atleast_1d(kth)})
    edges = [0] + [c for k in cuts for c in (k, k + 1)] + [x.shape[axis]]
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        np.testing.assert_array_equal(np.sort(values[..., lo:hi], axis=-1), ordered[..., lo:hi])
    for k in cuts:
        np.testing.assert_array_equal(values[..., k], ordered[..., k])


@pytest.mark.parametrize("kth", [0, -1, [1, 3], np.array([2])])
@pytest.mark.parametrize("dtype", [np.int8, np.float64, np.complex128], ids=str)
def test_partition_and_argpartition_have_the_partition_property(kth, dtype, rng):
    x = _tied(60, dtype, rng).reshape(6, 10)
    a = oa.asarray(x, chunks=(4, 3))
    for axis in (0, 1):
        part = np.partition(a, kth, axis=axis)
        assert isinstance(part, oa.OOArray) and part.dtype == x.dtype
        _check_partition(part.compute(), x, kth, axis)
        index = np.argpartition(a, kth, axis=axis)
        assert index.dtype == np.intp
        taken = np.take_along_axis(x, index.compute(), axis=axis)
        _check_partition(taken, x, kth, axis)
    with oa.config.set(memory_limit=SMALL):  # a long 1-D array: sorted, a valid partition
        long = np.tile(x.reshape(-1), 80)
        _check_partition(np.partition(oa.asarray(long, chunks=500), kth).compute(), long,
                         kth, 0)
        taken = long[np.argpartition(oa.asarray(long, chunks=500), kth).compute()]
        _check_partition(taken, long, kth, 0)


@pytest.mark.parametrize("kth, error", [(10, ValueError), (-11, ValueError),
                                        (1.5, TypeError), ([[1]], ValueError)])
def test_partition_errors_are_numpys(kth, error):
    x = np.arange(10)
    for func in (np.partition, np.argpartition):
        with pytest.raises(error):
            func(x, kth)
        with pytest.raises(error):
            func(oa.asarray(x, chunks=3), kth)


# -- searchsorted -------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.complex128, np.bool_], ids=str)
def test_searchsorted_in_ooarray_and_ndarray(side, dtype, rng):
    a = np.sort(_tied(50, dtype, rng))
    v = _tied(24, dtype, rng).reshape(4, 6)
    expected = np.searchsorted(a, v, side=side)
    for sorted_a in (oa.asarray(a, chunks=7), a):
        assert_like_numpy(np.searchsorted(sorted_a, oa.asarray(v, chunks=(3, 4)), side=side),
                          expected)
        assert_like_numpy(np.searchsorted(sorted_a, oa.asarray(v[0, 0]), side=side),
                          np.searchsorted(a, v[0, 0], side=side))
    assert_like_numpy(oa.asarray(a, chunks=9).searchsorted(oa.asarray(v), side=side), expected)


def test_searchsorted_with_sorter_and_errors(rng):
    a = rng.integers(0, 20, 30)
    sorter = np.argsort(a)
    v = rng.integers(-2, 22, 9)
    expected = np.searchsorted(a, v, sorter=sorter)
    assert_like_numpy(np.searchsorted(oa.asarray(a, chunks=4), oa.asarray(v), sorter=sorter),
                      expected)
    assert_like_numpy(np.searchsorted(a, oa.asarray(v), sorter=oa.asarray(sorter)), expected)
    with pytest.raises(ValueError):
        np.searchsorted(a, v, side="middle")
    with pytest.raises(ValueError):
        np.searchsorted(oa.asarray(a), oa.asarray(v), side="middle")


def test_searchsorted_in_a_long_sorted_array():
    with oa.config.set(memory_limit=SMALL):
        a = np.sort(np.random.default_rng(5).integers(0, 500, 40000))
        v = np.arange(-3, 505)
        assert_like_numpy(np.searchsorted(oa.asarray(a), oa.asarray(v, chunks=100),
                                          side="right"), np.searchsorted(a, v, side="right"))


# -- unique -------------------------------------------------------------------------------
FLAGS = [(False, False, False), (True, True, True), (False, True, False)]


@pytest.mark.parametrize("flags", FLAGS, ids=str)
def test_unique_over_the_grid(case, dtype, flags, rng, sync_executor):
    shape, chunks = case
    x = _tied(int(np.prod(shape)), dtype, rng).reshape(shape)
    a = oa.asarray(x, chunks=chunks)
    for equal_nan in (True, False):
        got = np.unique(a, *flags, equal_nan=equal_nan)
        if flags[1] and not equal_nan and (dtype.kind == "c" or not flags[0]):
            # Which NaN slot each NaN gets follows NumPy's sort: unspecified for quicksort
            # (no return_index) and for complex NaNs; the inverse must still rebuild x.
            values, inverse = got[0].compute(), got[2 if flags[0] else 1].compute()
            np.testing.assert_array_equal(values[inverse], x)
            continue
        expected = np.unique(x, *flags, equal_nan=equal_nan)
        if not any(flags):
            assert_like_numpy(got, expected, exact=True)
            continue
        assert isinstance(got, tuple) and len(got) == len(expected)
        for mine, theirs in zip(got, expected, strict=True):
            assert_like_numpy(mine, theirs, exact=True)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int8], ids=str)
def test_unique_of_a_long_array_and_the_array_api_variants(dtype, rng):
    x = _tied(5000, dtype, rng)
    with oa.config.set(memory_limit=SMALL):
        a = oa.asarray(x, chunks=600)
        for mine, theirs in zip(np.unique(a, True, True, True), np.unique(x, True, True, True),
                                strict=True):
            assert_like_numpy(mine, theirs, exact=True)
        if x.dtype.kind == "f":  # each NaN its own value, in index order (a stable sort's)
            for mine, theirs in zip(np.unique(a, True, True, True, equal_nan=False),
                                    np.unique(x, True, True, True, equal_nan=False),
                                    strict=True):
                assert_like_numpy(mine, theirs, exact=True)
        values = np.sort(np.unique_values(x))  # NumPy's order of unique_values "may vary"
        assert_like_numpy(np.unique_values(a), values, exact=True)
        counts = np.unique_counts(a)
        assert_like_numpy(counts.values, values, exact=True)
        theirs = np.unique_counts(x)
        assert_like_numpy(counts.counts, theirs.counts[np.argsort(theirs.values)])
        inverse = np.unique_inverse(a)
        assert type(inverse).__name__ == "UniqueInverseResult"
        got_values, got_inverse = inverse.values.compute(), inverse.inverse_indices.compute()
        np.testing.assert_array_equal(got_values[got_inverse], x)  # NaN == NaN here
        everything = np.unique_all(a)
        np.testing.assert_array_equal(everything.values.compute(), values)
        index = everything.indices.compute()
        np.testing.assert_array_equal(x[index], values)
        assert everything.counts.compute().sum() == x.size


def test_unique_with_axis_runs_in_memory_when_small_and_refuses_when_large():
    x = np.array([[1, 2], [1, 2], [3, 4]])
    for mine, theirs in zip(np.unique(oa.asarray(x), axis=0, return_counts=True),
                            np.unique(x, axis=0, return_counts=True), strict=True):
        assert_like_numpy(mine, theirs)
    with oa.config.set(memory_limit=SMALL), pytest.raises(TypeError, match="unique"):
        np.unique(oa.zeros((400, 100)), axis=0)


# -- median and quantiles -----------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_median_over_the_grid(case, dtype, axis, rng, sync_executor):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    for func in (np.median, np.nanmedian):
        if func is np.nanmedian and dtype.kind == "c":
            continue
        for keepdims in (False, True):
            expected, error = numpy_result(func, x, axis=axis, keepdims=keepdims)
            if error is not None:
                _same_error(lambda f=func, k=keepdims: f(a, axis=axis, keepdims=k), error)
                continue
            with quiet():
                got = func(a, axis=axis, keepdims=keepdims)
            assert_like_numpy(got, expected)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("q", [0.3, [0.0, 0.5, 1.0], [[0.1, 0.9], [0.25, 0.75]]], ids=str)
def test_quantile_methods_are_exact(method, q, rng, sync_executor):
    x = np.round(rng.normal(size=(6, 11)) * 4, 1)
    xi = rng.integers(-50, 50, (6, 11)).astype(np.int32)
    for data in (x, xi, x.astype(np.float32)):
        a = oa.asarray(data, chunks=(4, 5))
        for axis, keepdims in ((None, False), (1, True), (0, False)):
            expected = np.quantile(data, q, axis=axis, method=method, keepdims=keepdims)
            got = np.quantile(a, q, axis=axis, method=method, keepdims=keepdims)
            assert_like_numpy(got, expected, exact=True)
        pct = np.percentile(data, np.multiply(q, 100), axis=1, method=method)
        assert_like_numpy(np.percentile(a, np.multiply(q, 100), axis=1, method=method), pct,
                          exact=True)


@pytest.mark.parametrize("method", METHODS)
def test_quantiles_of_a_long_lane_read_order_statistics_exactly(method, rng):
    x = np.round(rng.normal(size=3001) * 100, 2)
    xi = rng.integers(-1000, 1000, 2600).astype(np.int64)
    with oa.config.set(memory_limit=SMALL):
        for data in (x, xi):
            a = oa.asarray(data, chunks=400)
            q = [0.01, 0.37, 0.5, 1.0]
            got = np.quantile(a, q, method=method)
            assert isinstance(got.node, OrderStatsNode)  # read from the sample-sorted lane
            assert_like_numpy(got, np.quantile(data, q, method=method), exact=True)
        assert_like_numpy(np.percentile(oa.asarray(x, chunks=400), 12.5, method=method),
                          np.percentile(x, 12.5, method=method), exact=True)
        with_nan = x.copy()
        with_nan[::7] = np.nan
        a = oa.asarray(with_nan, chunks=400)
        assert_like_numpy(np.nanquantile(a, [0.2, 0.8], method=method),
                          np.nanquantile(with_nan, [0.2, 0.8], method=method), exact=True)
        assert_like_numpy(np.quantile(a, 0.5, method=method),
                          np.quantile(with_nan, 0.5, method=method), exact=True)


@given(chunked_arrays(REAL_DTYPES, max_dims=3), st.sampled_from(METHODS),
       st.floats(0, 1), st.booleans())
def test_quantile_property(data, method, q, last_axis):
    x, chunks = data
    a = oa.asarray(x, chunks=chunks)
    axis = -1 if last_axis and x.ndim else None
    expected, error = numpy_result(np.quantile, x, q, axis=axis, method=method)
    if error is not None:
        _same_error(lambda: np.quantile(a, q, axis=axis, method=method), error)
        return
    with quiet():
        got = np.quantile(a, q, axis=axis, method=method)
    assert_like_numpy(got, expected, exact=True)


@given(chunked_arrays(max_dims=3))
def test_unique_property(data):
    x, chunks = data
    a = oa.asarray(x, chunks=chunks)
    for mine, theirs in zip(np.unique(a, True, False, True), np.unique(x, True, False, True),
                            strict=True):
        assert_like_numpy(mine, theirs, exact=True)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float32, np.float64, np.complex128],
                         ids=str)
def test_sort_complex(dtype, rng):
    x = _tied(24, dtype, rng).reshape(4, 6)
    assert_like_numpy(np.sort_complex(oa.asarray(x, chunks=(3, 2))), np.sort_complex(x),
                      exact=True)


def test_median_of_a_long_lane(rng):
    with oa.config.set(memory_limit=SMALL):
        for n in (8000, 8001):
            x = rng.normal(size=n)
            a = oa.asarray(x, chunks=1000)
            assert_like_numpy(np.median(a), np.median(x), exact=True)
            xi = rng.integers(0, 100, n).astype(np.int16)
            assert_like_numpy(np.median(oa.asarray(xi)), np.median(xi), exact=True)
            x[5] = np.nan
            assert_like_numpy(np.median(oa.asarray(x)), np.median(x), exact=True)
            assert_like_numpy(np.nanmedian(oa.asarray(x)), np.nanmedian(x), exact=True)
            assert_like_numpy(np.nanpercentile(oa.asarray(x), [10, 90]),
                              np.nanpercentile(x, [10, 90]), exact=True)


@pytest.mark.parametrize("call, error", [
    (lambda x: np.quantile(x, 1.5), ValueError),
    (lambda x: np.percentile(x, -1), ValueError),
    (lambda x: np.quantile(x, 0.5, method="bogus"), ValueError),
    (lambda x: np.quantile(x.astype(complex), 0.5), TypeError),
    (lambda x: np.median(x, axis=3), np.exceptions.AxisError),
    (lambda x: np.quantile(x, np.zeros((1, 1, 1))), ValueError),
])
def test_quantile_errors_are_numpys(call, error):
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(error):
        call(x)
    with pytest.raises(error):
        call(oa.asarray(x, chunks=2))


def test_quantile_with_weights_and_out():
    x = np.arange(12.0).reshape(3, 4)
    w = np.arange(1.0, 13.0).reshape(3, 4)
    a = oa.asarray(x, chunks=2)
    assert_like_numpy(np.quantile(a, 0.4, axis=1, method="inverted_cdf", weights=w),
                      np.quantile(x, 0.4, axis=1, method="inverted_cdf", weights=w))
    out = np.empty(4)
    assert np.median(a, axis=0, out=out) is out
    np.testing.assert_array_equal(out, np.median(x, axis=0))


# -- memory -------------------------------------------------------------------------------
MiB = 2**20
MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit=budget)
    a = oa.open(f"{directory}/a.npy")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        np.sort(a).to_npy(f"{directory}/sorted.npy")
        middle = float(np.median(a))
    print(json.dumps({"median": middle, "spilled": stats.bytes_spilled,
                      "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_sort_and_median_of_an_array_4x_the_budget_stay_within_it(tmp_path):
    budget, n = 8 * MiB, 4 * 2**20  # 32 MiB of float64, 4x an 8 MiB budget
    with oa.config.set(memory_limit="64MB"):
        oa.random.default_rng(11).standard_normal(n).to_npy(tmp_path / "a.npy")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(budget)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    x = np.load(tmp_path / "a.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "sorted.npy"), np.sort(x))
    assert measured["median"] == np.median(x)
    assert measured["read"] >= 2 * x.nbytes  # the data went through the pool
    assert measured["spilled"] > 0  # the sorted pieces did not all fit: they were spilled
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * budget + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 8 MiB"


_N = np.nan
COMPLEX_NAN_SETS = [
    [1 + 2j, complex(3.7, _N), 0j, complex(2.4, _N), complex(_N, 1), 5],
    [complex(_N, 1), complex(2, _N), complex(_N, _N)], [complex(-_N, 2), complex(3, _N), 1],
    [complex(_N, _N), complex(_N, _N)], [complex(5, _N), 1, complex(-_N, 0), complex(1, _N)],
    [_N, 1, 2, complex(0, _N)], [1, 2, 3],
]


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [1, 2, -1], ids=str)
@pytest.mark.parametrize("options", [{}, {"return_index": True}, {"return_counts": True},
                                     {"return_inverse": True}], ids=str)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=str)
@pytest.mark.parametrize("values", COMPLEX_NAN_SETS, ids=str)
def test_unique_complex_keeps_numpys_nan_value(values, dtype, options, chunks, eager):
    """Found by the differential test: np.unique of complex [1+2j, 3.7+nanj, 0, 2.4+nanj,
    nan+1j, 5] kept 2.4+nanj on the planned path; NumPy keeps 3.7+nanj. NumPy's plain unique
    (a hash table since NumPy 2.3) keeps the first value holding a NaN in index order; with
    an index, inverse or counts it sorts and keeps the first in sorted order. Bit for bit
    (NaN signs included)."""
    x = np.array(values, dtype)
    expected = np.unique(x, **options)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        result = np.unique(oa.asarray(x, chunks=chunks), **options)
    expected = expected if isinstance(expected, tuple) else (expected,)
    result = result if isinstance(result, tuple) else (result,)
    assert len(result) == len(expected)
    for got, want in zip(result, expected, strict=True):
        got = np.asarray(got.compute() if isinstance(got, oa.OOArray) else got)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes(), (got, want)


def _float_nans(dtype):
    """NaNs of ``dtype``: NumPy's, negative, with a payload, negative with a payload."""
    bits = np.full(4, np.nan, dtype).view(f"u{np.dtype(dtype).itemsize}")
    sign = np.array(1 << (np.dtype(dtype).itemsize * 8 - 1), bits.dtype)
    bits[1] |= sign
    bits[2] |= np.array(3, bits.dtype)
    bits[3] |= sign | np.array(3, bits.dtype)
    return bits.view(dtype)


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [1, 2, -1], ids=str)
@pytest.mark.parametrize("options", [{}, {"return_index": True}, {"return_counts": True},
                                     {"return_inverse": True}, {"equal_nan": False},
                                     {"equal_nan": False, "return_counts": True}], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16], ids=str)
@pytest.mark.parametrize("which", range(4), ids=["nan", "-nan", "payload", "-payload"])
def test_unique_float_nan_bits_like_numpy(which, dtype, options, chunks, eager):
    """np.unique of floats gives NumPy's own canonical NaN (its hash table and its sort make
    one whatever the input NaN's sign and payload; with return_index it keeps the first
    NaN's bits, as ooarray's stable sort does). Bit for bit."""
    nan = _float_nans(dtype)[which]
    x = np.array([1, nan, 3, nan, 2], dtype)
    expected = np.unique(x, **options)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        result = np.unique(oa.asarray(x, chunks=chunks), **options)
    expected = expected if isinstance(expected, tuple) else (expected,)
    result = result if isinstance(result, tuple) else (result,)
    for got, want in zip(result, expected, strict=True):
        got = np.asarray(got.compute() if isinstance(got, oa.OOArray) else got)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (got, want)


def test_to_npy_of_a_neighbour_mask_of_a_sorted_array_over_the_budget(tmp_path):
    """``v[1:] == v[:-1]`` of a sorted array (irregular buckets) to ``.npy``: the file's grid
    is the array's largest chunk (as ``to_zarr``'s), not "auto" from the bool result's
    itemsize, whose 16,000-element blocks read 256 KB of int64 operands per task (~400 KB
    under a 256 KB budget, BudgetError before work)."""
    x = np.random.default_rng(5).integers(0, 50_000, 80_000)
    s = np.sort(x)
    with oa.config.set(memory_limit="256KB"), oa.collect_stats() as stats:
        v = np.sort(oa.asarray(x, chunks=4000))
        mask = v[1:] == v[:-1]
        assert len(set(mask.chunks[0][:-1])) > 1  # irregular: the file needs its own grid
        stored = mask.to_npy(tmp_path / "m.npy")
        assert stored.chunks[0][0] == max(mask.chunks[0])
        assert stats.peak_bytes <= oa.config.get().memory_limit
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), s[1:] == s[:-1])
