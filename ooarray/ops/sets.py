"""Set operations and ordering: ``isin``, ``intersect1d``, ``union1d``, ``setdiff1d``,
``setxor1d``, ``lexsort`` (issue 16, item 3).

Everything is composed from the out-of-core sort and unique (:mod:`ooarray.ops.sorting`,
:mod:`ooarray.ops.unique_family`), concatenation, boolean masks (count first, then compact)
and gathers, following NumPy's own algorithms step by step so that results, their order
and dtypes are NumPy's:

* ``isin`` looks elements up in the sorted test elements: held in memory when they are small
  (an elementwise node per chunk), otherwise sorted out of core and streamed past each chunk
  of elements (:class:`ooarray.algorithms.sets.MemberNode`);
* ``intersect1d`` and ``setxor1d`` sort the concatenated (unique) inputs and compare
  neighbours; ``union1d`` is the unique of the concatenation; ``setdiff1d`` masks with
  ``isin``;
* ``lexsort`` sorts lanes that fit a task with NumPy; long 1-D keys by one out-of-core
  sample sort of all the keys at once (:func:`ooarray.ops.sorting.sample_sorted`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray.algorithms.sets import LexLanesNode, MemberNode, member_of_sorted
from ooarray.chunks import normalize_chunks
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray, full_like
from ooarray.ops.indexing import take
from ooarray.ops.joining import concatenate
from ooarray.ops.sorting import LANE_SHARE, _flat, _limit, _sorted, _too_long, sample_sorted
from ooarray.ops.unique_family import unique
from ooarray.plan.regions import ElementwiseNode

__all__ = ["isin", "intersect1d", "union1d", "setdiff1d", "setxor1d", "lexsort"]

_INDEX = np.dtype(np.intp)
_INTEGERS = "biu"


# -- isin ---------------------------------------------------------------------------------
def _check_isin(element: OOArray, test: OOArray, kind: str | None) -> None:
    """NumPy's argument errors (a bad ``kind``, ``'table'`` on non-integers or on a range
    its table cannot hold), raised before any work but the test elements' min and max."""
    np.isin(np.zeros(1, element.dtype), np.zeros(1, test.dtype), kind=kind)
    if kind == "table" and test.size and element.dtype.kind in _INTEGERS \
            and test.dtype.kind in _INTEGERS:
        table_dtype = np.dtype(np.uint8) if test.dtype == np.bool_ else test.dtype
        low, high = int(np.min(test).compute()), int(np.max(test).compute())
        if high - low > np.iinfo(table_dtype).max:
            raise RuntimeError(
                "You have specified kind='table', but the range of values in `ar2` or `ar1` "
                "exceed the maximum integer of the datatype. Please set `kind` to None or "
                "'sort'.")


def _float_compared(element: OOArray, test: OOArray, kind: str | None) -> bool:
    """Whether NumPy's ``isin`` compares these mixed-sign 64-bit integers as float64: its
    integer table and its loop of ``==`` (for few test elements) are exact, its sort of the
    concatenation (float64) is not, and which one runs depends on sizes and the range."""
    if test.size < 10 * element.size ** 0.145:
        return False
    if kind == "sort":
        return True
    low, high = int(np.min(test).compute()), int(np.max(test).compute())
    return kind != "table" and high - low > 6 * (element.size + test.size)


def _comparable(element: OOArray, test: OOArray, kind: str | None
                ) -> tuple[OOArray, OOArray, OOArray | None]:
    """``element`` and ``test`` in one dtype where ``==`` is NumPy's, and a mask of elements
    that may be members at all (None: all may).

    Integers of both signs whose common type is a float (int64 with uint64) are compared
    exactly where NumPy compares them exactly (:func:`_float_compared`): negative values can
    equal no unsigned value, so they are dropped (the test's) or masked out (the elements'),
    and the rest is compared as uint64.
    """
    common = np.result_type(element.dtype, test.dtype)
    if element.dtype.kind in _INTEGERS and test.dtype.kind in _INTEGERS \
            and common.kind == "f" and not _float_compared(element, test, kind):
        unsigned = np.dtype(np.uint64)
        if element.dtype.kind == "i":
            return element.astype(unsigned), test.astype(unsigned), element >= 0
        test = _flat(test)
        return element.astype(unsigned), test[test >= 0].astype(unsigned), None
    return element.astype(common), test.astype(common), None


def _in_memory_table(table: np.ndarray, values: np.ndarray) -> np.ndarray:
    return member_of_sorted(table, values)


