"""Reductions: sum, prod, min, max, any, all, their nan-variants, argmin, argmax and their
nan-variants, ``ufunc.reduce``, ``count_nonzero`` and ``ptp``.

Each is a :class:`~ooarray.algorithms.reductions.ReductionSpec` of
:mod:`ooarray.ops.reduction_specs` (``ptp``'s is here): what one input block reduces to (a
record, kept small), how records combine (pairwise; value-then-index for argmin), and how the
combined record becomes the result. NumPy decides result dtypes and raises argument errors on a
one-element stand-in of the input. Mean, var and std are in :mod:`ooarray.ops.statistics`.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements, implements_ufunc_method
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import asarray
from ooarray.ops.reduction_specs import (
    _NO_VALUE,
    ArgReduction,
    UfuncReduction,
    _deliver,
    _empty_result,
    _numpy_result,
    _prepare,
    reduce,
    reduced_axes,
)

__all__ = ["sum", "prod", "min", "max", "any", "all", "nansum", "nanprod", "nanmin", "nanmax",
           "argmin", "argmax", "nanargmin", "nanargmax", "ufunc_reduce", "count_nonzero",
           "ptp"]

_INDEX = np.dtype(np.intp)


# -- ufunc reductions ---------------------------------------------------------------------
def _ufunc_reduction(name, ufunc, numpy_func, a, axis, dtype, out, keepdims, initial, where,
                     fill_nan=None, warn_all_nan=False, pass_dtype=True):
    array, axes = _prepare(a, axis, where)
    kwargs = {"axis": axis, "keepdims": keepdims}
    if pass_dtype:
        kwargs["dtype"] = dtype
    if initial is not _NO_VALUE:
        kwargs["initial"] = initial
    result_dtype = _numpy_result(numpy_func, array, **kwargs).dtype
    if array.size == 0:
        return _deliver(_empty_result(numpy_func, array, **kwargs), out)
    work = result_dtype if pass_dtype else None
    spec = UfuncReduction(name, ufunc, result_dtype, work, fill_nan, initial, warn_all_nan)
    return _deliver(reduce(array, spec, axes, keepdims), out)


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Sum of array elements over the given axes (pairwise within and across chunks)."""
    return _ufunc_reduction("sum", np.add, np.sum, a, axis, dtype, out, keepdims, initial, where)


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Product of array elements over the given axes."""
    return _ufunc_reduction("prod", np.multiply, np.prod, a, axis, dtype, out, keepdims,
                            initial, where)


@implements(np.min, np.amin)
def min(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Minimum over the given axes (NaN propagates, as in NumPy)."""
    return _ufunc_reduction("min", np.minimum, np.min, a, axis, None, out, keepdims, initial,
                            where, pass_dtype=False)


@implements(np.max, np.amax)
def max(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Maximum over the given axes (NaN propagates, as in NumPy)."""
    return _ufunc_reduction("max", np.maximum, np.max, a, axis, None, out, keepdims, initial,
                            where, pass_dtype=False)


@implements(np.any)
def any(a, axis=None, out=None, keepdims=False, *, where=True):
    """Whether any element along the axes is true."""
    return _ufunc_reduction("any", np.logical_or, np.any, a, axis, None, out, keepdims,
                            _NO_VALUE, where, pass_dtype=False)


@implements(np.all)
def all(a, axis=None, out=None, keepdims=False, *, where=True):
    """Whether all elements along the axes are true."""
    return _ufunc_reduction("all", np.logical_and, np.all, a, axis, None, out, keepdims,
                            _NO_VALUE, where, pass_dtype=False)


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Sum treating NaN as zero."""
    return _ufunc_reduction("nansum", np.add, np.nansum, a, axis, dtype, out, keepdims,
                            initial, where, fill_nan=0)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
            where=True):
    """Product treating NaN as one."""
    return _ufunc_reduction("nanprod", np.multiply, np.nanprod, a, axis, dtype, out, keepdims,
                            initial, where, fill_nan=1)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Minimum ignoring NaN (NaN with a RuntimeWarning for an all-NaN slice)."""
    return _ufunc_reduction("nanmin", np.fmin, np.nanmin, a, axis, None, out, keepdims,
                            initial, where, warn_all_nan=True, pass_dtype=False)


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    """Maximum ignoring NaN (NaN with a RuntimeWarning for an all-NaN slice)."""
    return _ufunc_reduction("nanmax", np.fmax, np.nanmax, a, axis, None, out, keepdims,
                            initial, where, warn_all_nan=True, pass_dtype=False)


# -- arg reductions -----------------------------------------------------------------------
def _arg(name, numpy_func, a, axis, out, keepdims, largest, skip_nan):
    array = asarray(a)
    _numpy_result(numpy_func, array, axis=axis, keepdims=keepdims)
    if array.size == 0:
        return _deliver(_empty_result(numpy_func, array, axis=axis, keepdims=keepdims), out)
    flat = axis is None or array.ndim == 0  # NumPy has checked axis (0 or -1 for 0-d)
    axes = reduced_axes(axis, array.ndim)
    spec = ArgReduction(name, array.dtype, largest, skip_nan, flat)
    return _deliver(reduce(array, spec, axes, keepdims), out)


@implements(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum (the first one; the first NaN if there is one)."""
    return _arg("argmin", np.argmin, a, axis, out, keepdims, False, False)


