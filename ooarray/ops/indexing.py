"""Advanced indexing: integer-array (fancy) indexing, boolean masks, take, nonzero, ...

Reading only (assignment is :mod:`ooarray.ops.assignment`). Everything follows NumPy's rules,
checked against NumPy for shapes, dtypes, values and exception types:

* ``a[mask]`` with a mask of ``a``'s shape is counted first (:class:`~ooarray.algorithms.compact.
  CountNode`) and then compacted into a 1-D array of exactly known length and chunks
  (:class:`~ooarray.algorithms.compact.CompactNode`), in row-major order for any chunk grid.
* Any other index with arrays is basic slicing first (a :class:`~ooarray.plan.regions.
  SliceNode` on the axes that slices, integers-with-arrays and ``None`` touch), then one
  :class:`~ooarray.algorithms.indexing.GatherNode` over the advanced axes: boolean arrays become
  their ``nonzero()`` integer arrays (count first), integers among arrays are 0-d arrays,
  all broadcast together, and the broadcast axes go where NumPy puts them (in place when the
  advanced indices are adjacent, first when a slice, ``None`` or ``...`` separates them).
* Index arrays that are OOArrays are never computed whole: a cheap pass over their chunks
  finds their extremes (NumPy's ``IndexError``) and which source blocks each chunk touches.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.compact import CompactNode, CountNode
from ooarray.algorithms.indexing import (
    GatherNode,
    TouchedNode,
    gather_chunks,
    touched_blocks,
    touched_map,
)
from ooarray.chunks import block_region, iter_blocks, target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements, implements_method
from ooarray.core.indexing import INVALID_INDEX_MESSAGE, empty_masks_as_indices, is_valid_index_item
from ooarray.ops._operands import compute_small, constant_node, deliver_out
from ooarray.ops.creation import asarray
from ooarray.plan.graph import ConstantNode
from ooarray.plan.regions import TransposeNode, broadcast_chunks, broadcast_region

__all__ = ["getitem", "take", "take_along_axis", "compress", "nonzero", "argwhere",
           "flatnonzero", "boolean_mask"]

_INTP = np.dtype(np.intp)
_ARRAY_DTYPE_MESSAGE = "arrays used as indices must be of integer (or boolean) type"
#: Stands for an ``...`` that covers no axis: it takes no axis but separates advanced indices.
_SEPARATOR = object()


def _target_bytes() -> int:
    return target_chunk_bytes(_config.get().memory_limit)


def _empty(shape: tuple[int, ...], dtype: np.dtype) -> OOArray:
    return OOArray(constant_node(np.empty(shape, dtype)))


# -- boolean masks: count first, then compact ------------------------------------------------
def _compact(data: OOArray | None, mask: OOArray) -> OOArray:
    """``data[mask]`` (``data`` None: the coordinates of the True positions, ``(n, ndim)``)."""
    source = data if data is not None else mask
    coords_shape = (len(mask.shape),)
    if mask.size == 0:
        return _empty((0,) if data is not None else (0,) + coords_shape,
                      data.dtype if data is not None else _INTP)
    counts = compute_small(OOArray(CountNode(mask.node, source.chunks)),
                           "counting the mask's True values per block row",
                           "raise memory_limit or rechunk the array with longer chunks along "
                           "its trailing axes")
    if not counts.any():
        return _empty((0,) if data is not None else (0,) + coords_shape,
                      data.dtype if data is not None else _INTP)
    item = data.dtype.itemsize if data is not None else _INTP.itemsize * coords_shape[0]
    node = CompactNode(data.node if data is not None else None, mask.node, source.chunks,
                       counts, max(1, _target_bytes() // item))
    return OOArray(node)


def boolean_mask(a: Any, mask: Any) -> OOArray:
    """Return ``a[mask]`` for a boolean ``mask`` of ``a``'s shape, in row-major order.

    Count first: a cheap pass counts the True values per block row, then a compaction with
    an exactly known length reads each block once and places its elements.

    Parameters
    ----------
    a : array_like
    mask : array_like of bool
        Same shape as ``a``.

    Returns
    -------
    OOArray
        One axis, ``mask.sum()`` elements of ``a``'s dtype.

    Raises
    ------
    IndexError
        If ``mask`` is not boolean or its shape is not ``a``'s.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6).reshape(2, 3), chunks=(1, 2))
    >>> boolean_mask(a, a % 2 == 1).compute()
    array([1, 3, 5])
    """
    array, mask = asarray(a), asarray(mask)
    if mask.dtype != np.bool_:
        raise IndexError(_ARRAY_DTYPE_MESSAGE)
    _check_mask_shape(mask.shape, array.shape, 0)
    if array.ndim == 0:
        return _compact(array.reshape(1), mask.reshape(1))
    return _compact(array, mask)


def _check_mask_shape(mask_shape: tuple[int, ...], shape: tuple[int, ...], first: int) -> None:
    for offset, (got, length) in enumerate(zip(mask_shape, shape[first:])):
        if got != length:
            raise IndexError(
                f"boolean index did not match indexed array along axis {first + offset}; "
                f"size of axis is {length} but size of corresponding boolean axis is {got}")


@implements(np.nonzero)
def nonzero(a: Any) -> tuple[OOArray, ...]:
    """Return the indices of the nonzero elements, one OOArray per axis, as ``np.nonzero``.

    Count first, then one compaction that writes all coordinates at once (``argwhere``); each
    returned array is a column of it.

    Parameters
    ----------
    a : array_like
        At least one axis.

    Returns
    -------
    tuple of OOArray
        intp arrays of equal length, in row-major order.

    Raises
    ------
    ValueError
        For a 0-d array, as NumPy 2.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> rows, cols = np.nonzero(oa.asarray(np.eye(3), chunks=2))
    >>> rows.compute(), cols.compute()
    (array([0, 1, 2]), array([0, 1, 2]))
    """
    array = asarray(a)
    if array.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "np.atleast_1d(scalar).nonzero() instead. If the context of this "
                         "error is of the form `arr[nonzero(cond)]`, just use `arr[cond]`.")
    coords = _compact(None, array)
    return tuple(coords[:, axis] for axis in range(array.ndim))


@implements(np.argwhere)
def argwhere(a: Any) -> OOArray:
    """Return the coordinates of the nonzero elements, ``(n, a.ndim)``, as ``np.argwhere``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.argwhere(oa.asarray([[0, 3], [4, 0]])).compute()
    array([[0, 1],
           [1, 0]])
    """
    array = asarray(a)
    if array.ndim == 0:
        return _compact(None, array.reshape(1))[:, :0]
    return _compact(None, array)


@implements(np.flatnonzero)
def flatnonzero(a: Any) -> OOArray:
    """Return the indices of the nonzero elements of the flattened array, as ``np.flatnonzero``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.flatnonzero(oa.asarray([[0, 3], [4, 0]])).compute()
    array([1, 2])
    """
    return nonzero(asarray(a).reshape(-1))[0]


# -- parsing an index ------------------------------------------------------------------------
class _Advanced:
    """An integer index array (ndarray or OOArray) on one axis of the sliced array."""

    def __init__(self, value: Any, axis: int) -> None:
        self.value, self.axis = value, axis

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value)) if not isinstance(self.value, OOArray) \
            else self.value.shape


def _as_index_array(item: Any) -> Any:
    """Return ``item`` as an OOArray or ndarray index of bool or integer dtype, or an int."""
    if isinstance(item, OOArray):
        if item.dtype.kind not in "biu":
            raise IndexError(_ARRAY_DTYPE_MESSAGE)
        return item
    if isinstance(item, (bool, np.bool_)):
        return np.asarray(item)
    if isinstance(item, (list, tuple)) or hasattr(item, "__array__"):
        array = np.asarray(item)
        if array.size == 0 and array.dtype.kind == "f" and not hasattr(item, "__array__"):
            array = array.astype(_INTP)  # NumPy reads an empty list as an integer index
        if array.dtype.kind not in "biu":
            raise IndexError(_ARRAY_DTYPE_MESSAGE)
        if array.ndim == 0 and array.dtype.kind != "b":
            return int(array)
        return array
    return operator.index(item)


def _consumed(item: Any) -> int:
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, (np.ndarray, OOArray)) and item.dtype.kind == "b":
        return item.ndim
    return 1


def _expand(index: Any, ndim: int) -> list[Any]:
    """Convert the items and replace ``...`` by slices: one entry per axis or new axis."""
    items = list(index) if isinstance(index, tuple) else [index]
    if not all(is_valid_index_item(item) for item in items):
        raise IndexError(INVALID_INDEX_MESSAGE)
    items = empty_masks_as_indices([
        item if item is None or item is Ellipsis or isinstance(item, slice)
        else _as_index_array(item) for item in items])
    ellipses = sum(1 for item in items if item is Ellipsis)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_consumed(item) for item in items)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed")
    fill = [slice(None)] * (ndim - used)
    if ellipses:
        # An ellipsis that stands for no axis still separates advanced indices (NumPy's rule).
        position = next(i for i, item in enumerate(items) if item is Ellipsis)
        items[position:position + 1] = fill or [_SEPARATOR]
    else:
        items += fill
    return items


def _in_memory_nonzero(mask: np.ndarray) -> tuple[Any, ...]:
    """``mask.nonzero()`` in memory when the result is small, else out of core."""
    if mask.size * mask.ndim * _INTP.itemsize <= _target_bytes():
        return np.nonzero(mask)
    return nonzero(asarray(mask))


def _parse(items: list[Any], shape: tuple[int, ...]) -> tuple[list[Any], list[_Advanced],
                                                              list[int], bool]:
    """Return the basic index (advanced items as full slices), the advanced indices on the
    axes of the sliced array, each advanced index's axis in the original array, and whether
    the advanced indices are adjacent (nothing separates them)."""
    basic: list[Any] = []
    advanced: list[_Advanced] = []
    origin: list[int] = []
    places: list[int] = []  # position of each advanced index among the index items
    axis = 0

    def add(value: Any, consumes: bool) -> None:
        advanced.append(_Advanced(value, len(basic)))
        origin.append(axis)
        places.append(len(basic) + separators)
        basic.append(slice(None) if consumes else None)

    separators = 0
    for item in items:
        if item is _SEPARATOR:
            separators += 1
            continue
        if item is None or isinstance(item, slice):
            basic.append(item)
            axis += item is not None
            continue
        if isinstance(item, int):
            length = shape[axis]
            if not -length <= item < length:
                raise IndexError(f"index {item} is out of bounds for axis {axis} with size "
                                 f"{length}")
            add(np.asarray(item, _INTP), True)
            axis += 1
            continue
        if item.dtype.kind == "b":
            if item.ndim == 0:  # True / False: a new axis of length 1, picked 1 or 0 times
                add(np.zeros(int(bool(item)), _INTP), False)
                continue
            _check_mask_shape(item.shape, shape, axis)
            columns = _in_memory_nonzero(item) if isinstance(item, np.ndarray) \
                else nonzero(item)
            for column in columns:
                add(column, True)
                axis += 1
            continue
        add(item, True)
        axis += 1
    adjacent = places == list(range(places[0], places[0] + len(places))) if places else True
    return basic, advanced, origin, adjacent


def _index_shape(advanced: list[_Advanced]) -> tuple[int, ...]:
    shapes = [entry.shape for entry in advanced]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        shown = " ".join(str(s) for s in shapes)
        raise IndexError(f"shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {shown} ") from None


def _check_bounds(low: int, high: int, length: int, axis: int) -> None:
    if high >= length:
        raise IndexError(f"index {high} is out of bounds for axis {axis} with size {length}")
    if low < -length:
        raise IndexError(f"index {low} is out of bounds for axis {axis} with size {length}")


@implements_method("getitem")
def getitem(array: OOArray, index: Any) -> OOArray:
    """``array[index]`` for an index with integer or boolean arrays (NumPy's advanced indexing).

    Parameters
    ----------
    array : OOArray
    index : any NumPy index
        Slices, integers, ``...``, ``None``, lists, ndarrays and OOArrays of integers or bools.

    Returns
    -------
    OOArray

    Raises
    ------
    IndexError
        As NumPy: out-of-bounds indices, too many indices, index arrays that do not
        broadcast, boolean arrays of the wrong shape, arrays of other dtypes.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(12).reshape(3, 4), chunks=2)
    >>> a[[2, 0], 1:3].compute()
    array([[ 9, 10],
           [ 1,  2]])
    >>> a[a > 8].compute()
    array([ 9, 10, 11])
    """
    items = _expand(index, array.ndim)
    masks = [i for i, item in enumerate(items) if isinstance(item, (np.ndarray, OOArray))
             and item.dtype.kind == "b" and item.ndim]
    others = [item for item in items if item is not _SEPARATOR and
              not (isinstance(item, slice) and item == slice(None))]
    if len(masks) == 1 and len(others) == 1 and items[masks[0]].ndim == array.ndim:
        return boolean_mask(array, items[masks[0]])
    basic, advanced, origin, adjacent = _parse(items, array.shape)
    sliced = array[tuple(basic)]
    return _gather(sliced, advanced, origin, adjacent)


def _gather(sliced: OOArray, advanced: list[_Advanced], origin: list[int],
            adjacent: bool = True) -> OOArray:
    """Index ``sliced`` with integer arrays on the axes of ``advanced``, NumPy's layout."""
    index_shape = _index_shape(advanced)
    axes = [entry.axis for entry in advanced]
    lengths = [sliced.shape[axis] for axis in axes]
    in_memory = all(not isinstance(entry.value, OOArray) for entry in advanced)
    kept = [a for a in range(sliced.ndim) if a not in axes]
    out_shape = index_shape + tuple(sliced.shape[a] for a in kept)
    if not math.prod(index_shape):  # NumPy checks no array index that picks nothing
        return _arrange(_empty(out_shape, sliced.dtype), axes, len(index_shape), adjacent)
    if in_memory:
        for entry, length, axis in zip(advanced, lengths, origin):
            if entry.value.size:
                _check_bounds(int(entry.value.min()), int(entry.value.max()), length, axis)
    nodes = [entry.value.node if isinstance(entry.value, OOArray)
             else constant_node(np.asarray(entry.value)) for entry in advanced]
    kept_items = math.prod(max(sliced.chunks[a]) if sliced.chunks[a] else 1 for a in kept)
    per_position = kept_items * sliced.itemsize + _INTP.itemsize * (3 * len(axes) + 1)
    # The index grid follows OOArray indices first: their chunks are what tasks read.
    ordered = [n for n in nodes if not isinstance(n, ConstantNode)] + \
        [n for n in nodes if isinstance(n, ConstantNode)]
    grid = gather_chunks(broadcast_chunks(index_shape, ordered), per_position, _target_bytes())
    axis_chunks = [sliced.chunks[a] for a in axes]
    if in_memory:
        touched = {}
        for block in iter_blocks(grid):
            region = block_region(grid, block)
            parts = [np.broadcast_to(np.asarray(entry.value)[broadcast_region(
                region, index_shape, entry.shape)], [s.stop - s.start for s in region])
                for entry in advanced]
            touched[block] = touched_blocks(parts, lengths, axis_chunks)[0]
    else:
        pass_node = TouchedNode(nodes, index_shape, grid, lengths, axis_chunks)
        table = compute_small(OOArray(pass_node),
                              "the map of the source blocks each index chunk touches",
                              "raise memory_limit or use larger index chunks or an array with "
                              "fewer blocks")
        extremes = table.reshape(-1, table.shape[-1])[:, pass_node.blocks:].reshape(
            -1, len(nodes), 2)
        for number, (length, axis) in enumerate(zip(lengths, origin)):
            low, high = extremes[:, number, 0].min(), extremes[:, number, 1].max()
            if low <= high:
                _check_bounds(int(low), int(high), length, axis)
        touched = touched_map(grid, table, pass_node.blocks)
    if math.prod(out_shape) == 0:
        result = _empty(out_shape, sliced.dtype)
    else:
        result = OOArray(GatherNode(sliced.node, axes, nodes, index_shape, grid, touched))
    return _arrange(result, axes, len(index_shape), adjacent)


