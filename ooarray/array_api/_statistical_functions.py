"""Statistical functions: reductions through ooarray's out-of-core reductions and scans."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.array_api._creation_functions import full
from ooarray.array_api._dtypes import check_dtype
from ooarray.array_api._helpers import as_array, check_kind, normalize_axes
from ooarray.array_api._manipulation_functions import concat
from ooarray.core.array import OOArray

__all__ = ["cumulative_prod", "cumulative_sum", "max", "mean", "min", "prod", "std", "sum",
           "var"]


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def max(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:  # noqa: A001
    """Return the largest element along ``axis`` (NaN if a slice has one).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.max(xp.asarray([[1, 5], [3, 2]]), axis=0).tolist()
    [3, 5]
    """
    x = as_array(x)
    check_kind(x, "real numeric", "max")
    return np.max(x, axis=_axis(axis), keepdims=keepdims)


def min(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:  # noqa: A001
    """Return the smallest element along ``axis`` (NaN if a slice has one)."""
    x = as_array(x)
    check_kind(x, "real numeric", "min")
    return np.min(x, axis=_axis(axis), keepdims=keepdims)


def sum(x: OOArray, /, *, axis: Any = None, dtype: Any = None,  # noqa: A001
        keepdims: bool = False) -> OOArray:
    """Return the sum along ``axis``; integers sum in the default (u)int64 dtype.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.sum(xp.asarray([1, 2, 3], dtype=xp.int8)).dtype
    dtype('int64')
    """
    x = as_array(x)  # booleans sum as NumPy's do (to int64); the standard leaves them open
    return np.sum(x, axis=_axis(axis), dtype=check_dtype(dtype) if dtype is not None else None,
                  keepdims=keepdims)


def prod(x: OOArray, /, *, axis: Any = None, dtype: Any = None,
         keepdims: bool = False) -> OOArray:
    """Return the product along ``axis``; integers multiply in the default (u)int64 dtype."""
    x = as_array(x)
    return np.prod(x, axis=_axis(axis), dtype=check_dtype(dtype) if dtype is not None else None,
                   keepdims=keepdims)


def mean(x: OOArray, /, *, axis: Any = None, keepdims: bool = False) -> OOArray:
    """Return the arithmetic mean along ``axis`` of a floating-point array, or of an integer
    array as NumPy's namespace does (float64; xarray takes the mean of integer coordinates,
    as in ``coarsen``)."""
    x = as_array(x)
    check_kind(x, "numeric", "mean")
    return np.mean(x, axis=_axis(axis), keepdims=keepdims)


def _correction(correction: int | float | None, ddof: int | float | None) -> int | float:
    """The standard's ``correction``, or NumPy's ``ddof`` (which xarray passes), not both."""
    if ddof is not None and correction is not None:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return ddof if ddof is not None else (correction if correction is not None else 0.0)


def var(x: OOArray, /, *, axis: Any = None, correction: int | float | None = None,
        keepdims: bool = False, ddof: int | float | None = None) -> OOArray:
    """Return the variance along ``axis``, dividing by ``N - correction`` (or NumPy's
    ``ddof``, which xarray passes).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> float(xp.var(xp.asarray([1.0, 2.0, 3.0, 4.0]), correction=1))
    1.6666666666666667
    """
    x = as_array(x)
    check_kind(x, "real floating-point", "var")
    return np.var(x, axis=_axis(axis), ddof=_correction(correction, ddof), keepdims=keepdims)


def std(x: OOArray, /, *, axis: Any = None, correction: int | float | None = None,
        keepdims: bool = False, ddof: int | float | None = None) -> OOArray:
    """Return the standard deviation along ``axis``, dividing by ``N - correction`` (or
    NumPy's ``ddof``, which xarray passes)."""
    x = as_array(x)
    check_kind(x, "real floating-point", "std")
    return np.std(x, axis=_axis(axis), ddof=_correction(correction, ddof), keepdims=keepdims)


def _cumulative(name: str, x: OOArray, axis: int | None, dtype: Any,
                include_initial: bool) -> OOArray:
    x = as_array(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name} needs axis= for an array of {x.ndim} dimensions")
        axis = 0
    if x.ndim == 0:
        raise ValueError(f"{name} takes an array of at least one dimension")
    (axis,) = normalize_axes(axis, x.ndim)
    func = np.cumsum if name == "cumulative_sum" else np.cumprod
    result = func(x, axis=axis, dtype=check_dtype(dtype) if dtype is not None else None)
    if not include_initial:
        return result
    shape = tuple(1 if i == axis else n for i, n in enumerate(x.shape))
    initial = full(shape, 0 if name == "cumulative_sum" else 1, dtype=result.dtype)
    return concat([initial, result], axis=axis)


def cumulative_sum(x: OOArray, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> OOArray:
    """Return the running sum along ``axis`` (optional for 1-D arrays)."""
    return _cumulative("cumulative_sum", x, axis, dtype, include_initial)


def cumulative_prod(x: OOArray, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> OOArray:
    """Return the running product along ``axis`` (optional for 1-D arrays)."""
    return _cumulative("cumulative_prod", x, axis, dtype, include_initial)
