"""The reduction framework: the :class:`~ooarray.algorithms.reductions.ReductionSpec` of each
kind of reduction, :func:`reduce` that builds the lazy reduction from one, and the checks the
reductions share.

Each spec says what one input block reduces to (a record, kept small), how records combine
(pairwise sums; Chan's parallel formula for variance; value-then-index for argmin), and how the
combined record becomes the result. NumPy decides result dtypes and raises argument errors on a
one-element stand-in of the input (:func:`_numpy_result`). The reductions themselves are in
:mod:`ooarray.ops.reductions` and :mod:`ooarray.ops.statistics`.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ooarray.algorithms.reductions import CombineReduceNode, PartialReduceNode
from ooarray.core.array import OOArray
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import asarray

__all__ = ["reduce", "reduced_axes"]

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


#: Elements per piece of :func:`_squared_deviations`: 512 KiB of float64, which stays in L2.
DEVIATION_PIECE = 1 << 16


def _squared_deviations(values: np.ndarray, mean: np.floating, allocate=np.empty) -> float:
    """Sum of ``(values - mean) ** 2`` over a contiguous 1-D real array, a cache-sized piece at
    a time: one pass over the block in memory instead of four (subtract, square, sum, each
    over the whole block), which made ``a.std()`` over Zarr cost 0.7 s more CPU than
    ``a.sum()`` per 2 GiB. Each piece is summed pairwise by ``np.add.reduce``, as NumPy sums."""
    scratch = allocate((builtins.min(values.size, DEVIATION_PIECE),), values.dtype)
    sums = np.empty(-(-values.size // DEVIATION_PIECE), values.dtype)
    for number, start in enumerate(range(0, values.size, DEVIATION_PIECE)):
        piece = values[start:start + DEVIATION_PIECE]
        deviation = scratch[:piece.size]
        np.subtract(piece, mean, out=deviation)
        np.multiply(deviation, deviation, out=deviation)
        sums[number] = np.add.reduce(deviation)
    return np.add.reduce(sums)


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
        if missing is None and not real_mean and zeroed.dtype.kind == "f" and \
                zeroed.dtype == mean.dtype and len(axes) == zeroed.ndim and \
                zeroed.flags.c_contiguous:
            m2 = _squared_deviations(zeroed.reshape(-1), mean.reshape(-1)[0], allocate)
            return _record(self.partial_dtype, n=n, mean=mean,
                           m2=np.full(mean.shape, m2, self.real))
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
