"""Elementwise selection and comparison functions: where, select, clip, round, isclose, ...

Each is elementwise, so each is one :class:`~ooarray.algorithms.mapped.KernelNode` (an
``ElementwiseNode`` whose function writes straight into a pooled output buffer) or a
composition of ufunc nodes (``isclose``), which numexpr fusion can take up. NumPy decides result dtypes and raises argument errors on
zero-size stand-ins of the operands, so both are exactly NumPy's. The functions that answer
with a Python bool (``allclose``, ``array_equal``, ``array_equiv``) are reductions of such a
node and compute when called, as NumPy's do.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray.algorithms.mapped import KernelNode
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops._operands import as_operand, deliver_out
from ooarray.ops.creation import asarray, zeros
from ooarray.ops.elementwise import output_chunks
from ooarray.ops.indexing import nonzero
from ooarray.plan.graph import Node
from ooarray.plan.regions import ElementwiseNode

__all__ = [
    "where", "select", "clip", "round", "isclose", "allclose", "array_equal",
    "array_equiv", "nan_to_num", "real", "imag", "iscomplexobj", "isrealobj",
]

_NO_VALUE = np._NoValue


def _stand_in(operand: Any) -> Any:
    """A zero-size array of a node's dtype; scalars and 0-d arrays stay themselves."""
    return np.empty((0,), operand.dtype) if isinstance(operand, Node) else operand


def _shape_of(operand: Any) -> tuple[int, ...]:
    return operand.shape if isinstance(operand, Node) else np.shape(operand)


def _kernel(func: Callable[..., Any], operands: Sequence[Any], dtype: np.dtype,
            **kwargs: Any) -> OOArray:
    """Return the OOArray of ``func`` over broadcast ``operands`` (NumPy's shape errors)."""
    shape = np.broadcast_shapes(*[_shape_of(op) for op in operands])
    nodes = [op for op in operands if isinstance(op, Node)]
    # the elementwise family's grid: a broadcast outer product is cut to the budget
    chunks = output_chunks(shape, nodes, [np.dtype(dtype)])
    return OOArray(KernelNode(func, list(operands), [np.dtype(dtype)], kwargs=kwargs,
                              shape=shape, chunks=chunks))


# -- where and select ---------------------------------------------------------------------
def _where_kernel(condition: Any, x: Any, y: Any, *, out: np.ndarray) -> None:
    np.copyto(out, y, casting="unsafe")
    np.copyto(out, x, where=condition, casting="unsafe")


def _as_condition(operand: Any) -> Any:
    if isinstance(operand, Node):
        return operand if operand.dtype == np.bool_ else OOArray(operand).astype(bool).node
    return np.asarray(operand).astype(bool)


def _converted(value: Any, dtype: np.dtype) -> Any:
    """A scalar operand converted to ``dtype`` as NumPy's own selection converts it."""
    if isinstance(value, Node):
        return value
    return np.where(np.True_, value, np.zeros((), dtype))


@implements(np.where)
def where(condition: Any, x: Any = _NO_VALUE, y: Any = _NO_VALUE) -> Any:
    """Return elements of ``x`` where ``condition`` holds and of ``y`` elsewhere.

    Parameters
    ----------
    condition : array_like
        Where true, take ``x``; its values are read as booleans.
    x, y : array_like
        Values to choose from, broadcast together with ``condition``. With neither given,
        ``np.where(condition)`` is ``np.nonzero(condition)``.

    Returns
    -------
    OOArray
        Of NumPy's promoted dtype of ``x`` and ``y`` (or a tuple of index arrays).

    Raises
    ------
    ValueError
        If only one of ``x`` and ``y`` is given, or the operands do not broadcast.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6), chunks=4)
    >>> np.where(a % 2 == 0, a, -1).tolist()
    [0, -1, 2, -1, 4, -1]
    """
    if x is _NO_VALUE and y is _NO_VALUE:
        return nonzero(condition)
    if x is _NO_VALUE or y is _NO_VALUE:
        raise ValueError("either both or neither of x and y should be given")
    operands = [as_operand(v) for v in (condition, x, y)]
    np.broadcast_shapes(*[_shape_of(op) for op in operands])
    dtype = np.where(*[_stand_in(op) for op in operands]).dtype
    cond, x_op, y_op = operands
    return _kernel(_where_kernel, [_as_condition(cond), _converted(x_op, dtype),
                                   _converted(y_op, dtype)], dtype)