def _membership(values: OOArray, test: OOArray) -> OOArray:
    """Whether each of ``values`` is in ``test`` (both of one dtype), as an OOArray of bool."""
    if test.nbytes <= _limit() * LANE_SHARE:
        table = np.unique(test.compute())
        func = functools.partial(_in_memory_table, table)
        return OOArray(ElementwiseNode(func, [values.node], [np.dtype(np.bool_)],
                                       shape=values.shape, chunks=values.chunks))
    ordered = _sorted(_flat(test), 0, "sort", None, None)
    shape = values.shape
    if values.ndim == 0:
        values = values.reshape(1)
    return OOArray(MemberNode(ordered.node, values.node, False)).reshape(shape)


@implements(np.isin)
def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False,
         *, kind: str | None = None) -> OOArray:
    """Whether each element is in ``test_elements``, as ``np.isin``.

    Parameters
    ----------
    element : array_like
    test_elements : array_like
        Up to a sixteenth of ``memory_limit``, held in memory (sorted unique values) by an
        elementwise node; larger, sorted out of core and read past each chunk of
        ``element`` in turn.
    assume_unique : bool
        Accepted; the result is the same either way (true membership).
    invert : bool
        Return ``not in``.
    kind : {None, 'sort', 'table'}
        Checked as NumPy checks it; every kind gives the same answer.

    Returns
    -------
    OOArray of bool
        The shape of ``element``.

    Raises
    ------
    ValueError
        For an unknown ``kind``, or ``'table'`` with non-integer arrays.
    RuntimeError
        For ``'table'`` when the test elements' range exceeds their dtype, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.isin(oa.asarray([1, 2, 3, 4]), [2, 4]).compute()
    array([False,  True, False,  True])
    """
    values, test = asarray(element), asarray(test_elements)
    _check_isin(values, test, kind)
    values, test, possible = _comparable(values, test, kind)
    if test.size == 0 or values.size == 0:
        found = full_like(values, False, dtype=np.bool_)
    else:
        found = _membership(values, test)
    if possible is not None:
        found = found & possible
    return ~found if invert else found


# -- the 1-D set operations -----------------------------------------------------------------
def _unique_or_flat(array: Any, assume_unique: bool) -> OOArray:
    return _flat(asarray(array)) if assume_unique else unique(array)


def _neighbours_equal(aux: OOArray) -> OOArray:
    """``aux[1:] == aux[:-1]`` (length ``n - 1``; empty for ``n <= 1``)."""
    return aux[1:] == aux[:-1]


@implements(np.intersect1d)
def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False,
                return_indices: bool = False) -> Any:
    """The sorted unique values in both arrays, as ``np.intersect1d``.

    The unique values of both (out of core) are concatenated and sorted stably; a value
    equal to its right neighbour is in both.

    Parameters
    ----------
    ar1, ar2 : array_like
        Flattened.
    assume_unique : bool
        Skip the unique step (as NumPy, duplicates then appear in the result).
    return_indices : bool
        Also return the index of each value's first occurrence in ``ar1`` and ``ar2``.

    Returns
    -------
    OOArray, or a tuple of three
        The values (dtype of the concatenation) and, with ``return_indices``, two intp
        arrays.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.intersect1d(oa.asarray([1, 3, 4, 3]), [3, 1, 2, 1]).compute()
    array([1, 3])
    """
    if return_indices and not assume_unique:
        first, index1 = unique(ar1, return_index=True)
        second, index2 = unique(ar2, return_index=True)
    else:
        first, second = (_unique_or_flat(a, assume_unique) for a in (ar1, ar2))
    aux = concatenate((first, second))
    values = _sorted(aux, 0, "sort", "stable", None)
    mask = _neighbours_equal(values)
    found = values[:-1][mask]
    if not return_indices:
        return found
    order = _sorted(aux, 0, "argsort", "stable", None)
    indices1 = order[:-1][mask]
    indices2 = order[1:][mask] - first.size
    if not assume_unique:
        indices1, indices2 = take(index1, indices1), take(index2, indices2)
    return found, indices1, indices2


@implements(np.union1d)
def union1d(ar1: Any, ar2: Any) -> OOArray:
    """The sorted unique values in either array, as ``np.union1d``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.union1d(oa.asarray([-1, 0, 1]), [-2, 0, 2]).compute()
    array([-2, -1,  0,  1,  2])
    """
    return unique(concatenate((asarray(ar1), asarray(ar2)), axis=None))


