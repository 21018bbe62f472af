"""Convolution of a long 1-d array with a short in-memory kernel, as a region node.

``np.convolve(a, k, 'full')[j]`` is ``sum_i a[i] * k[j - i]``: an output range ``[s, e)``
needs the input range ``[s - (m - 1), e)`` (clipped to the input), a halo of ``m - 1``
elements before the region, as ``np.diff`` reads ``n`` after its own. Each region is NumPy's
``np.convolve`` of that block with the kernel, cut to the region. ``'same'``, ``'valid'`` and
correlations are windows of the full result (``start``); the ``ops`` layer works them out.
"""

from __future__ import annotations

import math

import numpy as np

from ooarray.chunks import Chunks, Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["ConvolveNode", "convolve_chunks"]


def convolve_chunks(length: int, input_chunks: tuple[int, ...], kernel: int,
                    target: int) -> Chunks:
    """A regular grid over ``length`` output elements: the input's largest chunk (at most
    ``target`` elements), but never shorter than the kernel, so the halo each chunk reads
    again is at most the chunk itself."""
    if length == 0:
        return ((0,),)
    size = max(min(max(input_chunks), target), kernel, 1)
    size = min(size, length)
    full, rest = divmod(length, size)
    return ((size,) * full + ((rest,) if rest else ()),)


class ConvolveNode(RegionNode):
    """``np.convolve(source, kernel, 'full')[start:start + length]`` of a 1-d ``source``.

    Parameters
    ----------
    source : Node
        The long 1-d input.
    kernel : ndarray
        The short 1-d kernel, in memory (frozen by the caller).
    start, length : int
        The window of the full convolution that is the output.
    dtype : numpy.dtype
        NumPy's result dtype of ``np.convolve(source, kernel)``.
    chunks : chunk grid
        The output's grid (:func:`convolve_chunks`).
    """

    def __init__(self, source: Node, kernel: np.ndarray, start: int, length: int,
                 dtype: np.dtype, chunks: Chunks) -> None:
        self.kernel, self.start = kernel, int(start)
        super().__init__((length,), dtype, chunks, [source])

    @property
    def label(self) -> str:
        return "convolve"

    def _span(self, region: Region) -> tuple[int, int]:
        """The input range an output region reads: its full-result range, plus the halo."""
        sel = region[0]
        if sel.stop <= sel.start:
            return sel.start, sel.start
        n, m = self.inputs[0].shape[0], len(self.kernel)
        first, last = sel.start + self.start, sel.stop + self.start
        return max(first - (m - 1), 0), min(last, n)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        lo, hi = self._span(region)
        return [(self.inputs[0], (slice(lo, hi),))]

    def _full_bytes(self, region: Region) -> int:
        """What ``np.convolve`` allocates: its result, and its inputs cast to its dtype."""
        lo, hi = self._span(region)
        m = len(self.kernel)
        return (2 * (hi - lo) + 3 * m) * self.dtype.itemsize

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        if not out.size:
            return out
        lo, _ = self._span(region)
        first = region[0].start + self.start - lo
        with ctx.charge(self._full_bytes(region)):
            full = np.convolve(arrays[0], self.kernel)
            np.copyto(out, full[first:first + out.size], casting="unsafe")
            del full
        return out

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize + self._full_bytes(region)
