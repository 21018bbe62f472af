"""Selections over sorted data: order statistics, run starts, run lengths, binary search.

These nodes serve ``unique``, the quantiles and ``searchsorted``:

* :class:`OrderStatsNode` reads a few positions of a 1-D node (a sorted array) and finishes
  them with a small function (a quantile's interpolation): one task, a few chunks pinned at
  a time.
* :class:`RunStartsNode` flags the first element of each run of equal values (a region node:
  each region reads one element before it).
* The flagged elements, or their positions, are kept by the compaction of boolean masks
  (:class:`ooarray.algorithms.compact.CompactNode`, one output chunk per block).
* :class:`GapsNode` turns run starts into run lengths (the next start minus this one).
* :class:`SearchNode` is ``searchsorted`` over a sorted 1-D node of any size: a value's
  position is the sum over ``a``'s chunks of its position within each chunk, so each task
  streams ``a``'s chunks one at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Region, block_region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["OrderStatsNode", "RunStartsNode", "GapsNode", "SearchNode"]

_INDEX = np.dtype(np.intp)


class OrderStatsNode(MaterializedNode):
    """``finish(values)`` of the elements of 1-D ``source`` at ``positions``, in one chunk.

    Parameters
    ----------
    source : Node
        A 1-D node (a sorted array).
    positions : sequence of int
        Non-negative positions to read.
    finish : callable
        ``finish(values) -> ndarray`` of ``shape`` and ``dtype``.
    """

    def __init__(self, source: Node, positions: Sequence[int],
                 finish: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...],
                 dtype: np.dtype, name: str = "order-stats") -> None:
        super().__init__(shape, dtype, tuple((n,) for n in shape), [source])
        self.positions = [int(p) for p in positions]
        self.finish, self.name = finish, name

    @property
    def label(self) -> str:
        return self.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def _spans(self) -> list[tuple[int, int]]:
        """One span per chunk of ``source`` holding wanted positions: each chunk is read once
        (the pool frees an intermediate chunk after the read the schedule counted)."""
        bounds = offsets(self.inputs[0].chunks[0])
        spans: dict[int, list[int]] = {}
        for p in self.positions:
            block = int(np.searchsorted(bounds, p, side="right")) - 1
            spans.setdefault(block, []).append(p)
        return [(min(ps), max(ps) + 1) for _, ps in sorted(spans.items())]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], (slice(lo, hi),)) for lo, hi in self._spans()]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        values = np.empty(len(self.positions), self.inputs[0].dtype)
        wanted = np.asarray(self.positions)
        for node, region in self.streamed_inputs(index):
            lo, hi = region[0].start, region[0].stop
            inside = (wanted >= lo) & (wanted < hi)
            with ctx.scope():
                values[inside] = ctx.evaluate(node, region)[wanted[inside] - lo]
        out = ctx.allocate(self.shape, self.dtype)
        out[...] = self.finish(values)
        return out


class RunStartsNode(RegionNode):
    """``True`` where a sorted 1-D array's element differs from the one before it.

    With ``equal_nan``, NaNs (complex: any part NaN) count as equal to each other.
    """

    def __init__(self, source: Node, equal_nan: bool) -> None:
        super().__init__(source.shape, np.bool_, source.chunks, [source])
        self.equal_nan = equal_nan

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[0]
        return [(self.inputs[0], (slice(max(sel.start - 1, 0), sel.stop),))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        values = arrays[0]
        out = ctx.allocate(region_shape(region), np.bool_)
        if not len(out):
            return out
        first = region[0].start == 0
        if first:
            out[0] = True
        current, previous = values[1:], values[:-1]
        target = out[1:] if first else out
        np.not_equal(current, previous, out=target)
        if self.equal_nan and values.dtype.kind in "fc":
            target &= ~(np.isnan(current) & np.isnan(previous))
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 3 * math.prod(region_shape(region))


class GapsNode(RegionNode):
    """Run lengths from run starts: ``starts[k + 1] - starts[k]``, and ``total - starts[-1]``."""

    def __init__(self, starts: Node, total: int) -> None:
        super().__init__(starts.shape, _INDEX, starts.chunks, [starts])
        self.total = int(total)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[0]
        return [(self.inputs[0], (slice(sel.start, min(sel.stop + 1, self.shape[0])),))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        starts = arrays[0]
        out = ctx.allocate(region_shape(region), _INDEX)
        count = len(out)
        if not count:
            return out
        following = np.empty(count, _INDEX)
        following[:len(starts) - 1] = starts[1:]
        if len(starts) == count:  # the region ends at the last run
            following[-1] = self.total
        np.subtract(following, starts[:count], out=out)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 2 * math.prod(region_shape(region)) * _INDEX.itemsize


class SearchNode(MaterializedNode):
    """``np.searchsorted(a, v, side)`` for a sorted 1-D node ``a`` of any size.

    Each task takes one chunk of ``v`` and adds up its positions within each chunk of ``a``,
    read one after the other.
    """

    def __init__(self, a: Node, v: Node, side: str) -> None:
        super().__init__(v.shape, _INDEX, v.chunks, [a, v])
        self.side = side

    @property
    def label(self) -> str:
        return "searchsorted"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        v = self.inputs[1]
        return [(v, block_region(v.chunks, index))]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        a = self.inputs[0]
        return [(a, block_region(a.chunks, (i,))) for i in range(len(a.chunks[0]))]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        a = self.inputs[0]
        items = math.prod(region_shape(self.chunk_region(index)))
        return max(a.chunks[0]) * a.dtype.itemsize + items * _INDEX.itemsize

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        values = arrays[0]
        out = ctx.allocate(values.shape, _INDEX)
        out[...] = 0
        for node, region in self.streamed_inputs(index):
            if region[0].stop == region[0].start:
                continue
            with ctx.scope():
                out += np.searchsorted(ctx.evaluate(node, region), values, side=self.side)
        return out
