"""Arrays joined along their first axis, as a region node (the variables of ``np.cov``'s
``x`` then those of ``y``).

A region of the result reads the rows it covers from each part; a region inside one part is
a view of it, a region across parts is assembled in a pooled buffer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ooarray.core.chunks import Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["StackedNode"]


class StackedNode(RegionNode):
    """``parts`` (one dtype, equal trailing shapes) one after another along axis 0."""

    def __init__(self, parts: Sequence[Node]) -> None:
        first = parts[0]
        if any(p.shape[1:] != first.shape[1:] or p.dtype != first.dtype for p in parts):
            raise AssertionError("StackedNode parts need one dtype and equal trailing shapes")
        rows = tuple(length for p in parts for length in p.chunks[0] if length) or (0,)
        shape = (sum(p.shape[0] for p in parts), *first.shape[1:])
        super().__init__(shape, first.dtype, (rows, *first.chunks[1:]), parts)
        self.starts = tuple(itertools.accumulate((p.shape[0] for p in parts), initial=0))

    @property
    def label(self) -> str:
        return "stacked"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        pairs = []
        for part, start in zip(self.inputs, self.starts):
            lo = max(region[0].start, start)
            hi = min(region[0].stop, start + part.shape[0])
            if lo < hi:
                pairs.append((part, (slice(lo - start, hi - start), *region[1:])))
        return pairs

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        if len(arrays) == 1:
            return arrays[0]
        out = ctx.allocate(region_shape(region), self.dtype)
        row = 0
        for piece in arrays:
            out[row:row + len(piece)] = piece
            row += len(piece)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize
