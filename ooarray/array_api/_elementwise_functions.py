"""Elementwise functions: each is the NumPy ufunc of the same meaning, applied lazily.

NumPy's promotion (NEP 50) agrees with the standard's wherever the standard defines one;
where it leaves mixed kinds undefined, NumPy's answer is given. Integer inputs of ``ceil``,
``floor``, ``trunc`` and ``round`` come back unchanged, in their own dtype, as the standard asks.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ooarray.array_api._helpers import as_array, as_operand
from ooarray.core.array import OOArray

__all__: list[str] = []

#: The standard's unary names and NumPy's ufuncs.
_UNARY = {
    "abs": np.absolute, "acos": np.arccos, "acosh": np.arccosh, "asin": np.arcsin,
    "asinh": np.arcsinh, "atan": np.arctan, "atanh": np.arctanh,
    "bitwise_invert": np.invert, "conj": np.conjugate, "cos": np.cos, "cosh": np.cosh,
    "exp": np.exp, "expm1": np.expm1, "isfinite": np.isfinite, "isinf": np.isinf,
    "isnan": np.isnan, "log": np.log, "log1p": np.log1p, "log2": np.log2, "log10": np.log10,
    "logical_not": np.logical_not, "negative": np.negative, "positive": np.positive,
    "reciprocal": np.reciprocal, "sign": np.sign, "signbit": np.signbit, "sin": np.sin,
    "sinh": np.sinh, "square": np.square, "sqrt": np.sqrt, "tan": np.tan, "tanh": np.tanh,
}
#: Rounding functions: the identity on integers.
_ROUNDING = {"ceil": np.ceil, "floor": np.floor, "trunc": np.trunc}
#: The standard's binary names and NumPy's ufuncs.
_BINARY = {
    "add": np.add, "atan2": np.arctan2, "bitwise_and": np.bitwise_and,
    "bitwise_left_shift": np.left_shift, "bitwise_or": np.bitwise_or,
    "bitwise_right_shift": np.right_shift, "bitwise_xor": np.bitwise_xor,
    "copysign": np.copysign, "divide": np.divide, "equal": np.equal,
    "floor_divide": np.floor_divide, "greater": np.greater, "greater_equal": np.greater_equal,
    "hypot": np.hypot, "less": np.less, "less_equal": np.less_equal,
    "logaddexp": np.logaddexp, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "maximum": np.maximum, "minimum": np.minimum,
    "multiply": np.multiply, "nextafter": np.nextafter, "not_equal": np.not_equal,
    "pow": np.power, "remainder": np.remainder, "subtract": np.subtract,
}


def _unary(name: str, ufunc: np.ufunc):
    def function(x: OOArray, /) -> OOArray:
        return ufunc(as_array(x))

    function.__doc__ = f"Return ``{ufunc.__name__}`` of each element (lazily)."
    return function


def _rounding(name: str, ufunc: np.ufunc):
    def function(x: OOArray, /) -> OOArray:
        x = as_array(x)
        return x if x.dtype.kind in "biu" else ufunc(x)

    function.__doc__ = f"Return ``{ufunc.__name__}`` of each element; integers unchanged."
    return function


def _binary(name: str, ufunc: np.ufunc):
    def function(x1: OOArray | complex, x2: OOArray | complex, /) -> OOArray:
        if not isinstance(x1, (OOArray, np.ndarray)) and not isinstance(x2, (OOArray,
                                                                            np.ndarray)):
            raise TypeError(f"{name} takes at least one array; got "
                            f"{type(x1).__name__} and {type(x2).__name__}")
        return ufunc(as_operand(x1, "x1"), as_operand(x2, "x2"))

    function.__doc__ = f"Return ``{ufunc.__name__}`` of the elements (lazily, broadcast)."
    return function


_module = sys.modules[__name__]
for _table, _make in ((_UNARY, _unary), (_ROUNDING, _rounding), (_BINARY, _binary)):
    for _name, _ufunc in _table.items():
        _function = _make(_name, _ufunc)
        _function.__name__ = _function.__qualname__ = _name
        setattr(_module, _name, _function)
        __all__.append(_name)
del _module, _table, _make, _name, _ufunc, _function


def round(x: OOArray, /) -> OOArray:  # noqa: A001 - the standard's name
    """Round each element to the nearest integer, halves to even; integers unchanged.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.round(xp.asarray([0.5, 1.5, -2.5])).tolist()
    [0.0, 2.0, -2.0]
    """
    x = as_array(x)
    return x if x.dtype.kind in "biu" else np.rint(x)


def real(x: OOArray, /) -> OOArray:
    """Return the real part of each element (of a real array: the array)."""
    x = as_array(x)
    return x.real


def imag(x: OOArray, /) -> OOArray:
    """Return the imaginary part of each element."""
    x = as_array(x)
    return x.imag


def clip(x: OOArray, /, min: Any = None, max: Any = None) -> OOArray:  # noqa: A002
    """Clamp each element to ``[min, max]``; the result keeps ``x``'s dtype.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.clip(xp.asarray([1, 5, 9]), 2, 6).tolist()
    [2, 5, 6]
    """
    x = as_array(x)
    if min is None and max is None:
        return x
    result = np.clip(x, as_operand(min, "min") if min is not None else None,
                     as_operand(max, "max") if max is not None else None)
    return result if result.dtype == x.dtype else result.astype(x.dtype)


__all__ += ["round", "real", "imag", "clip"]
