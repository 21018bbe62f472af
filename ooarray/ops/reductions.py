"""Reductions: sum, prod, mean, std, var, min, max, argmin, argmax, any, all, the nan-variants,
and ``ufunc.reduce``.

Each is a :class:`~ooarray.algorithms.reduce.ReductionSpec`: what one input block reduces to (a
record, kept small), how records combine (pairwise sums; Chan's parallel formula for variance;
value-then-index for argmin), and how the combined record becomes the result. NumPy decides
result dtypes and raises argument errors on a one-element stand-in of the input.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements, implements_ufunc_method
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import asarray
from ooarray.algorithms.reduce import CombineReduceNode, PartialReduceNode

__all__ = ["reduce"]

_NO_VALUE = np._NoValue
_INDEX_DTYPE = np.dtype(np.intp)
_NAN_KINDS = "fc"


def _record(dtype: np.dtype, **fields: np.ndarray) -> np.ndarray:
    shape = next(iter(fields.values())).shape
    out = np.empty(shape, dtype)
    for name, value in fields.items():
        out[name] = value
    return out


def _nan_filled(block: np.ndarray, fill: Any, allocate) -> tuple[np.ndarray, np.ndarray]:
    """Return ``block`` with NaN replaced by ``fill``, and the NaN mask, in pooled buffers."""
    missing = allocate(block.shape, np.bool_)
    np.isnan(block, out=missing)
    filled = allocate(block.shape, block.dtype)
    np.copyto(filled, block)
    np.copyto(filled, fill, where=missing, casting="unsafe")
    return filled, missing


def _nan_fill_bytes(items: int, dtype: np.dtype) -> int:
    return items * (dtype.itemsize + 1) if dtype.kind in _NAN_KINDS else 0


def _count(block: np.ndarray, axes: tuple[int, ...]) -> int:
    return math.prod(block.shape[a] for a in axes)


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


class UfuncReduction:
    """A reduction that is one associative ufunc (sum, prod, min, max, any, all, ...)."""

    def __init__(self, name: str, ufunc: np.ufunc, dtype: np.dtype, work: np.dtype | None,
                 fill_nan: Any = None, initial: Any = _NO_VALUE,
                 warn_all_nan: bool = False) -> None:
        self.name, self.ufunc, self.dtype = name, ufunc, np.dtype(dtype)
        self.work = work
        self.fill_nan, self.initial, self.warn_all_nan = fill_nan, initial, warn_all_nan
        value_dtype = work if work is not None else self.dtype
        self.partial_dtype = np.dtype([("v", value_dtype)])

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        return _nan_fill_bytes(items, dtype) if self.fill_nan is not None else 0

    def partial(self, block, axes, region, shape, allocate=np.empty):
        if self.fill_nan is not None and block.dtype.kind in _NAN_KINDS:
            block, _ = _nan_filled(block, self.fill_nan, allocate)
        # NumPy starts a reduction from the ufunc's identity, once: the block holding the
        # first element of every reduced axis does; the others (and the combine) go on from
        # their first element. Starting again from the identity is not a no-op for complex
        # products past the range ((1+0j) * (inf+0j) is inf+nanj): np.prod of complex64
        # [[1e30], [1e30]] in one chunk gave inf+nanj, NumPy inf+0j.
        first = builtins.all(region[a].start == 0 for a in axes)
        value = self.ufunc.reduce(block, axis=axes, dtype=self.work, keepdims=True,
                                  **({} if first else {"initial": None}))
        return _record(self.partial_dtype, v=value)

    def combine(self, parts, axes):
        value = self.ufunc.reduce(parts["v"], axis=axes, dtype=self.work, keepdims=True,
                                  initial=None)
        return _record(self.partial_dtype, v=value)

    def finalize(self, part):
        value = part["v"]
        if self.initial is not _NO_VALUE:
            value = self.ufunc(value, self.initial)
        if self.warn_all_nan and value.dtype.kind in _NAN_KINDS and np.isnan(value).any():
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
        return value.astype(self.dtype, copy=False)


class MeanReduction:
    """Mean: sum and count per block, added up."""

    def __init__(self, name: str, dtype: np.dtype, work: np.dtype, skip_nan: bool) -> None:
        self.name, self.dtype, self.work, self.skip_nan = name, np.dtype(dtype), work, skip_nan
        self.partial_dtype = np.dtype([("n", np.float64), ("s", work)])

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        return _nan_fill_bytes(items, dtype) if self.skip_nan else 0

    def partial(self, block, axes, region, shape, allocate=np.empty):
        if self.skip_nan and block.dtype.kind in _NAN_KINDS:
            block, missing = _nan_filled(block, 0, allocate)
            n = _count(block, axes) - missing.sum(axis=axes, keepdims=True, dtype=np.float64)
        else:
            n = np.full([1 if a in axes else s for a, s in enumerate(block.shape)],
                        _count(block, axes), np.float64)
        s = np.add.reduce(block, axis=axes, dtype=self.work, keepdims=True)
        return _record(self.partial_dtype, n=n, s=s)

    def combine(self, parts, axes):
        return _record(self.partial_dtype, n=parts["n"].sum(axis=axes, keepdims=True),
                       s=np.add.reduce(parts["s"], axis=axes, dtype=self.work, keepdims=True))

    def finalize(self, part):
        n, s = part["n"], part["s"]
        if (n == 0).any():
            warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            # NumPy divides by an intp count: a count above 127 must not wrap in an int8 dtype=.
            mean = s / n.astype(np.intp)
        return mean.astype(self.dtype, copy=False)


class VarianceReduction:
    """Variance and standard deviation: count, mean and squared deviations per block (two-pass
    within a block), combined with Chan et al.'s parallel formula."""

    def __init__(self, name: str, dtype: np.dtype, work: np.dtype, ddof: float,
                 skip_nan: bool, root: bool) -> None:
        self.name, self.dtype, self.work = name, np.dtype(dtype), work
        self.ddof, self.skip_nan, self.root = ddof, skip_nan, root
        self.real = _real_dtype(work)
        self.partial_dtype = np.dtype([("n", np.float64), ("mean", work), ("m2", self.real)])

    @staticmethod
    def _abs2(d: np.ndarray) -> np.ndarray:
        return d.real * d.real + d.imag * d.imag if d.dtype.kind == "c" else d * d

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        # a cast copy, the NaN-filled copy and mask, the deviations and their squares
        work = builtins.max(dtype.itemsize, self.work.itemsize)
        return items * (self.work.itemsize + work + 1 + work + self.real.itemsize)

    def partial(self, block, axes, region, shape, allocate=np.empty):
        # A real dtype= for complex data: NumPy takes the mean of the real parts, but the
        # deviations of the whole complex values (the imaginary parts still count).
        real_mean = block.dtype.kind == "c" and self.work.kind != "c"
        if not real_mean and block.dtype != self.work:
            cast = allocate(block.shape, self.work)
            np.copyto(cast, block, casting="unsafe")
            block = cast
        if self.skip_nan and block.dtype.kind in _NAN_KINDS:
            zeroed, missing = _nan_filled(block, 0, allocate)
            n = _count(block, axes) - missing.sum(axis=axes, keepdims=True, dtype=np.float64)
        else:
            missing = None
            n = np.full([1 if a in axes else s for a, s in enumerate(block.shape)],
                        _count(block, axes), np.float64)
            zeroed = block
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.add.reduce(zeroed.real if real_mean else zeroed, axis=axes,
                                 keepdims=True, dtype=self.work) / n.astype(self.real)
        mean = np.where(n > 0, mean, 0).astype(self.work, copy=False)
        deviation = allocate(zeroed.shape, np.result_type(zeroed, mean))
        np.subtract(zeroed, mean, out=deviation)
        if deviation.dtype.kind == "c":
            squares = allocate(zeroed.shape, deviation.real.dtype)
            np.multiply(deviation.real, deviation.real, out=squares)
            np.multiply(deviation.imag, deviation.imag, out=deviation.real)
            squares += deviation.real
        else:
            squares = np.multiply(deviation, deviation, out=deviation)
        if missing is not None:
            np.copyto(squares, 0, where=missing)
        m2 = np.add.reduce(squares, axis=axes, keepdims=True, dtype=self.real)
        return _record(self.partial_dtype, n=n, mean=mean, m2=m2)

    def combine(self, parts, axes):
        n, mean, m2 = parts["n"], parts["mean"], parts["m2"]
        total = n.sum(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            grand = np.add.reduce(mean * n.astype(self.real), axis=axes, keepdims=True) \
                / total.astype(self.real)
        grand = np.where(total > 0, grand, 0).astype(self.work, copy=False)
        spread = np.add.reduce(n.astype(self.real) * self._abs2(mean - grand), axis=axes,
                               keepdims=True)
        return _record(self.partial_dtype, n=total, mean=grand,
                       m2=np.add.reduce(m2, axis=axes, keepdims=True) + spread)

    def finalize(self, part):
        n, m2 = part["n"], part["m2"]
        dof = n - self.ddof
        if (dof <= 0).any():
            warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = m2 / np.maximum(dof, 0).astype(self.real)
        if self.skip_nan:
            var = np.where(dof <= 0, np.nan, var)
        return (np.sqrt(var) if self.root else var).astype(self.dtype, copy=False)


class ArgReduction:
    """argmin / argmax (and nan-variants): the best value and its first index per block."""

    def __init__(self, name: str, dtype: np.dtype, largest: bool, skip_nan: bool,
                 flat: bool) -> None:
        self.name, self.dtype = name, _INDEX_DTYPE
        self.largest, self.skip_nan, self.flat = largest, skip_nan, flat
        self.partial_dtype = np.dtype([("v", dtype), ("i", np.int64), ("ok", np.bool_)])

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        return _nan_fill_bytes(items, dtype) if self.skip_nan else 0

    def partial(self, block, axes, region, shape, allocate=np.empty):
        ok_shape = [1 if a in axes else s for a, s in enumerate(block.shape)]
        ok = np.ones(ok_shape, bool)
        if self.skip_nan and block.dtype.kind in _NAN_KINDS:
            block, missing = _nan_filled(block, -np.inf if self.largest else np.inf, allocate)
            ok = ~missing.all(axis=axes, keepdims=True)
        find = np.argmax if self.largest else np.argmin
        if self.flat:
            local = int(find(block))
            where = np.unravel_index(local, block.shape)
            value = block[where].reshape(ok_shape)
            index = np.ravel_multi_index(tuple(w + r.start for w, r in zip(where, region)),
                                         shape)
            index = np.full(ok_shape, index, np.int64)
        else:
            axis = axes[0]
            local = find(block, axis=axis, keepdims=True)
            value = np.take_along_axis(block, local, axis=axis)
            index = local.astype(np.int64) + region[axis].start
        return _record(self.partial_dtype, v=value, i=index, ok=ok)

    def combine(self, parts, axes):
        value, index = parts["v"], parts["i"]
        best = (np.max if self.largest else np.min)(value, axis=axes, keepdims=True)
        if value.dtype.kind in _NAN_KINDS:
            chosen = np.where(np.isnan(best), np.isnan(value), value == best)
        else:
            chosen = value == best
        first = np.where(chosen, index, np.iinfo(np.int64).max).min(axis=axes, keepdims=True)
        return _record(self.partial_dtype, v=best, i=first,
                       ok=parts["ok"].any(axis=axes, keepdims=True))

    def finalize(self, part):
        if not part["ok"].all():
            raise ValueError("All-NaN slice encountered")
        return part["i"].astype(self.dtype)


def _stand_in(array: OOArray) -> np.ndarray:
    return np.ones((1,) * array.ndim, array.dtype)


def _numpy_result(func, array: OOArray, **kwargs) -> np.ndarray:
    """Run ``func`` on a one-element stand-in: NumPy's dtype, and NumPy's argument errors."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(func(_stand_in(array), **kwargs))


def reduce(array: OOArray, spec, axes: tuple[int, ...], keepdims: bool) -> OOArray:
    """Return the lazy reduction of ``array`` over ``axes`` described by ``spec``."""
    combined = OOArray(CombineReduceNode(PartialReduceNode(array.node, spec, axes)))
    if keepdims:
        return combined
    return combined[tuple(0 if a in axes else slice(None) for a in range(array.ndim))]


def _deliver(result: OOArray, out: Any) -> Any:
    # Reductions write into out= with unsafe casting, as NumPy's do.
    return deliver_out(result, out, casting="unsafe")


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The axes a reduction over ``axis`` reduces.

    NumPy's ufunc reductions (sum, min, any, ..., ``ufunc.reduce``) and argmin/argmax accept
    an integer axis 0 or -1 for a 0-d array and reduce nothing (``np.sum(np.array(3),
    axis=0)`` is 3); a tuple ``(0,)`` or another axis is NumPy's AxisError. Functions that
    refuse even that (mean, var, std, ...) are refused by NumPy's own call on a stand-in,
    which every caller makes.
    """
    if axis is None:
        return tuple(range(ndim))
    if ndim == 0 and not isinstance(axis, tuple):
        try:
            if operator.index(axis) in (0, -1):
                return ()
        except TypeError:
            pass
    return normalize_axis_tuple(axis, ndim)


def _prepare(a: Any, axis: Any, where: Any) -> tuple[OOArray, tuple[int, ...]]:
    array = asarray(a)
    if where is not True and where is not _NO_VALUE:
        raise TypeError("ooarray reductions do not support where=; reduce "
                        "np.where(mask, a, identity) instead")
    return array, reduced_axes(axis, array.ndim)


def _empty_result(func, array: OOArray, **kwargs) -> OOArray:
    """Reductions of empty arrays: NumPy's answer (or error) on an empty stand-in.

    Every result element is the same (an identity, NaN, ...), so the kept axes are 1 in the
    stand-in and the answer is broadcast: ``zeros((0, 10**12)).sum(axis=0)`` takes no memory.
    """
    axis = kwargs.get("axis")
    axes = tuple(range(array.ndim)) if axis is None else normalize_axis_tuple(axis, array.ndim)
    small = tuple(n if a in axes else builtins.min(n, 1) for a, n in enumerate(array.shape))
    value = np.asarray(func(np.empty(small, array.dtype), **kwargs))
    if kwargs.get("keepdims"):
        shape = tuple(1 if a in axes else n for a, n in enumerate(array.shape))
    else:
        shape = tuple(n for a, n in enumerate(array.shape) if a not in axes)
    return asarray(np.broadcast_to(value, shape))


def _mean_work(dtype: np.dtype, requested: Any) -> np.dtype:
    if requested is not None:
        return np.dtype(requested)
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype


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


# -- moments ------------------------------------------------------------------------------
def _mean(name, numpy_func, a, axis, dtype, out, keepdims, where, skip_nan):
    array, axes = _prepare(a, axis, where)
    result_dtype = _numpy_result(numpy_func, array, axis=axis, dtype=dtype,
                                 keepdims=keepdims).dtype
    if array.size == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            empty = _empty_result(numpy_func, array, axis=axis, dtype=dtype, keepdims=keepdims)
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=3)
        return _deliver(empty, out)
    spec = MeanReduction(name, result_dtype, _mean_work(array.dtype, dtype), skip_nan)
    return _deliver(reduce(array, spec, axes, keepdims), out)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """Arithmetic mean over the given axes."""
    return _mean("mean", np.mean, a, axis, dtype, out, keepdims, where, False)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """Mean ignoring NaN."""
    return _mean("nanmean", np.nanmean, a, axis, dtype, out, keepdims, where, True)


