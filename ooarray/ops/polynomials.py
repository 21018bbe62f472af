"""Polynomials and function application: ``vander``, ``polyval``, ``polyfit``, ``polyadd``,
``polysub``, ``polymul``, ``polyder``, ``polyint``, ``polyval2d``, ``polygrid2d``,
``piecewise``, ``apply_along_axis``, ``apply_over_axes`` (issue 16, item 4).

* ``polyval2d`` and ``polygrid2d`` (``numpy.polynomial.polynomial``) are NumPy's nested
  Horner loops written on OOArrays, elementwise like ``polyval``.
* ``vander`` is ``x[:, None] ** exponents``: one ufunc node, elementwise, so it fuses with
  what reads it; ``polyval`` is NumPy's own Horner loop ``y = y * x + c`` written on
  OOArrays, a chain of ufunc nodes that fusion evaluates as one expression per chunk (and
  that keeps NumPy's dtypes, its ``0 * inf`` NaNs and its integer wrap-around).
* ``polyfit`` is NumPy's algorithm (scaled Vandermonde columns) over the out-of-core
  ``np.linalg.lstsq`` (TSQR): ``x`` and ``y`` may be any length.
* Coefficient arrays are small: ``polyadd``, ``polysub``, ``polymul``, ``polyder`` and
  ``polyint`` of OOArrays (and ``polyval``'s ``p``, ``polyfit``'s covariance) are computed
  and handed to NumPy, with a BudgetError if one is over a quarter of ``memory_limit``.
* ``piecewise`` calls a function as NumPy does, once on the whole selection ``x[cond]`` (a
  1-D OOArray, gathered by a mask counted first), and assigns its result through the mask:
  any function gives NumPy's answer, elementwise or not. Funclists of scalars, ufuncs and
  ``np.vectorize`` (elementwise by construction) take one kernel pass instead
  (``algorithms/polynomials.py``), each chunk applying them to its own selected elements.
* ``apply_along_axis`` hands whole 1-D lanes to ``func1d``, a block of lanes per task; a lane
  (with its result) over ``LANE_SHARE`` of ``memory_limit`` is refused with a BudgetError
  before any work. ``apply_over_axes`` calls ``func(a, axis)`` on the OOArray, as NumPy does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.polynomials import LaneApplyNode, PiecewiseNode, piecewise_kernel
from ooarray.chunks import normalize_chunks
from ooarray.core.array import OOArray, check_dtype
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import as_operand, compute_small
from ooarray.ops.creation import asarray, zeros
from ooarray.ops.elementwise import output_chunks
from ooarray.plan.graph import Node

__all__ = ["vander", "polyval", "polyfit", "polyadd", "polysub", "polymul", "polyder",
           "polyint", "polydiv", "poly", "roots", "polyval2d", "polygrid2d", "piecewise",
           "apply_along_axis", "apply_over_axes", "LANE_SHARE"]

#: A task's block of whole lanes (input and ``func1d``'s results) is at most this share of
#: ``memory_limit``: the task also holds the pinned chunks, an assembled copy and the
#: function's temporaries.
LANE_SHARE = 1 / 16
_ADVICE = "coefficient arrays are computed in memory; raise memory_limit"


def _array(value: Any) -> OOArray:
    """An OOArray stays one; anything else becomes an in-memory OOArray."""
    return value if isinstance(value, OOArray) else asarray(np.asarray(value))


def _small(value: Any, what: str) -> Any:
    """The values of a small OOArray (BudgetError if it is not small); others unchanged."""
    if isinstance(value, OOArray):
        return compute_small(value, what, _ADVICE)
    return value


def _wrap(value: Any) -> Any:
    """NumPy's ndarray result as an OOArray (a ``poly1d`` stays itself)."""
    if isinstance(value, np.ndarray) and not isinstance(value, np.poly1d):
        return asarray(value)
    return value


