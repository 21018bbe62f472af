"""Nodes of the bit-packing family (``ops/bits.py``): :class:`PackBitsNode` and
:class:`UnpackBitsNode`, region nodes over one source.

Byte ``k`` of ``np.packbits`` along an axis is made of elements ``8k .. 8k + 7`` alone (the
last byte of the axis is padded with zero bits), and bit ``i`` of ``np.unpackbits`` is bit
``i % 8`` of byte ``i // 8``. So any region of the output is NumPy's function of one region
of the input that starts on a byte boundary: an output range ``[a, b)`` of packed bytes reads
the elements ``[8a, 8b)`` (cut at the axis's end), and an output range ``[a, b)`` of bits
reads the bytes ``[a // 8, ceil(b / 8))``, unpacks them and drops the bits before ``a``. A
region past the last byte's bits (``count`` larger than the input holds) is zeros, as
NumPy's padding.
"""

from __future__ import annotations

import math

import numpy as np

from ooarray.chunks import Chunks, Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["PackBitsNode", "UnpackBitsNode"]

_UINT8 = np.dtype(np.uint8)


def _along(region: Region, axis: int, part: slice) -> Region:
    return region[:axis] + (part,) + region[axis + 1:]


class PackBitsNode(RegionNode):
    """``np.packbits(source, axis, bitorder)``: the axis ``ceil(n / 8)`` bytes long.

    Parameters
    ----------
    source : Node
        Of integers or booleans, at least 1-D.
    axis : int
        Non-negative.
    bitorder : str
        NumPy's (already checked by NumPy on a stand-in).
    chunks : chunk grid
        The output's.
    """

    def __init__(self, source: Node, axis: int, bitorder: str, chunks: Chunks) -> None:
        shape = list(source.shape)
        shape[axis] = -(-shape[axis] // 8)
        super().__init__(shape, _UINT8, chunks, [source])
        self.axis, self.bitorder = axis, bitorder

    @property
    def label(self) -> str:
        return "packbits"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        part = region[self.axis]
        length = source.shape[self.axis]
        wanted = slice(min(8 * part.start, length), min(8 * part.stop, length))
        return [(source, _along(region, self.axis, wanted))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), _UINT8)
        if out.size:
            with ctx.charge(out.nbytes):  # NumPy's result, before it is copied in
                out[...] = np.packbits(arrays[0], axis=self.axis, bitorder=self.bitorder)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 2 * math.prod(region_shape(region))


class UnpackBitsNode(RegionNode):
    """``np.unpackbits(source, axis, count, bitorder)``: the axis ``length`` bits long.

    Parameters
    ----------
    source : Node
        Of uint8, at least 1-D.
    axis : int
        Non-negative.
    length : int
        The output's length along ``axis`` (``8 n``, or NumPy's ``count``: shorter, or
        longer with zero bits after the input's).
    bitorder : str
    chunks : chunk grid
        The output's.
    """

    def __init__(self, source: Node, axis: int, length: int, bitorder: str,
                 chunks: Chunks) -> None:
        shape = list(source.shape)
        shape[axis] = length
        super().__init__(shape, _UINT8, chunks, [source])
        self.axis, self.bitorder = axis, bitorder

    @property
    def label(self) -> str:
        return "unpackbits"

    def _bytes(self, part: slice) -> slice:
        """The input bytes whose bits ``part`` holds (none past the input's end)."""
        length = self.inputs[0].shape[self.axis]
        start = min(part.start // 8, length)
        return slice(start, max(start, min(-(-part.stop // 8), length)))

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], _along(region, self.axis, self._bytes(region[self.axis])))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), _UINT8)
        if not out.size:
            return out
        part = region[self.axis]
        first = 8 * self._bytes(part).start  # the bit the input region starts at
        source = arrays[0]
        bits = part.stop - first
        if source.shape[self.axis] == 0:  # only padding (NumPy leaves it uninitialised)
            out[...] = 0
            return out
        with ctx.charge(self._unpacked_bytes(region)):
            # count past the bytes read pads with zeros, as NumPy's count past the input
            unpacked = np.unpackbits(source, axis=self.axis, count=bits,
                                     bitorder=self.bitorder)
            index = [slice(None)] * out.ndim
            index[self.axis] = slice(part.start - first, None)
            out[...] = unpacked[tuple(index)]
        return out

    def _unpacked_bytes(self, region: Region) -> int:
        shape = region_shape(region)
        extent = shape[self.axis]
        return math.prod(shape) // max(1, extent) * (extent + 7) if extent else 0

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) + self._unpacked_bytes(region)
