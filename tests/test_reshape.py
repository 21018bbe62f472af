"""Reshape, ravel and flatten against NumPy: merges, splits and mixed groups of axes, -1,
order='F', every chunking, regions that are not chunks, and NumPy's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import CASES, assert_like_numpy, chunkings, numpy_result, sample
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ooarray as oa
from ooarray.algorithms.manipulation import (
    MAX_SEGMENTS,
    ReshapeNode,
    axis_groups,
    flat_box,
    flat_pieces,
)
from ooarray.chunks import iter_blocks, region_shape

pytestmark = pytest.mark.usefixtures("sync_executor")

#: (input shape, target shape): merges, splits, mixed groups, length-1 axes, -1, empty.
RESHAPES = [
    ((24,), (2, 3, 4)), ((2, 3, 4), (24,)), ((2, 3, 4), (6, 4)), ((2, 3, 4), (2, 12)),
    ((2, 3, 4), (4, 6)), ((6, 4), (4, 6)), ((7, 9), (9, 7)), ((4, 6), (3, 8)),
    ((1, 6), (6, 1)), ((5, 1, 6), (30,)), ((5, 1, 6), (1, 5, 6, 1)), ((2, 3, 4, 5), (6, 20)),
    ((2, 3, 4, 5), (3, 2, 5, 4)), ((12,), (-1, 3)), ((3, 4, 5), (5, -1)), ((3, 4), -1),
    ((), (1, 1)), ((1,), ()), ((0, 3), (3, 0)), ((0, 3), (-1, 6)), ((2, 0, 4), (0,)),
    ((30,), (2, 15)), ((8, 9, 10), (72, 10)), ((8, 9, 10), (8, 90)), ((8, 9, 10), (720,)),
]
CHUNKS = [1, 2, 3, -1]


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("shape, target", RESHAPES, ids=str)
def test_reshape_matches_numpy(shape, target, chunks, rng):
    x = sample(shape, np.float64, rng, special=False)
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(a.reshape(target), x.reshape(target), exact=True)
    assert_like_numpy(np.reshape(a, target), np.reshape(x, target), exact=True)
    assert_like_numpy(np.reshape(a, target, order="F"), np.reshape(x, target, order="F"),
                      exact=True)
    # a transposed input is not contiguous: the region is copied before it is viewed flat
    assert_like_numpy(a.T.reshape(target), x.T.reshape(target), exact=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_ravel_and_flatten_over_the_shared_cases(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(np.ravel(a), np.ravel(x), exact=True)
    assert_like_numpy(a.ravel(), x.ravel(), exact=True)
    assert_like_numpy(a.flatten(), x.flatten(), exact=True)
    assert_like_numpy(np.ravel(a, order="F"), np.ravel(x, order="F"), exact=True)
    assert_like_numpy(a.reshape(-1, 1), x.reshape(-1, 1), exact=True)


@pytest.mark.parametrize("shape, target", [((6, 8), (48,)), ((48,), (4, 12)),
                                           ((4, 6, 10), (24, 10)), ((4, 6, 10), (4, 60))])
@pytest.mark.parametrize("chunks", [1, 2, 5, (3, 4, 7)[:1] * 3])
def test_merge_and_split_chunks_read_exactly_their_elements(shape, target, chunks):
    # Every output chunk of a pure merge or split is a box of the input: it reads nothing
    # more than it returns.
    x = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    grid = chunks if isinstance(chunks, int) else chunks[:len(shape)]
    node = oa.asarray(x, chunks=grid).reshape(target).node
    assert isinstance(node, ReshapeNode)
    for index in iter_blocks(node.chunks):
        region = tuple(slice(sum(c[:i]), sum(c[:i + 1])) for c, i in zip(node.chunks, index))
        (_, needed), = node.input_regions(region)
        assert math.prod(region_shape(needed)) == math.prod(region_shape(region))


@pytest.mark.parametrize("index", [np.s_[1:5], np.s_[3:17:3], np.s_[::-1], np.s_[1]])
def test_regions_that_are_not_chunks(index, rng):
    x = sample((6, 4, 5), np.int32, rng)
    for target in [(24, 5), (120,), (5, 24), (2, 60)]:
        a = oa.asarray(x, chunks=(4, 3, 2)).reshape(target)
        assert_like_numpy(a[index], x.reshape(target)[index])
    b = oa.asarray(x, chunks=2).reshape(10, 12).rechunk((3, 5))
    assert_like_numpy(np.abs(b * 2), np.abs(x.reshape(10, 12) * 2))


def test_reshape_under_a_small_budget_to_a_store(tmp_path, rng):
    x = sample((64, 48), np.float64, rng, special=False)
    with oa.config.set(memory_limit="64KB"):
        a = oa.asarray(x, chunks=(8, 16))
        a.T.reshape(16, 3, 64).to_npy(tmp_path / "r.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "r.npy"), x.T.reshape(16, 3, 64))


def test_reshape_is_lazy_and_identity_is_free():
    a = oa.ones((4, 6), chunks=2)
    same = a.reshape(4, 6)
    assert same.node is a.node and same is not a  # no node, but a new array (copy-on-write)
    before = oa.stats().tasks
    b = a.reshape(2, 12).reshape(24)
    assert oa.stats().tasks == before and b.shape == (24,)


@pytest.mark.parametrize("target", [(5, 5), (7, -1), (-1, -1), (-2, -3), (0, -1), (4, 5, 0)])
def test_errors_like_numpy(target):
    x = np.ones((4, 6))
    _, error = numpy_result(np.reshape, x, target)
    assert error is not None
    with pytest.raises(type(error)):
        oa.asarray(x, chunks=2).reshape(target)


def test_any_negative_length_is_the_unknown_one_as_in_numpy():
    x = np.ones((4, 6))
    assert_like_numpy(oa.asarray(x).reshape(2, -3), x.reshape(2, -3))


def test_bad_arguments():
    a = oa.ones((4, 6), chunks=2)
    with pytest.raises(TypeError):
        a.reshape(2.0, 12)
    with pytest.raises(ValueError, match="cannot reshape array of size 24 into shape"):
        a.reshape(5, 5)
    with pytest.raises(ValueError):
        a.reshape(24, order="X")
    with pytest.raises(TypeError):
        np.reshape(a)


def test_axis_groups_and_flat_boxes():
    assert axis_groups((2, 3, 4), (6, 4)) == [((0, 1), (0,)), ((2,), (1,))]
    assert axis_groups((4, 6), (3, 8)) == [((0, 1), (0, 1))]
    assert axis_groups((1, 5), (5, 1)) == [((1,), (0,))]
    assert flat_box((3, 4), 4, 8) == [slice(1, 2), slice(0, 4)]
    assert flat_box((3, 4), 2, 9) == [slice(0, 3), slice(0, 4)]
    assert flat_box((2, 3, 4), 13, 15) == [slice(1, 2), slice(0, 1), slice(1, 3)]
    pieces = flat_pieces((2, 3, 4), 3, 21)
    assert sum(math.prod(region_shape(p)) for p in pieces) == 18 and len(pieces) == 4
    assert flat_pieces((2, 3, 4), 4, 16) == [[slice(0, 1), slice(1, 3), slice(0, 4)],
                                             [slice(1, 2), slice(0, 1), slice(0, 4)]]


@st.composite
def reshapes(draw):
    """An array, a chunking of it, and a target shape made by refactoring its size."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=6))
    size = math.prod(shape)
    factors = [p for p in range(2, size + 1) for _ in range(_multiplicity(size, p))
               if _is_prime(p)]
    target = [1]
    for p in draw(st.permutations(factors)):
        if draw(st.booleans()):
            target.append(p)
        else:
            target[-1] *= p
    if draw(st.booleans()):
        target.insert(draw(st.integers(0, len(target))), 1)
    return np.arange(size, dtype=np.int16).reshape(shape), draw(chunkings(shape)), tuple(target)


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