@implements(np.setdiff1d)
def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> OOArray:
    """The unique values of ``ar1`` not in ``ar2``, as ``np.setdiff1d``.

    Parameters
    ----------
    ar1, ar2 : array_like
    assume_unique : bool
        If True, ``ar1`` is only flattened (its order and duplicates are kept).

    Returns
    -------
    OOArray
        ``ar1``'s dtype; sorted unless ``assume_unique``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.setdiff1d(oa.asarray([1, 2, 3, 2, 4, 1]), [3, 4, 5, 6]).compute()
    array([1, 2])
    """
    first = _unique_or_flat(ar1, assume_unique)
    second = asarray(ar2) if assume_unique else unique(ar2)
    return first[isin(first, second, invert=True)]


@implements(np.setxor1d)
def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> OOArray:
    """The sorted values in exactly one of the arrays, as ``np.setxor1d``.

    The (unique) inputs are concatenated and sorted; a value differing from both neighbours
    is kept (as NumPy's, two NaNs are never equal, so a NaN in each input is kept twice).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.setxor1d(oa.asarray([1, 2, 3, 2, 4]), [2, 3, 5, 7, 5]).compute()
    array([1, 4, 5, 7])
    """
    first, second = (_unique_or_flat(a, assume_unique) for a in (ar1, ar2))
    aux = concatenate((first, second), axis=None)
    if aux.size == 0:
        return aux
    values = _sorted(aux, 0, "sort", None, None)
    differs = ~_neighbours_equal(values)
    edge = asarray(np.ones(1, np.bool_))
    keep = concatenate((edge, differs)) & concatenate((differs, edge))
    return values[keep]


# -- lexsort --------------------------------------------------------------------------------
def _keys(keys: Any) -> list[OOArray]:
    """The sort keys as OOArrays: the items of a tuple or list, or the rows of an array."""
    if isinstance(keys, (OOArray, np.ndarray)):
        return [asarray(keys[i]) for i in range(len(keys))] if keys.ndim else [asarray(keys)]
    return [asarray(key) for key in keys]


def _lex_lanes(keys: list[OOArray], axis: int) -> OOArray:
    """``np.lexsort`` on whole lanes, blocks of lanes sized from the budget."""
    shape, ndim = keys[0].shape, keys[0].ndim
    lane = shape[axis] * sum(max(key.dtype.itemsize, _INDEX.itemsize) for key in keys)
    per_block = max(1, int(_limit() * LANE_SHARE))
    fixed = tuple(-1 if i == axis else "auto" for i in range(ndim))
    grid = list(normalize_chunks(fixed, shape, max(1, lane // max(1, shape[axis])),
                                 per_block))
    grid[axis] = (shape[axis],)
    return OOArray(LexLanesNode([key.node for key in keys], axis, tuple(grid)))


@implements(np.lexsort)
def lexsort(keys: Any, axis: int = -1) -> OOArray:
    """Indirect stable sort on several keys, the last one primary, as ``np.lexsort``.

    Parameters
    ----------
    keys : tuple or list of array_like, or an array
        The keys, all of one shape (an array's rows are its keys).
    axis : int
        The axis to sort along.

    Returns
    -------
    OOArray of intp
        The shape of a key.

    Raises
    ------
    TypeError
        If there are no keys.
    ValueError
        If the keys differ in shape.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    BudgetError
        If a lane of N-D keys is too long for one task (1-D keys have no such limit).

    Notes
    -----
    Lanes whose keys fit a sixteenth of ``memory_limit`` are sorted by NumPy, a block of
    lanes per task. Longer 1-D keys are sorted by one out-of-core sample sort of all the
    keys at once, ordered by every key and then by index (two int64 keys of 16 MiB under a
    4 MiB budget: 2.7 s and 11-12 MiB of RSS growth; as a sequence of argsorts and gathers
    through the permutation, this took 76 s and 89 MiB).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.lexsort((oa.asarray([1, 5, 1, 4]), oa.asarray([9, 4, 0, 4]))).compute()
    array([2, 3, 1, 0])
    """
    items = _keys(keys)
    if not items:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if any(key.shape != items[0].shape for key in items):
        raise ValueError("all keys need to be the same shape")
    np.lexsort([np.zeros((1,) * key.ndim, key.dtype) for key in items], axis=axis)
    if items[0].ndim == 0:
        return asarray(np.intp(0))
    axis = normalize_axis_index(axis, items[0].ndim)
    length = items[0].shape[axis]
    lane = length * sum(max(key.dtype.itemsize, _INDEX.itemsize) for key in items)
    if items[0].size == 0 or lane <= _limit() * LANE_SHARE:
        return _lex_lanes(items, axis)
    if items[0].ndim == 1:
        return sample_sorted(items, "argsort")
    raise _too_long("numpy.lexsort", items[-1], axis)
