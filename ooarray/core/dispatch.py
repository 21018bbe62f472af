"""NEP 13 / NEP 18 dispatch: the registries that ``ops`` modules fill.

``@implements(np.concatenate)`` above a function in its family's module registers it for
``__array_function__``; ``@implements_ufunc_method("reduce")`` registers the handler of a ufunc
method for ``__array_ufunc__``. This module imports no ``ops`` module: ``ooarray/__init__.py``
imports them all, and their decorators fill the tables.

A function (or ufunc method) with no registration falls back to NumPy in memory when its
OOArray inputs and an estimate of its result fit ``memory_limit``
(:mod:`ooarray.interop.fallback`, with an ``InMemoryFallbackWarning``); otherwise it raises a
TypeError naming it, the sizes and what to do. ``ufunc.at`` (in place) never falls back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ooarray.core import eager

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
    from ooarray.interop.fallback import function_name

    return function_name(func)


def array_function(func: Callable[..., Any], types: tuple[type, ...], args: tuple,
                   kwargs: dict[str, Any]) -> Any:
    """``__array_function__``: run ooarray's version of ``func`` or say it has none."""
    from ooarray.core.array import OOArray

    if not all(issubclass(t, (OOArray, np.ndarray)) or t is object for t in types):
        return NotImplemented
    done = eager.function(func, args, kwargs)
    if done is not eager.NOT_EAGER:
        return done
    implementation = HANDLED_FUNCTIONS.get(func)
    if implementation is None:
        from ooarray.interop.fallback import call_in_memory

        return call_in_memory(func, _name(func), args, kwargs)
    return implementation(*args, **kwargs)


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """``__array_ufunc__``: run the handler of ``ufunc.method`` or say it has none."""
    done = eager.ufunc(ufunc, method, inputs, kwargs)
    if done is not eager.NOT_EAGER:
        return done
    handler = UFUNC_METHODS.get(method)
    if handler is None:
        name = f"numpy.{ufunc.__name__}.{method}"
        if method == "at":  # in place: an OOArray is never modified
            raise TypeError(f"{name} is not supported by ooarray (OOArrays are not modified "
                            f"in place); supported ufunc methods: {sorted(UFUNC_METHODS)}")
        from ooarray.interop.fallback import call_in_memory

        return call_in_memory(getattr(ufunc, method), name, inputs, kwargs)
    return handler(ufunc, *inputs, **kwargs)
