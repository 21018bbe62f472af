"""Axes, broadcasting, reordering, repeating, triangles and grids against NumPy: every shared
(shape, chunks) case and dtype, mixed inputs, chunk grids within the budget, reads limited to
the regions needed, and NumPy's exception types."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import CASES, DTYPES, assert_like_numpy, chunked_arrays, numpy_result, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.chunks import target_chunk_bytes
from ooarray.ops.joining import indices
from ooarray.plan.graph import SourceNode
from ooarray.store.generated import GeneratedStore


def _same(result, expected):
    if isinstance(expected, (list, tuple)):
        assert isinstance(result, type(expected)) and len(result) == len(expected)
        for r, e in zip(result, expected, strict=True):
            assert_like_numpy(r, e, exact=True)
    else:
        assert_like_numpy(result, expected, exact=True)


def _unary_calls(ndim: int):
    """(name, function) pairs valid for arrays of ``ndim`` axes."""
    calls = [
        ("transpose", lambda m, x: m.transpose(x)),
        ("flip", lambda m, x: m.flip(x)),
        ("squeeze", lambda m, x: m.squeeze(x)),
        ("expand_dims0", lambda m, x: m.expand_dims(x, 0)),
        ("expand_dims-1", lambda m, x: m.expand_dims(x, -1)),
        ("copy", lambda m, x: m.copy(x)),
        ("atleast_1d", lambda m, x: m.atleast_1d(x)),
        ("atleast_2d", lambda m, x: m.atleast_2d(x)),
        ("atleast_3d", lambda m, x: m.atleast_3d(x)),
        ("broadcast_to", lambda m, x: m.broadcast_to(x, (2,) + np.shape(x))),
        ("roll_flat", lambda m, x: m.roll(x, 3)),
        ("roll_flat_negative", lambda m, x: m.roll(x, -11)),
        ("repeat_flat", lambda m, x: m.repeat(x, 2)),
        ("tile", lambda m, x: m.tile(x, (2, 1, 3))),
    ]
    if ndim >= 1:
        calls += [
            ("flip0", lambda m, x: m.flip(x, 0)),
            ("flipud", lambda m, x: m.flipud(x)),
            ("roll0", lambda m, x: m.roll(x, 2, axis=0)),
            ("roll_all", lambda m, x: m.roll(x, (1,) * x.ndim, axis=tuple(range(x.ndim)))),
            ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)),
            ("rollaxis", lambda m, x: m.rollaxis(x, -1)),
            ("rollaxis_start", lambda m, x: m.rollaxis(x, 0, x.ndim)),
            ("repeat_last", lambda m, x: m.repeat(x, 3, axis=-1)),
            ("triu", lambda m, x: m.triu(x)),
            ("tril-1", lambda m, x: m.tril(x, -1)),
            ("triu2", lambda m, x: m.triu(x, 2)),
        ]
    if ndim >= 2:
        calls += [
            ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1)),
            ("matrix_transpose", lambda m, x: m.matrix_transpose(x)),
            ("fliplr", lambda m, x: m.fliplr(x)),
            ("rot90", lambda m, x: m.rot90(x)),
            ("rot90_2", lambda m, x: m.rot90(x, 2)),
            ("rot90_3", lambda m, x: m.rot90(x, -1, axes=(1, 0))),
            ("transpose_axes", lambda m, x: m.transpose(x, (1, 0) + tuple(range(2, x.ndim)))),
        ]
    return calls


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_unary_manipulations_over_the_shared_cases(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    for name, call in _unary_calls(len(shape)):
        expected = call(np, x)
        result = call(np, a)
        assert not isinstance(result, np.ndarray), name
        _same(result, expected)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("shift, axis", [
    (0, 0), (7, 0), (-3, 1), (100, 1), ((1, 2), (0, 1)), ((2, -3), (1, 1)), ([1, 4], 0),
    ((3,), None), (5, (0, 1)), (-1, -1),
])
@pytest.mark.parametrize("chunks", [1, 3, (2, 4)])
def test_roll_shift_and_axis_tuples(shift, axis, chunks):
    x = np.arange(35).reshape(5, 7)
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(np.roll(a, shift, axis), np.roll(x, shift, axis))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("repeats, axis", [
    (0, 0), (1, 1), (3, 0), ([2], 1), ([0, 1, 2, 0, 3], 0), (np.arange(6) % 3, 1),
    ([0, 0, 0, 0, 0], 0), ([4, 0, 0, 0, 1], 0), (2, None), (np.array(2, np.int8), -1),
])
@pytest.mark.parametrize("chunks", [1, 2, (3, 4)])
def test_repeat_scalar_and_per_element(repeats, axis, chunks, dtype, rng):
    x = sample((5, 6), dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(np.repeat(a, repeats, axis), np.repeat(x, repeats, axis), exact=True)
    assert_like_numpy(a.repeat(repeats, axis), x.repeat(repeats, axis), exact=True)


def test_repeat_truncates_python_numbers_as_numpy():
    x = np.arange(3)
    for counts in (1.5, [1.5, 2.0, 1.0], np.float32(2.9), [True, False, True]):
        assert_like_numpy(np.repeat(oa.asarray(x), counts), np.repeat(x, counts))


def test_repeat_counts_from_an_ooarray():
    x = np.arange(6)
    counts = oa.asarray([1, 0, 2, 3, 0, 1], chunks=2)
    assert_like_numpy(np.repeat(oa.asarray(x, chunks=4), counts), np.repeat(x, counts.compute()))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("reps", [0, 1, 3, (2, 2), (1, 0), (2, 1, 2), (3, 1, 1, 2)])
@pytest.mark.parametrize("shape, chunks", [((5,), 2), ((3, 4), (2, 3)), ((2, 0), 1), ((), ())])
def test_tile(reps, shape, chunks, rng):
    x = sample(shape, np.int32, rng)
    assert_like_numpy(np.tile(oa.asarray(x, chunks=chunks), reps), np.tile(x, reps))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("k", [-4, -1, 0, 1, 3, 10])
@pytest.mark.parametrize("chunks", [1, 2, (3, 2, 5)])
def test_triu_tril_on_stacks_of_matrices(k, chunks, rng):
    x = sample((2, 5, 7), np.float64, rng)
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(np.triu(a, k), np.triu(x, k), exact=True)
    assert_like_numpy(np.tril(a, k=k), np.tril(x, k=k), exact=True)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_meshgrid(indexing, sparse, count):
    vectors = [np.arange(3), np.linspace(0, 1, 4), np.arange(5, dtype=np.int8)][:count]
    arrays = [oa.asarray(vectors[0], chunks=2)] + vectors[1:]  # mixed: OOArray and ndarrays
    _same(np.meshgrid(*arrays, indexing=indexing, sparse=sparse),
          np.meshgrid(*vectors, indexing=indexing, sparse=sparse))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("dimensions", [(), (3,), (2, 3), (2, 0, 4), (3, 1, 2)])
@pytest.mark.parametrize("sparse", [False, True])
def test_indices(dimensions, sparse):
    for dtype in (int, np.int8, np.float32):
        _same(indices(dimensions, dtype=dtype, sparse=sparse),
              np.indices(dimensions, dtype=dtype, sparse=sparse))


@pytest.mark.usefixtures("sync_executor")
def test_broadcast_arrays_and_mixed_inputs():
    x = np.arange(3)
    _same(np.broadcast_arrays(oa.asarray(x), [[1], [2]], 5),
          np.broadcast_arrays(x, [[1], [2]], 5))
    _same(np.atleast_2d(oa.asarray(1.5), [1, 2], np.ones((1, 1, 2))),
          np.atleast_2d(1.5, [1, 2], np.ones((1, 1, 2))))
    _same(np.broadcast_to(oa.asarray(x), (2, 3)), np.broadcast_to(x, (2, 3)))
    _same(np.triu(oa.asarray([[1, 2], [3, 4]])), np.triu([[1, 2], [3, 4]]))


ERRORS = [
    ("squeeze non-1 axis", lambda m, x: m.squeeze(x, 0)),
    ("squeeze bad axis", lambda m, x: m.squeeze(x, 5)),
    ("swapaxes out of range", lambda m, x: m.swapaxes(x, 0, 3)),
    ("moveaxis lengths", lambda m, x: m.moveaxis(x, (0, 1), 0)),
    ("moveaxis repeated", lambda m, x: m.moveaxis(x, (0, 0), (0, 1))),
    ("transpose short", lambda m, x: m.transpose(x, (0,))),
    ("expand_dims out of range", lambda m, x: m.expand_dims(x, 4)),
    ("broadcast_to incompatible", lambda m, x: m.broadcast_to(x, (4, 3))),
    ("flip bad axis", lambda m, x: m.flip(x, 2)),
    ("fliplr 1-d", lambda m, x: m.fliplr(x[0])),
    ("flipud 0-d", lambda m, x: m.flipud(x[0, 0])),
    ("rot90 one axis", lambda m, x: m.rot90(x, 1, (0,))),
    ("rot90 same axes", lambda m, x: m.rot90(x, 1, (1, 1))),
    ("rot90 out of range", lambda m, x: m.rot90(x, 1, (0, 2))),
    ("roll mismatch", lambda m, x: m.roll(x, (1, 2, 3), (0, 1))),
    ("roll bad axis", lambda m, x: m.roll(x, 1, 2)),
    ("repeat negative", lambda m, x: m.repeat(x, -1)),
    ("repeat wrong length", lambda m, x: m.repeat(x, [1, 2], axis=1)),
    ("repeat float array", lambda m, x: m.repeat(x, np.array([1.5]))),
    ("repeat bad axis", lambda m, x: m.repeat(x, 2, axis=2)),
    ("tile negative", lambda m, x: m.tile(x, -1)),
    ("meshgrid indexing", lambda m, x: m.meshgrid(x[0], indexing="zz")),
    ("triu 0-d", lambda m, x: m.triu(x[0, 0])),
    ("rollaxis start", lambda m, x: m.rollaxis(x, 0, 4)),
    ("matrix_transpose 1-d", lambda m, x: m.matrix_transpose(x[0])),
]


@pytest.mark.parametrize("name, call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_numpys(name, call):
    x = np.arange(6).reshape(2, 3)
    _, expected = numpy_result(call, np, x)
    assert expected is not None, f"NumPy accepted {name}"
    with pytest.raises(type(expected)):
        call(np, oa.asarray(x))


def test_result_chunks_stay_within_the_target_size():
    with oa.config.set(memory_limit="4MB"):
        target = target_chunk_bytes(oa.config.get().memory_limit)
        small = oa.asarray(np.arange(1000, dtype=np.int8), chunks=-1)
        for result in (np.tile(small, (300, 2)), np.repeat(small, 500),
                       np.broadcast_to(small, (500, 1000)), np.meshgrid(small, small)[0],
                       np.repeat(small.astype(np.float64), np.full(1000, 300))):
            chunk_bytes = math.prod(result.chunksize) * result.itemsize
            assert chunk_bytes <= max(target, 1000 * 8), (result, chunk_bytes)


def _counting(shape, chunks, reads):
    def fill(index, region, out):
        reads.append(index)
        out[...] = np.arange(math.prod(out.shape)).reshape(out.shape)

    return oa.OOArray(SourceNode(GeneratedStore(shape, np.int64, chunks, fill, "counted")))


def test_regions_read_only_the_chunks_they_need():
    reads = []
    a = _counting((100,), ((10,) * 10,), reads)
    np.flip(a)[:10].compute()
    assert reads == [(9,)]
    reads.clear()
    np.roll(a, 5)[10:20].compute()  # elements 5..14 of the input
    assert sorted(reads) == [(0,), (1,)]
    reads.clear()
    np.repeat(a, 3)[30:60].compute()  # elements 10..19
    assert reads == [(1,)]
    reads.clear()
    np.tile(a, 5)[250:260].compute()  # elements 50..59
    assert reads == [(5,)]


@given(chunked_arrays(DTYPES, min_dims=1, max_dims=3), st.integers(-20, 20),
       st.integers(0, 3), st.data())
def test_roll_repeat_flip_properties(array_chunks, shift, count, data):
    x, chunks = array_chunks
    a = oa.asarray(x, chunks=chunks)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    counts = data.draw(st.lists(st.integers(0, 3), min_size=x.shape[axis],
                                max_size=x.shape[axis]))
    assert_like_numpy(np.roll(a, shift, axis), np.roll(x, shift, axis), exact=True)
    assert_like_numpy(np.repeat(a, count, axis), np.repeat(x, count, axis), exact=True)
    assert_like_numpy(np.repeat(a, counts, axis), np.repeat(x, counts, axis), exact=True)
    assert_like_numpy(np.flip(a, axis), np.flip(x, axis), exact=True)


def test_per_element_counts_larger_than_a_quarter_of_the_budget_are_refused():
    with oa.config.set(memory_limit="1MB"), pytest.raises(oa.BudgetError, match="scalar"):
        np.repeat(oa.arange(100_000), np.ones(100_000, int))
