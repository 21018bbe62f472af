"""``np.triu`` and ``np.tril`` as a region node over the last two axes.

Element ``(i, j)`` of a region that starts at row ``r0`` and column ``c0`` is element
``(r0 + i, c0 + j)`` of the matrix, so the region's triangle is ``np.triu``/``np.tril`` of the
region with the diagonal shifted by ``r0 - c0``. A region wholly kept is a view of the
input; one wholly cleared or straddling the diagonal is written into a pooled buffer.
"""

from __future__ import annotations

import math

import numpy as np

from ooarray.chunks import Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["TriangleNode"]


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
