"""Elementwise functions that are not ufuncs: ``angle``, ``fix``, ``sinc``, ``i0``,
``real_if_close``, ``iscomplex``, ``isreal``, ``isposinf``, ``isneginf``, array endpoints of
``linspace``/``logspace``/``geomspace``, ``lib.scimath`` (issue 16, item 5).

Each is written, as NumPy writes it, as an expression of ufuncs on OOArrays, so the fusion
pass puts it into the numexpr expression of its neighbours. Two are not: ``i0`` (a piecewise
Chebyshev recurrence whose shared terms would repeat exponentially in one expression's text)
is a per-chunk kernel calling ``np.i0``, and ``sinc`` of complex values (numexpr's complex
``sin`` is not NumPy's) stays a chain of NumPy calls. Functions whose result depends on the
whole array (``real_if_close``, the ``scimath`` domain switch, a zero endpoint of
``geomspace``, a zero step of ``linspace``) decide it with one reduction pass first, as
NumPy's own definitions do, so their result dtype depends on the data exactly as NumPy's.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any

import numpy as np

from ooarray.algorithms.mapped import KernelNode
from ooarray.core.array import OOArray, check_dtype
from ooarray.core.dispatch import implements
from ooarray.ops._operands import as_operand
from ooarray.ops.creation import arange, asarray, zeros
from ooarray.ops.elementwise import output_chunks
from ooarray.plan.graph import Node

__all__ = ["angle", "fix", "sinc", "i0", "real_if_close", "iscomplex", "isreal",
           "isposinf", "isneginf", "linspace", "logspace", "geomspace", "emath_sqrt",
           "emath_log", "emath_log2", "emath_log10", "emath_logn", "emath_power",
           "emath_arccos", "emath_arcsin", "emath_arctanh"]

#: dtypes ``scimath`` turns into complex64 (NumPy's ``_tocomplex``); others become complex128.
_SINGLE_TO_COMPLEX = frozenset(np.dtype(t) for t in (np.float32, np.int8, np.int16,
                                                      np.uint8, np.uint16, np.complex64))


def _array(value: Any) -> Any:
    """An OOArray stays one; anything else becomes an ndarray (as NumPy's ``asanyarray``)."""
    return value if isinstance(value, OOArray) else np.asanyarray(value)


def _whole(value: Any) -> bool:
    """A Python bool of ``value``: one reduction pass if it is an OOArray."""
    return builtins.bool(value)


# -- complex parts and classification ---------------------------------------------------------
@implements(np.angle)
def angle(z: Any, deg: bool = False) -> Any:
    """Return the counterclockwise angle from the positive real axis, as ``np.angle``.

    Parameters
    ----------
    z : array_like
    deg : bool
        Degrees instead of radians.

    Returns
    -------
    OOArray
        ``arctan2(z.imag, z.real)`` (fused with what surrounds it).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.angle(oa.asarray(np.array([1.0, 1j, -1.0]))).round(4).tolist()
    [0.0, 1.5708, 3.1416]
    """
    z = _array(z)
    if z.dtype.kind == "c":
        result = np.arctan2(z.imag, z.real)
    else:
        result = np.arctan2(0, z)
    return result * (180 / np.pi) if deg else result


@implements(np.fix)
def fix(x: Any, out: Any = None) -> Any:
    """Round towards zero, as ``np.fix`` (which is ``np.trunc``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.fix(oa.asarray(np.array([2.9, -2.9]))).tolist()
    [2.0, -2.0]
    """
    return np.trunc(_array(x), out=out)


@implements(np.sinc)
def sinc(x: Any) -> Any:
    """Return ``sin(pi x) / (pi x)`` (1 at 0), as ``np.sinc``.

    NumPy replaces a zero ``pi x`` by a tiny ``eps`` with ``where``; here it is added as
    ``(pi x == 0) * eps``, the same values in an expression numexpr fuses.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.sinc(oa.asarray(np.array([0.0, 0.5, 1.0]))).round(4).tolist()
    [1.0, 0.6366, 0.0]
    """
    x = np.pi * _array(x)
    eps = np.finfo(x.dtype).eps if x.dtype.kind == "f" else 1e-20
    y = x + (x == 0) * np.asarray(eps, x.dtype)
    return np.sin(y) / y


def _i0_kernel(x: np.ndarray, *, out: np.ndarray) -> None:
    np.copyto(out, np.i0(x), casting="unsafe")


@implements(np.i0)
def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 0, as ``np.i0``.

    A per-chunk kernel calling NumPy's ``i0`` (piecewise, see the module docstring).

    Raises
    ------
    TypeError
        For complex values, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.i0(oa.asarray(np.array([0.0, 1.0]))).round(4).tolist()
    [1.0, 1.2661]
    """
    operand = as_operand(_array(x))
    if not isinstance(operand, Node):
        return np.i0(operand)
    dtype = np.i0(np.empty((0,), operand.dtype)).dtype  # NumPy's TypeError for complex
    chunks = output_chunks(operand.shape, [operand], [dtype])
    return OOArray(KernelNode(_i0_kernel, [operand], [dtype], kwargs={},
                              shape=operand.shape, chunks=chunks))


@implements(np.real_if_close)
def real_if_close(a: Any, tol: float = 100) -> Any:
    """The real part if every imaginary part is below ``tol`` (in machine epsilons if
    ``tol > 1``), else ``a``: one reduction pass decides, as in NumPy.

    Returns
    -------
    OOArray
        Of the real dtype or of ``a``'s, depending on the data.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.real_if_close(oa.asarray(np.array([2.1 + 4e-15j, 5.2]))).dtype
    dtype('float64')
    """
    a = _array(a)
    if a.dtype.kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(a.dtype).eps * tol
    if _whole(np.all(np.absolute(a.imag) < tol)):
        return a.real
    return a


@implements(np.iscomplex)
def iscomplex(x: Any) -> Any:
    """True where an element has a nonzero imaginary part, as ``np.iscomplex``.

    Returns
    -------
    OOArray or numpy.bool
        Lazy for complex values; for a real dtype the answer is known without reading
        anything: lazy zeros, or NumPy's ``False`` scalar for a 0-d input, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.iscomplex(oa.asarray(np.array([1 + 1j, 1 + 0j]))).tolist()
    [True, False]
    """
    x = _array(x)
    if x.dtype.kind == "c":
        return x.imag != 0
    if isinstance(x, OOArray) and x.ndim:
        return zeros(x.shape, bool, chunks=x.chunks)
    return np.iscomplex(_stand_in(x))  # known from the dtype: NumPy's False (a scalar for 0-d)


@implements(np.isreal)
def isreal(x: Any) -> Any:
    """True where an element has a zero imaginary part, as ``np.isreal``.

    Returns
    -------
    OOArray or numpy.bool
        Lazy, except for a 0-d input of a real dtype: NumPy's ``True`` scalar (known
        without reading anything), as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.isreal(oa.asarray(np.array([1 + 1j, 1 + 0j]))).tolist()
    [False, True]
    """
    x = _array(x)
    if x.dtype.kind != "c" and x.ndim == 0:
        return np.isreal(_stand_in(x))  # known from the dtype: NumPy's True, a scalar
    return np.imag(x) == 0


def _infinite_with_sign(x: Any, out: Any, negative: bool) -> Any:
    x = _array(x)
    try:
        sign = np.signbit(x)
    except TypeError as error:
        raise TypeError(f"This operation is not supported for {x.dtype} values because it "
                        f"would be ambiguous.") from error
    return np.logical_and(np.isinf(x), sign if negative else ~sign, out=out)


@implements(np.isposinf)
def isposinf(x: Any, out: Any = None) -> Any:
    """True where an element is positive infinity, as ``np.isposinf``.

    Raises
    ------
    TypeError
        For complex values (ambiguous), as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.isposinf(oa.asarray(np.array([-np.inf, 0.0, np.inf]))).tolist()
    [False, False, True]
    """
    return _infinite_with_sign(x, out, negative=False)


@implements(np.isneginf)
def isneginf(x: Any, out: Any = None) -> Any:
    """True where an element is negative infinity, as ``np.isneginf`` (see
    :func:`isposinf`)."""
    return _infinite_with_sign(x, out, negative=True)


# -- evenly spaced values between array endpoints ----------------------------------------------
def _stand_in(value: Any) -> Any:
    """A 0-d array of an OOArray's dtype (NumPy decides dtypes and errors on it)."""
    return np.zeros((), value.dtype) if isinstance(value, OOArray) else value


