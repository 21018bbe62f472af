"""Joining and splitting: concatenate, stack and its variants, block, split, pad.

Every join is one :class:`~ooarray.algorithms.joining.ConcatNode`: an output region reads the
regions of the inputs it spans, so nothing is copied beyond the region a task writes, and a
region inside one input is a view of it. The result dtype, the casting rules and the errors
are NumPy's: ``np.concatenate`` runs on zero-size stand-ins of the inputs (the joined axis
set to length 0, which costs nothing). Splits are slices. ``pad`` joins the array with the
pieces NumPy's pad writes (constants, edge broadcasts, reflected or wrapped slices, ramps,
statistics), axis by axis and in NumPy's order, so corners and large widths come out the same.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.exceptions import AxisError
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.joining import ConcatNode, concat_chunks, limit_chunks
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray, check_dtype
from ooarray.core.dispatch import implements
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import arange, asarray
from ooarray.ops.manipulation import (
    _index_along,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    expand_dims,
    ravel,
    reshape,
)

__all__ = ["concatenate", "append", "unstack", "stack", "vstack", "hstack", "dstack",
           "column_stack", "block", "split", "array_split", "hsplit", "vsplit", "dsplit",
           "roll", "indices"]


def _at(ndim: int, axis: int, item: Any) -> tuple:
    return tuple(item if a == axis else slice(None) for a in range(ndim))


def _stand_in(array: OOArray, axis: int | None) -> np.ndarray:
    """A zero-size array of ``array``'s dtype and shape with ``axis`` of length 0."""
    shape = list(array.shape)
    if shape:
        try:
            shape[normalize_axis_index(axis if axis is not None else 0, len(shape))] = 0
        except AxisError:
            shape = [0] * len(shape)  # NumPy raises for the axis whatever the lengths
    return np.empty(shape, array.dtype)


def _as_list(arrays: Any) -> list[OOArray]:
    if isinstance(arrays, OOArray):
        return list(arrays)
    return [asarray(x) for x in arrays]


# -- concatenate and stack ------------------------------------------------------------------
@implements(np.concatenate)
def concatenate(arrays: Any, /, axis: int | None = 0, out: Any = None, *, dtype: Any = None,
                casting: str = "same_kind") -> Any:
    """Join arrays along an existing axis, as ``np.concatenate``.

    Parameters
    ----------
    arrays : sequence of array_like
        OOArrays, ndarrays, lists; same shape except along ``axis``.
    axis : int or None
        None joins the flattened arrays.
    out : OOArray or ndarray, optional
    dtype : dtype, optional
        The result's dtype (not together with ``out``).
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        NumPy's: no arrays, 0-d arrays, shapes that differ off the axis.
    TypeError
        A cast the ``casting`` rule forbids, or both ``out`` and ``dtype``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.concatenate([oa.arange(3), np.arange(2)]).compute()
    array([0, 1, 2, 0, 1])
    """
    if out is not None and dtype is not None:
        raise TypeError("concatenate() only takes `out` or `dtype` as an argument, but both "
                        "were provided.")
    items = _as_list(arrays)
    if axis is None:
        items, axis = [ravel(x) for x in items], 0
    stand_ins = [_stand_in(x, axis) for x in items]
    probe = np.concatenate(stand_ins, axis=axis, dtype=dtype, casting=casting)
    if out is not None:  # NumPy's casting check into out's dtype
        target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
        np.concatenate(stand_ins, axis=axis, out=np.empty(probe.shape, target.dtype),
                       casting=casting)
    result_dtype = probe.dtype
    check_dtype(result_dtype)
    axis = normalize_axis_index(axis, probe.ndim)
    result = _join([x for x in items if x.shape[axis]] or items[:1], axis, result_dtype)
    return deliver_out(result, out, casting="unsafe")


def _join(items: list[OOArray], axis: int, dtype: np.dtype) -> OOArray:
    if len(items) == 1:
        return items[0] if items[0].dtype == dtype else items[0].astype(dtype)
    nodes = [x.node for x in items]
    widest = max(nodes, key=lambda node: node.nbytes)
    chunks = concat_chunks([widest] + nodes, axis)
    chunks = tuple(c if a != axis else concat_chunks(nodes, axis)[axis]
                   for a, c in enumerate(chunks))
    largest = max(math.prod(max(c) for c in node.chunks) * node.dtype.itemsize
                  for node in nodes)
    allowed = max(largest, target_chunk_bytes(_config.get().memory_limit))
    return OOArray(ConcatNode(nodes, axis, dtype, limit_chunks(chunks, dtype.itemsize, allowed)))


