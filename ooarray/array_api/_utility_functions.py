"""Utility functions: all, any, diff."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.array_api._helpers import as_array, normalize_axes
from ooarray.array_api._manipulation_functions import concat
from ooarray.core.array import OOArray

__all__ = ["all", "any", "diff"]


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def all(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:  # noqa: A001
    """Return whether every element along ``axis`` is true (nonzero).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> bool(xp.all(xp.asarray([1, 2, 0])))
    False
    """
    return np.all(as_array(x), axis=_axis(axis), keepdims=keepdims)


def any(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:  # noqa: A001
    """Return whether any element along ``axis`` is true (nonzero)."""
    return np.any(as_array(x), axis=_axis(axis), keepdims=keepdims)


def diff(x: OOArray, /, *, axis: int = -1, n: int = 1, prepend: OOArray | None = None,
         append: OOArray | None = None) -> OOArray:
    """Return the ``n``-th forward difference along ``axis`` (lazily, from two slices).

    Booleans differ by ``not_equal``, as in NumPy.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.diff(xp.asarray([1, 4, 9, 16]), n=2).tolist()
    [2, 2]
    """
    x = as_array(x)
    if x.ndim == 0:
        raise ValueError("diff takes an array of at least one dimension")
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    (axis,) = normalize_axes(axis, x.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = concat([as_array(p) for p in parts], axis=axis)
    op = np.not_equal if x.dtype.kind == "b" else np.subtract
    for _ in range(n):
        head = tuple(slice(1, None) if i == axis else slice(None) for i in range(x.ndim))
        tail = tuple(slice(None, -1) if i == axis else slice(None) for i in range(x.ndim))
        x = op(x[head], x[tail])
    return x
