"""Sorting functions: sort and argsort, with the standard's ``descending`` and ``stable``."""

from __future__ import annotations

import numpy as np

from ooarray.array_api._helpers import as_array, normalize_axes
from ooarray.core.array import OOArray

__all__ = ["argsort", "sort"]


def _flip(x: OOArray, axis: int) -> OOArray:
    return x[tuple(slice(None, None, -1) if i == axis else slice(None) for i in range(x.ndim))]


def sort(x: OOArray, /, *, axis: int = -1, descending: bool = False,
         stable: bool = True) -> OOArray:
    """Return ``x`` sorted along ``axis`` (NaNs last; first for ``descending``).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.sort(xp.asarray([3, 1, 2]), descending=True).tolist()
    [3, 2, 1]
    """
    x = as_array(x)
    (axis,) = normalize_axes(axis, x.ndim) if x.ndim else (None,)
    if x.ndim == 0:
        raise ValueError("sort takes an array of at least one dimension")
    result = np.sort(x, axis=axis, kind="stable" if stable else None)
    return _flip(result, axis) if descending else result


def argsort(x: OOArray, /, *, axis: int = -1, descending: bool = False,
            stable: bool = True) -> OOArray:
    """Return the indices that sort ``x`` along ``axis``; equal elements keep their order
    when ``stable`` (also when ``descending``).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.argsort(xp.asarray([1, 3, 1]), descending=True).tolist()
    [1, 0, 2]
    """
    x = as_array(x)
    if x.ndim == 0:
        raise ValueError("argsort takes an array of at least one dimension")
    (axis,) = normalize_axes(axis, x.ndim)
    kind = "stable" if stable else None
    if not descending:
        return np.argsort(x, axis=axis, kind=kind)
    # Sorting the reversed array ascending and reversing back keeps ties in their order.
    reversed_order = _flip(np.argsort(_flip(x, axis), axis=axis, kind=kind), axis)
    return np.subtract(x.shape[axis] - 1, reversed_order)
