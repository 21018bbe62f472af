"""Ufunc methods beyond ``__call__`` and ``reduce``: ``accumulate``, ``outer``, ``reduceat``
and ``at`` (issue 16, item 2).

* ``accumulate``: a two-pass scan for reorderable ufuncs and ``subtract``, whole lanes along
  the axis for the others (:mod:`ooarray.algorithms.ufunc_methods` says why);
* ``outer``: the ufunc of two broadcasting views, so it fuses like any elementwise call;
* ``reduceat``: :class:`~ooarray.algorithms.ufunc_methods.ReduceatNode`, indices in memory;
* ``at``: an in-memory NumPy target, scattered into block by block from OOArray indices and
  values of any size (NumPy's unbuffered semantics: each block is one ``ufunc.at`` call, the
  blocks in order). An OOArray target is never modified in place: TypeError.

NumPy decides dtypes and raises argument errors on small stand-ins of the operands.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.ufunc_methods import (
    LaneAccumulateNode,
    ReduceatNode,
    scan_accumulate,
    subtract_accumulate,
)
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import UFUNC_METHODS, implements_ufunc_method
from ooarray.ops._operands import IN_MEMORY_SHARE, compute_small, deliver_out
from ooarray.ops.creation import asarray
from ooarray.ops.elementwise import ufunc_call

__all__ = ["accumulate", "outer", "reduceat", "at", "reorderable", "FOLDS"]


#: Non-reorderable ufuncs whose NumPy ``reduce`` is exactly a left fold, so a segment can be
#: continued across input blocks; NumPy's ``arctan2.reduce`` and float ``power.reduce`` are
#: not (their loops reduce in their own way), so the others reduce whole lanes.
FOLDS = frozenset({np.subtract, np.divide})


def reorderable(ufunc: np.ufunc, dtype: np.dtype) -> bool:
    """Whether NumPy lets ``ufunc`` reduce over several axes at once (associative and
    commutative: its identity is reorderable) for ``dtype``."""
    try:
        with np.errstate(all="ignore"):
            ufunc.reduce(np.ones((1, 1), dtype), axis=(0, 1), dtype=dtype)
    except (ValueError, TypeError):
        return False
    return True


def _group_bytes() -> int:
    return target_chunk_bytes(_config.get().memory_limit)


# -- accumulate ---------------------------------------------------------------------------
@implements_ufunc_method("accumulate")
def accumulate(ufunc: np.ufunc, array: Any, axis: int = 0, dtype: Any = None,
               out: Any = None) -> Any:
    """``ufunc.accumulate(array, axis, dtype, out)`` out of core, for any binary ufunc.

    Parameters
    ----------
    ufunc : numpy.ufunc
    array : array_like
    axis : int
    dtype : dtype, optional
        Accumulator and result dtype; NumPy's by default.
    out : OOArray or ndarray, optional

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        For a ufunc that is not binary (as NumPy).
    TypeError
        For a 0-d array or a dtype the ufunc has no loop for (as NumPy).
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    ooarray.errors.BudgetError
        When a non-associative ufunc other than ``subtract`` needs a whole lane along the
        axis that does not fit ``memory_limit`` (before any work).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([9, 4, 7, 1, 8]), chunks=2)
    >>> np.maximum.accumulate(a).tolist()
    [9, 9, 9, 9, 9]
    >>> np.subtract.accumulate(a).tolist()
    [9, 5, -2, -3, -11]
    """
    array = asarray(array)
    if isinstance(out, tuple):
        out = out[0] if len(out) == 1 else out
    stand = np.ones((1,) * array.ndim, array.dtype)
    with np.errstate(all="ignore"):
        result_dtype = ufunc.accumulate(stand, axis=axis, dtype=dtype).dtype
    axis = normalize_axis_index(0 if axis is None else axis, array.ndim)
    node = array.node
    if array.size == 0:
        node = LaneAccumulateNode(node, ufunc, axis, result_dtype, _group_bytes())
    elif reorderable(ufunc, result_dtype):
        node = scan_accumulate(node, ufunc, axis, result_dtype, _group_bytes())
    elif ufunc is np.subtract:
        node = subtract_accumulate(node, axis, result_dtype, _group_bytes())
    else:
        node = LaneAccumulateNode(node, ufunc, axis, result_dtype, _group_bytes())
    return deliver_out(OOArray(node), out)


# -- outer --------------------------------------------------------------------------------
@implements_ufunc_method("outer")
def outer(ufunc: np.ufunc, a: Any, b: Any, **kwargs: Any) -> Any:
    """``ufunc.outer(a, b)``: shape ``a.shape + b.shape``, built from broadcasting views so
    that it fuses with what follows.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.multiply.outer(oa.asarray(np.arange(1, 4)), np.arange(2)).tolist()
    [[0, 1], [0, 2], [0, 3]]
    """
    a, b = asarray(a), asarray(b)
    call = {k: v for k, v in kwargs.items() if k not in ("out", "where")}
    with np.errstate(all="ignore"):  # NumPy's ValueError (not binary) and dtype errors
        ufunc.outer(np.ones((1,) * a.ndim, a.dtype), np.ones((1,) * b.ndim, b.dtype), **call)
    left = a.reshape(a.shape + (1,) * b.ndim)
    right = b.reshape((1,) * a.ndim + b.shape)
    return ufunc_call(ufunc, left, right, **kwargs)


# -- reduceat -----------------------------------------------------------------------------
def _indices(indices: Any) -> np.ndarray:
    """The indices in memory: an array as it is (NumPy casts it safely), a sequence made
    integers (NumPy forces the cast: ``[1.5]`` is ``[1]``)."""
    if isinstance(indices, OOArray):
        indices = compute_small(indices, "reduceat's indices", "pass fewer indices")
    if isinstance(indices, np.ndarray):
        return indices
    return np.asarray(indices, dtype=np.intp)


@implements_ufunc_method("reduceat")
def reduceat(ufunc: np.ufunc, array: Any, indices: Any, axis: int = 0, dtype: Any = None,
             out: Any = None) -> Any:
    """``ufunc.reduceat(array, indices, axis, dtype, out)`` with NumPy's semantics.

    Segment ``k`` is ``array[indices[k]:indices[k+1]]`` reduced where the indices increase,
    ``array[indices[k]]`` where they do not, and the last runs to the end of the axis.
    ``indices`` are held in memory; ``array`` may be of any size (each output chunk streams
    the input blocks its segments touch).

    Raises
    ------
    IndexError
        For an index outside ``[0, array.shape[axis])``, with NumPy's message.
    ValueError, TypeError, numpy.exceptions.AxisError
        As NumPy, for a non-binary ufunc, a 0-d array, a dtype without a loop, a bad axis.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(8), chunks=3)
    >>> np.add.reduceat(a, [0, 4, 1, 5]).tolist()
    [6, 4, 10, 18]
    """
    array = asarray(array)
    if isinstance(out, tuple):
        out = out[0] if len(out) == 1 else out
    given = _indices(indices)
    stand = np.ones((1,) * array.ndim, array.dtype)
    with np.errstate(all="ignore"):
        result_dtype = ufunc.reduceat(stand, np.zeros_like(given), axis=axis,
                                      dtype=dtype).dtype
    axis = normalize_axis_index(axis, array.ndim)
    positions = given.astype(np.intp).reshape(-1)
    length = array.shape[axis]
    bad = (positions < 0) | (positions >= length)
    if bad.any():
        raise IndexError(f"index {positions[bad][0]} out-of-bounds in "
                         f"{ufunc.__name__}.reduceat [0, {length})")
    shape = array.shape[:axis] + (positions.size,) + array.shape[axis + 1:]
    if math.prod(shape) == 0:
        return deliver_out(asarray(np.empty(shape, result_dtype)), out)
    associative = reorderable(ufunc, result_dtype)
    if not associative and ufunc not in FOLDS and len(array.chunks[axis]) > 1:
        array = array.rechunk({axis: -1})  # NumPy's own reduce over each whole segment
    node = ReduceatNode(array.node, ufunc, positions, axis, result_dtype, _group_bytes(),
                        associative)
    return deliver_out(OOArray(node), out)


# -- at -----------------------------------------------------------------------------------
def _refuse_in_place(ufunc: np.ufunc) -> TypeError:
    return TypeError(f"numpy.{ufunc.__name__}.at is not supported by ooarray (OOArrays are "
                     f"not modified in place); supported ufunc methods: "
                     f"{sorted(UFUNC_METHODS)}")


def _dtype_of(item: Any) -> np.dtype:
    """``item``'s dtype, without computing an OOArray."""
    if isinstance(item, (OOArray, np.ndarray)):
        return item.dtype
    return np.asarray(item).dtype


