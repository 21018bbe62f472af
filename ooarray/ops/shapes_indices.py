"""Shapes: ``delete``, ``insert``, ``resize``, ``trim_zeros``, ``extract``, ``choose``
(the diagonals, products and index tricks are in :mod:`ooarray.ops.index_tricks`).

All of them are compositions of what the other families build, so they stay out of core
without nodes of their own: deletions and insertions at a few positions are concatenations
of slices (views); at many positions, a mask compacted count-first (``delete``) or a gather
by an in-memory permutation of the axis (``insert``, budget-checked). ``diag``, the triangle
indices and ``unravel_index`` are elementwise expressions over ``arange``; ``kron`` a
broadcast product merged by a reshape; ``choose`` a kernel over the broadcast operands.
Values that decide an error (``mode='raise'`` bounds) are checked by a cheap min/max pass
before the result is built, so errors are NumPy's and come at the call, as NumPy's do.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.mapped import KernelNode
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE, as_operand, compute_small, constant_node
from ooarray.ops.creation import arange, asarray, zeros
from ooarray.ops.elementwise import output_chunks
from ooarray.ops.indexing import boolean_mask, compress, nonzero, take
from ooarray.ops.joining import concatenate, stack
from ooarray.ops.manipulation import broadcast_to, moveaxis, ravel, reshape
from ooarray.ops.sets import isin
from ooarray.plan.graph import Node

__all__ = ["delete", "insert", "resize", "trim_zeros", "extract", "choose", "extremes"]

_INTP = np.dtype(np.intp)
#: Above this many pieces, a concatenation of slices gives way to a mask or a gather.
MAX_PIECES = 32


def _along(ndim: int, axis: int, item: Any) -> tuple:
    return tuple(item if a == axis else slice(None) for a in range(ndim))


def _flat_axis(array: OOArray, axis: Any) -> tuple[OOArray, int]:
    """``array`` and its normalised ``axis``; None flattens it, as delete and insert do."""
    if axis is None:
        return ravel(array), 0
    return array, normalize_axis_index(operator.index(axis), array.ndim)


def _runs(array: OOArray, axis: int, runs: list[tuple[int, int]]) -> OOArray:
    """The ``[start, stop)`` runs of ``array`` along ``axis``, joined."""
    pieces = [array[_along(array.ndim, axis, slice(a, b))] for a, b in runs if b > a]
    if not pieces:
        return array[_along(array.ndim, axis, slice(0, 0))]
    return concatenate(pieces, axis=axis) if len(pieces) > 1 else OOArray(pieces[0].node)


def _check_index_bytes(nbytes: int, what: str) -> None:
    limit = _config.get().memory_limit
    if nbytes > limit * IN_MEMORY_SHARE:
        raise BudgetError(f"{what} holds {format_bytes(nbytes)} of indices, over a quarter of "
                          f"memory_limit={format_bytes(limit)}; raise memory_limit or use "
                          f"fewer positions", needed=int(nbytes / IN_MEMORY_SHARE), limit=limit)


def _small(value: Any, what: str) -> np.ndarray:
    """An index argument in memory: an OOArray one is computed if it is small."""
    if isinstance(value, OOArray):
        return compute_small(value, what, "raise memory_limit or pass fewer positions")
    return value


# -- delete and insert ----------------------------------------------------------------------
@implements(np.delete)
def delete(arr: Any, obj: Any, axis: int | None = None) -> OOArray:
    """Return ``arr`` without the sub-arrays at ``obj`` along ``axis``, as ``np.delete``.

    Parameters
    ----------
    arr : array_like
    obj : slice, int, array of ints or of bools
        What to delete; a boolean mask (also an OOArray) has the axis's length.
    axis : int, optional
        Default: the flattened array.

    Returns
    -------
    OOArray

    Raises
    ------
    IndexError
        For out-of-bounds or non-integer positions.
    ValueError
        For a boolean mask that does not match the axis.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.delete(oa.arange(6), [1, 3]).compute()
    array([0, 2, 4, 5])
    """
    array, axis = _flat_axis(asarray(arr), axis)
    n = array.shape[axis]
    if isinstance(obj, slice):
        return _delete_slice(array, axis, obj)
    if isinstance(obj, OOArray) and obj.dtype == np.bool_:
        _check_delete_mask(obj.shape, n)
        return _kept(array, axis, np.logical_not(obj))
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return _delete_positions(array, axis, np.array([_bounded(int(obj), n, axis)]))
    given = _small(obj, "np.delete's positions")
    positions = np.asarray(given)
    if positions.size == 0 and not isinstance(given, np.ndarray):
        positions = positions.astype(_INTP)
    elif positions.size == 1 and positions.dtype.kind in "ui":
        return _delete_positions(array, axis,
                                 np.array([_bounded(int(positions.item()), n, axis)]))
    if positions.dtype == np.bool_:
        _check_delete_mask(positions.shape, n)
        starts = np.flatnonzero(np.diff(np.concatenate(([True], positions, [True])).astype(
            np.int8)) == -1)
        if len(starts) > MAX_PIECES:
            return _kept(array, axis, OOArray(constant_node(~positions)))
        return _delete_positions(array, axis, np.flatnonzero(positions))
    if positions.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    for value in (positions.min(), positions.max()) if positions.size else ():
        if value < -n or value >= n:
            raise IndexError(f"index {value} is out of bounds for axis 0 with size {n}")
    return _delete_positions(array, axis, np.unique(np.where(positions < 0, positions + n,
                                                             positions)))


def _bounded(index: int, n: int, axis: int) -> int:
    if index < -n or index >= n:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {n}")
    return index + n if index < 0 else index


def _check_delete_mask(shape: tuple[int, ...], n: int) -> None:
    if shape != (n,):
        raise ValueError("boolean array argument obj to delete must be one dimensional and "
                         f"match the axis length of {n}")


def _delete_positions(array: OOArray, axis: int, positions: np.ndarray) -> OOArray:
    """Delete the sorted, unique ``positions``: slices around a few, a lazy mask for many."""
    n = array.shape[axis]
    if len(positions) >= MAX_PIECES:
        return _kept(array, axis, isin(arange(n), positions.astype(np.int64), invert=True))
    bounds = [-1, *positions.tolist(), n]
    return _runs(array, axis, [(bounds[i] + 1, bounds[i + 1]) for i in range(len(bounds) - 1)])


def _delete_slice(array: OOArray, axis: int, obj: slice) -> OOArray:
    n = array.shape[axis]
    start, stop, step = obj.indices(n)
    deleted = range(start, stop, step)
    if len(deleted) == 0:
        return OOArray(array.node)
    first, last, step = min(deleted[0], deleted[-1]), max(deleted[0], deleted[-1]), abs(step)
    if step == 1:
        return _runs(array, axis, [(0, first), (last + 1, n)])
    if len(deleted) < MAX_PIECES:
        return _delete_positions(array, axis, np.arange(first, last + 1, step))
    index = arange(n)
    gone = (index >= first) & (index <= last) & ((index - first) % step == 0)
    return _kept(array, axis, np.logical_not(gone))


def _kept(array: OOArray, axis: int, keep: OOArray) -> OOArray:
    """The sub-arrays along ``axis`` where the lazy 1-D ``keep`` holds: the mask spread
    over the array (axis first) and compacted count-first, so no index array is made."""
    moved = moveaxis(array, axis, 0)
    rest = moved.shape[1:]
    if not math.prod(rest):
        return compress(keep, array, axis=axis)
    spread = broadcast_to(reshape(keep, (keep.shape[0],) + (1,) * len(rest)), moved.shape)
    flat = boolean_mask(moved, spread)
    return moveaxis(reshape(flat, (flat.size // math.prod(rest),) + rest), 0, axis)


def _values_like(values: Any, dtype: np.dtype, ndmin: int = 0) -> OOArray:
    """``np.array(values, dtype=dtype, ndmin=ndmin)``, lazily for an OOArray."""
    if isinstance(values, OOArray):
        result = values.astype(dtype)
        if result.ndim < ndmin:
            result = reshape(result, (1,) * (ndmin - result.ndim) + result.shape)
        return result
    return OOArray(constant_node(np.array(values, dtype=dtype, ndmin=ndmin)))


def _assignable(values: OOArray, shape: tuple[int, ...]) -> OOArray:
    """``values`` broadcast to ``shape`` as an assignment does (leading ones dropped)."""
    while values.ndim > len(shape) and values.shape[0] == 1:
        values = values[0]
    if values.ndim > len(shape):
        raise ValueError(f"could not broadcast input array from shape {values.shape} into "
                         f"shape {shape}")
    return broadcast_to(values, shape)


@implements(np.insert)
def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> OOArray:
    """Insert ``values`` before the positions ``obj`` along ``axis``, as ``np.insert``.

    Parameters
    ----------
    arr : array_like
    obj : slice, int or sequence of ints (or bools)
    values : array_like
        Cast to ``arr``'s dtype, broadcast as NumPy does.
    axis : int, optional
        Default: the flattened array.

    Returns
    -------
    OOArray

    Raises
    ------
    IndexError
        For positions out of bounds or not integers.
    ValueError
        For index arrays of more than one dimension or values that do not broadcast.
    BudgetError
        With many positions, whose permutation of the axis (8 bytes per element) exceeds
        a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.insert(oa.arange(4), [1, 3], [-1, -2]).compute()
    array([ 0, -1,  1,  2, -2,  3])
    """
    array, axis = _flat_axis(asarray(arr), axis)
    n = array.shape[axis]
    if isinstance(obj, slice):
        indices = np.arange(*obj.indices(n), dtype=_INTP)
    else:
        obj = _small(obj, "np.insert's positions")
        indices = np.array(obj)
        if indices.dtype == np.bool_:
            if obj.ndim != 1:  # NumPy's check, on obj (a list raises its AttributeError)
                raise ValueError("boolean array argument obj to insert must be one dimensional")
            indices = np.flatnonzero(indices)
        elif indices.ndim > 1:
            raise ValueError("index array argument obj to insert must be one dimensional or "
                             "scalar")
    if indices.size == 1:
        return _insert_one(array, axis, obj, indices, values)
    if indices.size == 0 and not isinstance(obj, np.ndarray):
        indices = indices.astype(_INTP)
    if indices.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    count = len(indices)
    total = n + count
    places = indices.astype(_INTP)
    places[places < 0] += n
    places[np.argsort(places, kind="stable")] += np.arange(count)
    outside = (places < -total) | (places >= total)
    if outside.any():
        raise IndexError(f"index {places[outside][0]} is out of bounds for axis 0 with size "
                         f"{total}")
    places %= max(total, 1)
    if len(np.unique(places)) != count:
        result = total - len(np.unique(places))
        raise ValueError(f"shape mismatch: value array of shape ({n},) could not be "
                         f"broadcast to indexing result of shape ({result},)")
    shape = array.shape[:axis] + (count,) + array.shape[axis + 1:]
    fill = _assignable(_values_like(values, array.dtype), shape)
    return _interleave(array, axis, fill, places)


def _insert_one(array: OOArray, axis: int, obj: Any, indices: np.ndarray,
                values: Any) -> OOArray:
    n = array.shape[axis]
    index = indices.item()
    if index < -n or index > n:
        raise IndexError(f"index {obj} is out of bounds for axis {axis} with size {n}")
    index = index + n if index < 0 else index
    fill = _values_like(values, array.dtype, ndmin=array.ndim)
    if indices.ndim == 0:
        fill = moveaxis(fill, 0, axis)
    shape = array.shape[:axis] + (fill.shape[axis] if fill.ndim > axis else 1,) + \
        array.shape[axis + 1:]
    fill = _assignable(fill, shape)
    before = array[_along(array.ndim, axis, slice(None, index))]
    after = array[_along(array.ndim, axis, slice(index, None))]
    return concatenate([before, fill, after], axis=axis)


def _interleave(array: OOArray, axis: int, fill: OOArray, places: np.ndarray) -> OOArray:
    """``array`` with ``fill[j]`` at output position ``places[j]`` along ``axis``."""
    n, count = array.shape[axis], len(places)
    order = np.argsort(places, kind="stable")
    if count < MAX_PIECES:
        pieces, taken = [], 0
        for rank, j in enumerate(order.tolist()):
            upto = int(places[j]) - rank
            pieces += [array[_along(array.ndim, axis, slice(taken, upto))],
                       fill[_along(array.ndim, axis, slice(j, j + 1))]]
            taken = upto
        pieces.append(array[_along(array.ndim, axis, slice(taken, None))])
        return concatenate(pieces, axis=axis)
    _check_index_bytes(_INTP.itemsize * (n + count), "np.insert at many positions")
    source = np.empty(n + count, _INTP)
    kept = np.ones(n + count, bool)
    kept[places] = False
    source[kept] = np.arange(n)
    source[places] = n + np.arange(count)
    return take(concatenate([array, fill], axis=axis), source, axis=axis)


# -- resize, trim_zeros, extract ------------------------------------------------------------
@implements(np.resize)
def resize(a: Any, new_shape: Any) -> OOArray:
    """Return ``a`` flattened, repeated or cut to fill ``new_shape``, as ``np.resize``.

    Raises
    ------
    ValueError
        For negative lengths.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.resize(oa.arange(3), (2, 4)).compute()
    array([[0, 1, 2, 0],
           [1, 2, 0, 1]])
    """
    array = ravel(asarray(a))
    shape = (operator.index(new_shape),) if not np.iterable(new_shape) else \
        tuple(operator.index(s) for s in new_shape)
    if any(s < 0 for s in shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    size = math.prod(shape)
    if array.size == 0 or size == 0:
        return zeros(shape, array.dtype)
    copies = -(-size // array.size)
    if copies > 1:
        array = reshape(broadcast_to(array, (copies, array.size)), (copies * array.size,))
    return reshape(array[:size], shape)


@implements(np.trim_zeros)
def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    """Trim leading and/or trailing zeros, as ``np.trim_zeros`` (NumPy 2.x: the bounding box
    of the nonzero values along ``axis``, all axes by default).

    Each trimmed axis costs one pass: the first and last nonzero positions are argmax
    reductions of the nonzero profile along it; the result is a slice of ``filt``.

    Raises
    ------
    ValueError
        For a ``trim`` other than 'f', 'b', 'fb', 'bf'.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.trim_zeros(oa.asarray([0, 0, 1, 2, 0])).compute()
    array([1, 2])
    """
    array = asarray(filt)
    trim = trim.lower()
    if trim not in {"fb", "bf", "f", "b"}:
        raise ValueError(f"unexpected character(s) in `trim`: {trim!r}")
    axes = tuple(range(array.ndim)) if axis is None else \
        normalize_axis_tuple(axis, array.ndim, argname="axis")
    if not axes:
        return filt
    items: list[Any] = [slice(None)] * array.ndim
    for ax in axes:
        items[ax] = _trimmed(array, ax, trim) if array.size else slice(0, 0)
    if any(item == slice(0, 0) for item in items):
        items = [slice(0, 0) if ax in axes else slice(None) for ax in range(array.ndim)]
    return array[tuple(items)]


def _trimmed(array: OOArray, axis: int, trim: str) -> slice:
    """The slice of ``axis`` from its first to its last nonzero hyperplane."""
    others = tuple(a for a in range(array.ndim) if a != axis)
    profile = np.any(array != 0, axis=others) if others else array != 0
    first, back, found = (int(v) for v in stack(
        [np.argmax(profile), np.argmax(profile[::-1]), profile.any().astype(np.intp)]).compute())
    if not found:
        return slice(0, 0)
    n = array.shape[axis]
    return slice(first if "f" in trim else None, n - back if "b" in trim else None)


@implements(np.extract)
def extract(condition: Any, arr: Any) -> OOArray:
    """The elements of ``arr`` where ``condition`` is nonzero, flattened, as ``np.extract``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.arange(6)
    >>> np.extract(a % 2 == 0, a).compute()
    array([0, 2, 4])
    """
    array, cond = ravel(asarray(arr)), ravel(asarray(condition))
    if cond.size == array.size:
        return boolean_mask(array, cond.astype(bool, copy=False))
    return take(array, nonzero(cond)[0])


# -- choose ---------------------------------------------------------------------------------
def _choose_kernel(a: np.ndarray, *choices: Any, out: np.ndarray, mode: str) -> None:
    np.choose(np.broadcast_to(a, out.shape), choices, out=out, mode=mode)


def _stand_in(operand: Any) -> Any:
    return np.empty((0,), operand.dtype) if isinstance(operand, Node) else operand


def _shape_of(operand: Any) -> tuple[int, ...]:
    return operand.shape if isinstance(operand, Node) else np.shape(operand)


def extremes(values: Any) -> tuple[Any, Any]:
    """The least and greatest of ``values`` (an OOArray: one pass); the index tricks check
    their bounds with it too."""
    if isinstance(values, OOArray):
        low, high = stack([values.min(), values.max()]).compute()
        return low, high
    return np.min(values), np.max(values)


@implements(np.choose)
def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """Build an array from ``choices`` picked by the index array ``a``, as ``np.choose``.

    One kernel over the broadcast operands; with ``mode='raise'`` a min/max pass over ``a``
    raises NumPy's ValueError before the result is built.

    Parameters
    ----------
    a : array_like of int
    choices : sequence of arrays (or an array, split along its first axis)
    out : OOArray or ndarray, optional
        Of the result's shape exactly; the values are cast to its dtype (unsafely, as
        NumPy). An OOArray ``out`` is rebound to the lazy result, an ndarray is filled now
        (the result computed, within the budget); ``out`` is returned.
    mode : {'raise', 'wrap', 'clip'}

    Raises
    ------
    ValueError
        An entry of ``a`` outside ``[0, len(choices))`` with ``mode='raise'``, or operands
        that do not broadcast.
    TypeError
        For an ``a`` that does not cast to integers, or an ``out`` of another shape or that
        is not an array.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.choose(oa.asarray([0, 1, 1]), [[1, 2, 3], [10, 20, 30]]).compute()
    array([ 1, 20, 30])
    """
    if out is not None and not isinstance(out, (OOArray, np.ndarray)):
        raise TypeError("output must be an array")
    index = as_operand(a)
    options = [as_operand(c) for c in (list(choices) if isinstance(choices, OOArray)
                                       else choices)]
    dtype = np.choose(_stand_in(index) if isinstance(index, Node) else np.empty((0,), _dtype(
        index)), [_stand_in(c) for c in options], mode=mode).dtype
    shape = np.broadcast_shapes(_shape_of(index), *[_shape_of(c) for c in options])
    if mode == "raise" and math.prod(shape):
        low, high = extremes(OOArray(index) if isinstance(index, Node) else index)
        if low < 0 or high >= len(options):
            raise ValueError("invalid entry in choice array")
        mode = "clip"  # the same values now, without a check per region
    nodes = [op for op in (index, *options) if isinstance(op, Node)]
    chunks = output_chunks(shape, nodes, [dtype]) if nodes else None
    result = OOArray(KernelNode(_choose_kernel, [index, *options], [dtype],
                                kwargs={"mode": mode}, shape=shape, chunks=chunks))
    return result if out is None else _into(result, out)


def _into(result: OOArray, out: Any) -> Any:
    """``out`` holding ``result``, as NumPy's ``choose(out=...)``: its shape exactly, the
    values cast unsafely to its dtype. An OOArray is rebound (never written in place); an
    ndarray is filled now."""
    if out.shape != result.shape:
        raise TypeError("choose: invalid shape for output array.")
    if isinstance(out, OOArray):
        out._node = result.astype(out.dtype, copy=False).node
        return out
    np.copyto(out, result.compute(), casting="unsafe")
    return out


def _dtype(value: Any) -> np.dtype:
    return np.asarray(value).dtype
