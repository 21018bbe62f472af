"""The diagonal of two axes as a region node.

A range of the diagonal is the diagonal of a square block of the input, so an output region
reads exactly one box and returns a view of it (``np.diagonal`` of the box).
"""

from __future__ import annotations

import numpy as np

from ooarray.chunks import Region, normalize_chunks
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["DiagonalNode", "diagonal_length"]


def diagonal_length(rows: int, cols: int, offset: int) -> int:
    """Length of the diagonal ``offset`` of a ``rows`` x ``cols`` matrix."""
    if offset >= 0:
        return max(0, min(rows, cols - offset))
    return max(0, min(rows + offset, cols))


class DiagonalNode(RegionNode):
    """``np.diagonal(a, offset, axis1, axis2)``: the other axes, then the diagonal last.

    Parameters
    ----------
    source : Node
    offset : int
    axis1, axis2 : int
        Distinct, normalised axes of ``source``.
    """

    def __init__(self, source: Node, offset: int, axis1: int, axis2: int) -> None:
        self.offset, self.axis1, self.axis2 = int(offset), axis1, axis2
        self.others = [a for a in range(len(source.shape)) if a not in (axis1, axis2)]
        length = diagonal_length(source.shape[axis1], source.shape[axis2], self.offset)
        side = min(max(source.chunks[axis1]), max(source.chunks[axis2]))
        diag_chunks = normalize_chunks((max(1, side),), (length,), 1)[0]
        shape = [source.shape[a] for a in self.others] + [length]
        chunks = [source.chunks[a] for a in self.others] + [diag_chunks]
        super().__init__(shape, source.dtype, chunks, [source])

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        in_region = [slice(0, 0)] * len(source.shape)
        for out_axis, in_axis in enumerate(self.others):
            in_region[in_axis] = region[out_axis]
        diag = region[-1]
        row, col = max(0, -self.offset), max(0, self.offset)
        in_region[self.axis1] = slice(row + diag.start, row + diag.stop)
        in_region[self.axis2] = slice(col + diag.start, col + diag.stop)
        return [(source, tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        return np.diagonal(arrays[0], 0, self.axis1, self.axis2)

    def scratch_bytes(self, region: Region) -> int:
        return 0
