"""Nodes of the ufunc methods (:mod:`ooarray.ops.ufunc_methods`): accumulate and reduceat.

``ufunc.accumulate`` takes one of three roads:

* a *reorderable* ufunc (NumPy's own flag: add, multiply, maximum, logical and bitwise ops,
  gcd, hypot, logaddexp...) is associative, so the two-pass scan of
  :mod:`ooarray.algorithms.scans` runs it as it runs cumsum. Those without an identity
  (maximum) are given a stand-in one (:class:`WithIdentity`): the scan writes it only into
  the carry of the first block, which is never read;
* ``subtract`` is a left fold whose effect of a block on the running value is "subtract the
  block's sum": the carries are the sums of earlier blocks, negated (:class:`SubtractTotalsNode`
  and :class:`FoldScanNode`), and inside each block the operations are NumPy's own;
* any other ufunc (divide, power, arctan2, comparisons of booleans...) runs whole lanes along
  the axis (:class:`LaneAccumulateNode`): exactly NumPy's operations, and a lane that does
  not fit ``memory_limit`` stops the planner with BudgetError before any work. (Rewriting
  ``divide`` through a cumulative product would overflow where NumPy's sequence does not.)

``ufunc.reduceat`` is :class:`ReduceatNode`: each output chunk (a group of segments) streams
the input blocks its segments touch, one at a time, reducing the segments' parts with one
``reduceat`` call per block and folding parts that continue a segment into its running value
in NumPy's order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray.algorithms.scans import ScanCarryNode, ScanNode, ScanTotalsNode
from ooarray.chunks import Region, auto_chunks, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["WithIdentity", "SubtractTotalsNode", "FoldScanNode", "LaneAccumulateNode",
           "ReduceatNode", "scan_accumulate", "subtract_accumulate"]


def _with_axis(region: Region, axis: int, sel: Any) -> tuple:
    return tuple(region[:axis]) + (sel,) + tuple(region[axis + 1:])


class WithIdentity:
    """A ufunc seen through a given identity (for scans of ufuncs that have none).

    Parameters
    ----------
    ufunc : numpy.ufunc
    identity : scalar
        What the scan writes into the carry of the first block (never read).
    """

    def __init__(self, ufunc: np.ufunc, identity: Any = 0) -> None:
        self.ufunc, self.identity = ufunc, identity
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.ufunc(*args, **kwargs)

    def reduce(self, *args: Any, **kwargs: Any) -> Any:
        return self.ufunc.reduce(*args, **kwargs)

    def accumulate(self, *args: Any, **kwargs: Any) -> Any:
        return self.ufunc.accumulate(*args, **kwargs)


def scan_accumulate(source: Node, ufunc: np.ufunc, axis: int, dtype: np.dtype,
                    group_bytes: int) -> ScanNode:
    """``ufunc.accumulate`` of a reorderable ufunc, as a two-pass scan."""
    folded: Any = ufunc if ufunc.identity is not None else WithIdentity(ufunc)
    totals = ScanTotalsNode(source, folded, axis, np.dtype(dtype))
    return ScanNode(source, ScanCarryNode(totals, group_bytes))


class SubtractTotalsNode(ScanTotalsNode):
    """Per block along the axis: the first block's ``subtract.reduce`` (the running value at
    its end), every later block's negated sum (its effect on the running value), so that the
    carries are plain running sums."""

    def __init__(self, source: Node, axis: int, dtype: np.dtype) -> None:
        super().__init__(source, np.add, axis, dtype)

    @property
    def label(self) -> str:
        return "subtract-scan-totals"

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        if index[self.axis] == 0:
            np.subtract.reduce(arrays[0], axis=self.axis, dtype=self.dtype, keepdims=True,
                               out=out)
        else:
            np.add.reduce(arrays[0], axis=self.axis, dtype=self.dtype, keepdims=True, out=out)
            np.negative(out, out=out)
        return out


class FoldScanNode(ScanNode):
    """A scan whose carries combine with one ufunc (``add``) and whose blocks fold with
    another (``subtract``): the carry is the running value at the end of the block before."""

    def __init__(self, source: Node, carry: ScanCarryNode, fold: np.ufunc) -> None:
        super().__init__(source, carry)
        self.ufunc = fold


def subtract_accumulate(source: Node, axis: int, dtype: np.dtype,
                        group_bytes: int) -> FoldScanNode:
    """``subtract.accumulate`` along ``axis`` in two passes (exact for integers)."""
    totals = SubtractTotalsNode(source, axis, np.dtype(dtype))
    return FoldScanNode(source, ScanCarryNode(totals, group_bytes), np.subtract)


class LaneAccumulateNode(RegionNode):
    """``ufunc.accumulate`` of whole lanes along ``axis``: any region reads its lanes from the
    start of the axis; the output's chunks hold whole lanes, as many as fit ``chunk_bytes``.
    """

    def __init__(self, source: Node, ufunc: np.ufunc, axis: int, dtype: np.dtype,
                 chunk_bytes: int) -> None:
        self.ufunc, self.axis = ufunc, axis
        dtype = np.dtype(dtype)
        fixed: list[int | None] = [None] * len(source.shape)
        fixed[axis] = max(1, source.shape[axis])
        shape = auto_chunks(source.shape, max(dtype.itemsize, source.dtype.itemsize),
                            chunk_bytes, fixed)
        chunks = tuple(_lengths(n, c) for n, c in zip(source.shape, shape, strict=True))
        super().__init__(source.shape, dtype, chunks, [source])

    @property
    def label(self) -> str:
        return f"{self.ufunc.__name__}-accumulate-lanes"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[self.axis]
        return [(self.inputs[0], _with_axis(region, self.axis, slice(0, sel.stop)))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        source, start = arrays[0], region[self.axis].start
        if start == 0:
            out = ctx.allocate(region_shape(region), self.dtype)
            if out.size:
                self.ufunc.accumulate(source, axis=self.axis, dtype=self.dtype, out=out)
            return out
        lanes = ctx.allocate(source.shape, self.dtype)
        if lanes.size:
            self.ufunc.accumulate(source, axis=self.axis, dtype=self.dtype, out=lanes)
        everything = (slice(None),) * lanes.ndim
        return lanes[_with_axis(everything, self.axis, slice(start, None))]

    def scratch_bytes(self, region: Region) -> int:
        shape = list(region_shape(region))
        shape[self.axis] = region[self.axis].stop
        return math.prod(shape) * self.dtype.itemsize


def _lengths(length: int, size: int) -> tuple[int, ...]:
    if length == 0:
        return (0,)
    full, rest = divmod(length, size)
    return (size,) * full + ((rest,) if rest else ())


def segment_bounds(indices: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of ``reduceat``'s segments: ``[i_k, i_k+1)`` where indices increase,
    the one element ``a[i_k]`` where they do not, and the last one to the end."""
    starts = np.asarray(indices, np.intp)
    stops = np.empty_like(starts)
    if starts.size:
        nxt = starts[1:]
        stops[:-1] = np.where(starts[:-1] < nxt, nxt, starts[:-1] + 1)
        stops[-1] = length
    return starts, stops


class ReduceatNode(MaterializedNode):
    """``ufunc.reduceat(source, indices, axis, dtype)``.

    Parameters
    ----------
    source : Node
    ufunc : numpy.ufunc
    indices : ndarray of intp
        Checked to lie in ``[0, source.shape[axis])``.
    axis : int
    dtype : numpy.dtype
    group_bytes : int
        Size an output chunk (a group of segments across the other axes' chunks) aims for.
    reorderable : bool
        Whether a continued segment may combine its parts (else the running value is folded
        with the next part in NumPy's order).
    """

    def __init__(self, source: Node, ufunc: np.ufunc, indices: np.ndarray, axis: int,
                 dtype: np.dtype, group_bytes: int, reorderable: bool) -> None:
        self.ufunc, self.axis, self.reorderable = ufunc, axis, reorderable
        self.starts, self.stops = segment_bounds(indices, source.shape[axis])
        dtype = np.dtype(dtype)
        across = math.prod(max(c) for i, c in enumerate(source.chunks) if i != axis)
        group = max(1, group_bytes // max(1, across * dtype.itemsize))
        shape = source.shape[:axis] + (len(self.starts),) + source.shape[axis + 1:]
        chunks = source.chunks[:axis] + (_lengths(len(self.starts), group),) + \
            source.chunks[axis + 1:]
        super().__init__(shape, dtype, chunks, [source])
        self._bounds = np.asarray(offsets(source.chunks[axis]))

    @property
    def label(self) -> str:
        return f"{self.ufunc.__name__}-reduceat"

    def _segments(self, index: tuple[int, ...]) -> slice:
        return self.chunk_region(index)[self.axis]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        """The input blocks along the axis that the chunk's segments touch, in order, each
        cut to the span of the segments."""
        segs = self._segments(index)
        starts, stops = self.starts[segs], self.stops[segs]
        if not starts.size:
            return []
        first = np.searchsorted(self._bounds, starts, side="right") - 1
        last = np.searchsorted(self._bounds, stops - 1, side="right") - 1
        touched = np.zeros(len(self._bounds) - 1, bool)
        for lo, hi in _runs(first, last):
            touched[lo:hi + 1] = True
        low, high = int(starts.min()), int(stops.max())
        region = self.chunk_region(index)
        pieces = []
        for block in np.flatnonzero(touched):
            lo = max(int(self._bounds[block]), low)
            hi = min(int(self._bounds[block + 1]), high)
            pieces.append((self.inputs[0], _with_axis(region, self.axis, slice(lo, hi))))
        return pieces

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        out = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
        largest = 0
        for _, region in self.streamed_inputs(index):
            items = math.prod(region_shape(region))
            largest = max(largest, items * self.inputs[0].dtype.itemsize
                          + (items + items // max(1, region_shape(region)[self.axis]))
                          * self.dtype.itemsize)
        return largest + out  # a piece, a folded copy of it, NumPy's reduceat result

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        segs = self._segments(index)
        starts, stops = self.starts[segs], self.stops[segs]
        for node, region in self.streamed_inputs(index):
            with ctx.scope():
                piece = ctx.evaluate(node, region)
                sel = region[self.axis]
                self._fold_piece(out, piece, sel.start, sel.stop, starts, stops, ctx)
        return out

    def _at(self, array: np.ndarray, sel: Any) -> Any:
        return array[(slice(None),) * self.axis + (sel,)]

    def _fold_piece(self, out: np.ndarray, piece: np.ndarray, p0: int, p1: int,
                    starts: np.ndarray, stops: np.ndarray, ctx: EvaluationContext) -> None:
        """Reduce the parts of the segments that ``piece`` (input ``[p0, p1)``) holds."""
        lo = np.maximum(starts, p0) - p0
        hi = np.minimum(stops, p1) - p0
        valid = lo < hi
        fresh = np.flatnonzero(valid & (starts >= p0))
        if fresh.size:
            local = lo[fresh]
            with ctx.charge(fresh.size * out.nbytes // max(1, out.shape[self.axis])):
                parts = self.ufunc.reduceat(piece, local, axis=self.axis, dtype=self.dtype)
                ends = np.empty_like(local)
                ends[:-1] = np.where(local[:-1] < local[1:], local[1:], local[:-1] + 1)
                ends[-1] = piece.shape[self.axis]
                good = ends == hi[fresh]
                out[(slice(None),) * self.axis + (fresh[good],)] = \
                    self._at(parts, np.flatnonzero(good))
            for k in fresh[~good]:
                self._at(out, slice(k, k + 1))[...] = self.ufunc.reduce(
                    self._at(piece, slice(lo[k], hi[k])), axis=self.axis, dtype=self.dtype,
                    keepdims=True)
        for k in np.flatnonzero(valid & (starts < p0)):
            self._continue(self._at(out, slice(k, k + 1)),
                           self._at(piece, slice(lo[k], hi[k])), ctx)

    def _continue(self, running: np.ndarray, part: np.ndarray, ctx: EvaluationContext) -> None:
        """Fold ``part`` into a segment's ``running`` value (a view of the output, length 1
        along the axis)."""
        if self.reorderable:
            total = self.ufunc.reduce(part, axis=self.axis, dtype=self.dtype, keepdims=True)
            self.ufunc(running, total, out=running, casting="unsafe")
            return
        shape = list(part.shape)
        shape[self.axis] += 1
        folded = ctx.allocate(tuple(shape), self.dtype)
        everything = (slice(None),) * folded.ndim
        folded[_with_axis(everything, self.axis, slice(0, 1))] = running
        np.copyto(folded[_with_axis(everything, self.axis, slice(1, None))], part,
                  casting="unsafe")
        running[...] = self.ufunc.reduce(folded, axis=self.axis, dtype=self.dtype,
                                         keepdims=True)


def _runs(first: np.ndarray, last: np.ndarray) -> list[tuple[int, int]]:
    """Merge the block spans ``[first_k, last_k]`` of many segments into few runs."""
    order = np.argsort(first, kind="stable")
    runs: list[tuple[int, int]] = []
    for lo, hi in zip(first[order].tolist(), last[order].tolist(), strict=True):
        if runs and lo <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(runs[-1][1], hi))
        else:
            runs.append((lo, hi))
    return runs