# -- vander and polyval -------------------------------------------------------------------
@implements(np.vander)
def vander(x: Any, N: int | None = None, increasing: bool = False) -> OOArray:
    """Return the Vandermonde matrix of ``x``, as ``np.vander``, lazily and elementwise.

    Parameters
    ----------
    x : array_like, 1-D
    N : int, optional
        Number of columns (default ``len(x)``).
    increasing : bool
        Powers increase left to right (default: decrease).

    Returns
    -------
    OOArray, (len(x), N)
        Of ``np.promote_types(x.dtype, int)``, as NumPy's. Element ``(i, j)`` is
        ``x[i] ** k`` computed by ``np.power`` (NumPy multiplies repeatedly: floats agree
        within rounding, integers exactly).

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or ``N`` is negative, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.vander(oa.asarray(np.array([1, 2, 3])), 3).tolist()
    [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    x = _array(x)
    stand_in = np.empty((0,) * x.ndim if x.ndim else (), x.dtype)
    dtype = np.vander(stand_in, N, increasing).dtype  # NumPy's errors and dtype
    columns = x.shape[0] if N is None else int(N)
    exponents = np.arange(columns, dtype=dtype)
    if not increasing:
        exponents = exponents[::-1].copy()
    return np.power(x.astype(dtype, copy=False)[:, None], exponents)


@implements(np.polyval)
def polyval(p: Any, x: Any) -> Any:
    """Evaluate the polynomial with coefficients ``p`` (highest power first) at ``x``.

    NumPy's Horner loop ``y = y * x + c`` over OOArrays: a chain of ufunc nodes that fusion
    evaluates in one pass per chunk, with NumPy's dtypes and special values.

    Parameters
    ----------
    p : array_like or poly1d
        Coefficients; an OOArray ``p`` is small, and is computed.
    x : array_like or OOArray
        Any size.

    Returns
    -------
    OOArray
        Of the dtype NumPy gives (``x``'s promoted with ``p``'s).

    Raises
    ------
    BudgetError
        If an OOArray ``p`` is over a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polyval([3, 0, 1], oa.asarray(np.array([1.0, 2.0]))).tolist()
    [4.0, 13.0]
    """
    p = np.asarray(_small(p, "numpy.polyval's coefficients p"))
    if not isinstance(x, OOArray):
        return _wrap(np.polyval(p, x))
    y = zeros(x.shape, x.dtype, chunks=x.chunks)
    for coefficient in p:
        y = y * x + coefficient
    return y


# -- polyfit --------------------------------------------------------------------------------
def _check_fit(x: OOArray, y: OOArray, deg: Any) -> None:
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")


def _weighted(lhs: OOArray, rhs: OOArray, w: Any) -> tuple[OOArray, OOArray]:
    w = _array(w) + 0.0
    if w.ndim != 1:
        raise TypeError("expected a 1-d array for weights")
    if w.shape[0] != rhs.shape[0]:
        raise TypeError("expected w and y to have the same length")
    lhs *= w[:, None]
    if rhs.ndim == 2:
        rhs *= w[:, None]
    else:
        rhs *= w
    return lhs, rhs


def _covariance(lhs: OOArray, scale: OOArray, resids: OOArray, cov: Any, points: int,
                order: int, two_d: bool) -> OOArray:
    """NumPy's covariance of the fit, from the small ``order`` x ``order`` normal matrix."""
    normal = _small(lhs.T @ lhs, "numpy.polyfit's normal matrix")
    scale_values = _small(scale, "numpy.polyfit's column scales")
    base = np.linalg.inv(normal)
    base /= np.outer(scale_values, scale_values)
    if cov == "unscaled":
        factor: Any = 1
    else:
        if points <= order:
            raise ValueError("the number of data points must exceed order "
                             "to scale the covariance matrix")
        factor = _small(resids, "numpy.polyfit's residuals") / (points - order)
    return asarray(base[:, :, np.newaxis] * factor if two_d else base * factor)


