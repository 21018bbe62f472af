"""Sorting and order statistics: sort, argsort, partition, searchsorted, the unique family,
median, percentile, quantile and their nan-variants.

Two plans carry everything (``ooarray/algorithms/sort.py``):

* lanes that fit a task (``LANE_SHARE`` of ``memory_limit``) are sorted, partitioned or
  reduced to quantiles by NumPy itself, one block of whole lanes per task;
* a 1-D array (or ``axis=None``) too long for one task is sorted by a count-first sample
  sort whose bucket sizes are known before its result node is built.

``unique`` flags run starts in the sorted array, counts them per chunk, then compacts (count
first, then compact: every size is exact). Quantiles of a lane too long for a task read only
the order statistics they need from the sorted array and interpolate them with NumPy's own
rules.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
from numpy.lib import _function_base_impl as _quantiles
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.chunks import normalize_chunks
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE, deliver_out
from ooarray.ops.creation import asarray
from ooarray.plan.graph import Node
from ooarray.algorithms.quantile import median_positions, quantile_positions
from ooarray.plan.regions import ElementwiseNode
from ooarray.algorithms.select import CompactNode, GapsNode, OrderStatsNode, RunStartsNode, SearchNode
from ooarray.algorithms.sort import BlockMapNode, LaneNode, sample_sort

__all__ = ["sort", "argsort", "sort_complex", "partition", "argpartition", "searchsorted", "unique",
           "unique_values", "unique_counts", "unique_inverse", "unique_all", "median",
           "percentile", "quantile", "nanmedian", "nanpercentile", "nanquantile"]

_INDEX = np.dtype(np.intp)
#: A block of whole lanes is at most this share of ``memory_limit``: its task holds the
#: block, an assembled copy, the result and NumPy's sort scratch (about three lane copies).
LANE_SHARE = 1 / 16


# -- shared helpers -----------------------------------------------------------------------
def _limit() -> int:
    return _config.get().memory_limit


def _run(node: Node) -> np.ndarray:
    """Compute a small node now (samples, counts)."""
    return OOArray(node).compute()


def _stand_in(array: OOArray) -> np.ndarray:
    """A one-element-per-axis array of ``array``'s dtype, for NumPy to check arguments on."""
    return np.zeros((1,) * array.ndim, array.dtype)


def _flat(array: OOArray) -> OOArray:
    return array if array.ndim == 1 else array.reshape(-1)


def _lane_bytes(length: int, dtype: np.dtype) -> int:
    return length * max(dtype.itemsize, _INDEX.itemsize)


def _lane_fits(length: int, dtype: np.dtype) -> bool:
    return _lane_bytes(length, dtype) <= _limit() * LANE_SHARE


def _lanes(array: OOArray, axis: int, func, length: int, dtype: np.dtype,
           name: str) -> OOArray:
    """``func`` over whole lanes along ``axis``, as a region node with one chunk on ``axis``."""
    node = array.node
    per_block = _limit() * LANE_SHARE
    lane = _lane_bytes(array.shape[axis], array.dtype)
    others = math.prod(max(c) if c else 1 for i, c in enumerate(node.chunks) if i != axis)
    if lane * others <= per_block:
        grid = list(node.chunks)
    else:
        fixed = tuple(-1 if i == axis else "auto" for i in range(array.ndim))
        grid = list(normalize_chunks(fixed, array.shape, _lane_bytes(1, array.dtype),
                                     max(1, int(per_block))))
    grid[axis] = (length,)
    return OOArray(LaneNode(node, axis, func, length, dtype, tuple(grid), name))


def _too_long(what: str, array: OOArray, axis: int) -> BudgetError:
    needed = _lane_bytes(array.shape[axis], array.dtype)
    limit = _limit()
    return BudgetError(
        f"{what} along axis {axis}: a lane of {array.shape[axis]} elements "
        f"({format_bytes(needed)}) is more than one task holds under memory_limit="
        f"{format_bytes(limit)}; lanes this long are sorted out of core only for 1-D arrays "
        f"(or axis=None): raise memory_limit or work on 1-D slices",
        needed=int(needed / LANE_SHARE), limit=limit)


