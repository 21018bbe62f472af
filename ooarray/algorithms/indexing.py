"""The indexing family's nodes (``ops/indexing``): integer-array gathers, and the
streaming of data-dependent reads that they share with the mask compaction
(:mod:`ooarray.algorithms.compact`).

Helpers for nodes whose tasks stream data-dependent reads one piece at a time.

A gather or a compaction reads many pieces of its input, one per ``ctx.scope()``, so the task
holds one piece at a time. Two pieces may share a chunk: a source that is a region node
(a rechunk, a shifted slice) over an intermediate whose chunks do not line up with the pieces.
Each piece is still read in a scope of its own: the lowering lists every streamed piece's
chunk reads once per piece (:class:`ooarray.plan.lower.Plan`), so a shared intermediate
chunk is pinned, and counted in the access trace, once per piece, and the pool frees it only
after the last. (Grouping the pieces that share a chunk into one scope, as was done before,
chains neighbouring pieces together: a gather through a rechunked sort output held most of
the source at once.)

Integer-array (fancy) indexing as a materialised node that streams its reads.

``GatherNode`` computes ``out[b..., r...] = source[..., i1[b], ..., ik[b], ...]``: the index
arrays (broadcast to the shape ``B``) pick positions along ``k`` axes of the source; the other
axes (``r``) are kept. The output grid follows the index arrays' chunks on ``B`` (split when an
output chunk would be too large) and the source's chunks on the kept axes. One task makes one
output chunk: it reads its region of the index arrays, sorts the positions by the source block
they fall in, and reads the touched source blocks one at a time (one ``ctx.scope()`` each), so
even a random permutation holds one source block and one output chunk at a time.

Which source blocks an output chunk touches depends on the index values. It is found before
planning by a cheap pass (:class:`TouchedNode` for index arrays that are OOArrays, or
:func:`touched_blocks` directly for arrays in memory), which also gives each index chunk's
minimum and maximum for NumPy's ``IndexError``; so the schedule knows every read in advance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.chunks import (
    Chunks,
    Region,
    block_region,
    iter_blocks,
    numblocks,
    offsets,
    region_shape,
)
from ooarray.plan.graph import (
    EvaluationContext,
    MaterializedNode,
    Node,
    region_footprint,
)
from ooarray.plan.regions import broadcast_region

__all__ = ["Piece", "piece_footprint", "GatherNode",
           "TouchedNode", "touched_blocks", "gather_chunks", "touched_map", "INDEX_SCRATCH_ITEMS"]


#: What one streamed step reads: (node, region) pairs evaluated together.
Piece = Sequence[tuple[Node, Region]]


def piece_footprint(piece: Piece) -> int:
    """Upper bound of the pool bytes reading ``piece`` takes (chunks pinned and regions built).

    A stored chunk's read scratch (a codec's compressed copy, held while it loads) is not in
    it: the lowering counts it once per task, for streamed pieces as for fixed inputs."""
    return sum(sum(region_footprint(node, region)) for node, region in piece)


_INTP = np.dtype(np.intp)
#: Scratch a task keeps per index position: the positions, block ids, local coordinates
#: (one per indexed axis each) and the sort order, in intp.
INDEX_SCRATCH_ITEMS = 3
#: Extremes recorded for an index chunk with no element.
_EMPTY_MIN, _EMPTY_MAX = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def gather_chunks(index_chunks: Chunks, item_bytes: int, target_bytes: int) -> Chunks:
    """Split the index grid so that one output chunk (``item_bytes`` per index position, with
    its scratch) stays near ``target_bytes``; index chunks are split, never merged.

    Examples
    --------
    >>> gather_chunks(((10, 10),), 8, 40)
    ((5, 5, 5, 5),)
    """
    allowed = max(1, target_bytes // max(1, item_bytes))
    result = []
    for axis, lengths in enumerate(index_chunks):
        others = math.prod(max(c) if c else 1 for c in result) * math.prod(
            max(c) if c else 1 for c in index_chunks[axis + 1:])
        limit = max(1, allowed // max(1, others))
        split: list[int] = []
        for length in lengths:
            if length <= limit:
                split.append(length)
                continue
            pieces = -(-length // limit)
            base, extra = divmod(length, pieces)
            split.extend([base + 1] * extra + [base] * (pieces - extra))
        result.append(tuple(split))
    return tuple(result)


def _positions(index: np.ndarray, length: int) -> np.ndarray:
    """Return ``index`` (any integer dtype) as intp positions with negatives wrapped."""
    positions = np.asarray(index).astype(_INTP, copy=True).reshape(-1)
    positions[positions < 0] += length
    return positions


def _block_ids(positions: Sequence[np.ndarray], starts: Sequence[np.ndarray],
               grid: tuple[int, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the flat source-block id of each position tuple and the local coordinates."""
    ids, local = [], []
    for axis_positions, axis_starts in zip(positions, starts):
        block = np.searchsorted(axis_starts, axis_positions, side="right") - 1
        ids.append(block)
        local.append(axis_positions - axis_starts[block])
    flat = ids[0] if len(ids) == 1 else np.ravel_multi_index(ids, grid)
    return flat, local


