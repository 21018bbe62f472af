"""Boolean masks, count first then compact: ``a[mask]``, ``nonzero``, ``argwhere``.

The result's length depends on the data, so it is found before planning by a cheap pass
(:class:`CountNode`), and the compaction (:class:`CompactNode`) then has an exact shape and
chunk grid: never an unknown size.

Row-major order with any chunk grid: let ``j`` be the last axis the grid splits (``0`` if
none). Axes after ``j`` are whole in every block, so for a fixed index ``p`` on the axes
before ``j`` (a *row*), the elements of a block ``b`` along ``j`` are one contiguous run of
the flat order: a *segment* ``(p, b)``. The flat order is the segments in ``(p, b)`` order.
The count pass gives every segment's count (an array of the shape of the rows, times the
blocks along ``j``: one number per block row, far smaller than the mask); the output chunks
are runs of segments of about the target chunk size; a task reads the blocks its segments lie
in one at a time and puts each segment's elements at its known offset.

A one-axis mask has one row: each block is one segment whose elements land as one run of the
output, so a task compresses straight into its output (no placement scratch). Set
``target_items=1`` for one output chunk per block with any True value (``unique`` does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.algorithms.indexing import piece_footprint
from ooarray.chunks import Chunks, Region, block_region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node

__all__ = ["split_axis", "CountNode", "CompactNode", "compact_chunks"]

_INTP = np.dtype(np.intp)
#: Scratch per element a compaction step may keep: its destination, its row's start, and a
#: keep flag (intp, intp, bool).
_PLACE_BYTES = 2 * _INTP.itemsize + 1


def split_axis(chunks: Chunks) -> int:
    """Return the last axis that ``chunks`` splits into several blocks (0 if none).

    Examples
    --------
    >>> split_axis(((2, 2), (3,), (1, 1), (4,)))
    2
    """
    split = [axis for axis, lengths in enumerate(chunks) if len(lengths) > 1]
    return split[-1] if split else 0


class CountNode(MaterializedNode):
    """True counts per segment: shape ``rows + (blocks along j,)``, one task per mask block.

    Parameters
    ----------
    mask : Node
        Boolean, at least one axis.
    chunks : chunk grid
        The grid the compaction reads in (the data's); its axes after ``j`` are whole.
    """

    def __init__(self, mask: Node, chunks: Chunks) -> None:
        self.grid = tuple(chunks)
        self.axis = split_axis(self.grid)
        blocks = len(self.grid[self.axis])
        super().__init__(mask.shape[:self.axis] + (blocks,), _INTP,
                         self.grid[:self.axis] + ((1,) * blocks,), [mask])

    @property
    def label(self) -> str:
        return "mask-count"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], block_region(self.grid, index + (0,) * (len(self.grid)
                                                                         - len(index))))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        axes = tuple(range(self.axis, len(self.grid)))
        out[...] = np.count_nonzero(arrays[0], axis=axes).reshape(out.shape)
        return out


def compact_chunks(counts: np.ndarray, target_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut the segments (``counts`` in flat order) into output chunks of about
    ``target_items``. Returns the first nonzero segment of each chunk (an index into the
    nonzero segments, with their number appended) and the chunk lengths.

    Examples
    --------
    >>> compact_chunks(np.array([3, 0, 2, 4, 1]), 5)
    (array([0, 2, 4]), array([5, 5]))
    """
    nonzero = counts[counts > 0]
    if not nonzero.size:
        return np.zeros(1, _INTP), np.zeros(0, _INTP)
    before = np.cumsum(nonzero) - nonzero
    bucket = before // max(1, target_items)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(bucket)) + 1])
    lengths = np.add.reduceat(nonzero, starts)
    return np.concatenate([starts, [nonzero.size]]).astype(_INTP), lengths.astype(_INTP)


class CompactNode(MaterializedNode):
    """The elements (or the coordinates) of the True positions of ``mask``, row-major.

    Parameters
    ----------
    data : Node or None
        The values to pick (same shape as ``mask``); None for coordinates.
    mask : Node
        Boolean.
    grid : chunk grid
        The grid the count pass used.
    counts : ndarray
        The computed :class:`CountNode`, reshaped to ``(rows, blocks along j)``.
    target_items : int
        Output chunk length to aim for.
    flat_positions : bool
        With ``data`` None and a one-axis ``mask``: the positions as one axis
        (``flatnonzero``) rather than ``(n, 1)`` coordinates (``argwhere``).
    """

    def __init__(self, data: Node | None, mask: Node, grid: Chunks, counts: np.ndarray,
                 target_items: int, flat_positions: bool = False) -> None:
        self.mask, self.data, self.grid = mask, data, tuple(grid)
        self.axis = split_axis(self.grid)
        self.rows_shape = mask.shape[:self.axis]
        self.blocks = len(self.grid[self.axis])
        self.counts = counts.reshape(-1, self.blocks)
        flat = self.counts.reshape(-1)
        self.segment_start = np.cumsum(flat) - flat  # output offset of each segment
        self.nonzero = np.flatnonzero(flat)
        self.cuts, lengths = compact_chunks(flat, target_items)
        total = int(flat.sum())
        self.row_starts = [np.asarray(offsets(c)) for c in self.grid[:self.axis]]
        self.coords = data is None
        ndim = len(mask.shape)
        self.one_axis = ndim == 1
        if flat_positions and not (self.coords and self.one_axis):
            raise ValueError("flat_positions needs a one-axis mask and no data")
        if flat_positions:
            shape, dtype = (total,), _INTP
            chunks = (tuple(int(n) for n in lengths) or (0,),)
        elif self.coords:
            shape, dtype = (total, ndim), _INTP
            chunks: Chunks = (tuple(int(n) for n in lengths) or (0,), (ndim,))
        else:
            shape, dtype = (total,), data.dtype
            chunks = (tuple(int(n) for n in lengths) or (0,),)
        inputs = [mask] if data is None else [data, mask]
        super().__init__(shape, dtype, chunks, inputs)
        self._tasks: dict[int, list] = {}

    @property
    def label(self) -> str:
        return "argwhere" if self.coords else "compact"

    # -- what a task reads ----------------------------------------------------------------
    def _segments(self, task: int) -> tuple[int, int]:
        """First and last (inclusive) segment of output chunk ``task``."""
        first, stop = self.cuts[task], self.cuts[task + 1]
        return int(self.nonzero[first]), int(self.nonzero[stop - 1])

    def _plan(self, task: int) -> list:
        """The pieces task ``task`` reads, (region, rows) each, in order; each is read in a
        scope of its own (pieces that share an intermediate chunk, such as the blocks of
        ``x[:-1]`` and ``x[1:] == x[:-1]``, pin it once each, as the lowering traces them)."""
        found = self._tasks.get(task)
        if found is not None:
            return found
        if not self.nonzero.size:  # nothing is picked: one empty output chunk
            return []
        first, last = self._segments(task)
        pieces = []
        for b in range(self.blocks):
            lo = first // self.blocks + (b < first % self.blocks)
            hi = last // self.blocks - (b > last % self.blocks)  # rows lo..hi, inclusive
            if hi < lo or not self.counts[lo:hi + 1, b].any():
                continue
            pieces.extend(self._pieces(lo, hi, b))
        self._tasks[task] = pieces
        return pieces

    def _pieces(self, lo: int, hi: int, b: int) -> list[tuple[Region, np.ndarray]]:
        """Blocks holding rows ``lo..hi`` of block ``b`` along j: (region, their row ids)."""
        j_region = block_region((self.grid[self.axis],), (b,))
        trailing = tuple(slice(0, n) for n in self.mask.shape[self.axis + 1:])
        if not self.rows_shape:
            return [(j_region + trailing, np.zeros(1, _INTP))]
        lead = int(np.prod(self.rows_shape[1:], dtype=np.int64))
        first, last = lo // lead, hi // lead  # the rows' range along axis 0
        pieces = []
        starts0 = self.row_starts[0]
        for i in range(np.searchsorted(starts0, first, "right") - 1,
                       np.searchsorted(starts0, last, "right")):
            top = slice(max(first, int(starts0[i])), min(last + 1, int(starts0[i + 1])))
            for rest in np.ndindex(*[len(c) for c in self.grid[1:self.axis]]):
                box = (top,) + block_region(self.grid[1:self.axis], rest)
                rows = np.ravel_multi_index(np.meshgrid(
                    *[np.arange(s.start, s.stop) for s in box], indexing="ij"),
                    self.rows_shape).reshape(-1)
                inside = rows[(rows >= lo) & (rows <= hi)]
                if inside.size and self.counts[inside, b].any():
                    pieces.append((box + j_region + trailing, rows))
        return pieces

    def _reads(self, region: Region) -> list[tuple[Node, Region]]:
        return [(node, region) for node in self.inputs]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [pair for region, _ in self._plan(index[0]) for pair in self._reads(region)]

    def _element_bytes(self) -> int:
        if self.one_axis:  # compressed in place; positions are built before the shift
            return _INTP.itemsize if self.coords else 0
        picked = len(self.mask.shape) * _INTP.itemsize if self.coords else self.dtype.itemsize
        return picked + _PLACE_BYTES

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        if not self.nonzero.size:
            return 0
        return max((piece_footprint(self._reads(region))
                    + math.prod(region_shape(region)) * self._element_bytes()
                    for region, _ in self._plan(index[0])), default=0)

    # -- the task ---------------------------------------------------------------------------
    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        if not out.size:
            return out
        task = index[0]
        first, last = self._segments(task)
        origin = int(self.segment_start[first])
        for region, rows in self._plan(task):
            with ctx.scope():
                self._place(ctx, out, region, rows, first, last, origin)
        return out

    def _place(self, ctx: EvaluationContext, out: np.ndarray, region: Region,
               rows: np.ndarray, first: int, last: int, origin: int) -> None:
        """Put the picked elements of one block piece at their offsets in ``out``.

        The piece's rows come in increasing flat order, so the rows of this task's segments
        are one run of them and their elements one range of the picked elements. Picked
        values and destinations go into pooled buffers (glibc keeps large freed blocks of
        NumPy temporaries in RSS, unseen by the budget).
        """
        b = block_of(self.grid[self.axis], region[self.axis].start)
        segments = rows * self.blocks + b
        row_counts = self.counts[rows, b]
        items = int(row_counts.sum())
        if not items:
            return
        source_start = np.cumsum(row_counts) - row_counts
        kept = np.flatnonzero((segments >= first) & (segments <= last))
        lo = int(source_start[kept[0]])
        hi = int(source_start[kept[-1]] + row_counts[kept[-1]])
        if lo == hi:
            return
        mask = ctx.evaluate(self.mask, region)
        if self.one_axis:  # one segment, one run of the output
            start = int(self.segment_start[b]) - origin
            target = out[start:start + items]
            if self.coords:
                with ctx.charge(items * _INTP.itemsize):
                    found = np.flatnonzero(mask)
                    found += region[0].start
                    target[...] = found.reshape(target.shape)
            else:
                np.compress(mask, ctx.evaluate(self.data, region), out=target)
            return
        if self.coords:
            with ctx.charge(items * self._element_bytes()):
                picked = np.argwhere(mask)[lo:hi]
                picked += np.array([s.start for s in region], _INTP)
        else:
            picked = ctx.allocate((items,), self.dtype)
            np.compress(mask.reshape(-1), ctx.evaluate(self.data, region).reshape(-1),
                        out=picked)
            picked = picked[lo:hi]
        # destination of element i (from lo): i + shift of its row, built by a cumulative sum
        rows_kept = kept[row_counts[kept] > 0]
        shift = self.segment_start[segments[rows_kept]] - origin - source_start[rows_kept] + lo
        destination = ctx.allocate((hi - lo,), _INTP)
        destination.fill(1)
        destination[source_start[rows_kept] - lo] += np.diff(shift, prepend=0)
        np.cumsum(destination, out=destination)
        destination -= 1
        out[destination] = picked


def block_of(lengths: Sequence[int], start: int) -> int:
    """Return the block of ``lengths`` that begins at ``start``."""
    return int(np.searchsorted(np.asarray(offsets(lengths)), start, side="right") - 1)
