"""Sliding windows: ``np.lib.stride_tricks.sliding_window_view`` as a region node.

NumPy's result is a view: each output element ``(i..., k...)`` is the input element at
``i + k`` along each windowed axis. Here an output region (a range of window starts along each
axis, and a range of offsets within each window) reads the input range from its first start
to its last start plus the window, a halo of ``window - 1`` elements past the region (as
``np.diff`` reads ``n`` past its own), and takes NumPy's window view of that block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.chunks import Chunks, Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["WindowNode", "window_chunks"]


def window_chunks(chunks: Chunks, shape: Sequence[int], window: Sequence[int],
                  axes: Sequence[int], target_bytes: int, itemsize: int) -> Chunks:
    """The output grid: the input's along each axis, cut to the number of window starts, and
    each window axis whole; an axis's chunks are shortened while a chunk would be larger
    than ``target_bytes`` (a window as long as the array multiplies its size)."""
    grid = [list(c) for c in chunks]
    for axis in range(len(shape)):
        left, trimmed = shape[axis], []
        for length in grid[axis]:
            if left <= 0:
                break
            trimmed.append(min(length, left))
            left -= trimmed[-1]
        grid[axis] = trimmed or [0]
    widths = math.prod(window)
    for axis in axes:  # shorten the windowed axes' chunks while a chunk is too large
        while max(grid[axis]) > 1 and math.prod(max(c) for c in grid) * widths * itemsize \
                > target_bytes:
            half = max(1, max(grid[axis]) // 2)
            grid[axis] = [piece for length in grid[axis]
                          for piece in [half] * (length // half) + ([length % half]
                                                                     if length % half else [])]
    return tuple(tuple(c) for c in grid) + tuple((w,) for w in window)


class WindowNode(RegionNode):
    """``sliding_window_view(x, window, axes)``: the input's axes (each windowed one shorter
    by ``window - 1``), then one axis per window.

    Parameters
    ----------
    source : Node
    window : sequence of int
        Window lengths, one per entry of ``axes``.
    axes : sequence of int
        The input axis of each window (an axis may appear more than once, as in NumPy).
    shape : tuple of int
        The output's shape.
    chunks : chunk grid
        The output's grid (:func:`window_chunks`).
    """

    def __init__(self, source: Node, window: Sequence[int], axes: Sequence[int],
                 shape: tuple[int, ...], chunks: Chunks) -> None:
        self.window, self.axes = tuple(window), tuple(axes)
        super().__init__(shape, source.dtype, chunks, [source])

    def _input_region(self, region: Region) -> Region:
        source = self.inputs[0]
        rank = len(source.shape)
        wanted = []
        for axis in range(rank):
            start, stop = region[axis].start, region[axis].stop
            if stop <= start:
                wanted.append(slice(start, start))
                continue
            extra = [region[rank + j] for j, a in enumerate(self.axes) if a == axis]
            wanted.append(slice(start + sum(s.start for s in extra),
                                stop + sum(s.stop - 1 for s in extra)))
        return tuple(wanted)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], self._input_region(region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        if not out.size:
            return out
        rank = len(self.inputs[0].shape)
        parts = [s.stop - s.start for s in region[rank:]]  # the window offsets asked for
        view = np.lib.stride_tricks.sliding_window_view(arrays[0], parts, self.axes)
        out[...] = view
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 0
