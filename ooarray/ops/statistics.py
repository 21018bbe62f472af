"""Statistics: mean, var, std and their nan-variants, average, cov, corrcoef.

Mean, var and std are reductions (:mod:`ooarray.ops.reduction_specs`): count and sum per
block; for var and std count, mean and squared deviations per block, two-pass within a block,
combined with Chan et al.'s parallel formula. NumPy decides result dtypes and raises argument
errors on a one-element stand-in of the input. ``average`` is reductions (weighted sums and
the sum of weights). ``cov`` is the two-pass formula: the (weighted) mean first, then one
out-of-core matrix product of the centred variables, a tally (:mod:`ooarray.ops.tallies`)
over blocks of observations.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.counting import CentredProductSpec
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.ops.reduction_specs import (
    _NAN_KINDS,
    _NO_VALUE,
    MeanReduction,
    VarianceReduction,
    _deliver,
    _empty_result,
    _mean_work,
    _numpy_result,
    _prepare,
    reduce,
)
from ooarray.ops.reductions import sum
from ooarray.ops.tallies import RESULT_SHARE, _mapped, tally
from ooarray.plan.regions import BroadcastNode

__all__ = ["mean", "nanmean", "var", "std", "nanvar", "nanstd", "average", "cov", "corrcoef"]


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


@implements(np.average)
def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
            keepdims: Any = _NO_VALUE) -> Any:
    """Weighted average, as ``np.average``.

    Whether the weights sum to zero anywhere is computed now (NumPy raises then); the
    average itself is lazy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> np.average(a, axis=1, weights=[3, 1]).compute()
    array([1.25, 3.25])
    """
    array = asarray(a)
    if axis is not None:
        axis = normalize_axis_tuple(axis, array.ndim, argname="axis")
    keep = {} if keepdims is _NO_VALUE else {"keepdims": keepdims}
    if weights is None:
        avg = np.mean(array, axis=axis, **keep)
        scl = avg.dtype.type(array.size / avg.size)
        scl = asarray(np.broadcast_to(np.asarray(scl), avg.shape))
    else:
        wgt = asarray(weights)
        if array.dtype.kind in "biu":
            result_dtype = np.result_type(array.dtype, wgt.dtype, "f8")
        else:
            result_dtype = np.result_type(array.dtype, wgt.dtype)
        if array.shape != wgt.shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if wgt.shape != tuple(array.shape[ax] for ax in axis):
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            wgt = wgt.transpose(tuple(int(i) for i in np.argsort(axis)))
            wgt = wgt.reshape(tuple(s if ax in axis else 1 for ax, s in enumerate(array.shape)))
        scl = np.sum(wgt, axis=axis, dtype=result_dtype, **keep)
        if bool(np.any(scl == 0.0)):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = np.sum(np.multiply(array, wgt, dtype=result_dtype), axis=axis, **keep) / scl
        if scl.shape != avg.shape:
            limit = _config.get().memory_limit
            scl = OOArray(BroadcastNode(scl.node, avg.shape, target_chunk_bytes(limit)))
    return (avg, scl) if returned else avg


# -- cov, corrcoef ------------------------------------------------------------------------
def _variables(m: OOArray, dtype: np.dtype) -> OOArray:
    """``np.array(m, ndmin=2, dtype=dtype)``, lazily."""
    if m.dtype != dtype:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            m = m.astype(dtype)
    while m.ndim < 2:
        m = m[None]
    return m


def _sample_weights(values: Any, name: str, observations: int) -> OOArray:
    """fweights / aweights checked as NumPy checks them (each check a pass if large)."""
    w = asarray(values).astype(np.float64)
    if name == "fweights" and not bool(np.all(w == np.rint(w))):
        raise TypeError("fweights must be integer")
    if w.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if w.shape[0] != observations:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if bool(np.any(w < 0)):
        raise ValueError(f"{name} cannot be negative")
    return w


def _centred_products(X: OOArray, avg: OOArray, w: OOArray | None) -> OOArray | None:
    """``dot(X - avg, ((X - avg) * w).T.conj())`` as a tally over blocks of observations (each
    block of all variables read once), or None when the p x p result is too large for it."""
    p, n = X.shape
    right = X.dtype if w is None else np.result_type(X.dtype, w.dtype)
    dtype = np.dot(np.empty((1, 0), X.dtype), np.empty((0, 1), right)).dtype
    limit = _config.get().memory_limit
    if p * p * dtype.itemsize > limit * RESULT_SHARE:
        return None
    columns = max(1, target_chunk_bytes(limit) // (p * builtins.max(dtype.itemsize,
                                                                    X.itemsize)))
    stored = builtins.max(max(X.chunks[1]), 1)
    if columns >= stored:  # whole stored chunks per block
        columns -= columns % stored
    target = target_chunk_bytes(limit)
    variables = X.rechunk({0: -1, 1: columns})
    operands = [variables, OOArray(BroadcastNode(avg[:, None].node, X.shape, target))]
    if w is not None:
        operands.append(OOArray(BroadcastNode(w[None, :].node, X.shape, target)))
    return tally(operands, CentredProductSpec(p, dtype, X.dtype, w is not None))


@implements(np.cov)
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None) -> OOArray:
    """Covariance matrix, as ``np.cov``, out of core over many observations.

    Two passes: the (weighted) mean of each variable, then one matrix product of the centred
    variables with their conjugate transpose (tiled within the budget, see
    :mod:`ooarray.algorithms.matmul`); the sum of products of deviations keeps the accuracy of
    NumPy's two-pass formula.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]), chunks=(1, 2))
    >>> np.cov(x).compute()
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = asarray(m)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = asarray(y)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(m.dtype, np.float64) if y is None else \
            np.result_type(m.dtype, y.dtype, np.float64)
    dtype = np.dtype(dtype)
    X = _variables(m, dtype)
    if not rowvar and m.ndim != 1:
        X = X.T
    if X.shape[0] == 0:
        return asarray(np.array([]).reshape(0, 0))
    if y is not None:
        Y = _variables(y, dtype)
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = np.concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w = None
    if fweights is not None:
        w = _sample_weights(fweights, "fweights", X.shape[1])
    if aweights is not None:
        aweights = _sample_weights(aweights, "aweights", X.shape[1])
        w = aweights if w is None else w * aweights
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    if w is None:
        fact = X.shape[1] - ddof
    else:
        w_sum = w_sum[0].compute()[()]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * np.sum(w * aweights).compute()[()] / w_sum
    if fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=4)
        fact = 0.0
    with np.errstate(divide="ignore"):
        factor = np.true_divide(1, fact)
    # The means are p numbers: computed now, they are a constant that every task of the
    # product reads (a lazy mean is an intermediate chunk the matmul would pin at each step).
    avg = asarray(avg.compute())
    c = _centred_products(X, avg, w)
    if c is None:  # too many variables for one task: a tiled matrix product
        centred = X - avg[:, None]
        if centred.dtype != X.dtype:  # NumPy subtracts in place, keeping X's dtype
            centred = centred.astype(X.dtype)
        X_T = centred.T if w is None else (centred * w).T
        if X_T.dtype.kind == "c":
            X_T = np.conjugate(X_T)
        c = np.dot(centred, X_T)
    c = (c * factor).astype(c.dtype, copy=False)
    return c[0, 0] if c.shape == (1, 1) else c


def _clip_unit(c: np.ndarray) -> np.ndarray:
    out = c.copy()
    np.clip(out.real, -1, 1, out=out.real)
    if np.iscomplexobj(out):
        np.clip(out.imag, -1, 1, out=out.imag)
    return out


@implements(np.corrcoef)
def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> OOArray:
    """Pearson correlation coefficients, as ``np.corrcoef`` (from :func:`cov`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    >>> np.corrcoef(x).compute()
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim != 2:
        return c / c
    d = np.diagonal(c)
    real = np.empty(0, c.dtype).real.dtype
    stddev = _mapped(lambda v: np.sqrt(v.real), [d], real, "sqrt-real")
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    return _mapped(_clip_unit, [c], c.dtype, "clip")