def touched_blocks(indices: Sequence[np.ndarray], lengths: Sequence[int],
                   axis_chunks: Sequence[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted flat ids of the source blocks that index arrays touch, and extremes.

    ``indices`` are broadcast to one shape (one chunk of the index grid). The extremes are
    ``(min, max)`` per index array of the raw values, for bounds checks; out-of-bounds
    positions touch no block.

    Examples
    --------
    >>> ids, extremes = touched_blocks([np.array([5, -1, 0])], [6], [(2, 2, 2)])
    >>> ids.tolist(), extremes.tolist()
    ([0, 2], [[-1, 5]])
    """
    shape = np.broadcast_shapes(*[np.shape(i) for i in indices])
    extremes = np.array([[_EMPTY_MIN, _EMPTY_MAX]] * len(indices), np.int64)
    if math.prod(shape) == 0:
        return np.empty(0, _INTP), extremes
    positions = []
    for number, (index, length) in enumerate(zip(indices, lengths)):
        index = np.asarray(index)
        extremes[number] = (int(index.min()), int(index.max()))
        positions.append(_positions(np.broadcast_to(index, shape), length))
    valid = np.ones(math.prod(shape), bool)
    for axis_positions, length in zip(positions, lengths):
        valid &= (axis_positions >= 0) & (axis_positions < length)
    starts = [np.asarray(offsets(c)) for c in axis_chunks]
    flat, _ = _block_ids([p[valid] for p in positions], starts,
                         tuple(len(c) for c in axis_chunks))
    return np.unique(flat), extremes


class TouchedNode(MaterializedNode):
    """The cheap pass over index arrays that are OOArrays: per index chunk, which source
    blocks it touches (a 0/1 flag per block) and each index array's minimum and maximum.

    Its chunk ``(b..., 0)`` is ``[flags of the n source blocks..., min1, max1, ..., mink, maxk]``.
    """

    def __init__(self, indices: Sequence[Node], index_shape: tuple[int, ...],
                 index_chunks: Chunks, lengths: Sequence[int],
                 axis_chunks: Sequence[tuple[int, ...]]) -> None:
        self.index_shape, self.index_chunks = tuple(index_shape), index_chunks
        self.lengths, self.axis_chunks = tuple(lengths), tuple(axis_chunks)
        self.blocks = math.prod(len(c) for c in axis_chunks)
        width = self.blocks + 2 * len(indices)
        grid = numblocks(index_chunks)
        super().__init__(grid + (width,), np.int64,
                         tuple((1,) * n for n in grid) + ((width,),), indices)

    @property
    def label(self) -> str:
        return "gather-touched"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        region = block_region(self.index_chunks, index[:-1])
        return [(node, broadcast_region(region, self.index_shape, node.shape))
                for node in self.inputs]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        ids, extremes = touched_blocks(arrays, self.lengths, self.axis_chunks)
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        flat = out.reshape(-1)
        flat[:self.blocks] = 0
        flat[ids] = 1
        flat[self.blocks:] = extremes.reshape(-1)
        return out

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        items = math.prod(region_shape(block_region(self.index_chunks, index[:-1])))
        return items * _INTP.itemsize * (INDEX_SCRATCH_ITEMS + 1) * len(self.inputs)


class GatherNode(MaterializedNode):
    """Integer-array indexing of ``axes`` of ``source``: index shape first, kept axes after.

    Parameters
    ----------
    source : Node
    axes : sequence of int
        The indexed axes of ``source``, one per index array.
    indices : sequence of Node
        Integer index arrays, broadcastable to ``index_shape``, already checked in bounds.
    index_shape : tuple of int
        Their broadcast shape.
    index_chunks : chunk grid
        The output grid on the index axes (see :func:`gather_chunks`).
    touched : dict
        For each block of ``index_chunks``, the sorted flat ids of the source blocks (along
        ``axes``) it touches.
    """

    def __init__(self, source: Node, axes: Sequence[int], indices: Sequence[Node],
                 index_shape: tuple[int, ...], index_chunks: Chunks,
                 touched: dict[tuple[int, ...], np.ndarray]) -> None:
        self.axes = tuple(axes)
        self.kept = [a for a in range(len(source.shape)) if a not in self.axes]
        self.index_shape = tuple(index_shape)
        self.grid = tuple(len(source.chunks[a]) for a in self.axes)
        self.starts = [np.asarray(offsets(source.chunks[a])) for a in self.axes]
        self.touched = touched
        shape = self.index_shape + tuple(source.shape[a] for a in self.kept)
        chunks = tuple(index_chunks) + tuple(source.chunks[a] for a in self.kept)
        super().__init__(shape, source.dtype, chunks, [source, *indices])
        self._pieces: dict[tuple[int, tuple], tuple[Region, int]] = {}

    @property
    def label(self) -> str:
        return "gather"

    # -- what a task reads ----------------------------------------------------------------
    def _split(self, index: tuple[int, ...]) -> tuple[tuple[int, ...], Region, Region]:
        region = self.chunk_region(index)
        nb = len(self.index_shape)
        return tuple(index[:nb]), region[:nb], region[nb:]

    def _piece(self, block_id: int, kept_region: Region) -> tuple[Region, int]:
        """The source region of one touched block and its footprint."""
        key = (int(block_id), tuple((s.start, s.stop) for s in kept_region))
        found = self._pieces.get(key)
        if found is None:
            source = self.inputs[0]
            block = np.unravel_index(int(block_id), self.grid) if self.grid else ()
            region = [slice(0, 0)] * len(source.shape)
            for axis, position, starts in zip(self.axes, block, self.starts):
                region[axis] = slice(int(starts[position]), int(starts[position + 1]))
            for axis, sel in zip(self.kept, kept_region):
                region[axis] = sel
            region = tuple(region)
            found = (region, piece_footprint([(source, region)]))
            self._pieces[key] = found
        return found

    def _blocks(self, index: tuple[int, ...]) -> list[int]:
        """The touched block ids of task ``index``, in the order it reads them (one scope
        each: pieces that share an intermediate chunk pin it once each, as the lowering
        traces them)."""
        return [int(i) for i in self.touched[self._split(index)[0]]]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        _, b_region, _ = self._split(index)
        return [(node, broadcast_region(b_region, self.index_shape, node.shape))
                for node in self.inputs[1:]]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        kept_region = self._split(index)[2]
        return [(self.inputs[0], self._piece(i, kept_region)[0]) for i in self._blocks(index)]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        _, b_region, kept_region = self._split(index)
        positions = math.prod(region_shape(b_region))
        index_bytes = positions * _INTP.itemsize * (INDEX_SCRATCH_ITEMS * len(self.axes) + 1)
        out_bytes = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
        reads = max((self._piece(i, kept_region)[1] for i in self._blocks(index)), default=0)
        return index_bytes + out_bytes + reads  # out_bytes: a picked piece before it lands

    # -- the task ---------------------------------------------------------------------------
    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        source = self.inputs[0]
        _, b_region, kept_region = self._split(index)
        shape = region_shape(self.chunk_region(index))
        out = ctx.allocate(shape, self.dtype)
        b_shape = region_shape(b_region)
        count = math.prod(b_shape)
        if out.size == 0:
            return out
        kept_shape = shape[len(b_shape):]
        rows = out.reshape((count,) + kept_shape)
        row_bytes = math.prod(kept_shape) * self.dtype.itemsize
        scratch = count * _INTP.itemsize * (INDEX_SCRATCH_ITEMS * len(self.axes) + 1)
        with ctx.charge(scratch):
            positions = [_positions(np.broadcast_to(array, b_shape), source.shape[axis])
                         for array, axis in zip(arrays, self.axes)]
            flat, local = _block_ids(positions, self.starts, self.grid)
            del positions
            order = np.argsort(flat, kind="stable")
            ordered = flat[order]
            for block_id in self._blocks(index):
                lo, hi = np.searchsorted(ordered, [block_id, block_id + 1])
                if lo == hi:
                    continue
                with ctx.scope():
                    region = self._piece(block_id, kept_region)[0]
                    data = ctx.evaluate(source, region)
                    moved = np.moveaxis(data, self.axes, range(len(self.axes)))
                    picked = order[lo:hi]
                    with ctx.charge(int(hi - lo) * row_bytes):
                        rows[picked] = moved[tuple(c[picked] for c in local)]
        return out


def touched_map(index_chunks: Chunks, table: np.ndarray,
                blocks: int) -> dict[tuple[int, ...], np.ndarray]:
    """Turn a computed :class:`TouchedNode` (flags of ``blocks`` source blocks per index
    block) into ``GatherNode``'s map."""
    return {block: np.flatnonzero(table[block][:blocks]) for block in iter_blocks(index_chunks)}
