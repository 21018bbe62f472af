"""Scans (cumsum, cumprod, nan-variants, cumulative_sum/prod) and diff against NumPy."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import FLOAT_DTYPES, assert_like_numpy, chunked_arrays, numpy_result, quiet, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.algorithms.scans import ScanCarryNode
from ooarray.plan.graph import RegionNode

pytestmark = pytest.mark.usefixtures("sync_executor")

SCANS = [np.cumsum, np.cumprod, np.nancumsum, np.nancumprod]


def _pair(case, dtype, rng, special=True):
    shape, chunks = case
    data = sample(shape, dtype, rng, low=-3, high=3, special=special)
    return data, oa.asarray(data, chunks=chunks)


def _check(func, array, data, *args, **kwargs):
    expected, error = numpy_result(func, data, *args, **kwargs)
    if error is not None:
        with pytest.raises(type(error)):
            func(array, *args, **kwargs)
        return
    with quiet():
        result = func(array, *args, **kwargs)
    assert_like_numpy(result, expected)


def _every_axis(func, case, dtype, rng):
    # Complex products of infinities depend on the order of the multiplications (which part
    # comes out NaN), and a two-pass scan multiplies block totals: finite values there.
    finite = dtype.kind == "c" and func in (np.cumprod, np.nancumprod)
    data, array = _pair(case, dtype, rng, special=not finite)
    for axis in [None, *range(data.ndim), -data.ndim - 1]:
        _check(func, array, data, axis=axis)


@pytest.mark.parametrize("func", [np.cumsum, np.cumprod], ids=lambda f: f.__name__)
def test_scans_every_axis(func, case, dtype, rng):
    _every_axis(func, case, dtype, rng)


# the nan-variants are the plain scans for other dtypes (test_scans_hypothesis covers them)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("func", [np.nancumsum, np.nancumprod], ids=lambda f: f.__name__)
def test_nan_scans_every_axis(func, case, dtype, rng):
    _every_axis(func, case, dtype, rng)


@pytest.mark.parametrize("func", [np.cumsum, np.cumprod], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.float32, np.complex64, bool, "U1"],
                         ids=str)
def test_scans_with_dtype(func, dtype, rng):
    data = sample((6, 7), np.int32, rng, low=-4, high=4)
    array = oa.asarray(data, chunks=(4, 3))
    _check(func, array, data, axis=1, dtype=dtype)
    _check(func, array, data, axis=0, dtype=dtype)


def test_integer_scans_wrap_exactly_like_numpy(rng):
    data = rng.integers(-128, 127, 1000).astype(np.int8)
    array = oa.asarray(data, chunks=37)
    assert_like_numpy(np.cumsum(array, dtype=np.int8), np.cumsum(data, dtype=np.int8))
    assert_like_numpy(np.cumprod(array), np.cumprod(data))
    assert_like_numpy(np.cumsum(array.astype(bool)), np.cumsum(data.astype(bool)))


@pytest.mark.parametrize("func", [np.cumulative_sum, np.cumulative_prod],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("include_initial", [False, True])
def test_cumulative_functions(func, include_initial, case, rng):
    data, array = _pair(case, np.float64, rng)
    for axis in [None, *range(data.ndim)]:
        _check(func, array, data, axis=axis, include_initial=include_initial)
    small = np.where(np.isfinite(data), data, 0).astype(np.int8)
    _check(func, oa.asarray(small, chunks=case[1]), small, axis=0 if data.ndim else None,
           include_initial=include_initial, dtype=np.int16)


def test_scan_regions_that_do_not_start_on_a_block(rng):
    data = rng.standard_normal((23, 5))
    array = oa.asarray(data, chunks=(4, 2))
    result, expected = np.cumsum(array, axis=0), np.cumsum(data, axis=0)
    for index in [np.s_[3:5], np.s_[5:18:3], np.s_[::-1], np.s_[7, 1:4], np.s_[-1]]:
        assert_like_numpy(result[index], expected[index])
    initial = np.cumulative_sum(array, axis=0, include_initial=True)
    expected = np.cumulative_sum(data, axis=0, include_initial=True)
    for index in [np.s_[0:1], np.s_[1:3], np.s_[4:9], np.s_[::5], np.s_[-1]]:
        assert_like_numpy(initial[index], expected[index])


def test_carry_groups_stream_earlier_groups(rng):
    data = rng.integers(-5, 5, (300, 3))
    with oa.config.set(memory_limit="3KB"):  # carry groups of a few block records each
        array = oa.asarray(data, chunks=(2, 3))
        result = np.cumsum(array, axis=0)
    carry = result.node.inputs[1]
    assert isinstance(carry, ScanCarryNode) and len(carry.chunks[0]) > 3
    assert carry.streamed_inputs((len(carry.chunks[0]) - 1, 0))  # the last group streams
    assert_like_numpy(result, np.cumsum(data, axis=0))
    with oa.config.set(executor="threads", num_threads=2):  # streamed reads from threads
        assert_like_numpy(result, np.cumsum(data, axis=0))


def test_scan_output_and_methods(rng):
    data = rng.standard_normal((5, 4))
    array = oa.asarray(data, chunks=2)
    assert_like_numpy(array.cumsum(axis=1), data.cumsum(axis=1))
    assert_like_numpy(array.cumprod(), data.cumprod())
    target = np.empty(20)
    assert np.cumsum(array, out=target) is target
    np.testing.assert_allclose(target, np.cumsum(data))
    other = oa.zeros((5, 4), np.float32)
    assert np.cumsum(array, axis=0, out=other) is other
    assert_like_numpy(other, np.cumsum(data, axis=0).astype(np.float32))


@given(chunked_arrays(min_dims=1), st.integers(-4, 3), st.sampled_from(SCANS))
def test_scans_hypothesis(pair, axis, func):
    values, chunks = pair
    _check(func, oa.asarray(values, chunks=chunks), values, axis=axis)


# -- diff -------------------------------------------------------------------------------------
def test_diff_orders_and_axes(case, dtype, rng):
    data, array = _pair(case, dtype, rng)
    for n in (0, 1, 3, 12):
        for axis in (-1, 0, data.ndim):
            _check(np.diff, array, data, n=n, axis=axis)


@pytest.mark.parametrize("prepend, append", [
    (0, None), (None, 2.5), (np.int8(3), np.int8(-1)), ("row", None), (None, "row"),
    ("row", "wide"), (True, False), ("bad", None)])
def test_diff_prepend_append(prepend, append, rng):
    data = rng.integers(-9, 9, (4, 6)).astype(np.int16)
    array = oa.asarray(data, chunks=(3, 4))
    edges = {"row": rng.integers(-9, 9, (4, 1)), "wide": rng.standard_normal((4, 3)),
             "bad": np.ones((3, 1))}
    kwargs = {}
    if prepend is not None:
        kwargs["prepend"] = edges.get(prepend, prepend) if isinstance(prepend, str) else prepend
    if append is not None:
        kwargs["append"] = edges.get(append, append) if isinstance(append, str) else append
    for n in (1, 2, 4):
        _check(np.diff, array, data, n=n, **kwargs)
    _check(np.diff, array.astype(bool), data.astype(bool), **kwargs)


def test_diff_is_a_region_node_reading_one_more_element(rng):
    data = rng.standard_normal(20)
    array = oa.asarray(data, chunks=5)
    result = np.diff(array)
    assert isinstance(result.node, RegionNode)
    assert result.node.input_regions((slice(5, 10),)) == [(array.node, (slice(5, 11),))]
    assert_like_numpy(result[3:12], np.diff(data)[3:12])


def test_diff_errors_are_numpys():
    array = oa.asarray(np.arange(5.0))
    for kwargs in ({"n": -1}, {"axis": 1}, {"n": 1.5}):
        _check(np.diff, array, np.arange(5.0), **kwargs)
    with pytest.raises(ValueError):
        np.diff(oa.asarray(np.float64(3)))


@given(chunked_arrays(FLOAT_DTYPES, min_dims=1), st.integers(0, 3), st.integers(-3, 2))
def test_diff_hypothesis(pair, n, axis):
    values, chunks = pair
    _check(np.diff, oa.asarray(values, chunks=chunks), values, n=n, axis=axis)


# -- memory ------------------------------------------------------------------------------------
MiB = 2**20
MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit=budget)
    a = oa.open(f"{directory}/a.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        np.cumsum(a, axis=0).to_zarr(f"{directory}/c.zarr", overwrite=True, compressor=None)
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak, "pool_peak": stats.peak_bytes,
                      "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_cumsum_of_an_array_4x_the_budget_stays_within_it(tmp_path):
    rows, columns, budget = 2048, 2048, 8 * MiB  # 32 MiB of float64 in 32 row blocks
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(13)
        rng.standard_normal((rows, columns), chunks=(64, columns)).to_zarr(tmp_path / "a.zarr")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(budget)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    a, c = (zarr.open_array(str(tmp_path / f"{name}.zarr"))[...] for name in "ac")
    np.testing.assert_allclose(c, np.cumsum(a, axis=0), rtol=1e-10, atol=1e-9)
    assert measured["read"] >= rows * columns * 8  # the input went through the pool (twice)
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * budget + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 8 MiB"