@implements(np.stack)
def stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None,
          casting: str = "same_kind") -> Any:
    """Join arrays of one shape along a new axis, as ``np.stack``.

    Raises
    ------
    ValueError
        No arrays, or arrays of different shapes.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.stack([oa.arange(2), oa.arange(2)], axis=1).compute()
    array([[0, 0],
           [1, 1]])
    """
    items = _as_list(arrays)
    if not items:
        raise ValueError("need at least one array to stack")
    if len({x.shape for x in items}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, items[0].ndim + 1)
    return concatenate([expand_dims(x, axis) for x in items], axis=axis, out=out, dtype=dtype,
                       casting=casting)


def _tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@implements(np.vstack)
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> OOArray:
    """Stack arrays as rows (axis 0 of their 2-D views), as ``np.vstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.vstack([oa.arange(2), [5, 6]]).compute()
    array([[0, 1],
           [5, 6]])
    """
    items = _as_list(tup)
    return concatenate(_tuple(atleast_2d(*items)) if items else [], 0, dtype=dtype,
                       casting=casting)


@implements(np.hstack)
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> OOArray:
    """Stack arrays as columns (axis 1, or axis 0 of 1-D arrays), as ``np.hstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.hstack([oa.arange(2), [5]]).compute()
    array([0, 1, 5])
    """
    items = _tuple(atleast_1d(*_as_list(tup))) if len(_as_list(tup)) else ()
    axis = 0 if items and items[0].ndim == 1 else 1
    return concatenate(list(items), axis, dtype=dtype, casting=casting)


@implements(np.dstack)
def dstack(tup: Any) -> OOArray:
    """Stack arrays along the third axis of their 3-D views, as ``np.dstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.dstack([oa.arange(2), oa.arange(2)]).shape
    (1, 2, 2)
    """
    items = _as_list(tup)
    return concatenate(list(_tuple(atleast_3d(*items))) if items else [], 2)


@implements(np.column_stack)
def column_stack(tup: Any) -> OOArray:
    """Stack 1-D arrays as columns of a 2-D array (others as they are), as
    ``np.column_stack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.column_stack([oa.arange(2), [5, 6]]).compute()
    array([[0, 5],
           [1, 6]])
    """
    columns = []
    for item in _as_list(tup):
        columns.append(atleast_2d(item).T if item.ndim < 2 else item)
    return concatenate(columns, 1)


@implements(np.append)
def append(arr: Any, values: Any, axis: int | None = None) -> OOArray:
    """Append ``values`` along ``axis`` (both flattened by default), as ``np.append``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.append(oa.arange(3), [[7, 8]]).compute()
    array([0, 1, 2, 7, 8])
    """
    array = asarray(arr)
    if axis is None:
        array, values, axis = ravel(array), ravel(asarray(values)), 0
    return concatenate((array, values), axis=axis)


