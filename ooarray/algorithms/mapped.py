"""A NumPy function applied region by region, for functions that are not ufuncs.

``np.digitize`` against in-memory bins, a clip of real and imaginary parts, ``sqrt`` of a real
part: each output element depends only on the input elements at the same position, so any
region of the output is the function of the same region of the operands. The function's own
result is counted against the budget while it exists (``ctx.charge``), then copied into a
pooled buffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["MappedNode"]


class MappedNode(RegionNode):
    """``func(*operand_regions)`` for each region; operands of one shape, result of it too.

    Parameters
    ----------
    func : callable
        Takes one ndarray per operand, returns an ndarray of their shape (any dtype; it is
        cast to ``dtype``).
    operands : sequence of Node
    dtype : numpy.dtype
        The result's dtype.
    name : str
        For plan displays.
    temporaries : int
        How many arrays of the region's size (in ``dtype``) ``func`` allocates at once.
    """

    def __init__(self, func: Callable[..., np.ndarray], operands: Sequence[Node],
                 dtype: np.dtype, name: str, temporaries: int = 1) -> None:
        first = operands[0]
        if any(op.shape != first.shape for op in operands):
            raise AssertionError("MappedNode operands must have one shape")
        super().__init__(first.shape, dtype, first.chunks, operands)
        self.func, self.name, self.temporaries = func, name, temporaries

    @property
    def label(self) -> str:
        return self.name

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(op, region) for op in self.inputs]

    def _region_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        with ctx.charge(self.temporaries * self._region_bytes(region)):
            np.copyto(out, self.func(*arrays), casting="unsafe")
        return out

    def scratch_bytes(self, region: Region) -> int:
        return (1 + self.temporaries) * self._region_bytes(region)
