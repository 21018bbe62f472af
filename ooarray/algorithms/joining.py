"""Concatenation as a region node: an output region maps to a region of each input it spans.

Along the joined axis the inputs sit one after another; an output region reads, from each
input it overlaps, the overlapping part (in that input's coordinates) and the same region on
every other axis. A region inside one input of the result's dtype is that input's region
itself (a view, no copy); one that spans inputs, or casts, is assembled in a pooled buffer.
The output grid is the inputs' chunks laid end to end along the axis, so the regions usually
asked for are views.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from ooarray.chunks import Chunks, Region, auto_chunks, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["ConcatNode", "concat_chunks", "limit_chunks"]


def limit_chunks(chunks: Chunks, itemsize: int, allowed: int) -> Chunks:
    """Return ``chunks`` with chunks cut where one would exceed ``allowed`` bytes.

    A join in a wider dtype (int8 inputs, float64 result) would otherwise make chunks several
    times the budget's target size.

    Examples
    --------
    >>> limit_chunks(((8,), (8,)), 8, 128)
    ((2, 2, 2, 2), (8,))
    """
    largest = tuple(max(c) if c else 0 for c in chunks)
    if math.prod(largest) * itemsize <= allowed:
        return chunks
    caps = auto_chunks(largest, itemsize, allowed)
    return tuple(tuple(piece for length in lengths
                       for piece in [cap] * (length // cap) + [length % cap] if piece)
                 or lengths for lengths, cap in zip(chunks, caps, strict=True))


def concat_chunks(nodes: Sequence[Node], axis: int) -> Chunks:
    """The inputs' chunks end to end along ``axis``; the first input's on the other axes."""
    joined = tuple(c for node in nodes for c in node.chunks[axis] if c)
    first = nodes[0].chunks
    return tuple((joined or (0,)) if a == axis else first[a] for a in range(len(first)))


class ConcatNode(RegionNode):
    """``np.concatenate`` of nodes of equal shape except along ``axis``, in ``dtype``.

    Parameters
    ----------
    nodes : sequence of Node
        At least one; the same node may appear several times.
    axis : int
        A normalised axis.
    dtype : numpy.dtype
        The result's dtype (NumPy's, resolved by the caller); inputs are cast unsafely, the
        caller having checked the casting rule.
    chunks : chunk grid, optional
        By default :func:`concat_chunks`.
    """

    def __init__(self, nodes: Sequence[Node], axis: int, dtype: np.dtype,
                 chunks: Chunks | None = None) -> None:
        nodes = list(nodes)
        self.axis = axis
        self.starts = offsets([node.shape[axis] for node in nodes])
        shape = list(nodes[0].shape)
        shape[axis] = self.starts[-1]
        super().__init__(shape, dtype, chunks or concat_chunks(nodes, axis), nodes)

    @property
    def label(self) -> str:
        return f"concatenate[{len(self.inputs)}]"

    def _pieces(self, region: Region) -> list[tuple[int, slice, slice]]:
        """(input number, its part along the axis, where that part goes in the region)."""
        sel = region[self.axis]
        if sel.stop <= sel.start:
            return []
        pieces = []
        first = bisect.bisect_right(self.starts, sel.start) - 1
        for i in range(first, len(self.inputs)):
            lo, hi = self.starts[i], self.starts[i + 1]
            if lo >= sel.stop:
                break
            a, b = max(lo, sel.start), min(hi, sel.stop)
            if a < b:
                pieces.append((i, slice(a - lo, b - lo), slice(a - sel.start, b - sel.start)))
        return pieces

    def _is_view(self, pieces: list[tuple[int, slice, slice]]) -> bool:
        return len(pieces) == 1 and self.inputs[pieces[0][0]].dtype == self.dtype

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        regions = []
        for i, part, _ in self._pieces(region):
            in_region = list(region)
            in_region[self.axis] = part
            regions.append((self.inputs[i], tuple(in_region)))
        return regions

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        pieces = self._pieces(region)
        if self._is_view(pieces):
            return arrays[0]
        out = ctx.allocate(region_shape(region), self.dtype)
        for array, (_, _, where) in zip(arrays, pieces, strict=True):
            target = [slice(None)] * len(region)
            target[self.axis] = where
            np.copyto(out[tuple(target)], array, casting="unsafe")
        return out

    def scratch_bytes(self, region: Region) -> int:
        if self._is_view(self._pieces(region)):
            return 0
        return math.prod(region_shape(region)) * self.dtype.itemsize
