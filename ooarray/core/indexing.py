"""Normalising basic indices (slices, integers, ``...``, ``None``) against a shape."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

__all__ = ["normalize_basic_index", "is_basic_index", "is_valid_index_item",
           "INVALID_INDEX_MESSAGE"]

#: NumPy's message for an index item of no valid kind (a float, a string, ...).
INVALID_INDEX_MESSAGE = ("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                         "(`None`) and integer or boolean arrays are valid indices")


def is_basic_index(index: Any) -> bool:
    """Return whether ``index`` uses only slices, integers, ``...`` and ``None``."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, slice):
            continue
        if isinstance(item, (bool, np.bool_)):
            return False
        try:
            operator.index(item)
        except TypeError:
            return False
        if isinstance(item, np.ndarray) and item.ndim > 0:
            return False
    return True


def is_valid_index_item(item: Any) -> bool:
    """Return whether NumPy accepts ``item`` in an index (basic, or arrays/lists/bools)."""
    if item is None or item is Ellipsis or isinstance(item, (slice, bool, np.bool_, list, tuple)):
        return True
    if hasattr(item, "__array__") or hasattr(item, "__array_function__"):
        return True
    try:
        operator.index(item)
    except TypeError:
        return False
    return True


def normalize_basic_index(index: Any, shape: tuple[int, ...]) -> list[Any]:
    """Return one entry per input axis or new axis: ``(start, step, length)``, an int, or None.

    Raises NumPy's own errors (``IndexError``) by indexing a zero-strided stand-in of
    ``shape``, which costs no memory.

    Examples
    --------
    >>> normalize_basic_index((slice(2, -1), ..., None, 0), (10, 4, 5))
    [(2, 1, 7), (0, 1, 4), None, 0]
    """
    stand_in = np.broadcast_to(np.empty((), np.uint8), shape)
    stand_in[index]  # NumPy validates: IndexError for out-of-range, too many indices, ...
    items = list(index) if isinstance(index, tuple) else [index]
    consuming = sum(1 for item in items if item is not None and item is not Ellipsis)
    if any(item is Ellipsis for item in items):
        position = next(i for i, item in enumerate(items) if item is Ellipsis)
        items[position:position + 1] = [slice(None)] * (len(shape) - consuming)
    else:
        items += [slice(None)] * (len(shape) - consuming)
    result: list[Any] = []
    axis = 0
    for item in items:
        if item is None:
            result.append(None)
            continue
        length = shape[axis]
        if isinstance(item, slice):
            start, stop, step = item.indices(length)
            result.append((start, step, len(range(start, stop, step))))
        else:
            value = operator.index(item)
            result.append(value + length if value < 0 else value)
        axis += 1
    return result


def empty_masks_as_indices(items: list[Any]) -> list[Any]:
    """Replace each empty boolean array in ``items`` by one empty integer array per axis.

    NumPy reads a boolean index as its ``nonzero()``: an empty one selects nothing and, having
    no positions, is not checked against the shape (``x[np.zeros(0, bool)]`` is empty for any
    ``x``).
    """
    result: list[Any] = []
    for item in items:
        dtype = getattr(item, "dtype", None)
        if dtype == np.bool_ and item.ndim and not item.size:
            result += [np.zeros(0, np.intp)] * item.ndim
        else:
            result.append(item)
    return result
