"""Scans along an axis: cumsum, cumprod, their nan-variants, cumulative_sum/prod, diff.

A scan is planned in two passes (:mod:`ooarray.algorithms.scans`): per-block totals along the axis,
an exclusive prefix of those totals (the carry), then each output region is the local scan of
its block plus the block's carry. ``diff`` is a region node (:class:`DiffNode`) that reads
``n`` elements past its region. NumPy decides result dtypes and raises argument errors on a
one-element stand-in of the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.scans import DiffNode, scan
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops._operands import as_node, deliver_out
from ooarray.ops.creation import asarray
from ooarray.plan.graph import Node
from ooarray.plan.regions import BroadcastNode

__all__ = ["cumsum", "cumprod", "nancumsum", "nancumprod", "cumulative_sum",
           "cumulative_prod", "diff"]

_NO_VALUE = np._NoValue


def _stand_in(array: OOArray) -> np.ndarray:
    return np.ones((1,) * array.ndim, array.dtype)


def _scan(ufunc: np.ufunc, numpy_func, a: Any, axis: Any, dtype: Any, out: Any,
          nan_fill: Any = None, **options: Any) -> Any:
    """Validate with NumPy on a stand-in, then plan ``ufunc.accumulate`` along ``axis``."""
    array = asarray(a)
    dtype = numpy_func(_stand_in(array), axis=axis, dtype=dtype, **options).dtype
    if nan_fill is not None and array.dtype.kind in "fc":
        array = np.where(np.isnan(array), nan_fill, array)
    if axis is None or array.ndim == 0:
        array = array.ravel() if array.ndim != 1 else array
        axis = 0
    axis = normalize_axis_index(axis, array.ndim)
    group = target_chunk_bytes(_config.get().memory_limit)
    node = scan(array.node, ufunc, axis, dtype, group,
                initial=bool(options.get("include_initial", False)))
    return deliver_out(OOArray(node), out)


@implements(np.cumsum)
def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum along ``axis`` (the flattened array if None), as ``np.cumsum``.

    Parameters
    ----------
    a : array_like
    axis : int, optional
    dtype : dtype, optional
        Accumulator and result dtype; by default NumPy's (integers smaller than the platform
        integer accumulate in it).
    out : OOArray or ndarray, optional

    Returns
    -------
    OOArray

    Raises
    ------
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(1, 7).reshape(2, 3), chunks=(1, 2))
    >>> np.cumsum(a).tolist()
    [1, 3, 6, 10, 15, 21]
    >>> np.cumsum(a, axis=1).tolist()
    [[1, 3, 6], [4, 9, 15]]
    """
    return _scan(np.add, np.cumsum, a, axis, dtype, out)


@implements(np.cumprod)
def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product along ``axis`` (the flattened array if None), as ``np.cumprod``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.cumprod(oa.asarray(np.arange(1, 6), chunks=2)).tolist()
    [1, 2, 6, 24, 120]
    """
    return _scan(np.multiply, np.cumprod, a, axis, dtype, out)


@implements(np.nancumsum)
def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum with NaNs counted as zero, as ``np.nancumsum``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.nancumsum(oa.asarray(np.array([1.0, np.nan, 2.0]), chunks=2)).tolist()
    [1.0, 1.0, 3.0]
    """
    return _scan(np.add, np.nancumsum, a, axis, dtype, out, nan_fill=0)


@implements(np.nancumprod)
def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product with NaNs counted as one, as ``np.nancumprod``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.nancumprod(oa.asarray(np.array([2.0, np.nan, 3.0]), chunks=2)).tolist()
    [2.0, 2.0, 6.0]
    """
    return _scan(np.multiply, np.nancumprod, a, axis, dtype, out, nan_fill=1)


@implements(np.cumulative_sum)
def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None, out: Any = None,
                   include_initial: bool = False) -> Any:
    """Cumulative sum, as NumPy 2's (Array API) ``np.cumulative_sum``.

    ``axis`` may be omitted only for a 1-d array; ``include_initial`` puts a zero first.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.cumulative_sum(oa.asarray(np.arange(4), chunks=3), include_initial=True).tolist()
    [0, 0, 1, 3, 6]
    """
    return _scan(np.add, np.cumulative_sum, x, axis, dtype, out,
                 include_initial=include_initial)


@implements(np.cumulative_prod)
def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    out: Any = None, include_initial: bool = False) -> Any:
    """Cumulative product, as NumPy 2's (Array API) ``np.cumulative_prod``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.cumulative_prod(oa.asarray(np.arange(1, 4)), include_initial=True).tolist()
    [1, 1, 2, 6]
    """
    return _scan(np.multiply, np.cumulative_prod, x, axis, dtype, out,
                 include_initial=include_initial)


# -- diff -------------------------------------------------------------------------------------
def _edge(value: Any, array: OOArray, axis: int) -> Node:
    """``prepend``/``append`` as a node of ``array``'s shape but for the axis (NumPy
    broadcasts a scalar to length 1 there)."""
    node = as_node(value)
    if node.shape == ():
        shape = array.shape[:axis] + (1,) + array.shape[axis + 1:]
        node = BroadcastNode(node, shape, target_chunk_bytes(_config.get().memory_limit))
    return node


@implements(np.diff)
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = _NO_VALUE,
         append: Any = _NO_VALUE) -> OOArray:
    """The ``n``-th discrete difference along ``axis``, as ``np.diff``.

    Parameters
    ----------
    a : array_like
    n : int
        How many times to difference; 0 returns ``a``.
    axis : int
    prepend, append : array_like, optional
        Joined to ``a`` along ``axis`` first (a scalar counts as one element there).

    Returns
    -------
    OOArray
        One element shorter along ``axis`` per difference; booleans differ by ``!=``.

    Raises
    ------
    ValueError
        If ``n`` is negative, ``a`` is 0-d, or ``prepend``/``append`` do not fit.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1, 4, 9, 16, 25]), chunks=2)
    >>> np.diff(a).tolist(), np.diff(a, n=2).tolist()
    ([3, 5, 7, 9], [2, 2, 2])
    >>> np.diff(a, prepend=0).tolist()
    [1, 3, 5, 7, 9]
    """
    array = asarray(a)
    n = int(n) if isinstance(n, (int, np.integer)) else n
    if not isinstance(n, int):
        raise TypeError(f"diff order n must be an integer, got {type(n).__name__}")
    if n == 0:
        return array
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if array.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis_index(axis, array.ndim)
    parts = [array.node]
    if prepend is not _NO_VALUE:
        parts.insert(0, _edge(prepend, array, axis))
    if append is not _NO_VALUE:
        parts.append(_edge(append, array, axis))
    for part in parts:
        others = [(s, t) for i, (s, t) in enumerate(zip(part.shape, array.shape, strict=False))
                  if i != axis]
        if len(part.shape) != array.ndim or any(s != t for s, t in others):
            raise ValueError(
                f"all the input array dimensions except for the concatenation axis must "
                f"match exactly, but prepend/append has shape {part.shape} and the array "
                f"{array.shape} (axis {axis})")
    joined = np.result_type(*[np.empty(0, p.dtype) for p in parts])
    stand = np.ones((2,) * array.ndim, joined)
    dtype = np.diff(stand, axis=axis).dtype
    return OOArray(DiffNode(parts, axis, n, joined, dtype))
