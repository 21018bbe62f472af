"""Chunk-grid maths: normalising chunks=, block regions and overlaps."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ooarray.chunks import auto_chunks, block_region, iter_blocks, normalize_chunks, \
    overlapping_blocks, refines, region_shape, regular_chunk_shape


@pytest.mark.parametrize("chunks, shape, expected", [
    (4, (10,), ((4, 4, 2),)),
    ((4, -1), (10, 6), ((4, 4, 2), (6,))),
    ((None, 2), (3, 5), ((3,), (2, 2, 1))),
    (((5, 5), 3), (10, 6), ((5, 5), (3, 3))),
    ({1: 2}, (3, 4), ((3,), (2, 2))),
    (3, (0, 4), ((0,), (3, 1))),
    ((), (), ()),
])
def test_normalize_chunks_accepts_documented_forms(chunks, shape, expected):
    assert normalize_chunks(chunks, shape, 8) == expected


@pytest.mark.parametrize("chunks", [0, -2, (1,), (1, 2, 3), "big", ((3, 3), 2), (1.5, 2),
                                    (True, 2)])
def test_malformed_chunks_raise_value_error_listing_forms(chunks):
    with pytest.raises(ValueError, match="accepted forms"):
        normalize_chunks(chunks, (5, 4), 8)


@given(shape=st.lists(st.integers(0, 50), min_size=0, max_size=4),
       target=st.integers(8, 10_000))
def test_auto_chunks_cover_shape_and_respect_target(shape, target):
    grid = normalize_chunks("auto", shape, 8, target)
    assert tuple(sum(c) for c in grid) == tuple(shape)
    largest = int(np.prod([max(c) for c in grid])) if grid else 1
    assert largest * 8 <= max(target, 8 * 1) or largest == 1


def test_auto_chunks_split_leading_axes_first():
    # Whole trailing rows keep each chunk one contiguous byte range of a C-ordered file.
    assert auto_chunks((1000, 4096), 8, 4096 * 8 * 10) == (10, 4096)


@settings(max_examples=60)
@given(data=st.data())
def test_overlapping_blocks_reassemble_any_region(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=3)))
    grid = tuple(tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=12)
                                 .filter(lambda c, n=n: sum(c) >= n))) for n in shape)
    grid = tuple(_trim(c, n) for c, n in zip(grid, shape))
    region = tuple(slice(*sorted(data.draw(st.lists(st.integers(0, n), min_size=2,
                                                     max_size=2)))) for n in shape)
    whole = np.arange(int(np.prod(shape))).reshape(shape)
    out = np.full(region_shape(region), -1)
    for block, in_block, in_region in overlapping_blocks(grid, region):
        out[in_region] = whole[block_region(grid, block)][in_block]
    np.testing.assert_array_equal(out, whole[region])


def _trim(lengths, n):
    out, total = [], 0
    for length in lengths:
        if total >= n:
            break
        out.append(min(length, n - total))
        total += out[-1]
    return tuple(out)


def test_iter_blocks_is_c_order_and_complete():
    grid = ((2, 2), (1, 1, 1))
    assert list(iter_blocks(grid)) == list(itertools.product(range(2), range(3)))


def test_regular_chunk_shape():
    assert regular_chunk_shape(((4, 4, 2), (3,))) == (4, 3)
    assert regular_chunk_shape(((2, 4),)) is None


@pytest.mark.parametrize("fine, coarse, expected", [
    (((4, 4), (3,)), ((8,), (3,)), True),
    (((2, 2, 4), (1, 2)), ((4, 4), (3,)), True),
    (((3, 3, 2), (3,)), ((4, 4), (3,)), False),
    (((4, 4),), ((4, 4), (3,)), False),   # another number of axes
    (((4, 3),), ((8,),), False),          # another length
    (((0,),), ((0,),), True),
    (((4, 4),), ((8,),), True),
])
def test_refines(fine, coarse, expected):
    assert refines(fine, coarse) is expected