def _bucket_items(dtype: np.dtype, kind: str) -> int:
    """Elements per bucket of a sample sort: its task holds the bucket, the stable sort's
    buffers and one piece, each at most bucket-sized."""
    per_item = dtype.itemsize + 3 * _INDEX.itemsize if kind == "argsort" else 3 * dtype.itemsize
    return max(16, int(_limit() // (4 * per_item)))


def _in_memory(name: str, array: OOArray) -> np.ndarray:
    """Compute ``array`` for a function without an out-of-core algorithm, if it is small."""
    allowed = _limit() * IN_MEMORY_SHARE
    if array.nbytes > allowed:
        raise TypeError(
            f"numpy.{name} with these arguments has no out-of-core algorithm in ooarray and "
            f"the input ({format_bytes(array.nbytes)}) is more than {format_bytes(allowed)} "
            f"(a quarter of memory_limit); call it on a smaller array or raise memory_limit")
    return array.compute()


# -- sort, argsort, partition -------------------------------------------------------------
def _sorted(array: OOArray, axis: int | None, kind_name: str, kind: Any,
            stable: Any) -> OOArray:
    if axis is None or array.ndim == 0:  # NumPy sorts a 0-d array as one of shape (1,)
        array, axis = _flat(array), 0 if axis is None else axis
    axis = normalize_axis_index(axis, array.ndim)
    dtype = _INDEX if kind_name == "argsort" else array.dtype
    length = array.shape[axis]
    if array.size == 0 or _lane_fits(length, array.dtype):
        func = functools.partial(np.argsort if kind_name == "argsort" else np.sort,
                                 axis=axis, kind=kind, stable=stable)
        return _lanes(array, axis, func, length, dtype, kind_name)
    if array.ndim == 1:
        piece = max(1, int(_limit() * LANE_SHARE) // _lane_bytes(1, array.dtype))
        if max(array.chunks[0]) > piece:  # each sampling task sorts one input chunk
            array = array.rechunk(piece)
        return OOArray(sample_sort(array.node, kind_name, _bucket_items(array.dtype, kind_name),
                                   _run))
    raise _too_long(f"numpy.{kind_name}", array, axis)


@implements(np.sort)
def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
         stable: bool | None = None) -> OOArray:
    """Return a sorted copy of an array, as ``np.sort``.

    Parameters
    ----------
    a : array_like
    axis : int or None
        The axis to sort along; None sorts the flattened array.
    kind : {None, 'quicksort', 'mergesort', 'heapsort', 'stable'}
        Passed to NumPy for lanes sorted in one task; long 1-D arrays are sorted stably.
    order : None
        Only for structured arrays, which ooarray does not hold.
    stable : bool, optional
        As NumPy's.

    Returns
    -------
    OOArray
        NaN sorts last; complex values sort by real, then imaginary part.

    Raises
    ------
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    BudgetError
        If a lane of an N-D array is too long for one task (1-D arrays have no such limit).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.sort(oa.asarray([3, 1, 2])).compute()
    array([1, 2, 3])
    """
    array = asarray(a)
    np.sort(_stand_in(array), axis=axis, kind=kind, order=order, stable=stable)
    return _sorted(array, axis, "sort", kind, stable)


@implements(np.argsort)
def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
            stable: bool | None = None) -> OOArray:
    """Return the indices that sort an array, as ``np.argsort``.

    Parameters
    ----------
    a : array_like
    axis : int or None
        The axis to sort along; None gives indices into the flattened array.
    kind, order, stable
        As :func:`sort`. With ``kind='stable'`` (or ``stable=True``) ties keep their input
        order, exactly as NumPy; long 1-D arrays are always sorted stably.

    Returns
    -------
    OOArray of intp

    Raises
    ------
    numpy.exceptions.AxisError, ValueError
        NumPy's, for a bad ``axis``, ``kind`` or ``order``.
    BudgetError
        If a lane of an N-D array is too long for one task.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.argsort(oa.asarray([3, 1, 2])).compute()
    array([1, 2, 0])
    """
    array = asarray(a)
    np.argsort(_stand_in(array), axis=axis, kind=kind, order=order, stable=stable)
    return _sorted(array, axis, "argsort", kind, stable)


@implements(np.sort_complex)
def sort_complex(a: Any) -> OOArray:
    """Sort along the last axis by real part, then imaginary part, into a complex dtype, as
    ``np.sort_complex``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.sort_complex(oa.asarray([3, 1, 2])).compute()
    array([1.+0.j, 2.+0.j, 3.+0.j])
    """
    array = asarray(a)
    dtype = np.sort_complex(_stand_in(array)).dtype
    return _sorted(array, -1, "sort", None, None).astype(dtype)


def _check_kth(kth: Any, length: int) -> np.ndarray:
    if isinstance(kth, OOArray):
        kth = kth.compute()
    kth = np.asarray(kth)
    if kth.dtype.kind not in "iu":
        raise TypeError("Partition index must be integer")
    if kth.ndim > 1:
        raise ValueError("kth array must have dimension <= 1")
    for k in kth.ravel():
        if not -length <= k < length:
            raise ValueError(f"kth(={k}) out of bounds ({length})")
    return kth


def _partitioned(name: str, a: Any, kth: Any, axis: Any, kind: str, order: Any) -> OOArray:
    array = asarray(a)
    numpy_func = getattr(np, name)
    numpy_func(_stand_in(array), 0, axis=axis, kind=kind, order=order)
    if axis is None or array.ndim == 0:  # NumPy partitions a 0-d array as one of shape (1,)
        array, axis = _flat(array), 0 if axis is None else axis
    axis = normalize_axis_index(axis, array.ndim)
    length = array.shape[axis]
    kth = _check_kth(kth, length)
    if array.size and not _lane_fits(length, array.dtype):
        # A sorted lane is a valid partition for every kth (stable, for argpartition).
        return _sorted(array, axis, "argsort" if name == "argpartition" else "sort",
                       "stable", None)
    func = functools.partial(numpy_func, kth=kth, axis=axis, kind=kind)
    dtype = _INDEX if name == "argpartition" else array.dtype
    return _lanes(array, axis, func, length, dtype, name)


@implements(np.partition)
def partition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
              order: Any = None) -> OOArray:
    """Return a partitioned copy, as ``np.partition``: the element at each ``kth`` is where a
    sort would put it, smaller ones before it and larger ones after.

    Lanes too long for one task are fully sorted (a valid partition for every ``kth``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> int(np.partition(oa.asarray([5, 1, 4, 2]), 1)[1])
    2
    """
    return _partitioned("partition", a, kth, axis, kind, order)


