"""Chunk-grid maths: normalising ``chunks=`` arguments, block regions, overlaps.

A chunk grid is a tuple with, for each axis, the tuple of chunk lengths along it (as in Dask):
``((4, 4, 2), (3, 3))`` splits a (10, 6) array into 3 x 2 blocks. A *region* is a tuple of
``slice(start, stop)`` with step 1, one per axis.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Chunks", "Region", "normalize_chunks", "auto_chunks", "block_region", "iter_blocks",
    "overlapping_blocks", "numblocks", "regular_chunk_shape", "region_shape", "offsets",
    "refines",
]

Chunks = tuple[tuple[int, ...], ...]
Region = tuple[slice, ...]

#: Chunks an array may have: more make a plan of more tasks than planning and scheduling
#: handle in reasonable time and memory (``zeros(10**9, chunks=1)`` would be a billion).
MAX_CHUNKS = 10**6
#: Size that "auto" chunking aims for, before the memory budget lowers it.
DEFAULT_CHUNK_BYTES = 32 * 2**20
#: "auto" chunks are at most this share of the memory budget, so that several tasks, each
#: holding a few input chunks and an output chunk, run side by side inside the budget.
BUDGET_SHARE_PER_CHUNK = 1 / 16

_CHUNK_FORMS = (
    "'auto' or None; an int (the chunk length on every axis); a tuple with one entry per axis, "
    "each an int, -1 or None (the whole axis), 'auto', or a tuple of chunk lengths summing to "
    "the axis length"
)


def target_chunk_bytes(memory_limit: int) -> int:
    """Return the chunk size that ``'auto'`` aims for under a budget of ``memory_limit``."""
    return max(1, min(DEFAULT_CHUNK_BYTES, int(memory_limit * BUDGET_SHARE_PER_CHUNK)))


def _regular(length: int, size: int) -> tuple[int, ...]:
    if length == 0:
        return (0,)
    size = max(1, min(size, length))
    full, rest = divmod(length, size)
    return (size,) * full + ((rest,) if rest else ())


def auto_chunks(shape: Sequence[int], itemsize: int, target_bytes: int,
                fixed: Sequence[int | None] | None = None) -> tuple[int, ...]:
    """Return a chunk shape of at most ``target_bytes`` that keeps trailing axes whole.

    Splitting the leading axes first keeps every chunk one contiguous byte range of a
    C-ordered array, so a ``.npy`` chunk is one read. ``fixed`` gives axes whose chunk length
    the caller has already chosen (``None`` where auto decides).
    """
    ndim = len(shape)
    fixed = list(fixed) if fixed is not None else [None] * ndim
    chunk = [fixed[i] if fixed[i] is not None else max(1, int(shape[i])) for i in range(ndim)]
    budget_items = max(1, target_bytes // max(1, itemsize))
    # Shrink auto axes from the first one on until the chunk fits.
    for axis in range(ndim):
        if fixed[axis] is not None:
            continue
        others = math.prod(chunk[i] for i in range(ndim) if i != axis)
        chunk[axis] = max(1, min(chunk[axis], budget_items // max(1, others)))
        if math.prod(chunk) <= budget_items:
            break
    return tuple(chunk)


def normalize_chunks(chunks: Any, shape: Sequence[int], itemsize: int,
                     target_bytes: int = DEFAULT_CHUNK_BYTES) -> Chunks:
    """Return the chunk grid that ``chunks`` describes for an array of ``shape``.

    Parameters
    ----------
    chunks : None, 'auto', int, tuple
        See the accepted forms in the error message below.
    shape : sequence of int
        The array's shape.
    itemsize : int
        Bytes per element, for ``'auto'``.
    target_bytes : int
        Size that ``'auto'`` aims for.

    Returns
    -------
    tuple of tuple of int

    Raises
    ------
    ValueError
        If ``chunks`` is not one of the accepted forms or does not fit ``shape``.

    Examples
    --------
    >>> normalize_chunks((4, -1), (10, 6), 8)
    ((4, 4, 2), (6,))
    >>> normalize_chunks(((5, 5), 3), (10, 6), 8)
    ((5, 5), (3, 3))
    """
    shape = tuple(int(s) for s in shape)
    ndim = len(shape)

    def bad(reason: str) -> ValueError:
        return ValueError(f"chunks={chunks!r} {reason} for shape {shape}; accepted forms: "
                          f"{_CHUNK_FORMS}")

    if chunks is None or (isinstance(chunks, str) and chunks == "auto"):
        return tuple(_regular(n, c) for n, c in zip(shape, auto_chunks(shape, itemsize,
                                                                          target_bytes)))
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        chunks = (int(chunks),) * ndim
    if isinstance(chunks, dict):
        chunks = tuple(chunks.get(i, -1) for i in range(ndim))
    if not isinstance(chunks, (tuple, list)):
        raise bad("is not a valid chunks argument")
    if len(chunks) != ndim:
        raise bad(f"has {len(chunks)} entries but the array has {ndim} axes")
    fixed: list[int | None] = []
    explicit: dict[int, tuple[int, ...]] = {}
    for axis, (entry, length) in enumerate(zip(chunks, shape)):
        if isinstance(entry, (tuple, list)):
            lengths = tuple(int(x) for x in entry)
            if sum(lengths) != length or any(x < 0 for x in lengths) or (
                    length > 0 and any(x == 0 for x in lengths)):
                raise bad(f"gives chunk lengths {lengths} on axis {axis}, which do not sum to "
                          f"{length} in positive steps")
            explicit[axis] = lengths or (0,)
            fixed.append(max(lengths) if lengths else 0)
        elif entry is None or (isinstance(entry, (int, np.integer)) and entry == -1):
            fixed.append(max(length, 1))
        elif isinstance(entry, str) and entry == "auto":
            fixed.append(None)
        elif isinstance(entry, (int, np.integer)) and not isinstance(entry, bool) and entry > 0:
            fixed.append(int(entry))
        else:
            raise bad(f"has entry {entry!r} on axis {axis}")
    sizes = auto_chunks(shape, itemsize, target_bytes, fixed)
    count = math.prod(len(explicit[axis]) if axis in explicit else
                      max(1, -(-shape[axis] // max(1, sizes[axis]))) for axis in range(ndim))
    if count > MAX_CHUNKS:  # refused before a tuple of that many lengths is made
        raise bad(f"makes {count:,} chunks, more than the {MAX_CHUNKS:,} ooarray plans (each "
                  f"chunk is a task of its own); use larger chunks, or chunks='auto'")
    return tuple(explicit.get(axis, _regular(shape[axis], sizes[axis])) for axis in range(ndim))


def numblocks(chunks: Chunks) -> tuple[int, ...]:
    """Return the number of blocks along each axis."""
    return tuple(len(c) for c in chunks)


#: Offsets of the grids planning asked for, by the identity of their tuple of lengths (with
#: the tuple, so that its id is not reused while it is here). A cache keyed by the tuple's
#: value would hash all its lengths on every call: planning n chunks asks O(n) times, so a
#: grid of 30,000 chunks took 17 s to plan.
_OFFSETS: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
_OFFSETS_KEPT = 4096


def offsets(lengths: Sequence[int]) -> tuple[int, ...]:
    """Return the start of each chunk and the end of the last: ``(0, c0, c0+c1, ...)``."""
    if isinstance(lengths, tuple):
        found = _OFFSETS.get(id(lengths))
        if found is not None and found[0] is lengths:
            return found[1]
        result = tuple(itertools.accumulate(lengths, initial=0))
        if len(_OFFSETS) >= _OFFSETS_KEPT:
            _OFFSETS.clear()
        _OFFSETS[id(lengths)] = (lengths, result)
        return result
    return tuple(itertools.accumulate(lengths, initial=0))


def block_region(chunks: Chunks, index: Sequence[int]) -> Region:
    """Return the region of the block at ``index``."""
    region = []
    for lengths, i in zip(chunks, index):
        start = offsets(lengths)[i]
        region.append(slice(start, start + lengths[i]))
    return tuple(region)


def iter_blocks(chunks: Chunks) -> Iterator[tuple[int, ...]]:
    """Yield every block index in C order."""
    return iter(np.ndindex(*numblocks(chunks))) if chunks else iter([()])


def region_shape(region: Region) -> tuple[int, ...]:
    """Return the shape of ``region``."""
    return tuple(s.stop - s.start for s in region)


def overlapping_blocks(chunks: Chunks, region: Region
                       ) -> list[tuple[tuple[int, ...], Region, Region]]:
    """Return the blocks that ``region`` touches.

    Each entry is ``(block_index, part_in_block, part_in_region)``: the slice of the block
    that lies in the region, and where that part goes in the region.
    """
    per_axis = []
    for lengths, sel in zip(chunks, region):
        starts = offsets(lengths)
        hits = []
        first = max(0, bisect.bisect_right(starts, sel.start) - 1)
        for i in range(first, len(lengths)):
            lo, hi = starts[i], starts[i + 1]
            if lo >= sel.stop and not (sel.start == sel.stop == lo):
                break
            a, b = max(lo, sel.start), min(hi, sel.stop)
            if a > b or (a == b and sel.start != sel.stop):
                continue
            hits.append((i, slice(a - lo, b - lo), slice(a - sel.start, b - sel.start)))
            if a == b:
                break
        per_axis.append(hits)
    result = []
    for combo in itertools.product(*per_axis):
        result.append((tuple(c[0] for c in combo), tuple(c[1] for c in combo),
                       tuple(c[2] for c in combo)))
    return result


def regular_chunk_shape(chunks: Chunks) -> tuple[int, ...] | None:
    """Return the chunk shape if the grid is regular (all chunks equal but the last), else None."""
    shape = []
    for lengths in chunks:
        if len(lengths) > 1 and (len(set(lengths[:-1])) > 1 or lengths[-1] > lengths[0]):
            return None
        shape.append(max(lengths[0], 1))
    return tuple(shape)


def refines(fine: Chunks, coarse: Chunks) -> bool:
    """Return whether every block of ``coarse`` is a union of whole blocks of ``fine``.

    Examples
    --------
    >>> refines(((2, 2, 2, 2),), ((4, 4),)), refines(((3, 3, 2),), ((4, 4),))
    (True, False)
    """
    if len(fine) != len(coarse):
        return False
    for fine_lengths, coarse_lengths in zip(fine, coarse):
        fine_lengths, coarse_lengths = tuple(fine_lengths), tuple(coarse_lengths)
        if sum(fine_lengths) != sum(coarse_lengths):
            return False
        if fine_lengths == coarse_lengths:
            continue
        if not set(offsets(coarse_lengths)) <= set(offsets(fine_lengths)):
            return False
    return True