def _select_kernel(*args: Any, out: np.ndarray, count: int) -> None:
    conditions, choices, default = args[:count], args[count:2 * count], args[2 * count]
    np.copyto(out, default, casting="unsafe")
    for condition, choice in zip(reversed(conditions), reversed(choices), strict=True):
        np.copyto(out, choice, where=condition, casting="unsafe")


@implements(np.select)
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> OOArray:
    """Return, per element, the choice of the first condition that holds, else ``default``.

    Parameters
    ----------
    condlist : sequence of bool array_like
        The conditions, in order of precedence.
    choicelist : sequence of array_like
        One choice per condition.
    default : scalar or array_like
        Where no condition holds.

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        If the lists are empty or differ in length, or the operands do not broadcast.
    TypeError
        If a condition is not boolean, or the choices have no common dtype.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6), chunks=4)
    >>> np.select([a < 2, a > 3], [a, a * 10], default=-1).tolist()
    [0, 1, -1, -1, 40, 50]
    """
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    conditions = [as_operand(c) for c in condlist]
    choices = [as_operand(c) for c in choicelist]
    fallback = as_operand(default)
    operands = conditions + choices + [fallback]
    np.broadcast_shapes(*[_shape_of(op) for op in operands])
    dtype = np.select([_stand_in(c) for c in conditions], [_stand_in(c) for c in choices],
                      _stand_in(fallback)).dtype
    converted = [op if isinstance(op, Node) else np.asarray(op) for op in operands]
    return _kernel(_select_kernel, converted, dtype, count=len(conditions))


# -- clip, round, nan_to_num ----------------------------------------------------------------
def _clip_kernel(a: np.ndarray, low: Any, high: Any, *, out: np.ndarray, **kwargs: Any) -> None:
    np.clip(a, low, high, out=out, **kwargs)


@implements(np.clip)
def clip(a: Any, a_min: Any = _NO_VALUE, a_max: Any = _NO_VALUE, out: Any = None, *,
         min: Any = _NO_VALUE, max: Any = _NO_VALUE, **kwargs: Any) -> Any:
    """Limit the values of ``a`` to ``[a_min, a_max]``, as ``np.clip``.

    Parameters
    ----------
    a : array_like
    a_min, a_max : scalar, array_like or None
        Bounds (``None``: no bound on that side); NumPy 2's ``min=`` and ``max=`` are
        accepted instead.
    out : OOArray or ndarray, optional
    **kwargs
        ufunc keyword arguments (``dtype``, ``casting``).

    Returns
    -------
    OOArray

    Raises
    ------
    TypeError
        NumPy's: a bound given twice (``a_min`` and ``min``), an impossible cast.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6), chunks=4)
    >>> np.clip(a, 1, 4).tolist()
    [1, 1, 2, 3, 4, 4]
    >>> a.clip(max=2).tolist()
    [0, 1, 2, 2, 2, 2]
    """
    operands = [v if v is None or v is _NO_VALUE else as_operand(v)
                for v in (a, a_min, a_max, min, max)]
    names = ("a_min", "a_max", "min", "max")
    bounds = {name: _stand_in(op) for name, op in zip(names, operands[1:], strict=True)
              if op is not _NO_VALUE}
    probe = np.clip(_stand_in(operands[0]), **bounds, **kwargs)
    low = operands[1] if operands[1] is not _NO_VALUE else operands[3]
    high = operands[2] if operands[2] is not _NO_VALUE else operands[4]
    low, high = (None if bound is _NO_VALUE else bound for bound in (low, high))
    return deliver_out(_kernel(_clip_kernel, [operands[0], low, high], probe.dtype, **kwargs),
                       out)


