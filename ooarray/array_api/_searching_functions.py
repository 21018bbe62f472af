"""Searching functions: argmax, argmin, count_nonzero, nonzero, searchsorted, where."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.array_api._dtypes import DEFAULT_DTYPES
from ooarray.array_api._helpers import as_array, as_operand, check_kind
from ooarray.core.array import OOArray

__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"]


def argmax(x: OOArray, /, *, axis: int | None = None, keepdims: bool = False) -> OOArray:
    """Return the index of the first largest element along ``axis`` (flat for None).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> int(xp.argmax(xp.asarray([1, 7, 7])))
    1
    """
    x = as_array(x)
    check_kind(x, "real numeric", "argmax")
    return np.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x: OOArray, /, *, axis: int | None = None, keepdims: bool = False) -> OOArray:
    """Return the index of the first smallest element along ``axis`` (flat for None)."""
    x = as_array(x)
    check_kind(x, "real numeric", "argmin")
    return np.argmin(x, axis=axis, keepdims=keepdims)


def count_nonzero(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:
    """Return how many elements along ``axis`` are nonzero (an int64 reduction).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> int(xp.count_nonzero(xp.asarray([0, 3, 0, 1])))
    2
    """
    x = as_array(x)
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sum(np.not_equal(x, 0), axis=axis, dtype=DEFAULT_DTYPES["indexing"],
                  keepdims=keepdims)


def nonzero(x: OOArray, /) -> tuple[OOArray, ...]:
    """Return the indices of the nonzero elements, one array per axis (count first, then
    compact: their length is known before they are filled)."""
    x = as_array(x)
    if x.ndim == 0:
        raise ValueError("nonzero is not defined for 0-d arrays")
    return tuple(np.nonzero(x))


def searchsorted(x1: OOArray, x2: OOArray, /, *, side: str = "left",
                 sorter: OOArray | None = None) -> OOArray:
    """Return where ``x2``'s elements would be inserted into the sorted 1-D ``x1``."""
    x1 = as_array(x1, "x1")
    if x1.ndim != 1:
        raise ValueError(f"searchsorted takes a 1-D x1; got {x1.ndim} dimensions")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right'; got {side!r}")
    kwargs = {} if sorter is None else {"sorter": as_array(sorter, "sorter")}
    return np.searchsorted(x1, as_operand(x2, "x2"), side=side, **kwargs)


def where(condition: OOArray, x1: OOArray | complex, x2: OOArray | complex, /) -> OOArray:
    """Return elements of ``x1`` where ``condition`` is true, of ``x2`` elsewhere (lazily).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.where(xp.asarray([True, False]), xp.asarray([1, 2]), 0).tolist()
    [1, 0]
    """
    condition = as_array(condition, "condition")
    check_kind(condition, "boolean", "where")
    return np.where(condition, as_operand(x1, "x1"), as_operand(x2, "x2"))