@implements(np.polyfit)
def polyfit(x: Any, y: Any, deg: int, rcond: float | None = None, full: bool = False,
            w: Any = None, cov: bool | str = False) -> Any:
    """Least-squares polynomial fit, as ``np.polyfit``, through out-of-core ``lstsq``.

    NumPy's algorithm on OOArrays: the Vandermonde matrix of ``x`` (weighted by ``w``), its
    columns scaled to unit norm, solved by ``np.linalg.lstsq`` (TSQR for ``len(x) > deg``).
    The small R factor is computed at the call (for the rank); the coefficients lazily.

    Parameters
    ----------
    x : array_like, (M,)
    y : array_like, (M,) or (M, K)
    deg : int
    rcond : float, optional
        Default ``len(x) * eps``.
    full : bool
        Also return residuals, rank, singular values and ``rcond``.
    w : array_like, (M,), optional
        Weights applied to the unsquared residuals.
    cov : bool or 'unscaled'
        Also return the covariance matrix of the coefficients (computed now: it is small).

    Returns
    -------
    p : OOArray, (deg + 1,) or (deg + 1, K)
    residuals, rank, singular_values, rcond
        With ``full=True``: OOArray, int32, OOArray, float.
    V : OOArray, (deg + 1, deg + 1) or (deg + 1, deg + 1, K)
        With ``cov``.

    Raises
    ------
    ValueError, TypeError
        NumPy's, for a negative ``deg`` and ill-shaped ``x``, ``y`` or ``w``.

    Warns
    -----
    numpy.exceptions.RankWarning
        If the Vandermonde matrix is rank deficient (and not ``full``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.arange(6.0), chunks=2)
    >>> np.polyfit(x, 2 * x ** 2 - 1, 2).compute().round(8).tolist()
    [2.0, 0.0, -1.0]
    """
    order = int(deg) + 1
    x, y = _array(x) + 0.0, _array(y) + 0.0
    _check_fit(x, y, deg)
    if rcond is None:
        rcond = len(x) * np.finfo(x.dtype).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        lhs, rhs = _weighted(lhs, rhs, w)
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    c, resids, rank, s = np.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=2)
    if full:
        return c, resids, rank, s, rcond
    if cov:
        return c, _covariance(lhs, scale, resids, cov, len(x), order, y.ndim == 2)
    return c


