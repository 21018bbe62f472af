"""The unique family: unique, unique_values, unique_counts, unique_inverse, unique_all.

``unique`` flags run starts in the sorted array (:mod:`ooarray.ops.sorting`), counts them per
chunk, then compacts (count first, then compact: every size is exact).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ooarray.algorithms.compact import CompactNode
from ooarray.algorithms.sorting import BlockMapNode, GapsNode, RunStartsNode
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.ops.sorting import _INDEX, _flat, _in_memory, _run, _sorted, searchsorted

__all__ = ["unique", "unique_values", "unique_counts", "unique_inverse", "unique_all"]


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
    def compact(data, flat_positions=False):  # one output chunk per block with a run start
        return CompactNode(data, starts, starts.chunks, per_block, 1, flat_positions)

    unique_values = OOArray(compact(values.node))
    results = [unique_values]
    if want_index:
        order = _sorted(flat, 0, "argsort", "stable", None)
        results.append(OOArray(compact(order.node)))
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
        positions = compact(None, flat_positions=True)
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
