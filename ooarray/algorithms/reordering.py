"""The reordering family's nodes: repeats and triangles (``ops/reordering``).

``np.repeat`` along one axis as a region node.

Element ``i`` of the input fills output positions ``[start(i), end(i))``. A scalar repeat
count gives these positions by arithmetic; per-element counts are held as their running sum
(one int64 per input position along the axis: the "count first" pass, made before the node).
An output region reads the input range its positions come from and gathers it with
``np.take`` into a pooled buffer. The output grid follows the input's blocks along the axis
(each output chunk comes from one input chunk), cut to the budget's target size.

``np.triu`` and ``np.tril`` as a region node over the last two axes.

Element ``(i, j)`` of a region that starts at row ``r0`` and column ``c0`` is element
``(r0 + i, c0 + j)`` of the matrix, so the region's triangle is ``np.triu``/``np.tril`` of the
region with the diagonal shifted by ``r0 - c0``. A region wholly kept is a view of the
input; one wholly cleared or straddling the diagonal is written into a pooled buffer.
"""

from __future__ import annotations

import math

import numpy as np

from ooarray.chunks import Chunks, Region, auto_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode, frozen

__all__ = ["RepeatNode", "TriangleNode"]


class RepeatNode(RegionNode):
    """Each element of ``source`` along ``axis`` repeated ``repeats`` times.

    Parameters
    ----------
    source : Node
    axis : int
        A normalised axis.
    repeats : int or ndarray of int64
        A count for every element, or one per element along ``axis`` (non-negative,
        validated by the caller).
    target_bytes : int
        Chunk size the output grid stays under.
    """

    def __init__(self, source: Node, axis: int, repeats: int | np.ndarray,
                 target_bytes: int) -> None:
        self.axis = axis
        n = source.shape[axis]
        if isinstance(repeats, np.ndarray):
            self.scalar = None
            self.ends = np.cumsum(repeats, dtype=np.int64)
            self.counts = frozen(repeats.astype(np.int64, copy=False))
            length = int(self.ends[-1]) if n else 0
        else:
            self.scalar = int(repeats)
            length = n * self.scalar
        shape = list(source.shape)
        shape[axis] = length
        super().__init__(shape, source.dtype, self._chunks(source, shape, target_bytes),
                         [source])

    def _start(self, i: int) -> int:
        return i * self.scalar if self.scalar is not None else int(self.ends[i] -
                                                                   self.counts[i])

    def _end(self, i: int) -> int:
        return (i + 1) * self.scalar if self.scalar is not None else int(self.ends[i])

    def _chunks(self, source: Node, shape: list[int], target_bytes: int) -> Chunks:
        other = [max(c) if c else 0 for c in source.chunks]
        other[self.axis] = max(1, shape[self.axis])
        cap = auto_chunks(other, source.dtype.itemsize, target_bytes,
                          [None if a == self.axis else n for a, n in enumerate(other)])
        cap_axis = max(1, cap[self.axis])
        lengths: list[int] = []
        position = 0
        for block in source.chunks[self.axis]:
            end = self._end(position + block - 1) if block else 0
            span = end - (self._start(position) if block else 0)
            lengths += [cap_axis] * (span // cap_axis) + ([span % cap_axis] if span %
                                                          cap_axis else [])
            position += block
        chunks = list(source.chunks)
        chunks[self.axis] = tuple(lengths) or (0,)
        return tuple(chunks)

    def _sources(self, sel: slice) -> tuple[int, np.ndarray]:
        """The first input position of output range ``sel`` and how often each is used."""
        s, e = sel.start, sel.stop
        if self.scalar is not None:
            first, last = s // self.scalar, (e - 1) // self.scalar
            counts = np.full(last - first + 1, self.scalar, dtype=np.int64)
        else:
            first = int(np.searchsorted(self.ends, s, side="right"))
            last = int(np.searchsorted(self.ends, e - 1, side="right"))
            counts = self.counts[first:last + 1].copy()
        counts[0] -= s - self._start(first)
        counts[-1] -= self._end(last) - e
        return first, counts

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[self.axis]
        in_region = list(region)
        if sel.stop <= sel.start:
            in_region[self.axis] = slice(0, 0)
        else:
            first, counts = self._sources(sel)
            in_region[self.axis] = slice(first, first + len(counts))
        return [(self.inputs[0], tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        sel = region[self.axis]
        if sel.stop > sel.start and out.size:
            _, counts = self._sources(sel)
            index = np.repeat(np.arange(len(counts)), counts)
            np.take(arrays[0], index, axis=self.axis, out=out)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize


class TriangleNode(RegionNode):
    """The upper (``upper=True``, ``j - i >= k``) or lower (``j - i <= k``) triangle.

    Parameters
    ----------
    source : Node
        At least two axes.
    k : int
        The diagonal, as NumPy's ``k``.
    upper : bool
    """

    def __init__(self, source: Node, k: int, upper: bool) -> None:
        super().__init__(source.shape, source.dtype, source.chunks, [source])
        self.k, self.upper = int(k), upper

    @property
    def label(self) -> str:
        return "triu" if self.upper else "tril"

    def _shift(self, region: Region) -> int:
        return self.k + region[-2].start - region[-1].start

    def _kept(self, region: Region) -> bool:
        """Whether every element of ``region`` is in the triangle."""
        rows, cols = region[-2], region[-1]
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return True
        if self.upper:  # smallest j - i is at the bottom-left corner
            return cols.start - (rows.stop - 1) >= self.k
        return (cols.stop - 1) - rows.start <= self.k

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], region)]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        if self._kept(region):
            return arrays[0]
        out = ctx.allocate(region_shape(region), self.dtype)
        np.copyto(out, arrays[0])
        rows, cols = out.shape[-2:]
        mask = np.tri(rows, cols, self._shift(region) - 1 if self.upper else
                      self._shift(region), dtype=bool)
        out[..., ~mask if not self.upper else mask] = 0
        return out

    def scratch_bytes(self, region: Region) -> int:
        if self._kept(region):
            return 0
        shape = region_shape(region)
        return math.prod(shape) * self.dtype.itemsize + shape[-2] * shape[-1]