def _round_kernel(a: np.ndarray, *, out: np.ndarray, decimals: int) -> None:
    if a.dtype.kind in "fc":
        np.round(a, decimals, out=out)
    else:  # NumPy's integer rounding cannot write into out= (it divides in float64)
        np.copyto(out, np.round(a, decimals), casting="unsafe")


@implements(np.round, np.around)
def round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    """Round to ``decimals`` decimal places (negative: to tens, hundreds, ...), as ``np.round``.

    Parameters
    ----------
    a : array_like
    decimals : int
    out : OOArray or ndarray, optional

    Returns
    -------
    OOArray
        Of ``a``'s dtype (float16 for booleans, as NumPy).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1.25, 3.5, 1234.0]))
    >>> np.round(a, 1).tolist()
    [1.2, 3.5, 1234.0]
    >>> np.round(a, -2).tolist()
    [0.0, 0.0, 1200.0]
    """
    operand = as_operand(a)
    decimals = int(decimals)
    dtype = np.round(_stand_in(operand), decimals).dtype
    return deliver_out(_kernel(_round_kernel, [operand], dtype, decimals=decimals), out)


def _nan_to_num_kernel(x: np.ndarray, *, out: np.ndarray, **values: Any) -> None:
    np.copyto(out, x)
    np.nan_to_num(out, copy=False, **values)


@implements(np.nan_to_num)
def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the largest
    finite values), as ``np.nan_to_num``; complex parts are treated separately.

    Parameters
    ----------
    x : array_like
    copy : bool
        False rebinds ``x`` to the result (OOArrays are never written in place).
    nan, posinf, neginf : float, optional

    Returns
    -------
    OOArray

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([np.nan, np.inf, -np.inf, 1.0]))
    >>> np.nan_to_num(a, posinf=9.0).tolist()
    [0.0, 9.0, -1.7976931348623157e+308, 1.0]
    """
    operand = as_operand(x)
    dtype = np.nan_to_num(_stand_in(operand), nan=nan, posinf=posinf, neginf=neginf).dtype
    if not isinstance(operand, Node):
        return np.nan_to_num(operand, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if dtype.kind not in "fc":
        return x
    result = _kernel(_nan_to_num_kernel, [operand], dtype, nan=nan, posinf=posinf,
                     neginf=neginf)
    if not copy and isinstance(x, OOArray):
        x._node = result.node
        return x
    return result


# -- comparisons ----------------------------------------------------------------------------
def _dtype_of(value: Any) -> np.dtype:
    return value.dtype if hasattr(value, "dtype") else np.result_type(value)


def _array_like(value: Any) -> Any:
    if isinstance(value, (OOArray, int, float, complex)):
        return value
    return np.asanyarray(value)


@implements(np.isclose)
def isclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
            equal_nan: bool = False) -> OOArray:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (infinities equal only to themselves).

    Built from ufunc nodes exactly as NumPy's ``isclose`` is, so a fused chain evaluates it
    in one numexpr pass per chunk.

    Parameters
    ----------
    a, b : array_like
    rtol, atol : float or array_like
    equal_nan : bool
        Count NaNs in the same place as equal.

    Returns
    -------
    OOArray of bool

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1.0, 1.1, np.nan]))
    >>> np.isclose(a, [1.0 + 1e-9, 1.0, np.nan], equal_nan=True).tolist()
    [True, False, True]
    """
    x, y, atol, rtol = (_array_like(v) for v in (a, b, atol, rtol))
    dtype = getattr(y, "dtype", None)
    if dtype is not None:
        working = np.result_type(dtype, 1.0)
        y = y.astype(working, copy=False) if isinstance(y, OOArray) else \
            np.asanyarray(y, dtype=working)
    elif isinstance(y, int):
        y = float(y)
    result = np.less_equal(np.abs(x - y), atol + rtol * np.abs(y)) & np.isfinite(y) | \
        np.equal(x, y)
    if equal_nan:
        result = result | (np.isnan(x) & np.isnan(y))
    if not isinstance(result, OOArray):  # only a tolerance was an OOArray
        return asarray(np.asarray(result))
    return result