def _arrange(result: OOArray, axes: list[int], nb: int, adjacent: bool) -> OOArray:
    """Move the index axes (first in a gather's output) where NumPy puts them: in place of
    the indexed axes when the advanced indices are adjacent."""
    if adjacent and axes[0] > 0:
        before = list(range(nb, nb + axes[0]))
        order = before + list(range(nb)) + list(range(nb + axes[0], result.ndim))
        return OOArray(TransposeNode(result.node, order))
    return result


# -- NumPy functions -------------------------------------------------------------------------
@implements(np.take)
def take(a: Any, indices: Any, axis: int | None = None, out: Any = None,
         mode: str = "raise") -> OOArray:
    """Take elements along an axis, as ``np.take``.

    Parameters
    ----------
    a : array_like
    indices : array_like of int
        An OOArray is read chunk by chunk.
    axis : int, optional
        Default: the flattened array.
    out : ndarray or OOArray, optional
    mode : {'raise', 'wrap', 'clip'}

    Returns
    -------
    OOArray

    Raises
    ------
    IndexError
        Out-of-bounds indices with ``mode='raise'``; a non-empty take from an empty axis.
    ValueError
        For an unknown ``mode``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.take(oa.arange(10, 20), [7, -1, 12], mode="wrap").compute()
    array([17, 19, 12])
    """
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    array = asarray(a)
    if axis is None or array.ndim == 0:  # NumPy takes from a 0-d array as from shape (1,)
        array, axis = array.reshape(-1), 0 if axis is None else axis
    axis = normalize_axis_index(axis, array.ndim)
    length = array.shape[axis]
    if isinstance(indices, (OOArray, np.ndarray)):
        if not np.can_cast(indices.dtype, _INTP, "same_kind"):
            raise TypeError(f"Cannot cast array data from {indices.dtype!r} to "
                            f"{_INTP!r} according to the rule 'same_kind'")
        index: Any = indices.astype(_INTP, copy=False)
    else:  # a list or scalar: NumPy converts each item to an integer
        values = np.asarray(indices)
        if values.dtype.kind == "c":
            raise TypeError("int() argument must be a string, a bytes-like object or a real "
                            "number, not 'complex'")
        index = values.astype(_INTP)
    size = index.size
    if mode != "raise" and size:
        if length == 0:
            raise IndexError("cannot do a non-empty take from an empty axes.")
        if mode == "wrap":
            index = np.mod(index, length)
        else:
            index = np.minimum(np.maximum(index, 0), length - 1)
    if isinstance(index, np.ndarray) and index.ndim == 0:
        index = int(index)  # a scalar index drops the axis, as basic indexing does
    result = array[(slice(None),) * axis + (index,)]
    return deliver_out(result, out, casting="unsafe")


