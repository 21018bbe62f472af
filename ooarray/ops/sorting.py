"""Sorting: sort, argsort, sort_complex, partition, argpartition and searchsorted, and the
lane helpers the rest of the family (the unique family in :mod:`ooarray.ops.unique_family`;
median, percentile, quantile and their nan-variants in :mod:`ooarray.ops.quantiles`) builds on.

Two plans carry everything (``ooarray/algorithms/sorting.py``):

* lanes that fit a task (``LANE_SHARE`` of ``memory_limit``) are sorted, partitioned or
  reduced to quantiles by NumPy itself, one block of whole lanes per task;
* a 1-D array (or ``axis=None``) too long for one task is sorted by a count-first sample
  sort whose bucket sizes are known before its result node is built (:func:`sample_sorted`,
  which ``lexsort`` also uses for several keys at once).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import uuid
import weakref
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.sorting import LaneNode, SearchNode, sample_sort
from ooarray.chunks import normalize_chunks
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE
from ooarray.ops.creation import asarray
from ooarray.plan.graph import Node, SourceNode, topological_order
from ooarray.plan.regions import ElementwiseNode
from ooarray.store.leftovers import temporary_prefix

__all__ = ["sort", "argsort", "sort_complex", "partition", "argpartition", "searchsorted"]

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


#: The sample sort's tasks are sized to these shares of ``memory_limit``: a task over one
#: input chunk (sorting it for samples, counting its buckets, picking a bucket's elements);
#: a bucket's task (its pieces gathered and sorted); and a run of input chunks whose pieces
#: make one node (its tasks read the run once per bucket, so it stays in the pool while they
#: run: the larger the run, the fewer pieces the plan holds).
SORT_BLOCK_SHARE, SORT_BUCKET_SHARE, SORT_RUN_SHARE = 1 / 3, 1 / 2, 1 / 2
#: The samples (``4 * blocks / bucket_items`` of the elements, every key and the index of
#: each) are held and sorted in memory while the sort is planned: at most this share of the
#: budget, by input chunks up to ``SORT_BLOCK_MOST`` of it if the share above makes too many.
SORT_SAMPLES_SHARE, SORT_BLOCK_MOST = 1 / 16, 3 / 5


def _block_items(dtypes: list[np.dtype], length: int, bucket_items: int) -> tuple[int, int]:
    """Elements per input chunk of a sample sort (its sampling task holds every key's chunk
    and NumPy's stable sort of it, about three intp copies), and the most chunks whose
    samples fit their share of the budget."""
    limit = _limit()
    width = sum(d.itemsize for d in dtypes) + 3 * _INDEX.itemsize
    record = sum(d.itemsize for d in dtypes) + _INDEX.itemsize
    most = max(1, int(limit * SORT_SAMPLES_SHARE * bucket_items) // (4 * length * record))
    items = max(int(limit * SORT_BLOCK_SHARE) // width, -(-length // most))
    return max(1, min(items, int(limit * SORT_BLOCK_MOST) // width)), most


def _bucket_items(dtypes: list[np.dtype], kind: str) -> int:
    """Elements per bucket of a sample sort: its task holds the bucket (every key's values
    and the positions, for an argsort), its largest piece (at most a bucket), the stable
    sort's order and merge buffer, and the result."""
    width = sum(d.itemsize for d in dtypes)
    if kind == "argsort":
        per_item = 2 * (width + _INDEX.itemsize) + 3 * _INDEX.itemsize
    else:
        per_item = 2 * width + max(width, _INDEX.itemsize)
    return max(16, int(_limit() * SORT_BUCKET_SHARE) // per_item)


def _run_items(dtypes: list[np.dtype]) -> int:
    return max(1, int(_limit() * SORT_RUN_SHARE) // sum(d.itemsize for d in dtypes))


def _one_grid(keys: list[OOArray], items: int, most: int) -> list[OOArray]:
    """The keys in one chunk grid of chunks of at most ``items`` elements, and at most
    ``most`` chunks if they can be that large. If they share a grid, its chunks are split
    evenly or merged with their neighbours, so that every chunk boundary stays one (a task
    reads whole stored chunks, or parts of one); otherwise ``items``."""
    grid = keys[0].chunks[0]
    if any(key.chunks[0] != grid for key in keys[1:]):
        return [key.rechunk(items) for key in keys]
    split: list[int] = []
    for length in grid:
        parts = max(1, -(-length // items))
        base, extra = divmod(length, parts)
        split.extend([base + 1] * extra + [base] * (parts - extra))
    if len(split) > most:  # merge neighbours up to ``items``
        merged = [0]
        for length in split:
            if merged[-1] and merged[-1] + length > items:
                merged.append(0)
            merged[-1] += length
        split = merged
    lengths = tuple(split)
    return keys if lengths == grid else [key.rechunk((lengths,)) for key in keys]


def _costly(array: OOArray) -> bool:
    """Whether reading ``array`` runs tasks (a sort, a gather...), not only reads stores."""
    return any(node.materialized and not isinstance(node, SourceNode)
               for node in topological_order(array.node))


def _stored(array: OOArray) -> OOArray:
    """``array``'s values computed once into a ``.npy`` file in ``spill_dir`` (in its grid,
    if regular), removed with the node that reads it, or at exit."""
    directory = _config.get().spill_dir
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{temporary_prefix('checkpoint')}{uuid.uuid4().hex}.npy")
    stored = array.to_npy(path)
    weakref.finalize(stored.node, _remove, path)
    return stored


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def sample_sorted(keys: list[OOArray], kind: str) -> OOArray:
    """The out-of-core sample sort of 1-D ``keys`` (``np.lexsort``'s order: the last one
    primary; one key for ``kind="sort"``): the sorted values, or the stable argsort.

    The keys are read three times (samples, counts, pieces): a key whose values come from
    tasks of their own (the result of another sort, a gather) is computed once and stored
    first, instead of three times.
    """
    dtypes = [key.dtype for key in keys]
    bucket_items = _bucket_items(dtypes, kind)
    items, most = _block_items(dtypes, keys[0].shape[0], bucket_items)
    keys = [_stored(key.rechunk(items)) if _costly(key) else key for key in keys]
    keys = _one_grid(keys, items, most)
    return OOArray(sample_sort([key.node for key in keys], kind, bucket_items,
                               _run_items(dtypes), _run))


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
        return sample_sorted([array], kind_name)
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