@implements(np.argpartition)
def argpartition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
                 order: Any = None) -> OOArray:
    """Return the indices that partition an array, as ``np.argpartition``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> int(np.argpartition(oa.asarray([5, 1, 4, 2]), 0)[0])
    1
    """
    return _partitioned("argpartition", a, kth, axis, kind, order)


# -- searchsorted -------------------------------------------------------------------------
@implements(np.searchsorted)
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> OOArray:
    """Find where elements of ``v`` would be inserted into sorted 1-D ``a``, as
    ``np.searchsorted``.

    Parameters
    ----------
    a : ndarray or OOArray
        Sorted 1-D array (an ndarray is searched in memory; an OOArray may have any size: a
        value's position is the sum of its positions within each chunk of ``a``, which each
        task reads one after the other).
    v : array_like
        Values to insert, any shape.
    side : {'left', 'right'}
    sorter : array_like of int, optional
        Indices that sort ``a``; with an OOArray ``a``, ``a`` must fit a quarter of
        ``memory_limit``.

    Returns
    -------
    OOArray of intp
        The shape of ``v``.

    Raises
    ------
    ValueError
        NumPy's, for a bad ``side`` or an ``a`` that is not 1-D.
    TypeError
        If ``sorter`` is given with an OOArray ``a`` larger than a quarter of the budget.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.searchsorted(oa.asarray([1, 2, 3, 5]), oa.asarray([0, 3, 9])).compute()
    array([0, 2, 4])
    """
    values = asarray(v)
    stand_in_a = np.zeros((1,) * np.ndim(a), getattr(a, "dtype", np.asarray(a).dtype)
                          if not isinstance(a, OOArray) else a.dtype)
    np.searchsorted(stand_in_a, np.zeros(values.shape and (1,), values.dtype), side=side,
                    sorter=None if sorter is None else np.zeros(stand_in_a.shape, np.intp))
    if isinstance(a, OOArray) and sorter is not None:
        a = _in_memory("searchsorted", a)
    if isinstance(sorter, OOArray):
        sorter = sorter.compute()
    if not isinstance(a, OOArray):
        search = functools.partial(np.searchsorted, np.asarray(a), side=side, sorter=sorter)
        return OOArray(ElementwiseNode(search, [values.node], [_INDEX],
                                       shape=values.shape, chunks=values.chunks))
    return OOArray(SearchNode(a.node, values.node, side))


