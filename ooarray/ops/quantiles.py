"""Order statistics: median, percentile, quantile and their nan-variants.

Lanes that fit a task are reduced to quantiles by NumPy itself, one block of whole lanes per
task (:func:`ooarray.ops.sorting._lanes`). Quantiles of a lane too long for a task read only
the order statistics they need from the sorted array and interpolate them with NumPy's own
rules.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.lib import _function_base_impl as _quantiles
from numpy.lib.array_utils import normalize_axis_tuple

from ooarray.algorithms.quantiles import median_positions, quantile_positions
from ooarray.algorithms.rechunk import plan_rechunk
from ooarray.algorithms.sorting import OrderStatsNode
from ooarray.chunks import normalize_chunks
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import asarray
from ooarray.ops.sorting import (
    LANE_SHARE,
    _in_memory,
    _lane_bytes,
    _lane_fits,
    _lanes,
    _limit,
    _sorted,
    _stand_in,
    _too_long,
)

__all__ = ["median", "percentile", "quantile", "nanmedian", "nanpercentile", "nanquantile"]


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


def _whole_lanes(moved: OOArray) -> OOArray:
    """``moved`` on blocks of whole lanes (its last axis) that one task may read: as it is
    when its chunks already are; otherwise rechunked (staged through the pool when a block
    would read too much). A Zarr array stored in chunks along time that span x and y, its
    quantiles along time taken lane by lane, read every stored chunk whole for each block of
    lanes: the whole array in one task."""
    axis = moved.ndim - 1
    chunks = moved.chunks
    if len(chunks[axis]) <= 1:
        return moved
    per_block = _limit() * LANE_SHARE
    others = math.prod(max(c) if c else 1 for c in chunks[:axis])
    if _lane_bytes(moved.shape[axis], moved.dtype) * others <= per_block:
        return moved  # the lanes' blocks are the input's own chunks, whole along the axis
    fixed = ("auto",) * axis + (-1,)
    grid = normalize_chunks(fixed, moved.shape, _lane_bytes(1, moved.dtype),
                            max(1, int(per_block)))
    return OOArray(plan_rechunk(moved.node, grid, _limit()))


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
        result = _lanes(_whole_lanes(moved), moved.ndim - 1, per_lane, count, dtype, name)
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
