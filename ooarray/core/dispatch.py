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


#: What OOArray's own methods hand over to an operation family: ``"getitem"`` (advanced
#: indexing), ``"setitem"`` (assignment), filled by the families' decorators.
ARRAY_METHODS: dict[str, Callable[..., Any]] = {}
#: The Array API namespace ``__array_namespace__`` returns (set by ``ooarray/__init__.py``).
_NAMESPACE: Any = None


def implements_method(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as what OOArray's ``name`` method calls."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        ARRAY_METHODS[name] = func
        return func
    return register


def use_namespace(namespace: Any) -> None:
    """Make ``namespace`` (:mod:`ooarray.array_api`) what ``__array_namespace__`` returns."""
    global _NAMESPACE
    _NAMESPACE = namespace


def namespace() -> Any:
    """The Array API namespace of OOArrays."""
    if _NAMESPACE is None:
        raise RuntimeError("no Array API namespace: import ooarray")
    return _NAMESPACE


def supported_functions() -> list[str]:
    """Return the names of the NumPy functions ooarray implements, e.g. ``'numpy.sum'``."""
    return sorted({function_name(func) for func in HANDLED_FUNCTIONS})


def function_name(func: Callable[..., Any]) -> str:
    """Return ``'numpy.sum'``, ``'numpy.linalg.inv'``, ``'numpy.add.accumulate'``-like names."""
    module = getattr(func, "__module__", None) or "numpy"
    # NumPy sets public modules (numpy, numpy.linalg, numpy.fft); private ones collapse.
    module = "numpy" if module.startswith("numpy") and "._" in module else module
    return f"{module}.{getattr(func, '__name__', func)}"


#: The array class (set by :mod:`ooarray.core.array` when it is defined) and what runs a
#: function ooarray does not implement (set by :mod:`ooarray.interop.fallback`): both are
#: given to this module, which imports neither.
_ARRAY_TYPE: type | None = None
_FALLBACK: Callable[..., Any] | None = None


def use_array_type(array_type: type) -> None:
    """Make ``array_type`` the array class dispatch accepts beside ``np.ndarray``."""
    global _ARRAY_TYPE
    _ARRAY_TYPE = array_type


def use_fallback(call_in_memory: Callable[..., Any]) -> None:
    """Make ``call_in_memory(func, name, args, kwargs)`` what runs a function ooarray does
    not implement."""
    global _FALLBACK
    _FALLBACK = call_in_memory


def _fallback(func: Callable[..., Any], name: str, args: Any, kwargs: dict[str, Any]) -> Any:
    if _FALLBACK is None:
        raise TypeError(f"{name} is not supported by ooarray (no in-memory fallback is "
                        f"installed: import ooarray)")
    return _FALLBACK(func, name, args, kwargs)


def array_function(func: Callable[..., Any], types: tuple[type, ...], args: tuple,
                   kwargs: dict[str, Any]) -> Any:
    """``__array_function__``: run ooarray's version of ``func`` or say it has none."""
    if not all(issubclass(t, (_ARRAY_TYPE, np.ndarray)) or t is object for t in types):
        return NotImplemented
    done = eager.function(func, args, kwargs)
    if done is not eager.NOT_EAGER:
        return done
    implementation = HANDLED_FUNCTIONS.get(func)
    if implementation is None:
        return _fallback(func, function_name(func), args, kwargs)
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
        return _fallback(getattr(ufunc, method), name, inputs, kwargs)
    return handler(ufunc, *inputs, **kwargs)
