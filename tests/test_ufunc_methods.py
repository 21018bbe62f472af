"""ufunc.accumulate, outer, reduceat and at against NumPy (ooarray/ops/ufunc_methods.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import CASES, DTYPES, assert_like_numpy, numpy_result, quiet, sample

import ooarray as oa
from ooarray.algorithms.ufunc_methods import ReduceatNode
from ooarray.errors import BudgetError

pytestmark = pytest.mark.usefixtures("sync_executor")

#: Binary ufuncs covering the three accumulate roads: reorderable (scan), subtract (folded
#: scan), and the rest (whole lanes); NumPy raises for the dtypes they lack loops for.
ACCUMULATED = [np.add, np.multiply, np.maximum, np.minimum, np.fmax, np.logical_and,
               np.logical_xor, np.bitwise_or, np.bitwise_xor, np.subtract, np.divide,
               np.arctan2, np.hypot, np.logaddexp, np.equal, np.less]


def _same_error(call, expected_error):
    with quiet(), pytest.raises(type(expected_error)):
        call()


def _check(call_ours, call_numpy, **tolerance):
    expected, error = numpy_result(call_numpy)
    if error is not None:
        _same_error(call_ours, error)
        return
    with quiet():
        result = call_ours()
    assert_like_numpy(result, expected, **tolerance)


# -- accumulate -----------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", ACCUMULATED, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_accumulate_like_numpy(ufunc, dtype, rng):
    # complex infinities multiplied in another association give other NaN/inf parts
    special = not (np.dtype(dtype).kind == "c" and ufunc is np.multiply)
    for shape, chunks in CASES:
        x = sample(shape, dtype, rng, low=-3, high=3, special=special)
        a = oa.asarray(x, chunks=chunks)
        for axis in range(-len(shape), len(shape)) or [0]:
            _check(lambda: ufunc.accumulate(a, axis=axis),
                   lambda: ufunc.accumulate(x, axis=axis))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.float32, np.complex128])
def test_subtract_accumulate_long_axis_wraps_like_numpy(dtype, rng):
    x = sample((3, 200), dtype, rng, low=-100, high=100, special=False)
    for chunks in [(2, 7), (3, 1), (1, 64)]:
        for axis in (0, 1):
            a = oa.asarray(x, chunks=chunks)
            assert_like_numpy(np.subtract.accumulate(a, axis=axis),
                              np.subtract.accumulate(x, axis=axis), rtol=1e-4)


def test_accumulate_dtype_and_out(rng):
    x = sample((6, 5), np.int8, rng)
    a = oa.asarray(x, chunks=(4, 2))
    for dtype in (np.int16, np.float32, np.complex128):
        assert_like_numpy(np.add.accumulate(a, axis=1, dtype=dtype),
                          np.add.accumulate(x, axis=1, dtype=dtype))
    out = np.empty((6, 5), np.int64)
    assert np.multiply.accumulate(a, out=out) is out
    np.testing.assert_array_equal(out, np.multiply.accumulate(x))
    target = oa.zeros((6, 5), np.int64, chunks=3)
    result = np.maximum.accumulate(a, axis=1, out=target)
    assert_like_numpy(result, np.maximum.accumulate(x, axis=1).astype(np.int64))


def test_accumulate_errors(rng):
    a = oa.asarray(sample((4, 3), np.float64, rng), chunks=2)
    with pytest.raises(np.exceptions.AxisError):
        np.add.accumulate(a, axis=2)
    with pytest.raises(TypeError):
        np.add.accumulate(oa.asarray(np.float64(2.0)))
    with pytest.raises(ValueError):
        np.negative.accumulate(a)
    with pytest.raises(TypeError):
        np.bitwise_and.accumulate(a)
    with pytest.raises(TypeError):
        np.subtract.accumulate(oa.asarray(np.array([True, False])))


def test_lanes_that_do_not_fit_the_budget_stop_before_work():
    x = np.linspace(1.0, 2.0, 2**20)
    with oa.config.set(memory_limit="1MB"):
        a = oa.asarray(x, chunks=2**13)
        with pytest.raises(BudgetError):
            np.divide.accumulate(a)[-5:].compute()
        # subtract and the associative ufuncs stay out of core on the same axis
        assert_like_numpy(np.subtract.accumulate(a)[-5:], np.subtract.accumulate(x)[-5:],
                          rtol=1e-9)
        assert_like_numpy(np.maximum.accumulate(a[::-1])[-5:],
                          np.maximum.accumulate(x[::-1])[-5:])


def test_lanes_across_many_columns_are_chunked(rng):
    x = rng.uniform(0.5, 1.5, (40, 300))
    a = oa.asarray(x, chunks=(7, 300))
    assert_like_numpy(np.power.accumulate(a, axis=0), np.power.accumulate(x, axis=0))
    assert_like_numpy(np.divide.accumulate(a, axis=1)[3:9, 50:],
                      np.divide.accumulate(x, axis=1)[3:9, 50:])


# -- outer ----------------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.subtract, np.maximum, np.less,
                                   np.logical_xor, np.bitwise_and, np.arctan2, np.power],
                         ids=lambda u: u.__name__)
def test_outer_like_numpy(ufunc, rng):
    shapes = [((), 1), ((5,), 2), ((3, 4), (2, 3)), ((0,), 1), ((2, 1, 3), 1)]
    for dtype in (np.bool_, np.uint8, np.float32, np.complex128):
        for (sa, ca), (sb, cb) in zip(shapes, shapes[::-1], strict=True):
            x, y = sample(sa, dtype, rng, low=0, high=4), sample(sb, np.float64, rng, low=0,
                                                                 high=4)
            a, b = oa.asarray(x, chunks=ca), oa.asarray(y, chunks=cb)
            _check(lambda: ufunc.outer(a, b), lambda: ufunc.outer(x, y))
            _check(lambda: ufunc.outer(a, y), lambda: ufunc.outer(x, y))
            _check(lambda: ufunc.outer(b, a), lambda: ufunc.outer(y, x))


def test_outer_keywords_and_errors(rng):
    x, y = sample((4,), np.int32, rng), sample((3, 2), np.int32, rng)
    a, b = oa.asarray(x, chunks=3), oa.asarray(y, chunks=2)
    assert_like_numpy(np.add.outer(a, b, dtype=np.float32), np.add.outer(x, y, dtype=np.float32))
    with pytest.raises(ValueError):
        np.negative.outer(a, b)
    with pytest.raises(TypeError):
        np.bitwise_and.outer(a, oa.asarray(y.astype(float)))
    # large results stay lazy and fuse into a reduction
    big = oa.arange(3000, chunks=500)
    total = np.multiply.outer(big, big).sum()
    assert float(total.compute()) == float(np.arange(3000).sum() ** 2)


# -- reduceat -------------------------------------------------------------------------------
INDICES = [[0], [0, 4, 1, 5], [2, 2, 7], [9, 3, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
           [1, 8], [5], [0, 9, 9, 0, 3], np.array([3, 6], np.int32), []]
REDUCED = [np.add, np.multiply, np.maximum, np.minimum, np.subtract, np.divide,
           np.logical_or, np.bitwise_and, np.arctan2]


@pytest.mark.parametrize("ufunc", REDUCED, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint64, np.float32, np.float64,
                                   np.complex128], ids=str)
def test_reduceat_like_numpy(ufunc, dtype, rng):
    # complex infinities multiplied in another association give other NaN/inf parts
    special = not (np.dtype(dtype).kind == "c" and ufunc is np.multiply)
    x = sample((10, 3, 4), dtype, rng, low=-3, high=3, special=special)
    for chunks in [(1, 2, 3), (3, 3, 1), ((4, 5, 1), 1, 4)]:
        a = oa.asarray(x, chunks=chunks)
        for indices in INDICES:
            for axis in (0, 1, -1):
                if axis % 3 and max(indices, default=0) >= x.shape[axis]:
                    continue
                _check(lambda: ufunc.reduceat(a, indices, axis=axis),
                       lambda: ufunc.reduceat(x, indices, axis=axis), rtol=1e-4)


def test_reduceat_groups_of_segments_split_the_output(rng):
    x = rng.uniform(1, 2, (50, 3))
    a = oa.asarray(x, chunks=(7, 2))
    for ufunc, reorderable in [(np.add, True), (np.subtract, False), (np.maximum, True)]:
        for indices in ([0, 10, 20, 45], [5, 3, 3, 40, 0], [0, 1, 2, 3, 49, 48, 0]):
            node = ReduceatNode(a.node, ufunc, np.array(indices), 0, np.dtype(np.float64),
                                16, reorderable)
            assert len(node.chunks[0]) > 1
            assert_like_numpy(oa.OOArray(node), ufunc.reduceat(x, indices), rtol=1e-12)


def test_reduceat_keywords_and_errors(rng):
    x = sample((8, 3), np.int8, rng)
    a = oa.asarray(x, chunks=3)
    assert_like_numpy(np.add.reduceat(a, [0, 5], dtype=np.int64),
                      np.add.reduceat(x, [0, 5], dtype=np.int64))
    assert_like_numpy(np.add.reduceat(a, oa.asarray(np.array([1, 4]))),
                      np.add.reduceat(x, [1, 4]))
    out = np.empty((2, 3), np.int64)
    np.add.reduceat(a, [0, 5], out=out)
    np.testing.assert_array_equal(out, np.add.reduceat(x, [0, 5]))
    for indices in ([8], [-1], [0, 100]):
        _, error = numpy_result(np.add.reduceat, x, indices)
        with pytest.raises(IndexError, match=str(error).replace("[", r"\[").replace(")", r"\)")):
            np.add.reduceat(a, indices)
    with pytest.raises(np.exceptions.AxisError):
        np.add.reduceat(a, [0], axis=2)
    with pytest.raises(ValueError):
        np.negative.reduceat(a, [0])
    with pytest.raises(TypeError):
        np.add.reduceat(oa.asarray(np.float64(1.0)), [0])
    with pytest.raises(IndexError):
        np.add.reduceat(oa.zeros((0, 3), chunks=1), [0])


# -- at -------------------------------------------------------------------------------------
def _at_both(ufunc, target, index, values, ours_index, ours_values, *args):
    expected, got = target.copy(), target.copy()
    with quiet():
        getattr(ufunc, "at")(expected, index, *(() if values is None else (values,)))
        assert getattr(ufunc, "at")(got, ours_index,
                                    *(() if ours_values is None else (ours_values,))) is None
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    else:
        np.testing.assert_array_equal(got, expected, strict=True)


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.maximum, np.minimum,
                                   np.bitwise_xor, np.divide], ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.float32, np.float64, np.complex128],
                         ids=str)
def test_at_repeated_indices_like_numpy(ufunc, dtype, rng):
    labels = rng.integers(0, 7, 500)
    values = sample((500,), dtype, rng, low=1, high=3, special=False)
    target = sample((7, 2), dtype, rng, low=1, high=3, special=False)
    expected, error = numpy_result(lambda: ufunc.at(target.copy(), labels, values[:, None]))
    cases = [(oa.asarray(labels, chunks=33), oa.asarray(values[:, None], chunks=(40, 1))),
             (labels, oa.asarray(values, chunks=64)[:, None]),
             (oa.asarray(labels, chunks=500), values[:, None])]
    for index, vals in cases:
        if error is not None:
            with quiet(), pytest.raises(type(error)):
                ufunc.at(target.copy(), index, vals)
            continue
        _at_both(ufunc, target, labels, values[:, None], index, vals)


def test_at_index_forms(rng):
    rows, cols = rng.integers(0, 5, 300), rng.integers(0, 4, 300)
    values = rng.uniform(size=300)
    target = np.zeros((5, 4, 3))
    r, c, v = (oa.asarray(x, chunks=37) for x in (rows, cols, values))
    _at_both(np.add, target, (rows, cols), values[:, None], (r, c), v[:, None])
    _at_both(np.add, target, (rows, cols, 1), values, (r, c, 1), v)
    _at_both(np.add, target, (rows, slice(1, 3)), 2.5, (r, slice(1, 3)), 2.5)
    _at_both(np.add, target, (2, cols), values[:, None], (2, c), v[:, None])
    _at_both(np.add, target, rows.reshape(20, 15), 1.0, r.reshape(20, 15), 1.0)
    _at_both(np.add, target, (slice(None), cols), 1.0, (slice(None), c), 1.0)  # computed
    _at_both(np.negative, target, rows, None, r, None)
    small = np.zeros(5, np.uint8)
    _at_both(np.add, small, rows, 250, r, 250)  # a Python int stays weakly typed


def test_at_errors(rng):
    labels = oa.asarray(np.array([0, 3, 3, 9]), chunks=2)
    values = oa.asarray(np.ones(4), chunks=3)
    with pytest.raises(IndexError):
        np.add.at(np.zeros(5), labels, values)
    with pytest.raises(TypeError):
        np.bitwise_and.at(np.zeros(10), labels, values)  # no loop for floats
    _at_both(np.add, np.zeros(10, np.int64), labels.compute(), 1.5, labels, 1.5)  # unsafe cast
    with pytest.raises(ValueError):
        np.add.at(np.zeros(10), labels, oa.ones(3))
    with pytest.raises(IndexError):
        np.add.at(np.zeros(10), oa.asarray(np.ones(4)), values)
    message = r"numpy.add.at is not supported by ooarray \(OOArrays are not modified in place\)"
    with pytest.raises(TypeError, match=message):
        np.add.at(oa.zeros(10), np.array([1, 2]), 1.0)
    with pytest.raises(TypeError, match=message):
        np.add.at(oa.zeros(10), labels, values)


def test_at_streams_in_blocks_under_a_small_budget(rng):
    labels = rng.integers(0, 100, 200_000)
    values = rng.standard_normal(200_000)
    with oa.config.set(memory_limit="2MB"):
        counts, expected = np.zeros(100), np.zeros(100)
        np.add.at(counts, oa.asarray(labels, chunks=10_000), oa.asarray(values, chunks=7_000))
    np.add.at(expected, labels, values)
    np.testing.assert_allclose(counts, expected, rtol=1e-12)


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    budget = 32 * 2**20
    oa.config.set(memory_limit=budget)
    n, groups = budget * 4 // 16, 1000   # int64 labels + float64 values: 4x the budget
    rng = oa.random.default_rng(3)
    labels = rng.integers(0, groups, n)
    values = rng.standard_normal(n)
    counts = np.zeros(groups)
    gc.collect()
    with RSSSampler(interval=0.005) as rss:
        np.add.at(counts, labels, values)
    with oa.config.set(memory_limit="1GB"):
        expected = np.bincount(labels.compute(), weights=values.compute(), minlength=groups)
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak, "budget": budget,
                      "inputs": 16 * n, "error": float(np.abs(counts - expected).max())}))
""")


def test_add_at_from_inputs_4x_the_budget_stays_near_it():
    run = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True,
                         check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    growth = measured["peak"] - measured["baseline"]
    assert measured["error"] < 1e-6
    assert growth < 1.5 * measured["budget"], measured
    assert growth < measured["inputs"] / 2, measured