# -- unique -------------------------------------------------------------------------------
def _unique_parts(array: OOArray, want_index: bool, want_inverse: bool, want_counts: bool,
                  equal_nan: bool) -> list[OOArray]:
    """Sorted unique values, then the requested index, inverse and counts arrays."""
    flat = _flat(array)
    values = _sorted(flat, 0, "sort", "stable", None)
    starts = RunStartsNode(values.node, equal_nan)
    blocks = len(starts.chunks[0])
    per_block = _run(BlockMapNode(starts, lambda b, s: [np.count_nonzero(b)], [1] * blocks,
                                  _INDEX, "unique-count"))
    unique_values = OOArray(CompactNode(values.node, starts, per_block))
    results = [unique_values]
    if want_index:
        order = _sorted(flat, 0, "argsort", "stable", None)
        results.append(OOArray(CompactNode(order.node, starts, per_block)))
    if want_inverse:
        found = searchsorted(unique_values, array)
        if equal_nan and array.dtype.kind in "fc" and unique_values.size:
            # Every NaN (complex: any part NaN) is the last unique value.
            found = np.minimum(found, unique_values.size - 1)
        elif array.dtype.kind == "f" and array.size:
            # Each NaN is a unique value of its own, in index order (as NumPy's stable
            # sort puts them): the first NaN's slot plus the NaNs before it.
            missing = np.isnan(array)
            before = np.cumsum(_flat(missing)).reshape(array.shape) - 1
            found = np.where(missing, found + before, found)
        results.append(found)
    if want_counts:
        positions = CompactNode(None, starts, per_block)
        results.append(OOArray(GapsNode(positions, flat.size)))
    return results


@implements(np.unique)
def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           sorted: bool = True) -> Any:
    """Find the sorted unique elements of an array, as ``np.unique``.

    The array is sorted (out of core if needed), run starts are flagged and counted per
    chunk, then compacted into a result of exactly known size.

    Parameters
    ----------
    ar : array_like
    return_index : bool
        Also return the index of each value's first occurrence (from a stable argsort).
    return_inverse : bool
        Also return, for each input element, the index of its unique value (a binary search;
        with ``equal_nan=False`` each float NaN maps to its own NaN in index order, and
        every complex value with a NaN part to the first of them).
    return_counts : bool
        Also return how often each unique value occurs.
    axis : int, optional
        Runs in NumPy, for inputs up to a quarter of ``memory_limit``.
    equal_nan : bool
        Collapse NaNs (complex: any part NaN) into one value.
    sorted : bool
        Accepted; the result is always sorted.

    Returns
    -------
    OOArray or tuple of OOArray

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.unique(oa.asarray([3, 1, 3, 2])).compute()
    array([1, 2, 3])
    """
    array = asarray(ar)
    if axis is not None:
        found = np.unique(_in_memory("unique", array), return_index, return_inverse,
                          return_counts, axis, equal_nan=equal_nan)
        if isinstance(found, tuple):
            return tuple(asarray(part) for part in found)
        return asarray(found)
    parts = _unique_parts(array, return_index, return_inverse, return_counts, equal_nan)
    if (equal_nan and len(parts) == 1 and array.dtype.kind == "c" and parts[0].size
            and _keeps_first_nan(array.dtype)):
        parts[0] = _first_nan_kept(_flat(array), parts[0])
    if not return_index and array.dtype.kind == "f" and parts[0].size:
        nan = _numpys_nan(array.dtype, return_inverse, return_counts, equal_nan)
        if nan is not None:
            parts[0] = np.where(np.isnan(parts[0]), nan, parts[0])
    return parts[0] if len(parts) == 1 else tuple(parts)