# -- arithmetic of coefficient arrays -------------------------------------------------------
def _on_coefficients(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func`` of NumPy on the computed (small) coefficient arrays, as an OOArray."""
    name = f"numpy.{func.__name__}'s coefficient arrays"
    values = [_small(a, name) for a in args]
    options = {k: _small(v, name) for k, v in kwargs.items()}
    return _wrap(func(*values, **options))


@implements(np.polyadd)
def polyadd(a1: Any, a2: Any) -> Any:
    """The sum of two polynomials, as ``np.polyadd``.

    Coefficient arrays are small: OOArrays are computed (BudgetError over a quarter of
    ``memory_limit``) and NumPy adds them; the result is an in-memory OOArray.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polyadd(oa.asarray(np.array([1, 2])), [1, 0, 0]).tolist()
    [1, 1, 2]
    """
    return _on_coefficients(np.polyadd, a1, a2)


@implements(np.polysub)
def polysub(a1: Any, a2: Any) -> Any:
    """The difference of two polynomials, as ``np.polysub`` (computed: see :func:`polyadd`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polysub(oa.asarray(np.array([1, 2])), [1, 0, 0]).tolist()
    [-1, 1, 2]
    """
    return _on_coefficients(np.polysub, a1, a2)


@implements(np.polymul)
def polymul(a1: Any, a2: Any) -> Any:
    """The product of two polynomials, as ``np.polymul`` (computed: see :func:`polyadd`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polymul(oa.asarray(np.array([1, 1])), [1, -1]).tolist()
    [1, 0, -1]
    """
    return _on_coefficients(np.polymul, a1, a2)


@implements(np.polyder)
def polyder(p: Any, m: int = 1) -> Any:
    """The ``m``-th derivative of a polynomial, as ``np.polyder`` (computed: see
    :func:`polyadd`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polyder(oa.asarray(np.array([1, 1, 1]))).tolist()
    [2, 1]
    """
    return _on_coefficients(np.polyder, p, m)


@implements(np.polydiv)
def polydiv(u: Any, v: Any) -> tuple[Any, Any]:
    """The quotient and remainder of two polynomials, as ``np.polydiv``.

    Coefficient arrays are small: OOArrays are computed (BudgetError over a quarter of
    ``memory_limit``) and NumPy divides them; the results are in-memory OOArrays.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> q, r = np.polydiv(oa.asarray(np.array([1.0, 3, 2])), [1.0, 1])
    >>> q.tolist(), r.tolist()
    ([1.0, 2.0], [0.0])
    """
    name = "numpy.polydiv's coefficient arrays"
    quotient, remainder = np.polydiv(_small(u, name), _small(v, name))
    return _wrap(quotient), _wrap(remainder)


@implements(np.poly)
def poly(seq_of_zeros: Any) -> Any:
    """The coefficients of the polynomial with the given roots (or of a square matrix's
    characteristic polynomial), as ``np.poly``; the (small) input is computed.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.poly(oa.asarray(np.array([1.0, 2.0]))).tolist()
    [1.0, -3.0, 2.0]
    """
    return _on_coefficients(np.poly, seq_of_zeros)


@implements(np.roots)
def roots(p: Any) -> Any:
    """The roots of the polynomial with coefficients ``p``, as ``np.roots``; the (small)
    coefficients are computed.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> sorted(np.roots(oa.asarray(np.array([1.0, -3.0, 2.0]))).tolist())
    [1.0, 2.0]
    """
    return _on_coefficients(np.roots, p)


@implements(np.polyint)
def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """The ``m``-th antiderivative of a polynomial (constants ``k``), as ``np.polyint``
    (computed: see :func:`polyadd`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.polyint(oa.asarray(np.array([3.0, 2.0, 1.0]))).tolist()
    [1.0, 1.0, 1.0, 0.0]
    """
    return _on_coefficients(np.polyint, p, m, k)


# -- numpy.polynomial.polynomial: polyval2d and polygrid2d -----------------------------------
_INTEGER_CHARS = "?bBhHiIlLqQpP"  # coefficients NumPy turns into floats


def _power_series(x: Any, c: Any, tensor: bool = True) -> Any:
    """``numpy.polynomial.polynomial.polyval``, step for step, for OOArray ``x`` or ``c``.

    NumPy's own function treats an object that is not an ndarray as a scalar (no tensor
    reshape), so it is not called on OOArrays; this is its code, with OOArrays counted as
    arrays. The first call gets NumPy's coefficients (small, in memory); the next ones the
    lazy result of the previous variable.
    """
    if isinstance(c, OOArray):
        c = c.reshape(1) if c.ndim == 0 else c
    else:
        c = np.array(c, ndmin=1, copy=None)
    if c.dtype.char in _INTEGER_CHARS:
        c = c + 0.0
    if isinstance(x, (tuple, list)):
        x = np.asarray(x)
    if isinstance(x, (np.ndarray, OOArray)) and tensor:
        c = c.reshape(c.shape + (1,) * x.ndim)
    c0 = c[-1] + x * 0
    for i in range(2, len(c) + 1):
        c0 = c[-i] + c0 * x
    return c0


def _coefficients(c: Any, name: str) -> np.ndarray:
    return np.asarray(_small(c, f"numpy.polynomial.polynomial.{name}'s coefficients c"))


@implements(np.polynomial.polynomial.polyval2d)
def polyval2d(x: Any, y: Any, c: Any) -> Any:
    """Evaluate the 2-D power series ``sum c[i, j] x**i y**j`` at the points ``(x, y)``, as
    ``numpy.polynomial.polynomial.polyval2d``, elementwise out of core.

    NumPy's algorithm on OOArrays: Horner's scheme in ``x`` for every column of ``c``, then
    in ``y`` over those: a chain of ufunc nodes that fusion evaluates per chunk, with NumPy's
    dtypes (integer coefficients become floats) and special values.

    Parameters
    ----------
    x, y : array_like or OOArray
        Of one shape (any size).
    c : array_like
        Coefficients, ``c[i, j]`` of ``x**i y**j`` (small; an OOArray one is computed);
        more dimensions lead the result's.

    Returns
    -------
    OOArray
        Of shape ``c.shape[2:] + x.shape``.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` have different shapes, as NumPy.
    BudgetError
        If an OOArray ``c`` is over a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([1.0, 2.0, 3.0]), chunks=2)
    >>> np.polynomial.polynomial.polyval2d(x, x + 1, [[1, 2], [3, 4]]).tolist()
    [16.0, 37.0, 66.0]
    """
    c = _coefficients(c, "polyval2d")
    x, y = (v if isinstance(v, OOArray) else np.asanyarray(v) for v in (x, y))
    if x.shape != y.shape:
        raise ValueError("x, y are incompatible")
    if not isinstance(x, OOArray) and not isinstance(y, OOArray):
        return _wrap(np.polynomial.polynomial.polyval2d(x, y, c))
    return _power_series(y, _power_series(x, c), tensor=False)


@implements(np.polynomial.polynomial.polygrid2d)
def polygrid2d(x: Any, y: Any, c: Any) -> Any:
    """Evaluate the 2-D power series on the Cartesian product of ``x`` and ``y``, as
    ``numpy.polynomial.polynomial.polygrid2d``, elementwise out of core.

    NumPy's algorithm on OOArrays (see :func:`polyval2d`): the result broadcasts ``x``
    against ``y``, so it is chunked as an outer product, each chunk within the budget.

    Parameters
    ----------
    x, y : array_like or OOArray
        Any shapes.
    c : array_like
        Coefficients, ``c[i, j]`` of ``x**i y**j`` (small; an OOArray one is computed).

    Returns
    -------
    OOArray
        Of shape ``c.shape[2:] + x.shape + y.shape``.

    Raises
    ------
    BudgetError
        If an OOArray ``c`` is over a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([1.0, 2.0]))
    >>> np.polynomial.polynomial.polygrid2d(x, [0.0, 1.0, 2.0], [[1, 2], [3, 4]]).tolist()
    [[4.0, 10.0, 16.0], [7.0, 17.0, 27.0]]
    """
    c = _coefficients(c, "polygrid2d")
    if not isinstance(x, OOArray) and not isinstance(y, OOArray):
        return _wrap(np.polynomial.polynomial.polygrid2d(x, y, c))
    return _power_series(y, _power_series(x, c))


# -- piecewise ------------------------------------------------------------------------------
def _condition_list(condlist: Any, ndim: int) -> list[Any]:
    """NumPy's reading of ``condlist``: a single condition becomes a list of one."""
    if isinstance(condlist, OOArray):
        return [condlist[i] for i in range(len(condlist))] if condlist.ndim >= 2 else [condlist]
    if np.isscalar(condlist) or (
            not isinstance(condlist[0], (list, np.ndarray, OOArray)) and ndim != 0):
        return [condlist]
    return list(condlist)


def _condition_nodes(conditions: list[Any], shape: tuple[int, ...]) -> list[Any]:
    operands = [as_operand(c) for c in conditions]
    shapes = {c.shape if isinstance(c, Node) else np.shape(c) for c in operands}
    if len(shapes) > 1:
        raise ValueError(f"the conditions of piecewise have different shapes {sorted(shapes)}")
    if shapes and shapes != {shape}:
        raise IndexError(f"boolean index did not match indexed array: the conditions have "
                         f"shape {shapes.pop()}, x has shape {shape}")
    return [OOArray(c).astype(bool).node if isinstance(c, Node)
            else np.asarray(c, dtype=bool) for c in operands]


def _check_values(funclist: Sequence[Any], dtype: np.dtype) -> None:
    """The scalar values of ``funclist`` convert to ``x``'s dtype as NumPy's assignment."""
    probe = np.zeros(1, dtype)
    for func in funclist:
        if callable(func):
            continue
        if np.ndim(func) != 0:
            raise TypeError(f"numpy.piecewise over OOArrays takes callables and scalars in "
                            f"funclist; got an array of shape {np.shape(func)}")
        probe[np.ones(1, bool)] = func


def _elementwise(func: Any, args: tuple, kw: dict[str, Any]) -> bool:
    """Whether ``func(values, *args, **kw)`` is elementwise by construction: a scalar, or a
    ufunc or an ``np.vectorize`` (without a signature) with scalar extra arguments."""
    if not callable(func):
        return True
    if not (isinstance(func, np.ufunc) or
            (isinstance(func, np.vectorize) and func.signature is None)):
        return False
    return all(np.ndim(v) == 0 and not isinstance(v, OOArray)
               for v in (*args, *kw.values()))


def _as_condition(condition: Any) -> OOArray:
    return OOArray(condition) if isinstance(condition, Node) else asarray(condition)


@implements(np.piecewise)
def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any,
              **kw: Any) -> OOArray:
    """Evaluate a piecewise-defined function, as ``np.piecewise``, out of core.

    Two ways, both giving NumPy's answer:

    * a general callable is called as NumPy calls it: once per condition whose selection
      is not empty, on the whole selection ``x[cond]`` (a 1-D OOArray, counted first), and
      its result is assigned to ``y[cond]``. So a function that is not elementwise (a mean
      of the selection, a cumulative sum, a sort, a value of the selection's length) gets
      NumPy's values; a function written with NumPy operations stays out of core, one that
      needs an ndarray (``np.asarray(v)``) computes the selection in memory (BudgetError
      when it does not fit). Each condition costs a counting pass at the call, then a
      gather and a scatter.
    * when every entry of ``funclist`` is a scalar, a NumPy ufunc or an ``np.vectorize``
      without a signature (elementwise by construction, with scalar ``args``/``kw``), one
      kernel pass applies them chunk by chunk to each chunk's selected elements.

    Parameters
    ----------
    x : array_like
    condlist : list of bool arrays (or one)
        Each of ``x``'s shape; where several hold, the last wins.
    funclist : list of callables and scalars
        One per condition, plus optionally one for where no condition holds. A callable is
        called with the selection, ``*args`` and ``**kw``; a scalar is assigned.

    Returns
    -------
    OOArray
        Of ``x``'s dtype; zero where no condition holds and no "otherwise" is given.

    Raises
    ------
    ValueError
        If ``funclist`` has neither as many entries as conditions nor one more.
    IndexError
        If a condition's shape is not ``x``'s.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.linspace(-2.0, 2.0, 5), chunks=2)
    >>> np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2]).tolist()
    [2.0, 1.0, 0.0, 1.0, 4.0]
    >>> np.piecewise(x, [x < 0], [lambda v: v - v.mean(), np.sqrt]).tolist()
    [-0.5, 0.5, 0.0, 1.0, 1.4142135623730951]
    """
    x = _array(x)
    conditions = _condition_list(condlist, x.ndim)
    count, functions = len(conditions), len(funclist)
    if count not in (functions, functions - 1):
        raise ValueError(f"with {count} condition(s), either {count} or {count + 1} "
                         f"functions are expected")
    nodes = _condition_nodes(conditions, x.shape)
    _check_values(funclist, x.dtype)
    if all(_elementwise(func, args, kw) for func in funclist):
        operands = [x.node] + nodes
        chunks = output_chunks(x.shape, [op for op in operands if isinstance(op, Node)],
                               [x.dtype])
        return OOArray(PiecewiseNode(
            piecewise_kernel, operands, [x.dtype], shape=x.shape, chunks=chunks,
            kwargs={"funcs": list(funclist), "otherwise": count == functions - 1,
                    "args": tuple(args), "kw": dict(kw)}))
    masks = [_as_condition(c) for c in nodes]
    if count == functions - 1:  # NumPy's "otherwise": where no condition holds
        held = None
        for mask in masks:
            held = mask if held is None else held | mask
        masks.append(~held if held is not None else
                     asarray(np.ones(x.shape, bool), chunks=x.chunks))
    y = zeros(x.shape, x.dtype, chunks=x.chunks)
    for mask, func in zip(masks, funclist, strict=True):
        if not callable(func):
            y[mask] = func
            continue
        values = x[mask]  # counted now: its length is known
        if values.size > 0:
            y[mask] = func(values, *args, **kw)
    return y


# -- apply_along_axis and apply_over_axes -----------------------------------------------------
def _lane_grid(array: OOArray, axis: int, per_lane: int) -> OOArray:
    """``array``, rechunked if a block of its lanes (whole along ``axis``) is over the
    task's share; a single lane over it is refused."""
    limit = _config.get().memory_limit
    allowed = limit * LANE_SHARE
    if per_lane > allowed:
        raise BudgetError(
            f"numpy.apply_along_axis along axis {axis}: one lane of {array.shape[axis]} "
            f"elements and its result take {format_bytes(per_lane)}, more than one task "
            f"holds ({format_bytes(int(allowed))}) under memory_limit={format_bytes(limit)}; "
            f"raise memory_limit or apply the function along a shorter axis",
            needed=int(per_lane / LANE_SHARE), limit=limit)
    lanes = math.prod(max(c, default=0) for i, c in enumerate(array.chunks) if i != axis)
    if lanes * per_lane <= allowed:
        return array
    lane_bytes = max(1, array.shape[axis] * array.itemsize)
    target = max(lane_bytes, int(allowed // max(per_lane, 1)) * lane_bytes)
    fixed = tuple(-1 if i == axis else "auto" for i in range(array.ndim))
    return array.rechunk(normalize_chunks(fixed, array.shape, array.itemsize, target))


@implements(np.apply_along_axis)
def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> OOArray:
    """Apply ``func1d`` to every 1-D slice along ``axis``, as ``np.apply_along_axis``.

    The first lane is read and ``func1d`` called on it at once: its result's shape and dtype
    make the output's (NumPy's rule). Then each task reads a block of whole lanes and calls
    ``func1d`` on each; results of other lanes are cast to the first one's dtype.

    Parameters
    ----------
    func1d : callable
        ``func1d(lane, *args, **kwargs)`` -> scalar or array (of one shape for every lane).
    axis : int
    arr : OOArray
    *args, **kwargs
        Passed to ``func1d``.

    Returns
    -------
    OOArray
        ``arr.shape[:axis] + result.shape + arr.shape[axis + 1:]``.

    Raises
    ------
    numpy.exceptions.AxisError
        If ``axis`` is out of range.
    ValueError
        If an iteration dimension is 0, as NumPy.
    BudgetError
        If one lane and its result are over ``LANE_SHARE`` of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6).reshape(2, 3), chunks=1)
    >>> np.apply_along_axis(np.sum, 1, a).tolist()
    [3, 12]
    >>> np.apply_along_axis(lambda v: v[::-1], 0, a).tolist()
    [[3, 4, 5], [0, 1, 2]]
    """
    array = _array(arr)
    axis = normalize_axis_index(axis, array.ndim)
    loop_shape = array.shape[:axis] + array.shape[axis + 1:]
    if any(n == 0 for n in loop_shape):
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    lane_bytes = array.shape[axis] * array.itemsize
    _lane_grid(array, axis, lane_bytes)  # a lane too long is refused before it is read
    first = tuple(slice(None) if i == axis else 0 for i in range(array.ndim))
    result = np.asanyarray(func1d(array[first].compute(), *args, **kwargs))
    check_dtype(result.dtype)
    array = _lane_grid(array, axis, lane_bytes + result.nbytes)
    loop_chunks = tuple(c for i, c in enumerate(array.chunks) if i != axis)
    node = LaneApplyNode(array.node, axis, func1d, args, kwargs, result.shape, result.dtype,
                         loop_chunks)
    loops, extra = len(loop_shape), result.ndim
    order = (list(range(axis)) + list(range(loops, loops + extra))
             + list(range(axis, loops)))
    applied = OOArray(node)
    return applied if order == sorted(order) else applied.transpose(order)


@implements(np.apply_over_axes)
def apply_over_axes(func: Callable[..., Any], a: Any, axes: Any) -> OOArray:
    """Apply ``func(a, axis)`` repeatedly over ``axes``, as ``np.apply_over_axes``.

    ``func`` receives the OOArray, so an out-of-core function (``np.sum``, ``np.mean``)
    keeps the whole computation out of core.

    Raises
    ------
    ValueError
        If ``func`` returns neither ``a``'s number of dimensions nor one fewer.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(24).reshape(2, 3, 4), chunks=2)
    >>> np.apply_over_axes(np.sum, a, [0, 2]).tolist()
    [[[60], [92], [124]]]
    """
    value = _array(a)
    ndim = value.ndim
    if np.array(axes).ndim == 0:
        axes = (axes,)
    for axis in axes:
        if axis < 0:
            axis = ndim + axis
        result = _array(func(value, axis))
        if result.ndim != value.ndim:
            result = np.expand_dims(result, axis)
            if result.ndim != value.ndim:
                raise ValueError("function is not returning an array of the correct shape")
        value = result
    return value
