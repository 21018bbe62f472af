"""Sliding windows: ``np.lib.stride_tricks.sliding_window_view`` out of core.

NumPy returns a read-only view; here the result is a lazy array whose chunks read the input
with a halo of ``window - 1`` past them (:mod:`ooarray.algorithms.windows`). NumPy checks the
arguments and gives the shape, on a zero-byte stand-in of the input. ``writeable=True``
(a view one can write through) has no out-of-core meaning and raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.windows import WindowNode, window_chunks
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray

__all__ = ["sliding_window_view"]

_NOTHING = np.dtype([])


@implements(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(x: Any, window_shape: Any, axis: Any = None, *, subok: bool = False,
                        writeable: bool = False) -> OOArray:
    """Return the sliding windows of ``x``, as ``np.lib.stride_tricks.sliding_window_view``.

    Parameters
    ----------
    x : array_like
    window_shape : int or tuple of int
        The window's length along each axis of ``axis``.
    axis : int or tuple of int, optional
        The axes to slide along (all, in order, when None); an axis may repeat.
    subok : bool
        Accepted for NumPy's signature (the result is an OOArray).
    writeable : bool
        Must be False: the result is not a view of ``x``.

    Returns
    -------
    OOArray
        ``x``'s axes, each windowed one ``window - 1`` shorter, then one axis per window.

    Raises
    ------
    ValueError
        As NumPy: a negative window, a window longer than its axis, or a ``window_shape``
        that does not match ``axis``.
    TypeError
        If ``writeable`` is True.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6), chunks=4)
    >>> np.lib.stride_tricks.sliding_window_view(a, 3).compute()
    array([[0, 1, 2],
           [1, 2, 3],
           [2, 3, 4],
           [3, 4, 5]])
    """
    array = asarray(x)
    if writeable:
        raise TypeError("sliding_window_view(..., writeable=True) of an OOArray: the result is "
                        "not a view of the input, so writing to it could not change it; "
                        "compute the windows and copy them instead")
    window = tuple(np.atleast_1d(np.asarray(window_shape)).tolist()) \
        if np.iterable(window_shape) else (window_shape,)
    shape = np.lib.stride_tricks.sliding_window_view(
        np.empty(array.shape, _NOTHING), window_shape, axis).shape  # NumPy's errors
    if axis is None:
        axes = tuple(range(array.ndim))
    else:
        axes = normalize_axis_tuple(axis, array.ndim, allow_duplicate=True)
    window = tuple(int(w) for w in window)
    chunks = window_chunks(array.chunks, shape[:array.ndim], window, axes,
                           target_chunk_bytes(_config.get().memory_limit),
                           array.dtype.itemsize)
    return OOArray(WindowNode(array.node, window, axes, tuple(shape), chunks))