@implements(np.unstack)
def unstack(x: Any, /, *, axis: int = 0) -> tuple[OOArray, ...]:
    """Split along ``axis`` into the arrays ``np.stack`` would join, as ``np.unstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [u.shape for u in np.unstack(oa.ones((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    array = asarray(x)
    if array.ndim == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = normalize_axis_index(axis, array.ndim)
    return tuple(array[_at(array.ndim, axis, i)] for i in range(array.shape[axis]))


# -- block ----------------------------------------------------------------------------------
def _path(index: list[int]) -> str:
    return "arrays" + "".join(f"[{i}]" for i in index)


def _block_depths(x: Any, index: list[int]) -> tuple[list[int], int]:
    """Check nested lists as ``np.block`` does; return the first leaf's index and the
    largest ndim of a leaf."""
    if type(x) is tuple:
        raise TypeError(f"{_path(index)} is a tuple. Only lists can be used to arrange "
                        f"blocks, and np.block does not allow implicit conversion from tuple "
                        f"to ndarray.")
    if type(x) is not list:
        return index, asarray(x).ndim
    if not x:
        raise ValueError(f"List at {_path(index)} cannot be empty")
    first: list[int] | None = None
    ndim = 0
    for i, item in enumerate(x):
        leaf, item_ndim = _block_depths(item, index + [i])
        if first is None:
            first = leaf
        elif len(leaf) != len(first):
            raise ValueError(f"List depths are mismatched. First element was at depth "
                             f"{len(first)}, but there is an element at depth {len(leaf)} "
                             f"({_path(leaf)})")
        ndim = max(ndim, item_ndim)
    return first, ndim


def _block(x: Any, depth: int, list_ndim: int, ndim: int) -> OOArray:
    if depth < list_ndim:
        return concatenate([_block(item, depth + 1, list_ndim, ndim) for item in x],
                           axis=-(list_ndim - depth))
    array = asarray(x)
    return array[(None,) * (ndim - array.ndim) + (Ellipsis,)] if array.ndim < ndim else array


@implements(np.block)
def block(arrays: Any) -> OOArray:
    """Assemble an array from nested lists of blocks, as ``np.block``: the innermost lists
    join along the last axis, the next along the one before, and so on.

    Raises
    ------
    ValueError
        Empty lists, or lists nested to different depths.
    TypeError
        Tuples in place of lists.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.block([[oa.ones((1, 2), int), np.zeros((1, 1), int)], [np.zeros((1, 3), int)]]).compute()
    array([[1, 1, 0],
           [0, 0, 0]])
    """
    first, ndim = _block_depths(arrays, [])
    list_ndim = len(first)
    return _block(arrays, 0, list_ndim, max(list_ndim, ndim))


# -- split ----------------------------------------------------------------------------------
@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[OOArray]:
    """Split into sub-arrays (of near-equal lengths for a count), as ``np.array_split``;
    each is a slice.

    Raises
    ------
    ValueError
        A section count below 1.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [x.shape for x in np.array_split(oa.arange(5), 2)]
    [(3,), (2,)]
    """
    array = asarray(ary)
    axis = normalize_axis_index(operator.index(axis), array.ndim)
    total = array.shape[axis]
    try:
        points = [0] + list(indices_or_sections) + [total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [array[_at(array.ndim, axis, slice(int(points[i]), int(points[i + 1])))]
            for i in range(len(points) - 1)]


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[OOArray]:
    """Split into equal sub-arrays or at indices, as ``np.split``.

    Raises
    ------
    ValueError
        A section count that does not divide the axis.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [x.compute().tolist() for x in np.split(oa.arange(4), [1])]
    [[0], [1, 2, 3]]
    """
    array = asarray(ary)
    try:
        len(indices_or_sections)
    except TypeError:
        sections = indices_or_sections
        if array.shape[normalize_axis_index(operator.index(axis), array.ndim)] % sections:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(array, indices_or_sections, axis)


def _split_at_least(name: str, ndim: int, axis: int):
    def splitter(ary: Any, indices_or_sections: Any) -> list[OOArray]:
        array = asarray(ary)
        if array.ndim < ndim:
            raise ValueError(f"{name} only works on arrays of {ndim} or more dimensions")
        return split(array, indices_or_sections, axis if array.ndim > 1 else 0)
    splitter.__name__ = name
    splitter.__doc__ = (f"Split along axis {axis} (axis 0 of 1-D arrays), as ``np.{name}``."
                        "\n\nExamples\n--------\n>>> import numpy as np, ooarray as oa\n"
                        f">>> len(np.{name}(oa.ones((2, 2, 2)), 2))\n2\n")
    return splitter


hsplit = implements(np.hsplit)(_split_at_least("hsplit", 1, 1))
vsplit = implements(np.vsplit)(_split_at_least("vsplit", 2, 0))
dsplit = implements(np.dsplit)(_split_at_least("dsplit", 3, 2))


@implements(np.roll)
def roll(a: Any, shift: Any, axis: Any = None) -> OOArray:
    """Roll elements along axes (the flattened array by default), as ``np.roll``.

    A roll is the concatenation of two slices of the input: nothing is copied beyond the
    chunk a task writes.

    Raises
    ------
    ValueError
        If ``shift`` and ``axis`` do not broadcast together.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.roll(oa.arange(5), 2).compute()
    array([3, 4, 0, 1, 2])
    """
    array = asarray(a)
    if axis is None:
        return reshape(roll(ravel(array), shift, 0), array.shape)
    axes = normalize_axis_tuple(axis, array.ndim, allow_duplicate=True)
    pairs = np.broadcast(shift, axes)
    if pairs.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    shifts = dict.fromkeys(range(array.ndim), 0)
    for sh, ax in pairs:
        shifts[int(ax)] += operator.index(sh)
    result = array
    for ax, sh in shifts.items():
        n = array.shape[ax]
        if not n or not sh % n:
            continue
        cut = n - sh % n
        result = concatenate([result[_index_along(array.ndim, ax, slice(cut, None))],
                              result[_index_along(array.ndim, ax, slice(None, cut))]], axis=ax)
    return result


# -- repeating ------------------------------------------------------------------------------


@implements(np.indices)
def indices(dimensions: Any, dtype: Any = int, sparse: bool = False) -> Any:
    """The index grid of an array of shape ``dimensions``, as ``np.indices``.

    NumPy does not dispatch ``np.indices`` (it takes no array), so call it as
    ``ooarray.ops.joining.indices`` (or ``ooarray.indices``).

    Examples
    --------
    >>> from ooarray.ops.joining import indices
    >>> indices((2, 3)).compute()[1]
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    dimensions = tuple(operator.index(n) for n in dimensions)
    dtype = np.dtype(dtype)
    ndim = len(dimensions)
    grids = []
    for i, n in enumerate(dimensions):
        shape = (1,) * i + (n,) + (1,) * (ndim - i - 1)
        grids.append(reshape(arange(n, dtype=dtype), shape))
    if sparse:
        return tuple(grids)
    if not ndim:
        return asarray(np.empty((0,), dtype=dtype))
    return stack([broadcast_to(g, dimensions) for g in grids])
