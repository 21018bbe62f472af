"""Indexing functions: take and take_along_axis, through ooarray's gather."""

from __future__ import annotations

import numpy as np

from ooarray.array_api._helpers import as_array, check_kind
from ooarray.core.array import OOArray

__all__ = ["take", "take_along_axis"]


def take(x: OOArray, indices: OOArray, /, *, axis: int | None = None) -> OOArray:
    """Return the elements of ``x`` at ``indices`` along ``axis`` (required unless 1-D).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.take(xp.asarray([10, 20, 30]), xp.asarray([2, 0])).tolist()
    [30, 10]
    """
    x = as_array(x)
    indices = as_array(indices, "indices")
    check_kind(indices, "integer", "take")
    if axis is None:
        if x.ndim != 1:
            raise ValueError(f"take needs axis= for an array of {x.ndim} dimensions")
        axis = 0
    return np.take(x, indices, axis=axis)


def take_along_axis(x: OOArray, indices: OOArray, /, *, axis: int = -1) -> OOArray:
    """Return the elements of ``x`` at ``indices``, matched along every other axis."""
    x = as_array(x)
    indices = as_array(indices, "indices")
    check_kind(indices, "integer", "take_along_axis")
    return np.take_along_axis(x, indices, axis=axis)