def _variance(name, numpy_func, a, axis, dtype, out, ddof, keepdims, where, correction,
              skip_nan, root):
    if correction is not _NO_VALUE:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    array, axes = _prepare(a, axis, where)
    result_dtype = _numpy_result(numpy_func, array, axis=axis, dtype=dtype, ddof=ddof,
                                 keepdims=keepdims).dtype
    if array.size == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            empty = _empty_result(numpy_func, array, axis=axis, dtype=dtype, ddof=ddof,
                                  keepdims=keepdims)
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        return _deliver(empty, out)
    if dtype is not None and np.dtype(dtype).kind in "biu":
        return _deliver(_integer_variance(array, axes, np.dtype(dtype), ddof, keepdims, root),
                        out)
    # nanvar of data that cannot hold NaN is np.var (inf, not NaN, where ddof >= count).
    skip_nan = skip_nan and array.dtype.kind in _NAN_KINDS
    spec = VarianceReduction(name, result_dtype, _mean_work(array.dtype, dtype), ddof,
                             skip_nan, root)
    return _deliver(reduce(array, spec, axes, keepdims), out)


def _integer_variance(array: OOArray, axes: tuple[int, ...], dtype: np.dtype, ddof: float,
                      keepdims: bool, root: bool) -> OOArray:
    """var / std with an integer or bool ``dtype=``, by NumPy's own two passes.

    NumPy truncates the mean to ``dtype`` before taking deviations from it, and sums the
    squares with ``dtype``'s wrap-around; no one-pass formula gives those values.
    """
    count = np.intp(math.prod(array.shape[a] for a in axes))
    mean = sum(array, axis=axes, dtype=dtype, keepdims=True)
    mean = np.true_divide(mean, count).astype(mean.dtype)
    deviation = array - mean
    if deviation.dtype.kind == "c":
        squares = np.multiply(deviation, np.conjugate(deviation))  # real part: re*re + im*im
    else:
        squares = np.multiply(deviation, deviation)
    result = sum(squares, axis=axes, dtype=dtype, keepdims=keepdims)
    result = np.true_divide(result, np.maximum(count - ddof, 0)).astype(result.dtype)
    if not root:
        return result
    if result.ndim == 0:  # NumPy's scalar path converts; its array path refuses the cast
        return np.sqrt(result).astype(result.dtype)
    return np.sqrt(result, out=result)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NO_VALUE, correction=_NO_VALUE):
    """Variance over the given axes, with ``ddof``."""
    return _variance("var", np.var, a, axis, dtype, out, ddof, keepdims, where, correction,
                     False, False)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NO_VALUE, correction=_NO_VALUE):
    """Standard deviation over the given axes, with ``ddof``."""
    return _variance("std", np.std, a, axis, dtype, out, ddof, keepdims, where, correction,
                     False, True)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=_NO_VALUE, correction=_NO_VALUE):
    """Variance ignoring NaN."""
    return _variance("nanvar", np.nanvar, a, axis, dtype, out, ddof, keepdims, where,
                     correction, True, False)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=_NO_VALUE, correction=_NO_VALUE):
    """Standard deviation ignoring NaN."""
    return _variance("nanstd", np.nanstd, a, axis, dtype, out, ddof, keepdims, where,
                     correction, True, True)


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