@implements(np.allclose)
def allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
             equal_nan: bool = False) -> bool:
    """Return True if every element of ``a`` is close to ``b`` (see :func:`isclose`).

    Computes now (one pass) and returns a Python bool, as NumPy does.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.allclose(oa.asarray(np.arange(3.0)), [0.0, 1.0, 2.0 + 1e-12])
    True
    """
    return builtins.bool(np.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


@implements(np.array_equal)
def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> bool:
    """Return True if the arrays have the same shape and elements (NaNs equal if
    ``equal_nan``); computes now and returns a Python bool.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.array([1.0, np.nan]))
    >>> np.array_equal(a, [1.0, np.nan]), np.array_equal(a, [1.0, np.nan], equal_nan=True)
    (False, True)
    """
    x, y = (_array_like(v) for v in (a1, a2))
    if getattr(x, "shape", ()) != getattr(y, "shape", ()):
        return False
    same = np.equal(x, y)
    if equal_nan and any(_dtype_of(v).kind in "fc" for v in (x, y)):
        same = same | (np.isnan(x) & np.isnan(y))
    return builtins.bool(np.all(same))


@implements(np.array_equiv)
def array_equiv(a1: Any, a2: Any) -> bool:
    """Return True if the arrays broadcast together and are equal everywhere; computes now.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.ones((2, 3)))
    >>> np.array_equiv(a, [1, 1, 1]), np.array_equiv(a, [1, 1])
    (True, False)
    """
    x, y = (_array_like(v) for v in (a1, a2))
    try:
        np.broadcast_shapes(getattr(x, "shape", ()), getattr(y, "shape", ()))
    except ValueError:
        return False
    return builtins.bool(np.all(np.equal(x, y)))


# -- complex parts --------------------------------------------------------------------------
@implements(np.real)
def real(val: Any) -> Any:
    """The real part (a complex array's), or the array itself.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.real(oa.asarray(np.array([1 + 2j, 3 - 1j]))).tolist()
    [1.0, 3.0]
    """
    operand = as_operand(val)
    if not isinstance(operand, Node):
        return np.real(operand)
    if operand.dtype.kind != "c":
        return val if isinstance(val, OOArray) else OOArray(operand)
    return OOArray(ElementwiseNode(np.real, [operand], [np.empty(0, operand.dtype).real.dtype]))


@implements(np.imag)
def imag(val: Any) -> Any:
    """The imaginary part (zeros of the array's dtype for a real array).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.imag(oa.asarray(np.array([1 + 2j, 3 - 1j]))).tolist()
    [2.0, -1.0]
    """
    operand = as_operand(val)
    if not isinstance(operand, Node):
        return np.imag(operand)
    if operand.dtype.kind != "c":
        return zeros(operand.shape, operand.dtype, chunks=operand.chunks)
    return OOArray(ElementwiseNode(np.imag, [operand], [np.empty(0, operand.dtype).real.dtype]))


@implements(np.iscomplexobj)
def iscomplexobj(x: Any) -> bool:
    """True if ``x`` has a complex dtype (looks at the dtype only, computes nothing).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.iscomplexobj(oa.asarray(np.array([1j]))), np.isrealobj(oa.asarray(np.ones(2)))
    (True, True)
    """
    return _dtype_of(_array_like(x)).kind == "c"


@implements(np.isrealobj)
def isrealobj(x: Any) -> bool:
    """True if ``x`` does not have a complex dtype (see :func:`iscomplexobj`)."""
    return not iscomplexobj(x)