def _cast(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, OOArray):
        return value.astype(dtype, copy=False)
    return np.asarray(value).astype(dtype, copy=False)


def _counter(num: int, dtype: np.dtype, ndim: int) -> OOArray:
    """``arange(num)`` of ``dtype`` as a column of ``ndim + 1`` dimensions."""
    real = np.dtype(dtype) if np.dtype(dtype).kind != "c" else np.dtype(np.float64)
    return arange(num, dtype=real).astype(dtype, copy=False).reshape((-1,) + (1,) * ndim)


def _check_num(num: Any) -> int:
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    return num


@implements(np.linspace)
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0, *,
             device: Any = None) -> Any:
    """Return ``num`` evenly spaced samples from ``start`` to ``stop`` along a new ``axis``,
    for array endpoints, as ``np.linspace``.

    Parameters
    ----------
    start, stop : array_like or OOArray
        Broadcast together; the result has shape ``(num,) + broadcast shape`` with the new
        axis moved to ``axis``.
    num : int
    endpoint : bool
    retstep : bool
        Also return the step (an OOArray of the endpoints' shape, or NaN).
    dtype : dtype, optional
    axis : int

    Returns
    -------
    OOArray, or (OOArray, step)

    Raises
    ------
    ValueError
        For a negative ``num`` or endpoints that do not broadcast.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.linspace(oa.asarray(np.array([0.0, 10.0])), 1.0, 3).tolist()
    [[0.0, 10.0], [0.5, 5.5], [1.0, 1.0]]
    """
    num = _check_num(num)
    div = (num - 1) if endpoint else num
    work = np.linspace(_stand_in(start), _stand_in(stop), 2, dtype=None, device=device).dtype
    out_dtype = np.dtype(dtype) if dtype is not None else work
    check_dtype(out_dtype)
    start, stop = _cast(start, work), _cast(stop, work)
    delta = np.subtract(stop, start)
    ndim = np.ndim(delta)
    y = _counter(num, work, ndim)
    if div > 0:
        step = delta / div
        if _whole(np.any(step == 0)):  # denormal steps (NumPy's gh-5437)
            y = y / div * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if not isinstance(y, OOArray):
        y = asarray(y)
    if endpoint and num > 1:
        y[-1, ...] = stop
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    if np.issubdtype(out_dtype, np.integer):
        y = np.floor(y)
    y = y.astype(out_dtype, copy=False)
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             base: Any = 10.0, dtype: Any = None, axis: int = 0) -> Any:
    """Return ``base ** linspace(start, stop)`` for array endpoints (or bases), as
    ``np.logspace``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.logspace(oa.asarray(np.array([0.0, 1.0])), 2.0, 3).tolist()
    [[1.0, 10.0], [10.0, 31.622776601683793], [100.0, 100.0]]
    """
    if not isinstance(base, (float, int)) and np.ndim(base):
        ndmax = len(np.broadcast_shapes(np.shape(start), np.shape(stop), np.shape(base)))
        start, stop, base = (_lead(_array(v), ndmax) for v in (start, stop, base))
        base = np.expand_dims(base, axis=axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    result = np.power(base, y)
    return result if dtype is None else result.astype(dtype, copy=False)


def _lead(value: Any, ndim: int) -> Any:
    """``value`` with leading length-1 axes up to ``ndim`` (NumPy's ``ndmin``)."""
    return value.reshape((1,) * (ndim - value.ndim) + value.shape) if value.ndim < ndim \
        else value


@implements(np.geomspace)
def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
              dtype: Any = None, axis: int = 0) -> Any:
    """Return numbers spaced evenly on a log scale (a geometric progression) between array
    endpoints, as ``np.geomspace``.

    Raises
    ------
    ValueError
        If an endpoint is zero (one reduction pass checks), as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.geomspace(oa.asarray(np.array([1.0, -1.0])), 100.0 * np.array([1, -1]), 3).tolist()
    [[1.0, -1.0], [10.0, -10.0], [100.0, -100.0]]
    """
    start, stop = _array(start), _array(stop)
    if _whole(np.any(start == 0)) or _whole(np.any(stop == 0)):
        raise ValueError("Geometric sequence cannot include zero")
    work = np.result_type(start.dtype, stop.dtype, float(num), np.zeros((), dtype))
    dtype = work if dtype is None else np.dtype(dtype)
    start, stop = _cast(start, work), _cast(stop, work)
    out_sign = np.sign(start)
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint,
                      base=10.0, dtype=work)
    if not isinstance(result, OOArray):
        result = asarray(result)
    if num > 0:
        result[0] = start
        if num > 1 and endpoint:
            result[-1] = stop
    result = result * out_sign
    if axis != 0:
        result = np.moveaxis(result, 0, axis)
    return result.astype(dtype, copy=False)