def _multiplicity(n: int, p: int) -> int:
    count = 0
    while n % p == 0:
        n, count = n // p, count + 1
    return count


@given(reshapes())
def test_reshape_property(case):
    x, chunks, target = case
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(a.reshape(target), x.reshape(target))
    assert_like_numpy(a.reshape(target)[..., ::2], x.reshape(target)[..., ::2])


@st.composite
def reshaped_regions(draw):
    """A reshape case and a rectangular region of the result."""
    x, chunks, target = draw(reshapes())
    region = []
    for n in target:
        start = draw(st.integers(0, n - 1))
        region.append(slice(start, draw(st.integers(start + 1, n))))
    return x, chunks, target, tuple(region)


@given(reshaped_regions())
def test_any_region_reads_little_more_than_it_needs(case):
    x, chunks, target, region = case
    a = oa.asarray(x, chunks=chunks).reshape(target)
    assert_like_numpy(a[region], x.reshape(target)[region])
    node = a.node
    if not isinstance(node, ReshapeNode):
        return
    size = math.prod(region_shape(region))
    read = sum(math.prod(region_shape(r)) for _, r in node.input_regions(region))
    assert read <= 2 ** len(node.groups) * size or size > MAX_SEGMENTS


@pytest.mark.parametrize("shape, target, index", [
    ((24,), (4, 6), np.s_[:, 2:4]), ((6, 4, 5), (24, 5), np.s_[3:9, 1:3]),
    ((10, 10, 10), (8, 125), np.s_[1:7, 20:110]), ((10, 10, 10), (8, 125), np.s_[2:4, :]),
    ((12, 10), (3, 4, 10), np.s_[:, 1:3, 2:9]), ((2, 6, 4), (4, 12), np.s_[1:3, 5:7]),
    ((200,), (100, 2), np.s_[:, 1:]),  # more rows than MAX_SEGMENTS: one covering range
])
def test_strips_and_ranges_that_cross_rows_are_gathered_exactly(shape, target, index):
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    for chunks in (1, 3, -1):
        a = oa.asarray(x, chunks=chunks)
        assert_like_numpy(a.reshape(target)[index], x.reshape(target)[index])
        assert_like_numpy(a.T.reshape(target[::-1])[index[::-1]],
                          x.T.reshape(target[::-1])[index[::-1]])
