"""Set functions: the unique_* family through ooarray's out-of-core unique (sort, then
count first and compact). NaNs are distinct from each other, as the standard asks."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ooarray.array_api._helpers import as_array
from ooarray.core.array import OOArray

__all__ = ["unique_all", "unique_counts", "unique_inverse", "unique_values",
           "UniqueAllResult", "UniqueCountsResult", "UniqueInverseResult"]


class UniqueAllResult(NamedTuple):
    values: OOArray
    indices: OOArray
    inverse_indices: OOArray
    counts: OOArray


class UniqueCountsResult(NamedTuple):
    values: OOArray
    counts: OOArray


class UniqueInverseResult(NamedTuple):
    values: OOArray
    inverse_indices: OOArray


def _unique(x: OOArray, **returns: bool) -> tuple[OOArray, ...]:
    result = np.unique(as_array(x), equal_nan=False, **returns)
    return result if isinstance(result, tuple) else (result,)


def unique_values(x: OOArray, /) -> OOArray:
    """Return the distinct values of ``x``, sorted and flattened.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.unique_values(xp.asarray([3, 1, 3])).tolist()
    [1, 3]
    """
    return _unique(x)[0]


def unique_counts(x: OOArray, /) -> UniqueCountsResult:
    """Return the distinct values and how often each occurs."""
    values, counts = _unique(x, return_counts=True)
    return UniqueCountsResult(values, counts)


def unique_inverse(x: OOArray, /) -> UniqueInverseResult:
    """Return the distinct values and, for each element of ``x``, the index of its value."""
    x = as_array(x)
    values, inverse = _unique(x, return_inverse=True)
    return UniqueInverseResult(values, np.reshape(inverse, x.shape))


def unique_all(x: OOArray, /) -> UniqueAllResult:
    """Return the distinct values, the first index of each, the inverse and the counts."""
    x = as_array(x)
    values, indices, inverse, counts = _unique(x, return_index=True, return_inverse=True,
                                               return_counts=True)
    return UniqueAllResult(values, indices, np.reshape(inverse, x.shape), counts)
