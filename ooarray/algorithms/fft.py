"""The plan node of the ``fft`` extension: a 1-D transform along one axis, per region.

An output region needs the whole transformed axis of the input and the same range on every
other axis, so a transform streams through the array in strips that are whole along one
axis; n-D transforms are 1-D transforms along each axis in turn (that is what an n-D DFT is).
pocketfft allocates its result and works outside the pool; a task charges those bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ooarray.chunks import Region, normalize_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["AxisTransformNode", "FFT_COPIES", "transform_dtype"]

#: Arrays of a strip's size that one ``np.fft`` call holds outside the pool: the input cast
#: to complex, the result, pocketfft's work copy.
FFT_COPIES = 3
#: pocketfft works in complex128 at most.
COMPLEX_BYTES = 16


class AxisTransformNode(RegionNode):
    """``func(x, n=n, axis=axis, norm=norm)`` of ``source``, region by region.

    Parameters
    ----------
    source : Node
    func : callable
        A 1-D ``numpy.fft`` transform.
    n : int
        Length of the output along ``axis``.
    n_input : int
        The ``n`` passed to ``func`` (the input is cropped or zero-padded to it).
    dtype : numpy.dtype
        The result dtype (NumPy's, found on a small stand-in).
    target_bytes : int
        Chunk size to aim for on the other axes.
    """

    def __init__(self, source: Node, func: Callable[..., np.ndarray], axis: int, n: int,
                 n_input: int, norm: str, dtype: np.dtype, target_bytes: int) -> None:
        shape = tuple(n if i == axis else length for i, length in enumerate(source.shape))
        fixed = tuple(-1 if i == axis else "auto" for i in range(len(shape)))
        strip = normalize_chunks(fixed, shape, FFT_COPIES * np.dtype(dtype).itemsize,
                                 target_bytes)
        # Keep the source's chunk boundaries on the other axes where they are small enough.
        chunks = tuple(strip[i] if i == axis or max(source.chunks[i], default=0) >
                       max(strip[i], default=0) else source.chunks[i]
                       for i in range(len(shape)))
        super().__init__(shape, dtype, chunks, [source])
        self.func, self.axis, self.n_input, self.norm = func, axis, n_input, norm

    @property
    def label(self) -> str:
        return self.func.__name__

    def _full_axis(self, region: Region) -> Region:
        whole = slice(0, self.inputs[0].shape[self.axis])
        return tuple(whole if i == self.axis else s for i, s in enumerate(region))

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], self._full_axis(region))]

    def _charged(self, region: Region) -> int:
        shape = region_shape(region)
        others = math.prod(length for i, length in enumerate(shape) if i != self.axis)
        along = max(self.inputs[0].shape[self.axis], self.n_input, self.shape[self.axis])
        return FFT_COPIES * others * along * COMPLEX_BYTES

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        with ctx.charge(self._charged(region)):
            result = self.func(arrays[0], n=self.n_input, axis=self.axis, norm=self.norm)
            part = result[tuple(s if i == self.axis else slice(None)
                                for i, s in enumerate(region))]
            np.copyto(out, part, casting="unsafe")
        return out

    def scratch_bytes(self, region: Region) -> int:
        return super().scratch_bytes(region) + self._charged(region)


def transform_dtype(func: Callable[..., Any], dtype: np.dtype) -> np.dtype:
    """Return the dtype NumPy's ``func`` gives for ``dtype`` input (on a 2-element stand-in)."""
    return func(np.zeros(2, dtype), n=2).dtype