# -- numpy.lib.scimath (numpy.emath): complex results outside the real domain -----------------
def _to_complex(x: Any) -> Any:
    """``x`` as complex64 or complex128, by NumPy's ``scimath._tocomplex`` table."""
    return x.astype(np.complex64 if x.dtype in _SINGLE_TO_COMPLEX else np.complex128)


def _outside(x: Any, test: Any) -> bool:
    """Whether any real element of ``x`` fails the domain ``test`` (one reduction pass)."""
    return _whole(np.any(isreal(x) & test(x)))


def _fix_real_lt_zero(x: Any) -> Any:
    x = _array(x)
    return _to_complex(x) if _outside(x, lambda v: v < 0) else x


def _fix_int_lt_zero(x: Any) -> Any:
    x = _array(x)
    return x * 1.0 if _outside(x, lambda v: v < 0) else x


def _fix_real_abs_gt_1(x: Any) -> Any:
    x = _array(x)
    return _to_complex(x) if _outside(x, lambda v: np.absolute(v) > 1) else x


@implements(np.emath.sqrt)
def emath_sqrt(x: Any) -> Any:
    """``np.emath.sqrt``: the square root, complex if any real element is negative.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.emath.sqrt(oa.asarray(np.array([-4.0, 4.0]))).tolist()
    [2j, (2+0j)]
    """
    return np.sqrt(_fix_real_lt_zero(x))