@functools.cache
def _numpys_nan(dtype: np.dtype, inverse: bool, counts: bool, equal_nan: bool
                ) -> np.ndarray | None:
    """The NaN NumPy's ``np.unique`` of float ``dtype`` (no index) gives for the input's NaNs,
    if NumPy makes one of its own: its hash table and its sort (x86-simd-sort) give one
    canonical NaN whatever the input's sign and payload; ooarray's stable sort keeps the
    NaNs' bits (as NumPy's does with ``return_index``). None if NumPy keeps them too."""
    dtype = np.dtype(dtype)
    probe = np.array([1, np.nan, np.nan], dtype)
    bits = probe.view(f"u{dtype.itemsize}")
    bits[1:] |= np.array(1 << (dtype.itemsize * 8 - 1), bits.dtype) | np.array(3, bits.dtype)
    found = np.unique(probe, return_inverse=inverse, return_counts=counts,
                      equal_nan=equal_nan)
    last = (found[0] if isinstance(found, tuple) else found)[-1:]
    if last.view(bits.dtype)[0] == bits[1]:
        return None
    return last.reshape(())


@functools.cache
def _keeps_first_nan(dtype: np.dtype) -> bool:
    """Whether NumPy's ``np.unique`` of ``dtype`` (without index, inverse or counts) keeps the
    NaN-holding value that comes first in index order, as its hash table does (NumPy 2.3 and
    later), rather than the first in sorted order (its sort, and ooarray's)."""
    probe = np.array([complex(3, np.nan), complex(2, np.nan)], dtype)
    return bool(np.unique(probe).real[0] == 3)


def _first_nan_kept(flat: OOArray, values: OOArray) -> OOArray:
    """``values`` (sorted unique values, NaN-holding ones collapsed into the last) with that
    last value replaced by the first NaN-holding element of ``flat`` in index order, if it
    holds a NaN: one more streamed pass over the input (an argmax) and a one-element gather."""
    n = values.shape[0]
    first = np.take(flat, np.argmax(np.isnan(flat)))
    last = values[n - 1:]
    return np.concatenate([values[:n - 1], np.where(np.isnan(last), first, last)])


@implements(np.unique_values)
def unique_values(x: Any) -> OOArray:
    """The unique elements of ``x`` (sorted; NumPy's order "may vary"), NaNs kept distinct.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.unique_values(oa.asarray([2, 1, 2])).compute()
    array([1, 2])
    """
    return _unique_parts(asarray(x), False, False, False, False)[0]


@implements(np.unique_counts)
def unique_counts(x: Any) -> Any:
    """The unique elements of ``x`` and how often each occurs, as ``np.unique_counts``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.unique_counts(oa.asarray([2, 1, 2])).counts.compute()
    array([1, 2])
    """
    values, counts = _unique_parts(asarray(x), False, False, True, False)
    return _result_type("UniqueCountsResult")(values, counts)


@implements(np.unique_inverse)
def unique_inverse(x: Any) -> Any:
    """The unique elements of ``x`` and, for each element, the index of its unique value.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.unique_inverse(oa.asarray([2, 1, 2])).inverse_indices.compute()
    array([1, 0, 1])
    """
    values, inverse = _unique_parts(asarray(x), False, True, False, False)
    return _result_type("UniqueInverseResult")(values, inverse)


@implements(np.unique_all)
def unique_all(x: Any) -> Any:
    """Unique values, first indices, inverse indices and counts, as ``np.unique_all``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.unique_all(oa.asarray([2, 1, 2])).indices.compute()
    array([1, 0])
    """
    values, index, inverse, counts = _unique_parts(asarray(x), True, True, True, False)
    return _result_type("UniqueAllResult")(values, index, inverse, counts)


def _result_type(name: str):
    from numpy.lib import _arraysetops_impl
    return getattr(_arraysetops_impl, name)


