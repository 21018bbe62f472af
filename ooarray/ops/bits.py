"""Bit packing: ``packbits`` and ``unpackbits`` out of core (issue 16).

Both are region nodes (``algorithms/bits.py``): a region of the result reads the region of
the input that holds its bits, starting on a byte boundary, so nothing is materialised
between the input and the result and both fuse into what reads them. The result's chunks
along the packed axis follow the input's: a packed chunk is made of one input chunk when the
input's chunks along the axis are multiples of 8 elements; otherwise a packed chunk reads
at most one input chunk's length across two neighbours (inputs chunked by fewer than 8
elements along the axis are rechunked to 8 first). An unpacked chunk holds the bits of one
input chunk (8 times its bytes) when that fits the chunk size the budget aims for, and
otherwise the bits of an eighth of one.

Arguments are checked by NumPy itself on a zero-size stand-in of the input's dtype, so
dtypes (integers or booleans for ``packbits``, uint8 for ``unpackbits``), axes and
``bitorder`` raise NumPy's exceptions. ``unpackbits`` with a ``count`` past the input's bits
pads with zero bits, as NumPy documents; on an empty input NumPy 2.4 leaves that padding
uninitialised, and it is zeros here.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.bits import PackBitsNode, UnpackBitsNode
from ooarray.chunks import normalize_chunks, target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.ops.manipulation import ravel

__all__ = ["packbits", "unpackbits"]


def _array(value: Any) -> OOArray:
    return value if isinstance(value, OOArray) else asarray(np.asarray(value))


def _stand_in(array: OOArray) -> np.ndarray:
    """A zero-size array of ``array``'s dimensions and dtype (NumPy checks arguments on it)."""
    return np.empty((0,) * array.ndim, array.dtype)


def _on_axis(array: OOArray, axis: Any) -> tuple[OOArray, int]:
    """``array`` flattened (``axis=None``; a 0-d array too, as NumPy) and the axis."""
    if axis is None or array.ndim == 0:
        return ravel(array), 0
    return array, normalize_axis_index(operator.index(axis), array.ndim)


def _grid(array: OOArray, axis: int, lengths: Any, shape: tuple[int, ...]) -> Any:
    """The input's chunks on the other axes, ``lengths`` (an int or a tuple) on ``axis``."""
    wanted = tuple(lengths if i == axis else c for i, c in enumerate(array.chunks))
    return normalize_chunks(wanted, shape, 1)


@implements(np.packbits)
def packbits(a: Any, /, axis: int | None = None, bitorder: str = "big") -> OOArray:
    """Pack the elements of an integer or boolean array into bits of uint8, as
    ``np.packbits``.

    Parameters
    ----------
    a : OOArray or array_like
        Integers or booleans: a nonzero element is a 1 bit.
    axis : int, optional
        The axis packed; None (the default) packs the flattened array.
    bitorder : {'big', 'little'}
        Whether the first element of each 8 is the byte's most or least significant bit.

    Returns
    -------
    OOArray of uint8
        ``a``'s shape with ``ceil(n / 8)`` along ``axis`` (1-D for ``axis=None``); the last
        byte is padded with zero bits.

    Raises
    ------
    TypeError
        If ``a`` is neither integer nor boolean, or ``axis`` is not an integer.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    ValueError
        For another ``bitorder``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([[1, 0, 1], [0, 1, 1]]), chunks=1)
    >>> np.packbits(a, axis=-1).tolist()
    [[160], [96]]
    >>> np.packbits(a).tolist()
    [172]
    """
    array = _array(a)
    np.packbits(_stand_in(array), axis=axis, bitorder=bitorder)  # NumPy's errors
    array, axis = _on_axis(array, axis)
    lengths = array.chunks[axis]
    if max(lengths) < 8 < array.shape[axis]:  # a byte would read several chunks: regroup
        array = array.rechunk(tuple(8 if i == axis else "auto" for i in range(array.ndim)))
        lengths = array.chunks[axis]
    shape = list(array.shape)
    shape[axis] = -(-shape[axis] // 8)
    if all(n % 8 == 0 for n in lengths[:-1]):  # a packed chunk of each input chunk
        packed: Any = tuple(-(-n // 8) for n in lengths)
    else:  # at most one input chunk's length, over two neighbours
        packed = max(1, max(lengths) // 8)
    chunks = _grid(array, axis, packed, tuple(shape))
    return OOArray(PackBitsNode(array.node, axis, bitorder, chunks))


def _count(count: Any, available: int) -> int:
    """The unpacked length: NumPy's checks of ``count``, on ``available`` bits."""
    if count is None:
        return available
    try:  # NumPy's TypeError for a count that is not an integer (a bool too)
        np.unpackbits(np.zeros(1, np.uint8), count=count)
    except ValueError:  # a negative count past one byte's bits: decided below
        pass
    count = operator.index(count)
    if count < 0:
        if -count > available:
            raise ValueError("-count larger than number of elements")
        return available + count
    return count


@implements(np.unpackbits)
def unpackbits(a: Any, /, axis: int | None = None, count: int | None = None,
               bitorder: str = "big") -> OOArray:
    """Unpack the bits of a uint8 array, as ``np.unpackbits``.

    Parameters
    ----------
    a : OOArray or array_like of uint8
    axis : int, optional
        The axis unpacked; None (the default) unpacks the flattened array.
    count : int, optional
        How many bits to keep along ``axis``: the first ``count``, all but the last
        ``-count``, or, past the bits ``a`` holds, those followed by zero bits. Default: all.
    bitorder : {'big', 'little'}
        Which bit of each byte comes first.

    Returns
    -------
    OOArray of uint8
        Zeros and ones, ``a``'s shape with ``8 n`` (or ``count``) along ``axis``.

    Raises
    ------
    TypeError
        If ``a`` is not uint8, or ``axis`` or ``count`` is not an integer.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    ValueError
        For another ``bitorder``, or a ``-count`` larger than the bits ``a`` holds.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([[2], [7]], dtype=np.uint8), chunks=1)
    >>> np.unpackbits(a, axis=1).tolist()
    [[0, 0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1, 1, 1]]
    >>> np.unpackbits(a, count=3, bitorder="little").tolist()
    [0, 1, 0]
    """
    array = _array(a)
    np.unpackbits(_stand_in(array), axis=axis, bitorder=bitorder)  # NumPy's errors
    array, axis = _on_axis(array, axis)
    length = _count(count, 8 * array.shape[axis])
    shape = list(array.shape)
    shape[axis] = length
    lengths = array.chunks[axis]
    others = math.prod(max(c) for i, c in enumerate(array.chunks) if i != axis)
    target = target_chunk_bytes(_config.get().memory_limit)
    chunk_bytes = max(lengths) * others
    bits = 8 * max(lengths) if 8 * chunk_bytes <= max(target, chunk_bytes) \
        else max(lengths)
    # zero padding past the input (a large count) in chunks of up to the target size
    bits = max(bits, min(-(-length // (8 * len(lengths))), target // max(1, others)))
    chunks = _grid(array, axis, max(1, bits), tuple(shape))
    return OOArray(UnpackBitsNode(array.node, axis, length, bitorder, chunks))