@implements(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum (the first one; the first NaN if there is one)."""
    return _arg("argmax", np.argmax, a, axis, out, keepdims, True, False)


@implements(np.nanargmin)
def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the minimum ignoring NaN (ValueError for an all-NaN slice)."""
    return _arg("nanargmin", np.nanargmin, a, axis, out, keepdims, False, True)


@implements(np.nanargmax)
def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the maximum ignoring NaN (ValueError for an all-NaN slice)."""
    return _arg("nanargmax", np.nanargmax, a, axis, out, keepdims, True, True)


# -- ufunc.reduce -------------------------------------------------------------------------
@implements_ufunc_method("reduce")
def ufunc_reduce(ufunc: np.ufunc, array: Any, axis: Any = 0, dtype: Any = None,
                 out: Any = None, keepdims: bool = False, initial: Any = _NO_VALUE,
                 where: Any = True) -> Any:
    """``ufunc.reduce`` for reorderable ufuncs, and for any ufunc along an axis in one chunk."""
    array, axes = _prepare(array, axis, where)
    kwargs = {"axis": axis, "dtype": dtype, "keepdims": keepdims}
    if initial is not _NO_VALUE:
        kwargs["initial"] = initial
    result_dtype = _numpy_result(ufunc.reduce, array, **kwargs).dtype
    if array.size == 0:
        return _deliver(_empty_result(ufunc.reduce, array, **kwargs), out)
    try:
        with np.errstate(all="ignore"):
            ufunc.reduce(np.ones((1, 1), array.dtype), axis=(0, 1), dtype=dtype)
        reorderable = True
    except (ValueError, TypeError):
        reorderable = False
    if not reorderable and builtins.any(len(array.chunks[a]) > 1 for a in axes):
        raise TypeError(
            f"numpy.{ufunc.__name__}.reduce is not reorderable, so ooarray can reduce it only "
            f"along an axis held in one chunk; rechunk first, e.g. a.rechunk({{{axes[0]}: -1}})")
    spec = UfuncReduction(f"{ufunc.__name__}.reduce", ufunc, result_dtype, result_dtype,
                          initial=initial)
    return _deliver(reduce(array, spec, axes, keepdims), out)


# -- count_nonzero, ptp -------------------------------------------------------------------
@implements(np.count_nonzero)
def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> OOArray:
    """Number of non-zero values, as ``np.count_nonzero`` (a 0-d OOArray for ``axis=None``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.count_nonzero(oa.asarray(np.array([[0, 1], [2, 0]])), axis=0).compute()
    array([1, 1])
    """
    array = asarray(a)
    if array.dtype != np.bool_:
        array = array.astype(np.bool_)
    return np.sum(array, axis=axis, dtype=_INDEX, keepdims=keepdims)


class PtpReduction:
    """Peak to peak: the minimum and maximum of each block, subtracted at the end (in
    ``dtype``: NumPy subtracts in the dtype of ``out=`` when one is given)."""

    name = "ptp"

    def __init__(self, source: np.dtype, dtype: np.dtype, high: np.dtype) -> None:
        self.dtype, self.high = np.dtype(dtype), np.dtype(high)
        self.partial_dtype = np.dtype([("lo", source), ("hi", source)])

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        return 0

    def _record(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        out = np.empty(lo.shape, self.partial_dtype)
        out["lo"], out["hi"] = lo, hi
        return out

    def partial(self, block, axes, region, shape, allocate=np.empty):
        return self._record(np.minimum.reduce(block, axis=axes, keepdims=True),
                            np.maximum.reduce(block, axis=axes, keepdims=True))

    def combine(self, parts, axes):
        return self._record(np.minimum.reduce(parts["lo"], axis=axes, keepdims=True),
                            np.maximum.reduce(parts["hi"], axis=axes, keepdims=True))

    def finalize(self, part):
        high = part["hi"].astype(self.high, copy=False)
        return np.subtract(high, part["lo"]).astype(self.dtype, copy=False)


@implements(np.ptp)
def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO_VALUE) -> Any:
    """Range of values (maximum minus minimum), as ``np.ptp``, in one pass.

    With ``out=``, NumPy puts the maximum into ``out`` and subtracts there, in its dtype;
    so does this.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.ptp(oa.asarray(np.array([[4, 9], [2, 3]]), chunks=1), axis=1).compute()
    array([5, 1])
    """
    array = asarray(a)
    keepdims = False if keepdims is _NO_VALUE else bool(keepdims)
    if array.size == 0:
        return deliver_out(_empty_result(np.ptp, array, axis=axis, keepdims=keepdims), out)
    dtype = _numpy_result(np.ptp, array, axis=axis, keepdims=keepdims).dtype
    high = dtype if out is None else out.dtype
    if out is not None:
        dtype = np.subtract(np.empty(0, high), np.empty(0, array.dtype)).dtype
    axes = reduced_axes(axis, array.ndim)
    return deliver_out(reduce(array, PtpReduction(array.dtype, dtype, high), axes, keepdims),
                       out)