# -- quantiles ----------------------------------------------------------------------------
def _lane_layout(array: OOArray, axis: Any) -> tuple[OOArray, tuple[int, ...], tuple[int, ...]]:
    """Move the reduced axes last and merge them: (kept..., lane). Also return the kept
    shape and the keepdims shape."""
    axes = tuple(range(array.ndim)) if axis is None else normalize_axis_tuple(axis, array.ndim)
    kept = tuple(i for i in range(array.ndim) if i not in axes)
    kept_shape = tuple(array.shape[i] for i in kept)
    keep_shape = tuple(1 if i in axes else n for i, n in enumerate(array.shape))
    moved = array.transpose(kept + axes) if kept + axes != tuple(range(array.ndim)) else array
    lane = math.prod(array.shape[i] for i in axes)
    if moved.shape != kept_shape + (lane,):
        moved = moved.reshape(kept_shape + (lane,))
    return moved, kept_shape, keep_shape


def _order_statistic(name: str, numpy_func, a: Any, axis: Any, keepdims: bool,
                     q: Any = None, method: str = "linear", weights: Any = None,
                     skip_nan: bool = False, percent: bool = False) -> OOArray:
    """median / quantile / percentile and their nan-variants."""
    array = asarray(a)
    is_median = q is None
    if isinstance(q, OOArray):
        q = q.compute()
    kwargs = {} if is_median else {"method": method}
    extra = dict(kwargs)
    if weights is not None:
        extra["weights"] = np.ones((1,) * np.ndim(weights)) if np.ndim(weights) else weights
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        args = (_stand_in(array),) if is_median else (_stand_in(array), q)
        expected = np.asarray(numpy_func(*args, axis=axis, keepdims=keepdims, **extra))
    dtype = expected.dtype
    if weights is not None or array.size == 0:
        data = _in_memory(name, array) if array.size else np.empty(array.shape, array.dtype)
        if isinstance(weights, OOArray):
            weights = weights.compute()
        if weights is not None:
            kwargs["weights"] = weights
        args = (data,) if is_median else (data, q)
        return asarray(np.asarray(numpy_func(*args, axis=axis, keepdims=keepdims, **kwargs)))
    q_shape = () if is_median else np.shape(q)
    count = 1 if is_median else max(1, math.prod(q_shape))
    moved, kept_shape, keep_shape = _lane_layout(array, axis)
    length = moved.shape[-1]
    if _lane_fits(length, array.dtype):
        def per_lane(block: np.ndarray) -> np.ndarray:
            args = (block,) if is_median else (block, q)
            found = np.asarray(numpy_func(*args, axis=-1, **kwargs))
            return np.moveaxis(found.reshape((count,) + block.shape[:-1]), 0, -1)
        result = _lanes(moved, moved.ndim - 1, per_lane, count, dtype, name)
    elif not kept_shape:
        result = _long_lane(name, moved.reshape(-1), q, method, dtype, is_median, skip_nan,
                            count, percent)
    else:
        raise _too_long(f"numpy.{name}", moved, moved.ndim - 1)
    if result.ndim > 1:  # the q axis goes first, as NumPy puts it
        result = result.transpose((result.ndim - 1,) + tuple(range(result.ndim - 1)))
    shape = q_shape + (keep_shape if keepdims else kept_shape)
    return result.reshape(shape) if result.shape != shape else result


def _long_lane(name: str, flat: OOArray, q: Any, method: str, dtype: np.dtype,
               is_median: bool, skip_nan: bool, count: int, percent: bool) -> OOArray:
    """Order statistics of one lane too long for a task: sort it out of core, read the few
    positions NumPy's formula needs, and finish with NumPy's own interpolation."""
    values = _sorted(flat, 0, "sort", "stable", None)
    total = flat.shape[0]
    valid = total
    if skip_nan and flat.dtype.kind == "f":
        valid = total - int(np.isnan(flat).sum())
    if valid == 0:
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=4)
        return asarray(np.full((count,), np.nan, dtype))
    nan_check = flat.dtype.kind in "fc" and not skip_nan
    if is_median:
        wanted, finish = median_positions(valid, nan_check, dtype)
    else:
        wanted, finish = quantile_positions(valid, q, method, flat.dtype, nan_check, dtype,
                                            percent)
    positions = list(wanted) + [total - 1]
    node = OrderStatsNode(values.node, positions, finish, (count,), dtype, name)
    return OOArray(node)


