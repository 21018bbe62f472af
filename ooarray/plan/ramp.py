"""The ramps of ``np.pad(mode='linear_ramp')`` as a region node.

A ramp runs from ``end_value`` to the edge of the array along one axis, computed by
``np.linspace`` exactly as NumPy's pad does, from the edge slab's region (one element thick
along the axis). A task computes the ramp's whole width for its region of the other axes and
keeps its part; pad widths are small next to the array, so this is the region's size times
the width.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray.core.chunks import Region, normalize_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["RampNode"]


class RampNode(RegionNode):
    """``np.linspace(end_value, edge, width, endpoint=False, dtype, axis)``, reversed for the
    right side.

    Parameters
    ----------
    edge : Node
        The edge slab: length 1 along ``axis``.
    axis : int
    width : int
    end_value : scalar
    reverse : bool
        True for the ramp after the array (it runs from the edge to ``end_value``).
    target_bytes : int
    """

    def __init__(self, edge: Node, axis: int, width: int, end_value: Any, reverse: bool,
                 target_bytes: int) -> None:
        shape = list(edge.shape)
        shape[axis] = width
        fixed = tuple("auto" if a == axis else c for a, c in enumerate(edge.chunks))
        chunks = normalize_chunks(fixed, shape, max(8, edge.dtype.itemsize), target_bytes)
        super().__init__(shape, edge.dtype, chunks, [edge])
        self.axis, self.width, self.end_value, self.reverse = axis, width, end_value, reverse

    @property
    def label(self) -> str:
        return "linear_ramp"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        in_region = list(region)
        in_region[self.axis] = slice(0, 1)
        return [(self.inputs[0], tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        if not out.size:
            return out
        with ctx.charge(self._ramp_bytes(region)):
            ramp = np.linspace(self.end_value, arrays[0].squeeze(self.axis), num=self.width,
                               endpoint=False, dtype=self.dtype, axis=self.axis)
            if self.reverse:
                ramp = np.flip(ramp, self.axis)
            part = [slice(None)] * len(region)
            part[self.axis] = region[self.axis]
            np.copyto(out, ramp[tuple(part)])
        return out

    def _ramp_bytes(self, region: Region) -> int:
        shape = list(region_shape(region))
        shape[self.axis] = self.width
        return 2 * math.prod(shape) * max(8, self.dtype.itemsize)

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize + self._ramp_bytes(region)
