"""Differences, integrals, convolutions and interpolation: ``gradient``, ``trapezoid``,
``unwrap``, ``ediff1d``, ``interp``, ``convolve``, ``correlate`` (issue 16, item 1).

Most are NumPy's own formulas written over OOArrays, so they become slices, fused
elementwise chains, joins, scans and reductions of the plan with no node of their own:
``gradient`` joins its two edges and its interior along the axis, ``trapezoid`` is a sum,
``unwrap`` a ``diff`` and a ``cumsum`` (the scan's two passes), ``ediff1d`` a ``diff``
between its ends. ``interp`` is NumPy's ``np.interp`` on each region of ``x`` against small
in-memory sample points. ``convolve`` and ``correlate`` convolve the long input with the
short one held in memory, each output region reading its input range plus a halo of the
kernel's length (:mod:`ooarray.algorithms.calculus`). When the shorter input is too long
to hold (over :data:`KERNEL_SHARE` of the budget), both are transformed with out-of-core
FFTs (:mod:`ooarray.ops.fft`, four steps for long axes) in float64 or complex128, multiplied
and transformed back: floats to float tolerance, integers rounded back to NumPy's exact values
after a bound on the rounding error says they are exact (else a ValueError says to convolve
float copies), booleans as the nonzero results. NumPy gives dtypes and raises argument errors
on stand-ins.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.calculus import ConvolveNode, convolve_chunks
from ooarray.algorithms.mapped import MappedNode
from ooarray.algorithms.scans import DiffNode
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE
from ooarray.ops.creation import asarray

__all__ = ["gradient", "trapezoid", "unwrap", "ediff1d", "interp", "convolve", "correlate"]

#: Share of ``memory_limit`` a convolution kernel may take in memory: a task holds the
#: kernel's length several times over (its halo, NumPy's casts and full result).
KERNEL_SHARE = 1 / 32
#: ``np.interp``'s temporaries per region: ``x`` as float64 and its result.
_INTERP_TEMPORARIES = 2


def _in_memory(value: Any, what: str, share: float, advice: str) -> np.ndarray:
    """``value`` as an ndarray of its values now, an OOArray computed if it takes at most
    ``share`` of ``memory_limit`` (else a BudgetError naming ``what`` and ``advice``)."""
    if not isinstance(value, OOArray):
        return np.array(value, copy=True)
    limit = _config.get().memory_limit
    if value.nbytes > limit * share:
        raise BudgetError(
            f"{what} takes {format_bytes(value.nbytes)}, over {share:.3g} of memory_limit="
            f"{format_bytes(limit)}; {advice}", needed=int(value.nbytes / share), limit=limit)
    return value.compute()


def _ndim(value: Any) -> int:
    return value.ndim if isinstance(value, OOArray) else np.ndim(value)


def _at(ndim: int, axis: int, item: slice) -> tuple:
    return (slice(None),) * axis + (item,) + (slice(None),) * (ndim - axis - 1)


# -- gradient ---------------------------------------------------------------------------------
def _spacings(f: OOArray, varargs: tuple, axes: tuple[int, ...]) -> list[Any]:
    """NumPy's spacing per axis: a scalar, or the differences of a coordinate array."""
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and _ndim(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    spacings = list(varargs)
    for i, distances in enumerate(spacings):
        if not isinstance(distances, OOArray):
            distances = np.asanyarray(distances)
        if distances.ndim == 0:
            continue
        if distances.ndim != 1:
            raise ValueError("distances must be either scalars or 1d")
        if len(distances) != f.shape[axes[i]]:
            raise ValueError("when 1d, distances must match "
                             "the length of the corresponding dimension")
        if np.issubdtype(distances.dtype, np.integer):
            distances = distances.astype(np.float64)
        steps = np.diff(distances)
        if bool(np.all(steps == steps[0])):  # constant: the scalar case (IndexError if empty)
            steps = steps[0]
        spacings[i] = steps
    return spacings


def _stencil(f: OOArray, axis: int, dx: Any, edge_order: int) -> list[Any]:
    """The first edge, the interior and the last edge of the derivative along ``axis``,
    by NumPy's formulas (each with ``axis`` kept)."""
    nd = f.ndim

    def part(item: slice) -> OOArray:
        return f[_at(nd, axis, item)]

    def along(values: Any) -> Any:  # coefficients of a coordinate axis, broadcast along it
        shape = [1] * nd
        shape[axis] = -1
        return values.reshape(shape)

    uniform = _ndim(dx) == 0
    if uniform:
        interior = (part(slice(2, None)) - part(slice(None, -2))) / (2. * dx)
    else:
        dx1, dx2 = dx[0:-1], dx[1:]
        a = along(-(dx2) / (dx1 * (dx1 + dx2)))
        b = along((dx2 - dx1) / (dx1 * dx2))
        c = along(dx1 / (dx2 * (dx1 + dx2)))
        interior = a * part(slice(None, -2)) + b * part(slice(1, -1)) + c * part(slice(2, None))
    first, second, third = part(slice(0, 1)), part(slice(1, 2)), part(slice(2, 3))
    last, before, third_last = part(slice(-1, None)), part(slice(-2, -1)), part(slice(-3, -2))
    if edge_order == 1:
        dx_0 = dx if uniform else dx[0]
        dx_n = dx if uniform else dx[-1]
        return [(second - first) / dx_0, interior, (last - before) / dx_n]
    if uniform:
        a, b, c = -1.5 / dx, 2. / dx, -0.5 / dx
    else:
        dx1, dx2 = dx[0], dx[1]
        a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
        b = (dx1 + dx2) / (dx1 * dx2)
        c = - dx1 / (dx2 * (dx1 + dx2))
    head = a * first + b * second + c * third
    if uniform:
        a, b, c = 0.5 / dx, -2. / dx, 1.5 / dx
    else:
        dx1, dx2 = dx[-2], dx[-1]
        a = (dx2) / (dx1 * (dx1 + dx2))
        b = - (dx2 + dx1) / (dx1 * dx2)
        c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
    return [head, interior, a * third_last + b * before + c * last]


@implements(np.gradient)
def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """The gradient of ``f`` by central differences inside and one-sided ones at the
    edges, as ``np.gradient``.

    Parameters
    ----------
    f : array_like
    *varargs : scalar or 1-d array_like, optional
        One spacing for every axis, or one per axis of ``axis``: a scalar step or the
        coordinates along that axis (an OOArray stays lazy).
    axis : int or tuple of int, optional
        The axes to differentiate along (all when None).
    edge_order : {1, 2}
        Accuracy of the one-sided differences at the edges.

    Returns
    -------
    OOArray or tuple of OOArray
        One array per axis, in ``f``'s dtype if inexact, else float64; a tuple for several.

    Raises
    ------
    ValueError
        As NumPy: an axis shorter than ``edge_order + 1``, ``edge_order > 2``, coordinates
        that are not 1-d or not as long as their axis.
    TypeError
        For the wrong number of spacings, or a boolean ``f`` (NumPy cannot subtract those).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> f = oa.asarray(np.array([1, 2, 4, 7, 11, 16]), chunks=2)
    >>> np.gradient(f).tolist()
    [1.0, 1.5, 2.5, 3.5, 4.5, 5.0]
    >>> np.gradient(f, 2.0, edge_order=2).tolist()
    [0.25, 0.75, 1.25, 1.75, 2.25, 2.75]
    """
    f = asarray(f)
    axes = tuple(range(f.ndim)) if axis is None else normalize_axis_tuple(axis, f.ndim)
    spacings = _spacings(f, varargs, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = f.dtype
    if not np.issubdtype(otype, np.inexact):  # NumPy's: integers as float64, bool stays
        if np.issubdtype(otype, np.integer):
            f = f.astype(np.float64)
        otype = np.dtype(np.float64)
    results = []
    for ax, dx in zip(axes, spacings, strict=True):
        if f.shape[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required.")
        pieces = [asarray(p).astype(otype, copy=False) for p in _stencil(f, ax, dx, edge_order)]
        results.append(np.concatenate(pieces, axis=ax))
    return results[0] if len(axes) == 1 else tuple(results)


# -- trapezoid ---------------------------------------------------------------------------------
@implements(np.trapezoid)
def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> OOArray:
    """Integrate along ``axis`` by the trapezoidal rule, as ``np.trapezoid``.

    Parameters
    ----------
    y : array_like
    x : array_like, optional
        Sample points: 1-d along ``axis``, or of ``y``'s shape.
    dx : scalar or array_like
        The spacing when ``x`` is None.
    axis : int

    Returns
    -------
    OOArray
        ``y`` with ``axis`` summed away (0-d for 1-d ``y``).

    Raises
    ------
    ValueError
        If ``x`` does not broadcast with ``y``; ``numpy.exceptions.AxisError`` if ``axis`` is
        out of range; IndexError for a 0-d ``y``, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> y = oa.asarray(np.array([1.0, 2.0, 3.0, 4.0]), chunks=3)
    >>> float(np.trapezoid(y))
    7.5
    >>> float(np.trapezoid(y, x=np.array([0.0, 1.0, 3.0, 6.0])))
    17.0
    """
    y = asarray(y)
    if x is None:
        d = dx
    else:
        x = x if isinstance(x, OOArray) else np.asanyarray(x)
        if x.ndim == 1:
            d = np.diff(x)
            shape = [1] * y.ndim
            shape[axis] = d.shape[0]
            d = d.reshape(shape)
        else:
            d = np.diff(x, axis=axis)
    upper, lower = [slice(None)] * y.ndim, [slice(None)] * y.ndim
    upper[axis], lower[axis] = slice(1, None), slice(None, -1)
    return asarray(d * (y[tuple(upper)] + y[tuple(lower)]) / 2.0).sum(axis)


# -- unwrap ------------------------------------------------------------------------------------
@implements(np.unwrap)
def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * np.pi) -> OOArray:
    """Unwrap ``p`` by taking the complement of large jumps along ``axis``, as ``np.unwrap``.

    The corrections are a cumulative sum along the axis (the scans' two passes), so no step
    holds more than a block of ``p``.

    Parameters
    ----------
    p : array_like
    discont : float, optional
        The largest jump left alone (``period / 2`` by default; smaller values count as it).
    axis : int
    period : float
        The range of the wrapping; integer ``p`` with an integer period stays integer.

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        For a 0-d ``p``; ``numpy.exceptions.AxisError`` for an axis out of range; TypeError
        for complex ``p``, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> p = oa.asarray(np.array([0.0, 3.0, 6.0, 9.0, 12.0]), chunks=2)
    >>> np.round(np.unwrap(p, period=4.0), 6).tolist()
    [0.0, -1.0, -2.0, -3.0, -4.0]
    """
    p = asarray(p)
    np.diff(_stand_in(p), axis=axis)  # NumPy's errors for a 0-d p or a bad axis
    axis = normalize_axis_index(axis, p.ndim)
    # The differences on the grid of p[1:], to which their corrections are added: each
    # region of the result then reads one chunk of each (a diff on its own grid is shifted by
    # one element, and every task read two chunks of the scan: over a 1 MB budget for
    # 160 KB chunks).
    later = p[_at(p.ndim, axis, slice(1, None))]
    dd = OOArray(DiffNode([p.node], axis, 1, p.dtype, np.diff(np.ones(2, p.dtype)).dtype,
                          axis_chunks=later.chunks[axis]))
    if discont is None:
        discont = period / 2
    dtype = np.result_type(np.empty(0, dd.dtype), period)
    if np.issubdtype(dtype, np.integer):
        interval_high, rem = divmod(period, 2)
        boundary_ambiguous = rem == 0
    else:
        interval_high = period / 2
        boundary_ambiguous = True
    interval_low = -interval_high
    ddmod = np.mod(dd - interval_low, period) + interval_low
    if boundary_ambiguous:  # a jump of exactly period / 2 keeps its sign
        ddmod = np.where((ddmod == interval_low) & (dd > 0), interval_high,
                         ddmod).astype(ddmod.dtype, copy=False)
    ph_correct = ddmod - dd
    ph_correct = np.where(abs(dd) < discont, 0, ph_correct).astype(ph_correct.dtype,
                                                                   copy=False)
    head = p[_at(p.ndim, axis, slice(0, 1))].astype(dtype)
    tail = later + np.cumsum(ph_correct, axis=axis)
    return np.concatenate([head, tail.astype(dtype, copy=False)], axis=axis)


# -- ediff1d -----------------------------------------------------------------------------------
def _end(value: Any, dtype: np.dtype, name: str) -> OOArray | None:
    if value is None:
        return None
    value = value if isinstance(value, OOArray) else np.asanyarray(value)
    if not np.can_cast(value.dtype, dtype, casting="same_kind"):
        raise TypeError(f"dtype of `{name}` must be compatible "
                        "with input `ary` under the `same_kind` rule.")
    return asarray(value).ravel().astype(dtype, copy=False)


@implements(np.ediff1d)
def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> OOArray:
    """The differences between consecutive elements of the flattened ``ary``, as
    ``np.ediff1d``.

    Parameters
    ----------
    ary : array_like
    to_end, to_begin : array_like, optional
        Numbers to append and prepend (flattened, cast to ``ary``'s dtype).

    Returns
    -------
    OOArray
        1-d, in ``ary``'s dtype.

    Raises
    ------
    TypeError
        If ``to_begin``/``to_end`` do not cast to ``ary``'s dtype under ``same_kind``, or
        ``ary`` is boolean (NumPy does not subtract booleans).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1, 2, 4, 7, 0]), chunks=2)
    >>> np.ediff1d(a, to_begin=-99, to_end=[88, 99]).tolist()
    [-99, 1, 2, 3, -7, 88, 99]
    """
    flat = asarray(ary).ravel()
    dtype = flat.dtype
    if to_begin is None and to_end is None:
        return flat[1:] - flat[:-1]
    begin, end = _end(to_begin, dtype, "to_begin"), _end(to_end, dtype, "to_end")
    steps = np.subtract(flat[1:], flat[:-1])  # NumPy's TypeError for booleans
    parts = [part for part in (begin, steps.astype(dtype, copy=False), end) if part is not None]
    return np.concatenate(parts)


# -- interp ------------------------------------------------------------------------------------
def _interp_block(x: np.ndarray, *, xp: np.ndarray, fp: np.ndarray, left: Any, right: Any,
                  period: Any) -> np.ndarray:
    return np.interp(x, xp, fp, left=left, right=right, period=period)


@implements(np.interp)
def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> OOArray:
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x``, as ``np.interp``.

    ``x`` may be any size: each of its regions is interpolated by NumPy. ``xp`` and ``fp``
    are held in memory, so OOArrays among them must fit a quarter of ``memory_limit``.

    Parameters
    ----------
    x : array_like
    xp, fp : 1-d array_like
        Sample points (increasing unless ``period`` is given) and their values.
    left, right : scalar, optional
        Values below ``xp[0]`` and above ``xp[-1]``.
    period : float, optional
        Interpolate periodic data of this period.

    Returns
    -------
    OOArray
        Of ``x``'s shape; float64, or complex128 for complex ``fp``.

    Raises
    ------
    ValueError
        As NumPy: empty ``xp``, ``xp`` and ``fp`` of different lengths, a zero period.
    TypeError
        For complex ``x``.
    BudgetError
        If ``xp`` or ``fp`` is an OOArray over a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([0.0, 0.5, 1.5, 3.0]), chunks=2)
    >>> np.interp(x, [0.0, 1.0, 2.0], [0.0, 10.0, 0.0]).tolist()
    [0.0, 5.0, 5.0, 0.0]
    """
    x = asarray(x)
    advice = "np.interp holds its sample points in memory; raise memory_limit or thin them"
    xp = _in_memory(xp, "np.interp's xp", IN_MEMORY_SHARE, advice)
    fp = _in_memory(fp, "np.interp's fp", IN_MEMORY_SHARE, advice)
    options = {"left": left, "right": right, "period": period}
    dtype = np.interp(np.empty(0, x.dtype), xp, fp, **options).dtype  # NumPy's errors
    func = functools.partial(_interp_block, xp=xp, fp=fp, **options)
    return OOArray(MappedNode(func, [x.node], dtype, "interp", _INTERP_TEMPORARIES))


# -- convolve and correlate --------------------------------------------------------------------
_MODES = {"valid": 0, "same": 1, "full": 2, 0: 0, 1: 1, 2: 2}


def _stand_in(value: Any) -> np.ndarray:
    """At most one element of ``value``'s shape and dtype: NumPy's checks, for nothing."""
    shape, dtype = (value.shape, value.dtype) if isinstance(value, OOArray) else \
        (np.shape(value), np.asarray(value).dtype)
    return np.ones(tuple(min(s, 1) for s in shape), dtype)


def _kernel(value: Any) -> np.ndarray | None:
    """The shorter input in memory as the kernel; None when it is too long for one (more
    than :data:`KERNEL_SHARE` of ``memory_limit``: the convolution then goes through FFTs)."""
    nbytes = _length(value) * (value.dtype if isinstance(value, OOArray) else
                               np.asarray(value).dtype).itemsize
    if nbytes > _config.get().memory_limit * KERNEL_SHARE:
        return None
    kernel = value.compute() if isinstance(value, OOArray) else np.array(value, copy=True)
    return kernel.reshape(-1)


def _length(value: Any) -> int:
    shape = value.shape if isinstance(value, OOArray) else np.shape(value)
    return int(shape[0]) if shape else 1


def _span(mode: int, n: int, m: int, same_start: int) -> tuple[int, int]:
    """Where ``mode``'s window starts in the full convolution of lengths ``n >= m``, and
    how long it is."""
    return {0: (m - 1, n - m + 1), 1: (same_start, n), 2: (0, n + m - 1)}[mode]


def _window(long: Any, kernel: np.ndarray, mode: int, same_start: int,
            dtype: np.dtype) -> OOArray:
    """``mode``'s window of ``np.convolve(long, kernel, 'full')`` as a ConvolveNode."""
    source = asarray(long).reshape(-1)
    n, m = source.shape[0], len(kernel)
    start, length = _span(mode, n, m, same_start)
    target = max(1, target_chunk_bytes(_config.get().memory_limit) // dtype.itemsize)
    chunks = convolve_chunks(length, source.chunks[0], m, target)
    kernel.flags.writeable = False
    return OOArray(ConvolveNode(source.node, kernel, start, length, dtype, chunks))


def _smooth_at_least(length: int) -> int:
    """The smallest ``2**a * 3**b * 5**c`` of at least ``length``: an FFT length the four
    steps split well."""
    best = 1 << max(0, (length - 1).bit_length())
    five = 1
    while five < best:
        odd = five
        while odd < best:
            size = odd
            while size < length:
                size *= 2
            best = min(best, size)
            odd *= 3
        five *= 5
    return best


#: The rounding error of an FFT convolution is at most this many units of float64 roundoff
#: per halving of its length, times ``min(|a|_1 |v|_2, |a|_2 |v|_1)`` (the scale of the
#: result's 2-norm): a generous bound (errors measured in random trials of lengths 10**3 to
#: 2 * 10**5 and values to 10**7 were 10**4 times smaller), so integer results
#: are rounded to NumPy's exact values only when it is below 1/4.
_FFT_ERROR_UNITS = 8


def _exact_after_rounding(long: OOArray, short: OOArray, size: int) -> None:
    """Refuse an integer convolution whose FFT rounding error might reach half a unit."""
    norms = []
    for x in (long, short):
        values = x.astype(np.float64)
        norms.append(np.stack([np.abs(values).sum(), (values * values).sum()]).compute())
    (l1_a, sq_a), (l1_v, sq_v) = norms
    scale = min(l1_a * math.sqrt(sq_v), math.sqrt(sq_a) * l1_v)
    bound = _FFT_ERROR_UNITS * np.finfo(np.float64).eps * math.log2(max(size, 2)) * scale
    if not bound < 0.25:
        raise ValueError(
            f"an integer convolution of two long inputs ({long.shape[0]} and {short.shape[0]} "
            f"elements) goes through FFTs in float64, and values this large could round to a "
            f"wrong integer (error bound {bound:.3g}, over 1/4); convolve float64 copies "
            f"(a.astype(np.float64)) to accept float rounding, or shorter pieces")


def _fft_window(long: Any, short: Any, mode: int, same_start: int,
                dtype: np.dtype) -> OOArray:
    """``mode``'s window of ``np.convolve(long, short, 'full')`` through FFTs of both
    inputs (float64 or complex128), out of core whatever their lengths; integers are
    rounded back (checked exact first), booleans are the nonzero results."""
    a, v = asarray(long).reshape(-1), asarray(short).reshape(-1)
    n, m = a.shape[0], v.shape[0]
    size = _smooth_at_least(n + m - 1)
    if dtype.kind in "biu":
        _exact_after_rounding(a, v, size)
    if a.dtype.kind == "c" or v.dtype.kind == "c":
        a, v = a.astype(np.complex128), v.astype(np.complex128)
        full = np.fft.ifft(np.fft.fft(a, n=size) * np.fft.fft(v, n=size))
    else:
        a, v = a.astype(np.float64), v.astype(np.float64)
        full = np.fft.irfft(np.fft.rfft(a, n=size) * np.fft.rfft(v, n=size), n=size)
    start, length = _span(mode, n, m, same_start)
    window = full[start:start + length]
    if dtype.kind == "b":
        return window > 0.5
    if dtype.kind in "iu":
        return np.rint(window).astype(np.int64).astype(dtype)
    return window.astype(dtype)


@implements(np.convolve)
def convolve(a: Any, v: Any, mode: Any = "full") -> OOArray:
    """The discrete linear convolution of two 1-d sequences, as ``np.convolve``.

    The longer input may be any length. A shorter one (the kernel) that fits 1/32 of
    ``memory_limit`` is held in memory, and each output chunk reads its input range plus
    ``len(kernel) - 1`` elements and is NumPy's ``np.convolve`` of that block. Two longer
    inputs are convolved through out-of-core FFTs of both (see :mod:`ooarray.ops.calculus`).

    Parameters
    ----------
    a, v : 1-d array_like
    mode : {'full', 'valid', 'same'}

    Returns
    -------
    OOArray
        1-d, of NumPy's dtype (integers stay integers).

    Raises
    ------
    ValueError
        As NumPy: an empty input, an input of more than one dimension, an unknown mode.
    ValueError
        Also for two long integer inputs whose values are so large that the FFT's rounding
        might give a wrong integer (convolve float64 copies instead).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1, 2, 3, 4, 5]), chunks=2)
    >>> np.convolve(a, [1, 0, -1]).tolist()
    [1, 2, 2, 2, 2, -4, -5]
    >>> np.convolve(a, [1, 1], mode="valid").tolist()
    [3, 5, 7, 9]
    """
    dtype = np.convolve(_stand_in(a), _stand_in(v), mode).dtype  # NumPy's errors
    mode = _MODES[mode]
    if _length(v) > _length(a):
        a, v = v, a
    same_start = (_length(v) - 1) // 2
    kernel = _kernel(v)
    if kernel is None:
        return _fft_window(a, v, mode, same_start, dtype)
    return _window(a, kernel, mode, same_start, dtype)


@implements(np.correlate)
def correlate(a: Any, v: Any, mode: Any = "valid") -> OOArray:
    """The cross-correlation of two 1-d sequences, as ``np.correlate``:
    ``c[k] = sum_n a[n + k] * conj(v[n])``.

    Planned as the convolution of the longer input with the shorter one, reversed and
    (for ``v``) conjugated; see :func:`convolve` for the memory it needs.

    Parameters
    ----------
    a, v : 1-d array_like
    mode : {'valid', 'same', 'full'}

    Returns
    -------
    OOArray
        1-d, of NumPy's dtype.

    Raises
    ------
    ValueError
        As NumPy: an empty input, an input of more than one dimension, an unknown mode.
    ValueError
        Also for two long integer inputs too large for exact FFT rounding (see
        :func:`convolve`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1.0, 2.0, 3.0]), chunks=2)
    >>> np.correlate(a, [0.0, 1.0, 0.5]).tolist()
    [3.5]
    >>> np.correlate(a, [0.0, 1.0, 0.5], "full").tolist()
    [0.5, 2.0, 3.5, 3.0, 0.0]
    """
    dtype = np.correlate(_stand_in(a), _stand_in(v), mode).dtype  # NumPy's errors
    mode = _MODES[mode]
    short = min(_length(a), _length(v))
    if _length(v) > _length(a):  # NumPy swaps and reverses: 'same' shifts the other way
        long = asarray(v).reshape(-1)[::-1]
        long = np.conjugate(long) if long.dtype.kind == "c" else long
        kernel = _kernel(a)
        if kernel is None:
            return _fft_window(long, a, mode, short // 2, dtype)
        return _window(long, kernel, mode, short // 2, dtype)
    kernel = _kernel(v)
    if kernel is None:
        reversed_ = asarray(v).reshape(-1)[::-1]
        reversed_ = np.conjugate(reversed_) if reversed_.dtype.kind == "c" else reversed_
        return _fft_window(a, reversed_, mode, (short - 1) // 2, dtype)
    kernel = kernel[::-1]
    kernel = np.conjugate(kernel) if kernel.dtype.kind == "c" else kernel.copy()
    return _window(a, kernel, mode, (short - 1) // 2, dtype)
