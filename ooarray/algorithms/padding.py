"""The ramps of ``np.pad(mode='linear_ramp')`` as a region node.

A ramp runs from ``end_value`` to the edge of the array along one axis: NumPy's pad calls
``np.linspace(end_value, edge, width, endpoint=False, dtype, axis)``. Each element of that is
a function of its position (``i * step + start``), so a task computes NumPy's formula for the
positions of its region only, from the edge slab's region (one element thick along the axis):
the work and memory are the region's, however wide the ramp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray.chunks import Region, normalize_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["RampNode", "linspace_part"]


def linspace_part(start: Any, stop: np.ndarray, num: int, lo: int, hi: int, dtype: np.dtype,
                  axis: int) -> np.ndarray:
    """Positions ``lo:hi`` of ``np.linspace(start, stop, num, endpoint=False, dtype=dtype,
    axis=axis)``, computed with NumPy's own steps for those positions only.

    Examples
    --------
    >>> edge = np.array([10.0, 20.0])
    >>> linspace_part(0, edge, 5, 3, 5, np.dtype(float), 0)
    array([[ 6., 12.],
           [ 8., 16.]])
    """
    # The dtype NumPy computes in, from a one-element stand-in of the same dtypes.
    work = np.linspace(start, np.broadcast_to(np.zeros((), stop.dtype), (1,)), 1,
                       endpoint=False).dtype
    delta = np.subtract(stop, start, dtype=work.type)
    y = np.arange(lo, hi, dtype=work).reshape(-1, *((1,) * np.ndim(delta)))
    step = delta / num
    if np.asanyarray(step == 0).any():
        y = y / num * delta
    else:
        y = y * step
    y += start
    if axis:
        y = np.moveaxis(y, 0, axis)
    if np.issubdtype(dtype, np.integer):
        np.floor(y, out=y)
    return y.astype(dtype, copy=False)


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
        if out.size:
            sel = region[self.axis]
            lo, hi = (self.width - sel.stop, self.width - sel.start) if self.reverse else \
                (sel.start, sel.stop)
            with ctx.charge(self._ramp_bytes(region)):
                ramp = linspace_part(self.end_value, arrays[0].squeeze(self.axis), self.width,
                                     lo, hi, self.dtype, self.axis)
                np.copyto(out, np.flip(ramp, self.axis) if self.reverse else ramp)
        return out

    def _ramp_bytes(self, region: Region) -> int:
        return 3 * math.prod(region_shape(region)) * max(16, self.dtype.itemsize)

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize + self._ramp_bytes(region)