def _is_array(item: Any) -> bool:
    return isinstance(item, (OOArray, np.ndarray, list, int, np.integer)) and \
        not isinstance(item, bool)


def _leading_arrays(index: tuple) -> int | None:
    """How many leading items of ``index`` are integer arrays (or integers) when only
    slices follow them, else None (an index this module does not stream)."""
    count = 0
    while count < len(index) and _is_array(index[count]):
        count += 1
    if count == 0 or not all(isinstance(i, slice) for i in index[count:]):
        return None
    for item in index[:count]:
        if _dtype_of(item).kind not in "iu":
            return None
    return count


def _computed(value: Any) -> Any:
    """``value`` with its OOArrays computed (each at most a quarter of ``memory_limit``)."""
    if isinstance(value, OOArray):
        return compute_small(value, "an operand of ufunc.at",
                             "pass index arrays that lead the index, followed by slices")
    if isinstance(value, tuple):
        return tuple(_computed(v) for v in value)
    return value


def _check(ufunc: np.ufunc, target: np.ndarray, index: tuple, count: int,
           values: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """NumPy's errors on stand-ins; return the broadcast index shape and the result shape."""
    shapes = [np.shape(item) for item in index[:count]]
    try:
        broadcast = np.broadcast_shapes(*shapes)
    except ValueError as error:
        raise IndexError(f"shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {shapes}") from error
    rest = np.broadcast_to(np.empty((), bool), target.shape[count:])[index[count:]].shape \
        if target.ndim >= count else ()
    result = tuple(broadcast) + rest
    stand_target = np.zeros((1,) * target.ndim, target.dtype)
    stand_index = tuple(np.zeros(1, _dtype_of(i))
                        for i in index[:count])
    if target.ndim < count:
        stand_target[stand_index]  # NumPy's IndexError: too many indices
    args = () if values is None else (_stand_in(values),)
    with np.errstate(all="ignore"):
        ufunc.at(stand_target, stand_index, *args)
    if values is not None:
        shape = np.shape(values)
        if len(shape) > len(result) or any(s not in (1, r) for s, r in
                                           zip(shape[::-1], result[::-1], strict=False)):
            raise ValueError("array is not broadcastable to correct shape")
    return tuple(broadcast), result


def _stand_in(values: Any) -> Any:
    """One value of ``values``' dtype (a Python scalar stays one: NumPy types it weakly)."""
    if isinstance(values, OOArray):
        return np.ones((), values.dtype)
    if np.ndim(values) == 0:
        return values
    return np.ones((), np.asarray(values).dtype)


def _rows(item: Any, shape: tuple[int, ...], lo: int, hi: int) -> Any:
    """Rows ``lo:hi`` of ``item`` broadcast to ``shape``, in memory (a scalar as it is)."""
    if not isinstance(item, OOArray) and np.ndim(item) == 0:
        return item
    if isinstance(item, OOArray):
        part = np.broadcast_to(item, shape)[lo:hi]
        return part.compute()
    return np.broadcast_to(np.asarray(item), shape)[lo:hi]


@implements_ufunc_method("at")
def at(ufunc: np.ufunc, target: Any, indices: Any, values: Any = None) -> None:
    """``ufunc.at(target, indices, values)`` into an in-memory ``target`` from OOArray
    indices and values of any size, block by block along the indices' first axis.

    Indices that lead the index tuple (integer arrays or integers, followed only by slices)
    are streamed: each block of rows of the broadcast indices (and the matching rows of the
    values) is computed and handed to NumPy's ``ufunc.at``, in order, so repeated indices
    accumulate as in NumPy. Any other index is computed whole if it takes at most a quarter
    of ``memory_limit`` (else BudgetError).

    Raises
    ------
    TypeError
        If ``target`` is an OOArray (OOArrays are not modified in place), or for a dtype
        NumPy cannot cast (as NumPy).
    IndexError, ValueError
        As NumPy, for bad indices or values that do not broadcast.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> counts = np.zeros(3, int)
    >>> np.add.at(counts, oa.asarray(np.array([0, 2, 2, 1, 2]), chunks=2), 1)
    >>> counts.tolist()
    [1, 1, 3]
    """
    if isinstance(target, OOArray) or not isinstance(target, np.ndarray):
        raise _refuse_in_place(ufunc)
    index = indices if isinstance(indices, tuple) else (indices,)
    count = _leading_arrays(index)
    if count is None:
        ufunc.at(target, _computed(index), *(() if values is None else (_computed(values),)))
        return
    broadcast, result = _check(ufunc, target, index, count, values)
    if not broadcast or math.prod(result) == 0:
        ufunc.at(target, _computed(index), *(() if values is None else (_computed(values),)))
        return
    itemsizes = sum(_dtype_of(i).itemsize for i in index[:count])
    row_bytes = math.prod(broadcast[1:]) * itemsizes
    if values is not None:
        row_bytes += math.prod(result[1:]) * _dtype_of(values).itemsize
    share = int(_config.get().memory_limit * IN_MEMORY_SHARE)
    step = max(1, share // max(1, row_bytes))
    for lo in range(0, broadcast[0], step):
        hi = min(lo + step, broadcast[0])
        rows = tuple(_rows(item, broadcast, lo, hi) for item in index[:count])
        args = () if values is None else (_rows(values, result, lo, hi),)
        ufunc.at(target, rows + tuple(index[count:]), *args)
