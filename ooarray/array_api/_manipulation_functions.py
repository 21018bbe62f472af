"""Manipulation functions. Axis permutations, flips, squeezes and new axes are views
(slices and transposes in the plan); joins, repeats and rolls go to ooarray's registrations."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ooarray.array_api._data_type_functions import result_type
from ooarray.array_api._helpers import as_array, normalize_axes
from ooarray.core.array import OOArray

__all__ = ["concat", "expand_dims", "flip", "moveaxis", "permute_dims", "repeat", "reshape",
           "roll", "squeeze", "stack", "tile", "unstack"]


def _arrays(arrays: Any, func: str) -> list[OOArray]:
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError(f"{func} takes a non-empty tuple or list of arrays")
    arrays = [as_array(a) for a in arrays]
    dtype = result_type(*arrays)
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def concat(arrays: Any, /, *, axis: int | None = 0) -> OOArray:
    """Join arrays along an existing axis (flattened first for ``axis=None``).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.concat([xp.asarray([1, 2]), xp.asarray([3])]).tolist()
    [1, 2, 3]
    """
    arrays = _arrays(arrays, "concat")
    if axis is None:
        arrays = [reshape(a, (-1,)) for a in arrays]
        axis = 0
    return np.concatenate(arrays, axis=axis)


def stack(arrays: Any, /, *, axis: int = 0) -> OOArray:
    """Join arrays of one shape along a new axis."""
    arrays = _arrays(arrays, "stack")
    if len({a.shape for a in arrays}) > 1:
        raise ValueError("all input arrays must have the same shape")
    (axis,) = normalize_axes(axis, arrays[0].ndim + 1)
    return concat([expand_dims(a, axis=axis) for a in arrays], axis=axis)


def expand_dims(x: OOArray, /, axis: int = 0) -> OOArray:
    """Insert a length-1 axis at ``axis`` (a view).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.expand_dims(xp.ones((2, 3)), axis=-1).shape
    (2, 3, 1)
    """
    x = as_array(x)
    (axis,) = normalize_axes(axis, x.ndim + 1)
    return x[(slice(None),) * axis + (None,)]


def flip(x: OOArray, /, *, axis: Any = None) -> OOArray:
    """Reverse the order of elements along ``axis`` (all axes by default; a view)."""
    x = as_array(x)
    axes = normalize_axes(axis, x.ndim)
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def permute_dims(x: OOArray, /, axes: tuple[int, ...]) -> OOArray:
    """Permute the axes (a view)."""
    x = as_array(x)
    if len(axes) != x.ndim:
        raise ValueError(f"axes {axes} don't match an array of {x.ndim} dimensions")
    return x.transpose(tuple(axes))


def moveaxis(x: OOArray, source: Any, destination: Any, /) -> OOArray:
    """Move axes to new positions, the others keeping their order (a view)."""
    x = as_array(x)
    source = normalize_axes(source, x.ndim)
    destination = normalize_axes(destination, x.ndim)
    if len(source) != len(destination):
        raise ValueError("source and destination must have the same number of elements")
    order = [i for i in range(x.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return x.transpose(tuple(order))


def reshape(x: OOArray, /, shape: tuple[int, ...], *, copy: bool | None = None) -> OOArray:
    """Give ``x`` a new shape (lazily; one entry may be -1)."""
    return np.reshape(as_array(x), tuple(shape))


def squeeze(x: OOArray, /, axis: Any) -> OOArray:
    """Remove length-1 axes (a view); ValueError for an axis that is not length 1."""
    x = as_array(x)
    axes = normalize_axes(axis, x.ndim)
    if any(x.shape[i] != 1 for i in axes):
        raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return x[tuple(0 if i in axes else slice(None) for i in range(x.ndim))]


def unstack(x: OOArray, /, *, axis: int = 0) -> tuple[OOArray, ...]:
    """Split ``x`` into the views along ``axis``."""
    x = as_array(x)
    if x.ndim == 0:
        raise ValueError("unstack takes an array of at least one dimension")
    (axis,) = normalize_axes(axis, x.ndim)
    return tuple(x[(slice(None),) * axis + (i,)] for i in range(x.shape[axis]))


def repeat(x: OOArray, repeats: Any, /, *, axis: int | None = None) -> OOArray:
    """Repeat each element ``repeats`` times along ``axis`` (flattened for None)."""
    x = as_array(x)
    if not isinstance(repeats, int):
        repeats = as_array(repeats, "repeats")
    return np.repeat(x, repeats, axis=axis)


def roll(x: OOArray, /, shift: Any, *, axis: Any = None) -> OOArray:
    """Shift elements along ``axis`` cyclically (flattened for None)."""
    return np.roll(as_array(x), shift, axis=axis)


def tile(x: OOArray, repetitions: tuple[int, ...], /) -> OOArray:
    """Repeat the whole array ``repetitions`` times along each axis."""
    return np.tile(as_array(x), tuple(operator.index(r) for r in repetitions))
