"""Indexing (reading): basic, integer-array and boolean indexing, take, compress, nonzero.

Every result is compared with NumPy on the same input (values, dtype, shape) and every error
must be NumPy's exception type.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import CASES, DTYPES, assert_like_numpy, chunkings, numpy_result, sample
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ooarray as oa
from ooarray.algorithms.compact import CompactNode
from ooarray.algorithms.indexing import GatherNode
from ooarray.plan.lower import Plan


def _pair(shape, chunks, dtype=np.int64, seed=0):
    x = sample(shape, dtype, np.random.default_rng(seed), special=False)
    return x, oa.asarray(x, chunks=chunks)


def _same_error(func_np, func_oa):
    try:
        func_np()
    except Exception as error:  # noqa: BLE001 -- the type is what is compared
        with pytest.raises(type(error)):
            func_oa()
        return
    raise AssertionError("NumPy raised nothing")


# -- basic indexing -------------------------------------------------------------------------
@st.composite
def basic_indices(draw, shape):
    """A random basic index: slices with any step, integers, ``...`` and ``None``."""
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "none-then-slice"]))
        if kind == "int" and n:
            items.append(draw(st.integers(-n, n - 1)))
            continue
        if kind == "none-then-slice":
            items.append(None)
        start = draw(st.none() | st.integers(-n - 2, n + 2))
        stop = draw(st.none() | st.integers(-n - 2, n + 2))
        step = draw(st.none() | st.integers(-3, 3).filter(bool))
        items.append(slice(start, stop, step))
    if items and draw(st.booleans()):
        at = draw(st.integers(0, len(items) - 1))
        cut = draw(st.integers(at, len(items)))
        items[at:cut] = [Ellipsis]
    return tuple(items)


@given(data=st.data())
def test_basic_indexing_like_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    a = oa.asarray(x, chunks=data.draw(chunkings(shape)))
    index = data.draw(basic_indices(shape))
    assert_like_numpy(a[index], x[index])


def test_basic_index_errors_are_numpys():
    x, a = _pair((4, 5), 2)
    for index in [(4,), (0, -6), (0, 0, 0), (Ellipsis, Ellipsis), 1.5, "a"]:
        _same_error(lambda: x[index], lambda: a[index])


# -- integer arrays -------------------------------------------------------------------------
@pytest.mark.parametrize("shape, chunks", [c for c in CASES if c[0] and c[0][0]])
def test_integer_array_on_first_axis_over_cases_and_dtypes(shape, chunks, sync_executor):
    rng = np.random.default_rng(1)
    n = shape[0]
    index = rng.integers(-n, n, size=9)
    for dtype in DTYPES:
        x, a = _pair(shape, chunks, dtype)
        assert_like_numpy(a[index], x[index])
        assert_like_numpy(a[index.tolist()], x[index.tolist()])


@pytest.mark.parametrize("shape, chunks", [c for c in CASES if len(c[0]) >= 2])
def test_fancy_index_forms_over_cases(shape, chunks, sync_executor):
    x, a = _pair(shape, chunks)
    rng = np.random.default_rng(2)

    def pick(axis, size):
        return rng.integers(0, shape[axis], size=size) if shape[axis] else np.zeros(size, int)

    last = len(shape) - 1
    indices = [
        (slice(None), pick(1, 4)),                         # one array, later axis
        (pick(0, (2, 3)), pick(1, (1, 3))),                # two arrays, broadcast together
        (pick(0, 3), slice(None, None, -1)),               # array then a reversed slice
        (Ellipsis, pick(last, 2)),                         # after an ellipsis
        (pick(0, 2), None, pick(1, 2)),                    # separated by None: index dims first
        (pick(0, 3)[:, None], Ellipsis, pick(last, 2)),    # separated by ...
        (None, pick(0, 2), slice(1, None)),                # new axis before
    ]
    if shape[0]:
        indices.append((0, slice(None), pick(last, 3)) if len(shape) > 2
                       else (0, pick(1, 3)))            # an integer among arrays
    for index in indices:
        try:
            expected = x[index]
        except IndexError:  # an empty axis: NumPy refuses every position
            with pytest.raises(IndexError):
                a[index]
            continue
        assert_like_numpy(a[index], expected)


def test_empty_index_lists_and_arrays():
    x, a = _pair((5, 4), 2)
    for index in ([], np.zeros(0, np.int64), ([], slice(None)), (slice(1, 3), []),
                  ([], [9]), (np.zeros((0, 2), int), [[7, 7]])):  # picks nothing: no check
        assert_like_numpy(a[index], x[index])
    _same_error(lambda: x[9, []], lambda: a[9, []])  # an integer is always checked


def test_an_ellipsis_of_no_axis_still_separates_advanced_indices():
    x, a = _pair((3, 4), 2)
    for index in [([0, 1], ..., [1, 2]), ([0, 2], [1, 3], ...), (True, ..., [1, 0], 2),
                  (slice(None), True, ..., 1)]:
        assert_like_numpy(a[index], x[index])


def test_integer_index_errors_are_numpys():
    x, a = _pair((5, 4), 2)
    bad = [
        [5], [-6], ([0, 1], [0, 1, 2]), np.array([1.0]), (slice(None), [4]), (0, [0], [0]),
        ([0], Ellipsis, [0], Ellipsis), np.array(["a"]),
    ]
    for index in bad:
        _same_error(lambda: x[index], lambda: a[index])


@pytest.mark.parametrize("index_chunks", [1, 3, 7])
def test_ooarray_index_follows_its_chunks_and_reads_block_by_block(index_chunks):
    x = np.arange(40 * 6).reshape(40, 6).astype(np.float64)
    a = oa.asarray(x, chunks=(8, 3))
    perm = np.random.default_rng(3).permutation(40)
    index = oa.asarray(perm, chunks=index_chunks)
    result = a[index]
    assert isinstance(result.node, GatherNode)
    assert result.chunks[0] == index.chunks[0]  # output chunks follow the index chunks
    assert_like_numpy(result, x[perm])
    assert_like_numpy(a[index[:, None], [[0, 5]]], x[perm[:, None], [[0, 5]]])
    assert_like_numpy(a[:, index[:6] % 6], x[:, perm[:6] % 6])


def test_gather_reads_are_in_the_schedule_and_stay_in_the_budget():
    with oa.config.set(memory_limit="8MB"):
        a = oa.random.default_rng(1).standard_normal((1000, 300), chunks=(100, 100))
        x = a.compute()
        perm = np.random.default_rng(2).permutation(1000)
        with oa.collect_stats() as stats:
            assert_like_numpy(a[oa.asarray(perm, chunks=250)], x[perm])
        # The data fits: Belady keeps every block the trace says is read again.
        assert stats.bytes_read == a.nbytes
    with oa.config.set(memory_limit="1MB"):  # the data is 2.3x the budget
        with oa.collect_stats() as stats:
            assert float(a[oa.asarray(perm, chunks=250)].sum()) == pytest.approx(x.sum())
        assert 0 < stats.peak_bytes <= 1_000_000
        assert oa.execute.pool().overshoot_bytes == 0


def test_ooarray_index_out_of_bounds_and_dtype_raise_like_numpy():
    x, a = _pair((6,), 2)
    _same_error(lambda: x[np.array([1, 9, 2])], lambda: a[oa.asarray([1, 9, 2], chunks=1)])
    _same_error(lambda: x[np.array([-7])], lambda: a[oa.asarray([-7])])
    _same_error(lambda: x[np.array([1.0])], lambda: a[oa.asarray([1.0])])


def test_index_computed_lazily_from_other_arrays():
    x, a = _pair((30,), 4)
    index = (oa.arange(30, chunks=7) * 7) % 30  # an expression: never held whole
    assert_like_numpy(a[index], x[(np.arange(30) * 7) % 30])
    assert_like_numpy(a[np.argsort(x)], x[np.argsort(x)])


@given(data=st.data())
def test_fancy_indexing_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    a = oa.asarray(x, chunks=data.draw(chunkings(shape)))
    items = []
    for n in shape:
        kind = data.draw(st.sampled_from(["slice", "array", "int"]))
        if kind == "slice":
            items.append(slice(data.draw(st.integers(-n, n)), None,
                               data.draw(st.sampled_from([1, 2, -1]))))
        elif kind == "int":
            items.append(data.draw(st.integers(-n, n - 1)))
        else:
            items.append(data.draw(hnp.arrays(np.int64, data.draw(st.sampled_from([(2,), (1,),
                                                                                  (3,)])),
                                              elements=st.integers(-n, n - 1))))
    index = tuple(items)
    as_ooarray = data.draw(st.booleans())
    if as_ooarray:
        index = tuple(oa.asarray(i, chunks=1) if isinstance(i, np.ndarray) else i
                      for i in index)
    try:
        expected = x[tuple(items)]
    except IndexError:
        with pytest.raises(IndexError):
            a[index]
        return
    assert_like_numpy(a[index], expected)


# -- boolean masks --------------------------------------------------------------------------
@pytest.mark.parametrize("shape, chunks", CASES)
def test_full_mask_over_cases_and_dtypes(shape, chunks, sync_executor):
    rng = np.random.default_rng(4)
    mask = rng.random(shape) < 0.4
    for dtype in DTYPES:
        x, a = _pair(shape, chunks, dtype)
        assert_like_numpy(a[mask], x[mask])
        assert_like_numpy(a[oa.asarray(mask, chunks=chunks)], x[mask])


@pytest.mark.parametrize("shape, chunks", [((6, 7), (2, 3)), ((4, 5, 6), (3, 2, 4)),
                                           ((3, 4, 5, 2), (2, 3, 2, 1)), ((9, 8), (9, 1))])
def test_mask_row_major_order_when_trailing_axes_are_split(shape, chunks, sync_executor):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    a = oa.asarray(x, chunks=chunks)
    result = a[a % 3 != 1]
    assert isinstance(result.node, CompactNode)
    assert_like_numpy(result, x[x % 3 != 1])
    assert sum(result.chunks[0]) == result.shape[0]  # exact, known length
    sparse = a[a == 5]
    assert_like_numpy(sparse, x[x == 5])
    assert_like_numpy(a[a > 1e9], x[x > 1e9])


def test_one_axis_compaction_places_each_block_as_one_run(sync_executor):
    # One axis: every block is one segment, compressed straight into its output run, so a
    # task needs no scratch beyond its reads (and 8 bytes per position for coordinates).
    rng = np.random.default_rng(11)
    x = rng.standard_normal(1000)
    keep = rng.random(1000) < 0.3
    keep[200:400] = False  # a block with nothing to keep makes no output chunk
    a, mask = oa.asarray(x, chunks=200), oa.asarray(keep, chunks=200)
    counts = np.array([keep[i:i + 200].sum() for i in range(0, 1000, 200)])
    values = CompactNode(a.node, mask.node, mask.chunks, counts, 1)
    assert values.chunks == (tuple(int(n) for n in counts if n),)
    # (in-memory operands are read as views: the reads cost nothing here)
    assert [values.chunk_scratch_bytes((i,)) for i in range(4)] == [0] * 4
    assert_like_numpy(oa.OOArray(values), x[keep])
    positions = CompactNode(None, mask.node, mask.chunks, counts, 1, flat_positions=True)
    assert positions.shape == (keep.sum(),)
    assert [positions.chunk_scratch_bytes((i,)) for i in range(4)] == [200 * 8] * 4
    assert_like_numpy(oa.OOArray(positions), np.flatnonzero(keep))
    coordinates = CompactNode(None, mask.node, mask.chunks, counts, 500)
    assert_like_numpy(oa.OOArray(coordinates), np.argwhere(keep))
    with pytest.raises(ValueError, match="one-axis mask"):
        CompactNode(a.node, mask.node, mask.chunks, counts, 1, flat_positions=True)


def test_mask_output_chunks_are_budget_sized():
    x = np.arange(200_000, dtype=np.float64).reshape(400, 500)
    with oa.config.set(memory_limit="4MB"):
        a = oa.asarray(x, chunks=(100, 125))
        result = a[a % 2 == 0]
        assert len(result.chunks[0]) > 1
        assert max(result.chunks[0]) * 8 <= 2 * oa.chunks.target_chunk_bytes(4_000_000)
        assert_like_numpy(result, x[x % 2 == 0])


def test_leading_and_one_axis_masks_mixed_with_slices(sync_executor):
    x, a = _pair((6, 5, 4), (4, 2, 3))
    rng = np.random.default_rng(5)
    lead = rng.random((6, 5)) < 0.5
    row = rng.random(6) < 0.5
    col = rng.random(5) < 0.5
    for index in (lead, (lead, slice(1, 3)), (row,), (slice(None), col), (row, slice(None), 2),
                  (1, col, slice(None, None, -2)), (row, col[:5], slice(None))):
        expected = np.empty(0)
        try:
            expected = x[index]
        except IndexError:
            with pytest.raises(IndexError):
                a[index]
            continue
        assert_like_numpy(a[index], expected)
    as_oo = (oa.asarray(lead, chunks=(2, 4)), slice(1, 3))
    assert_like_numpy(a[as_oo], x[lead, 1:3])
    assert_like_numpy(a[True], x[True])
    assert_like_numpy(a[:, False], x[:, False])


def test_counts_too_large_for_the_budget_fail_loudly_before_any_work():
    with oa.config.set(memory_limit="1MB"):
        a = oa.zeros((200_000, 4), chunks=(1000, 1))  # one count per row and column block
        with pytest.raises(oa.BudgetError, match="trailing axes"):
            a[a > 0]
        narrow = oa.zeros((200_000, 4), chunks=(1000, 4))  # one count per block: fine
        assert_like_numpy(narrow[narrow > 0], np.zeros(0))


def test_mask_errors_are_numpys():
    x, a = _pair((4, 3), 2)
    _same_error(lambda: x[np.ones((4, 2), bool)], lambda: a[np.ones((4, 2), bool)])
    _same_error(lambda: x[np.ones(5, bool)], lambda: a[oa.asarray(np.ones(5, bool))])
    _same_error(lambda: x[np.ones((4, 3, 1), bool)], lambda: a[np.ones((4, 3, 1), bool)])


@given(data=st.data())
def test_mask_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    mask = data.draw(hnp.arrays(np.bool_, shape))
    chunks = data.draw(chunkings(shape))
    a = oa.asarray(x, chunks=chunks)
    m = oa.asarray(mask, chunks=data.draw(chunkings(shape)))
    assert_like_numpy(a[m], x[mask])
    assert_like_numpy(np.argwhere(m), np.argwhere(mask))


# -- functions ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, chunks", CASES)
def test_nonzero_argwhere_flatnonzero_over_cases(shape, chunks, sync_executor):
    for dtype in DTYPES:
        x = sample(shape, dtype, np.random.default_rng(6), low=-1, high=1)
        a = oa.asarray(x, chunks=chunks)
        assert_like_numpy(np.argwhere(a), np.argwhere(x))
        assert_like_numpy(np.flatnonzero(a), np.flatnonzero(x))
        if x.ndim == 0:
            _same_error(lambda: np.nonzero(x), lambda: np.nonzero(a))
            continue
        got, want = np.nonzero(a), np.nonzero(x)
        assert isinstance(got, tuple) and len(got) == len(want)
        for column, expected in zip(got, want):
            assert_like_numpy(column, expected)
        assert_like_numpy(a[np.nonzero(a)], x[np.nonzero(x)])


def test_nonzero_is_exported_for_where():
    from ooarray.ops.indexing import nonzero

    x = np.array([[0, 2], [3, 0]])
    for got, want in zip(nonzero(oa.asarray(x, chunks=1)), np.nonzero(x)):
        assert_like_numpy(got, want)
    for got, want in zip(oa.asarray(x).nonzero(), x.nonzero()):
        assert_like_numpy(got, want)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_take_like_numpy(mode, sync_executor):
    x, a = _pair((5, 6, 4), (2, 4, 3))
    rng = np.random.default_rng(7)
    wide = rng.integers(-12, 12, size=(3, 2))
    for axis in (None, 0, 1, 2, -1):
        n = x.size if axis is None else x.shape[axis]
        inside = rng.integers(-n, n, size=(2, 3))
        index = inside if mode == "raise" else wide
        assert_like_numpy(np.take(a, index, axis=axis, mode=mode),
                          np.take(x, index, axis=axis, mode=mode))
        assert_like_numpy(a.take(oa.asarray(index, chunks=2), axis=axis, mode=mode),
                          x.take(index, axis=axis, mode=mode))
        assert_like_numpy(np.take(a, 3, axis=axis, mode=mode), np.take(x, 3, axis=axis,
                                                                        mode=mode))
    out = np.empty((2, 6, 4), np.int64)
    np.take(a, [1, 0], axis=0, out=out)
    np.testing.assert_array_equal(out, x[[1, 0]])


@given(data=st.data())
def test_take_and_compress_hypothesis(data):
    x, chunks = data.draw(hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=3,
                                                                  max_side=5)).flatmap(
        lambda array: st.tuples(st.just(array), chunkings(array.shape))))
    a = oa.asarray(x, chunks=chunks)
    axis = data.draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))
    n = x.size if axis is None else x.shape[axis]
    mode = data.draw(st.sampled_from(["raise", "wrap", "clip"]))
    span = max(n, 1) * (1 if mode == "raise" else 3)
    index = data.draw(hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2,
                                                            max_side=4),
                                 elements=st.integers(-span, span - 1)))
    wrapped = oa.asarray(index, chunks=2) if index.ndim and data.draw(st.booleans()) else index
    try:
        expected = np.take(x, index, axis=axis, mode=mode)
    except IndexError:
        with pytest.raises(IndexError):
            np.take(a, wrapped, axis=axis, mode=mode)
    else:
        assert_like_numpy(np.take(a, wrapped, axis=axis, mode=mode), expected)
    condition = data.draw(hnp.arrays(np.bool_, (data.draw(st.integers(0, n)),)))
    assert_like_numpy(np.compress(condition, a, axis=axis), np.compress(condition, x, axis=axis))


def test_take_errors_are_numpys():
    x, a = _pair((5,), 2)
    _same_error(lambda: np.take(x, [5]), lambda: np.take(a, [5]))
    _same_error(lambda: np.take(x, np.array([1.5])), lambda: np.take(a, np.array([1.5])))
    _same_error(lambda: np.take(x, [1j]), lambda: np.take(a, [1j]))
    assert_like_numpy(np.take(a, [1.5, True]), np.take(x, [1.5, True]))
    _same_error(lambda: np.take(x, [0], axis=1), lambda: np.take(a, [0], axis=1))
    _same_error(lambda: np.take(x, [0], mode="bad"), lambda: np.take(a, [0], mode="bad"))
    empty, oempty = _pair((0,), 1)
    _same_error(lambda: np.take(empty, [0], mode="wrap"), lambda: np.take(oempty, [0],
                                                                          mode="wrap"))


def test_take_along_axis_like_numpy(sync_executor):
    x = sample((5, 7, 3), np.float64, np.random.default_rng(8), special=False)
    a = oa.asarray(x, chunks=(2, 3, 2))
    for axis in (0, 1, 2, -1):
        order = np.argsort(x, axis=axis)
        assert_like_numpy(np.take_along_axis(a, order, axis=axis),
                          np.take_along_axis(x, order, axis=axis))
        assert_like_numpy(np.take_along_axis(a, oa.asarray(order, chunks=2), axis=axis),
                          np.take_along_axis(x, order, axis=axis))
    firsts = np.argmax(x, axis=1)[:, None, :]
    assert_like_numpy(np.take_along_axis(a, firsts, axis=1),
                      np.take_along_axis(x, firsts, axis=1))
    flat = np.argsort(x, axis=None)
    assert_like_numpy(np.take_along_axis(a, flat, axis=None),
                      np.take_along_axis(x, flat, axis=None))
    _same_error(lambda: np.take_along_axis(x, order[0], axis=0),
                lambda: np.take_along_axis(a, order[0], axis=0))
    _same_error(lambda: np.take_along_axis(x, order.astype(float), axis=0),
                lambda: np.take_along_axis(a, order.astype(float), axis=0))


def test_compress_like_numpy(sync_executor):
    x, a = _pair((5, 6), (2, 4))
    for condition, axis in [([True, False, True], 0), ([0, 1, 1, 0, 0, 1], 1),
                            ([True, False] * 7, None), ([], 0), ([False] * 5, 0)]:
        assert_like_numpy(np.compress(condition, a, axis=axis),
                          np.compress(condition, x, axis=axis))
    condition = oa.asarray(np.array([True, False, True, True, False]), chunks=2)
    assert_like_numpy(np.compress(condition, a, axis=0), x[[0, 2, 3]])
    _same_error(lambda: np.compress([True] * 6, x, axis=0),
                lambda: np.compress([True] * 6, a, axis=0))
    _same_error(lambda: np.compress([[True]], x, axis=0),
                lambda: np.compress([[True]], a, axis=0))


def test_results_stay_lazy_ooarrays():
    x, a = _pair((8, 8), 3)
    for result in (a[[1, 2]], a[a > 0], np.take(a, [1]), np.nonzero(a)[0], np.argwhere(a),
                   np.flatnonzero(a), np.compress([1, 1], a, axis=0)):
        assert isinstance(result, oa.OOArray)


# -- memory ---------------------------------------------------------------------------------
MiB = 2**20

MEASURE_MASK = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
    oa.config.set(memory_limit=budget)
    a = oa.open(f"{directory}/a.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        picked = a[a > threshold]
        picked.to_zarr(f"{directory}/picked.zarr")
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak, "length": picked.shape[0],
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_mask_of_an_array_4x_the_budget_stays_within_it(tmp_path):
    rows, cols, budget = 4096, 4096, 32 * MiB  # 128 MiB of float64, 4x the budget
    with oa.config.set(memory_limit="64MB"):
        # Blocks split the trailing axis, so row-major order crosses blocks on every row.
        oa.random.default_rng(11).standard_normal((rows, cols), chunks=(256, 512)) \
            .to_zarr(tmp_path / "a.zarr")
    run = subprocess.run([sys.executable, "-c", MEASURE_MASK, str(tmp_path), str(budget),
                          "0.3"], capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    x = zarr.open_array(str(tmp_path / "a.zarr"))[...]
    expected = x[x > 0.3]
    got = zarr.open_array(str(tmp_path / "picked.zarr"))[...]
    np.testing.assert_array_equal(got, expected)
    assert measured["length"] == expected.size
    assert expected.nbytes > budget  # the result alone does not fit
    assert measured["read"] >= 2 * x.nbytes  # count pass and compaction both read the data
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    print(f"a[a > 0.3] of 128 MiB, 32 MiB budget: RSS +{growth / MiB:.1f} MiB, pool peak "
          f"{measured['pool_peak'] / MiB:.1f} MiB, read {measured['read'] / MiB:.0f} MiB")
    # The budget, plus what zarr's write path holds outside it (an elementwise a * 2 written
    # the same way grows RSS by about 46 MiB more than its pool here).
    assert growth < 2 * budget + 32 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 32 MiB"


@pytest.mark.parametrize("shape, mask_shape", [((2,), (0,)), ((1,), (0,)), ((1, 2), (0, 2)),
                                               ((1, 2), (1, 0)), ((3, 1), (3, 0)),
                                               ((2, 3), (0,)), ((1,), (2,))])
def test_an_empty_boolean_mask_is_an_empty_selection_as_numpy(shape, mask_shape):
    """NumPy reads an empty boolean mask as an empty nonzero(): no shape check."""
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    mask = np.zeros(mask_shape, bool)
    expected, error = numpy_result(lambda v: v[mask], x)
    if error is not None:
        with pytest.raises(type(error)):
            oa.asarray(x, chunks=1)[mask]
    else:
        assert_like_numpy(oa.asarray(x, chunks=1)[mask], expected)


def test_gather_from_a_rechunked_intermediate_reads_one_piece_at_a_time(rng, tmp_path):
    """The source is a rechunk (a region node) of a sort's output, whose buckets do not line
    up with the 2000-element pieces: neighbouring pieces share a bucket chunk. Each piece is
    read in a scope of its own (the shared chunk is pinned, and traced, once per piece);
    grouping the pieces that share a chunk chained them and a task held most of the source
    (~390 KB under a 256 KB budget, BudgetError before work)."""
    x = rng.integers(0, 50_000, 40_000)  # 320 KB of int64
    perm = rng.permutation(x.size)
    with oa.config.set(memory_limit="256KB"), oa.collect_stats() as stats:
        source = np.sort(oa.asarray(x, chunks=4000))
        assert len(set(source.chunks[0][:-1])) > 1  # the sort's irregular buckets
        result = np.take(source.rechunk(2000), oa.asarray(perm, chunks=2000))
        gathers = [n for n in _nodes(result.node) if isinstance(n, GatherNode)]
        assert gathers
        plan = Plan(result.node, result.chunks)
        assert plan.max_task_bytes <= oa.config.get().memory_limit
        result.to_zarr(zarr_path := str(tmp_path / "r.zarr"))
        assert stats.peak_bytes <= oa.config.get().memory_limit
    np.testing.assert_array_equal(zarr.open_array(zarr_path)[...], np.sort(x)[perm])


def test_mask_of_a_shifted_slice_of_an_intermediate_reads_one_piece_at_a_time(rng, tmp_path):
    """``v[:-1][v[1:] == v[:-1]]`` for a sorted intermediate ``v``: the mask's block reads
    ``v[1:]``, which reaches into the next bucket chunk, so every piece shares a chunk with
    the next. Grouped in one scope, a compaction task held several blocks (~340 KB under a
    256 KB budget in ``intersect1d``); each piece now has a scope of its own."""
    x = rng.integers(0, 400_000, 40_000)  # few equal neighbours: one task spans every block
    expected = np.sort(x)
    expected = expected[:-1][expected[1:] == expected[:-1]]
    with oa.config.set(memory_limit="256KB"), oa.collect_stats() as stats:
        v = np.sort(oa.asarray(x, chunks=4000))
        result = v[:-1][v[1:] == v[:-1]]
        assert any(isinstance(n, CompactNode) for n in _nodes(result.node))
        assert Plan(result.node, result.chunks).max_task_bytes <= oa.config.get().memory_limit
        result.to_zarr(zarr_path := str(tmp_path / "r.zarr"))
        assert stats.peak_bytes <= oa.config.get().memory_limit
    np.testing.assert_array_equal(zarr.open_array(zarr_path)[...], expected)


def _nodes(root):
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.inputs)
            yield node