@implements(np.take_along_axis)
def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> OOArray:
    """Take values along an axis at the positions ``indices`` gives, as ``np.take_along_axis``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray([[10, 30, 20], [60, 40, 50]])
    >>> np.take_along_axis(a, np.argsort(np.asarray(a), axis=1), axis=1).compute()
    array([[10, 20, 30],
           [40, 50, 60]])
    """
    array = asarray(arr)
    index = indices if isinstance(indices, OOArray) else np.asarray(indices)
    if index.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        if index.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        array, axis = array.reshape(-1), 0
    if index.ndim != array.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = normalize_axis_index(axis, array.ndim)
    items: list[Any] = []
    for i in range(array.ndim):
        if i == axis:
            items.append(index)
        else:
            shape = [1] * array.ndim
            shape[i] = array.shape[i]
            items.append(np.arange(array.shape[i], dtype=_INTP).reshape(shape))
    return array[tuple(items)]


@implements(np.compress)
def compress(condition: Any, a: Any, axis: int | None = None, out: Any = None) -> OOArray:
    """Return the slices of ``a`` along ``axis`` where ``condition`` is True, as ``np.compress``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.compress([True, False, True], oa.asarray([[1, 2], [3, 4], [5, 6]]), axis=0).compute()
    array([[1, 2],
           [5, 6]])
    """
    array = asarray(a)
    if axis is None:
        array, axis = array.reshape(-1), 0
    axis = normalize_axis_index(axis, array.ndim)
    condition = condition if isinstance(condition, OOArray) else np.asarray(condition)
    if condition.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    if condition.shape[0] > array.shape[axis]:
        raise IndexError(f"index {array.shape[axis]} is out of bounds for axis {axis} with "
                         f"size {array.shape[axis]}")
    if isinstance(condition, OOArray):
        picked = nonzero(condition.astype(bool, copy=False))[0]
    else:
        picked = np.flatnonzero(condition)
    return deliver_out(array[(slice(None),) * axis + (picked,)], out, casting="unsafe")