@implements(np.emath.log)
def emath_log(x: Any) -> Any:
    """``np.emath.log``: the natural logarithm, complex if any real element is negative."""
    return np.log(_fix_real_lt_zero(x))


@implements(np.emath.log2)
def emath_log2(x: Any) -> Any:
    """``np.emath.log2``: the base-2 logarithm, complex if any real element is negative."""
    return np.log2(_fix_real_lt_zero(x))


@implements(np.emath.log10)
def emath_log10(x: Any) -> Any:
    """``np.emath.log10``: the base-10 logarithm, complex if any real element is negative."""
    return np.log10(_fix_real_lt_zero(x))


@implements(np.emath.logn)
def emath_logn(n: Any, x: Any) -> Any:
    """``np.emath.logn``: the base-``n`` logarithm of ``x``, complex outside the domain."""
    x = _fix_real_lt_zero(x)
    n = _fix_real_lt_zero(n)
    return np.log(x) / np.log(n)


@implements(np.emath.power)
def emath_power(x: Any, p: Any) -> Any:
    """``np.emath.power``: ``x ** p``, complex if any real ``x`` is negative (and a float
    power if any integer ``p`` is negative)."""
    x = _fix_real_lt_zero(x)
    p = _fix_int_lt_zero(p)
    return np.power(x, p)


@implements(np.emath.arccos)
def emath_arccos(x: Any) -> Any:
    """``np.emath.arccos``: complex if any real element lies outside ``[-1, 1]``."""
    return np.arccos(_fix_real_abs_gt_1(x))


@implements(np.emath.arcsin)
def emath_arcsin(x: Any) -> Any:
    """``np.emath.arcsin``: complex if any real element lies outside ``[-1, 1]``."""
    return np.arcsin(_fix_real_abs_gt_1(x))


@implements(np.emath.arctanh)
def emath_arctanh(x: Any) -> Any:
    """``np.emath.arctanh``: complex if any real element lies outside ``[-1, 1]``."""
    return np.arctanh(_fix_real_abs_gt_1(x))