@implements(np.median)
def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> OOArray:
    """Median along the given axes, exactly as ``np.median``.

    Lanes that fit a task take NumPy's median per block of lanes; a lane too long for a
    task is sorted out of core and only its middle elements are read.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.median(oa.asarray([3.0, 1.0, 2.0, 10.0])))
    2.5
    """
    return _deliver(_order_statistic("median", np.median, a, axis, keepdims), out)


@implements(np.nanmedian)
def nanmedian(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> OOArray:
    """Median ignoring NaN, as ``np.nanmedian``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.nanmedian(oa.asarray([3.0, np.nan, 1.0])))
    2.0
    """
    return _deliver(_order_statistic("nanmedian", np.nanmedian, a, axis, keepdims,
                                     skip_nan=True), out)


def _quantile_family(name: str, numpy_func, a, q, axis, out, method, keepdims, weights,
                     interpolation, skip_nan, percent):
    if interpolation is not None:
        method = _quantiles._check_interpolation_as_method(method, interpolation, name)
    if (q.ndim if isinstance(q, OOArray) else np.ndim(q)) > 2:
        raise ValueError("q must be a scalar or 1d")
    return _deliver(_order_statistic(name, numpy_func, a, axis, keepdims, q, method,
                                     weights, skip_nan, percent), out)


@implements(np.quantile)
def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None,
             interpolation: Any = None) -> OOArray:
    """The q-th quantiles along the given axes, exactly as ``np.quantile`` (every method).

    Parameters
    ----------
    a : array_like
        Real values (complex raises ``TypeError``, as NumPy).
    q : float or array_like of float
        In ``[0, 1]``; its shape leads the result's.
    axis : int, tuple of int or None
    out : ndarray or OOArray, optional
    overwrite_input : bool
        Accepted; the input is never modified.
    method : str
        Any of NumPy's methods.
    keepdims : bool
    weights : array_like, optional
        Runs in NumPy, for inputs up to a quarter of ``memory_limit``.

    Returns
    -------
    OOArray
        Lanes that fit a task take NumPy's quantile per block of lanes; a single lane too long
        for a task is sorted out of core and only the order statistics ``method`` needs are
        read.

    Raises
    ------
    ValueError
        NumPy's, for ``q`` out of range or an unknown ``method``.
    BudgetError
        If lanes of several kept positions are each too long for one task.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.quantile(oa.asarray([1.0, 2.0, 3.0, 4.0]), [0.25, 0.5], method="lower").compute()
    array([1., 2.])
    """
    return _quantile_family("quantile", np.quantile, a, q, axis, out, method, keepdims,
                            weights, interpolation, False, False)


@implements(np.percentile)
def percentile(a: Any, q: Any, axis: Any = None, out: Any = None,
               overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
               *, weights: Any = None, interpolation: Any = None) -> OOArray:
    """The q-th percentiles along the given axes, exactly as ``np.percentile``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.percentile(oa.asarray([1.0, 2.0, 3.0, 4.0]), 50))
    2.5
    """
    return _quantile_family("percentile", np.percentile, a, q, axis, out, method, keepdims,
                            weights, interpolation, False, True)


@implements(np.nanquantile)
def nanquantile(a: Any, q: Any, axis: Any = None, out: Any = None,
                overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
                *, weights: Any = None, interpolation: Any = None) -> OOArray:
    """Quantiles ignoring NaN, as ``np.nanquantile``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.nanquantile(oa.asarray([1.0, np.nan, 3.0]), 0.5))
    2.0
    """
    return _quantile_family("nanquantile", np.nanquantile, a, q, axis, out, method, keepdims,
                            weights, interpolation, True, False)


@implements(np.nanpercentile)
def nanpercentile(a: Any, q: Any, axis: Any = None, out: Any = None,
                  overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False, *, weights: Any = None,
                  interpolation: Any = None) -> OOArray:
    """Percentiles ignoring NaN, as ``np.nanpercentile``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.nanpercentile(oa.asarray([1.0, np.nan, 3.0]), 50))
    2.0
    """
    return _quantile_family("nanpercentile", np.nanpercentile, a, q, axis, out, method,
                            keepdims, weights, interpolation, True, True)


def _deliver(result: OOArray, out: Any) -> Any:
    return deliver_out(result, out, casting="unsafe")
