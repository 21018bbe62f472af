"""NEP 13 / NEP 18 dispatch: the registries that ``ops`` modules fill.

``@implements(np.concatenate)`` above a function in its family's module registers it for
``__array_function__``; ``@implements_ufunc_method("reduce")`` registers the handler of a ufunc
method for ``__array_ufunc__``. This module imports no ``ops`` module: ``ooarray/__init__.py``
imports them all, and their decorators fill the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["HANDLED_FUNCTIONS", "UFUNC_METHODS", "implements", "implements_ufunc_method",
           "array_function", "array_ufunc", "supported_functions"]

HANDLED_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}
UFUNC_METHODS: dict[str, Callable[..., Any]] = {}


def implements(*numpy_functions: Callable[..., Any]) -> Callable[[Callable[..., Any]],
                                                                  Callable[..., Any]]:
    """Register the decorated function as ooarray's version of ``numpy_functions``."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        for numpy_function in numpy_functions:
            HANDLED_FUNCTIONS[numpy_function] = func
        return func
    return register


def implements_ufunc_method(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the handler of ``ufunc.<method>``."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        UFUNC_METHODS[method] = func
        return func
    return register


def supported_functions() -> list[str]:
    """Return the names of the NumPy functions ooarray implements, e.g. ``'numpy.sum'``."""
    return sorted({_name(func) for func in HANDLED_FUNCTIONS})


def _name(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    # NumPy sets public modules (numpy, numpy.linalg, numpy.fft); private ones collapse.
    module = "numpy" if module.startswith("numpy") and "._" in module else module
    return f"{module}.{getattr(func, '__name__', func)}"


def array_function(func: Callable[..., Any], types: tuple[type, ...], args: tuple,
                   kwargs: dict[str, Any]) -> Any:
    """``__array_function__``: run ooarray's version of ``func`` or say it has none."""
    from ooarray.core.array import OOArray

    if not all(issubclass(t, (OOArray, np.ndarray)) or t is object for t in types):
        return NotImplemented
    implementation = HANDLED_FUNCTIONS.get(func)
    if implementation is None:
        raise TypeError(
            f"{_name(func)} is not supported by ooarray out of core yet; "
            f"see ooarray.supported_functions() for what is, or call it on "
            f"np.asarray(x) if the data fits in memory"
        )
    return implementation(*args, **kwargs)


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """``__array_ufunc__``: run the handler of ``ufunc.method`` or say it has none."""
    handler = UFUNC_METHODS.get(method)
    if handler is None:
        raise TypeError(
            f"numpy.{ufunc.__name__}.{method} is not supported by ooarray out of core yet; "
            f"supported ufunc methods: {sorted(UFUNC_METHODS)}"
        )
    return handler(ufunc, *inputs, **kwargs)
