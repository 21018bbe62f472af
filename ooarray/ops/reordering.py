"""Reordering, repeating and triangles: ``flip``, ``fliplr``, ``flipud``, ``rot90``,
``repeat``, ``tile``, ``triu``, ``tril`` and ``meshgrid``.

Flips are views (:class:`~ooarray.plan.regions.SliceNode`), ``rot90`` a flip and a transpose,
``tile`` a broadcast merged by a reshape, ``repeat`` a
:class:`~ooarray.algorithms.reordering.RepeatNode` and ``triu``/``tril`` a
:class:`~ooarray.algorithms.reordering.TriangleNode`.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.reordering import RepeatNode, TriangleNode
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE
from ooarray.ops.creation import asarray
from ooarray.ops.manipulation import (
    _budget_target,
    broadcast_arrays,
    broadcast_to,
    ravel,
    reshape,
    transpose,
)

__all__ = ["flip", "fliplr", "flipud", "rot90", "repeat", "tile", "triu", "tril", "meshgrid"]


# -- reordering -----------------------------------------------------------------------------
@implements(np.flip)
def flip(m: Any, axis: Any = None) -> OOArray:
    """Reverse the order of elements along ``axis`` (all axes by default), as ``np.flip``.

    A reversed slice: an output region reads the mirrored region of the input, as a view.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.flip(oa.arange(4)).compute()
    array([3, 2, 1, 0])
    """
    array = asarray(m)
    axes = tuple(range(array.ndim)) if axis is None else normalize_axis_tuple(axis, array.ndim)
    if not axes:
        return OOArray(array.node)
    return array[tuple(slice(None, None, -1) if i in axes else slice(None)
                       for i in range(array.ndim))]


@implements(np.fliplr)
def fliplr(m: Any) -> OOArray:
    """Reverse the columns (axis 1), as ``np.fliplr``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.fliplr(oa.asarray([[1, 2], [3, 4]])).compute()
    array([[2, 1],
           [4, 3]])
    """
    array = asarray(m)
    if array.ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(array, 1)


@implements(np.flipud)
def flipud(m: Any) -> OOArray:
    """Reverse the rows (axis 0), as ``np.flipud``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.flipud(oa.arange(3)).compute()
    array([2, 1, 0])
    """
    array = asarray(m)
    if array.ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(array, 0)


@implements(np.rot90)
def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> OOArray:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, as ``np.rot90``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.rot90(oa.asarray([[1, 2], [3, 4]])).compute()
    array([[2, 4],
           [1, 3]])
    """
    array = asarray(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == array.ndim:
        raise ValueError("Axes must be different.")
    if not (-array.ndim <= axes[0] < array.ndim and -array.ndim <= axes[1] < array.ndim):
        raise ValueError(f"Axes={axes} out of range for array of ndim={array.ndim}.")
    k = operator.index(k) % 4
    if k == 0:
        return OOArray(array.node)
    if k == 2:
        return flip(flip(array, axes[0]), axes[1])
    order = list(range(array.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(array, axes[1]), order)
    return flip(transpose(array, order), axes[1])


@implements(np.repeat)
def repeat(a: Any, repeats: Any, axis: Any = None) -> OOArray:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array by
    default), as ``np.repeat``.

    A scalar count needs no memory; per-element counts are summed first (the "count" pass:
    one int64 per element along ``axis`` held in memory), then each output region gathers
    the input range it comes from.

    Raises
    ------
    ValueError
        For negative counts or counts that do not broadcast to the axis length.
    TypeError
        For counts that do not cast safely to integers.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.repeat(oa.asarray([1, 2, 3]), [0, 1, 2]).compute()
    array([2, 3, 3])
    """
    array = asarray(a)
    if axis is None:
        array, axis = ravel(array), 0
    axis = normalize_axis_index(operator.index(axis), array.ndim)
    n = array.shape[axis]
    if isinstance(repeats, OOArray):
        _check_count_bytes(repeats.size)
        repeats = repeats.compute()
    # NumPy casts an array of counts safely, but truncates Python numbers and lists.
    counts = repeats.astype(np.intp, casting="safe") if isinstance(repeats, np.ndarray) \
        else np.array(repeats, dtype=np.intp)
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, n)):
        raise ValueError(f"operands could not be broadcast together with shape ({n},) "
                         f"{counts.shape}")
    if (counts < 0).any():
        raise ValueError("repeats may not contain negative values.")
    if counts.ndim == 0 or counts.size == 1:
        count = int(counts.reshape(-1)[0])
        if count == 1:
            return OOArray(array.node)
        return OOArray(RepeatNode(array.node, axis, count, _budget_target()))
    _check_count_bytes(n)
    return OOArray(RepeatNode(array.node, axis, counts.astype(np.int64), _budget_target()))


def _check_count_bytes(n: int) -> None:
    limit = _config.get().memory_limit
    if 8 * n > limit * IN_MEMORY_SHARE:
        raise BudgetError(
            f"np.repeat with per-element counts holds one int64 per element along the axis "
            f"({format_bytes(8 * n)}), over a quarter of memory_limit={format_bytes(limit)}; "
            f"raise memory_limit or repeat by a scalar count", needed=8 * n, limit=limit)


@implements(np.tile)
def tile(A: Any, reps: Any) -> OOArray:
    """Repeat the whole array ``reps`` times along each axis, as ``np.tile``.

    Each tiled axis is the input broadcast along a new axis in front of it, merged with it
    by a reshape: a region reads the input range it covers, however many repetitions.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.tile(oa.asarray([1, 2]), (2, 2)).compute()
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]])
    """
    array = asarray(A)
    try:
        tup = tuple(operator.index(r) for r in reps)
    except TypeError:
        tup = (operator.index(reps),)
    if any(r < 0 for r in tup):
        raise ValueError("negative dimensions are not allowed")
    ndim = max(len(tup), array.ndim)
    tup = (1,) * (ndim - len(tup)) + tup
    if array.ndim < ndim:
        array = array[(None,) * (ndim - array.ndim) + (Ellipsis,)]
    for axis, count in enumerate(tup):
        if count == 1:
            continue
        shape = array.shape
        spread = broadcast_to(array[(slice(None),) * axis + (None, Ellipsis)],
                              shape[:axis] + (count,) + shape[axis:])
        array = reshape(spread, shape[:axis] + (count * shape[axis],) + shape[axis + 1:])
    return OOArray(array.node)  # a new array even when nothing was tiled, as NumPy's copy


# -- triangles and grids --------------------------------------------------------------------
def _triangle(m: Any, k: Any, upper: bool) -> OOArray:
    array = asarray(m)
    if array.ndim == 0:
        raise TypeError("tri() missing 1 required positional argument: 'N'")
    if array.ndim == 1:
        array = broadcast_to(array, (array.shape[0],) * 2)
    return OOArray(TriangleNode(array.node, operator.index(k), upper))


@implements(np.triu)
def triu(m: Any, k: int = 0) -> OOArray:
    """Upper triangle of the last two axes (elements below diagonal ``k`` zeroed), as
    ``np.triu``; a 1-D input is first broadcast to a square matrix.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.triu(oa.ones((3, 3), dtype=int)).compute()
    array([[1, 1, 1],
           [0, 1, 1],
           [0, 0, 1]])
    """
    return _triangle(m, k, True)


@implements(np.tril)
def tril(m: Any, k: int = 0) -> OOArray:
    """Lower triangle of the last two axes (elements above diagonal ``k`` zeroed), as
    ``np.tril``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.tril(oa.ones((2, 3), dtype=int), 1).compute()
    array([[1, 1, 0],
           [1, 1, 1]])
    """
    return _triangle(m, k, False)


@implements(np.meshgrid)
def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> tuple[OOArray, ...]:
    """Coordinate arrays from coordinate vectors, as ``np.meshgrid``: broadcasts, no copies.

    Raises
    ------
    ValueError
        If ``indexing`` is not 'xy' or 'ij'.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [g.shape for g in np.meshgrid(oa.arange(3), oa.arange(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    base = (1,) * ndim
    grids = []
    for i, x in enumerate(xi):
        shape = list(base)
        shape[i] = -1
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[i], shape[1 - i] = 1, -1
        grids.append(reshape(asarray(x), tuple(shape)))
    if not sparse:
        return tuple(broadcast_arrays(*grids))
    return tuple(grids)
