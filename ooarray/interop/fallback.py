"""In-memory fallback for NumPy functions ooarray does not implement out of core.

When a NumPy function (or ufunc method) has no out-of-core implementation, ooarray may still
run it the way NumPy would, *in memory*, if that is safe: the OOArray inputs are computed, the
NumPy function is called on the ndarrays, and array results are wrapped back into OOArrays.
It is safe when the inputs plus an estimate of the result fit ``memory_limit``; the estimate is
deliberately generous (:data:`RESULT_FACTOR` arrays of 16-byte elements of the inputs' total
size, or an exact size for the functions whose result grows with an argument: ``kron``,
``tile``, ``pad``...). Otherwise the call raises the TypeError that names the function, the
sizes and what to do. Before NumPy runs, the buffer pool gives its free buffers back to the
system, so the computed inputs and the result are what the process holds. Every fallback emits
an :class:`InMemoryFallbackWarning` and is counted in :data:`FALLBACK_CALLS`: it is not
out-of-core support, and ``supported_functions()`` does not list it.
"""

from __future__ import annotations

import collections
import math
import operator
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core import dispatch
from ooarray.core.array import SUPPORTED_KINDS, OOArray
from ooarray.core.dispatch import function_name
from ooarray.errors import BudgetError, format_bytes
from ooarray.execute.local import pool
from ooarray.ops._operands import constant_node

__all__ = ["InMemoryFallbackWarning", "FALLBACK_CALLS", "RESULT_FACTOR", "call_in_memory",
           "estimate_result_bytes", "function_name"]

#: The fallback assumes a result of this many arrays the size of all inputs together ...
RESULT_FACTOR = 2
#: ... of elements this wide (complex128), unless the function has an estimator below.
RESULT_ITEMSIZE = 16
#: How many times each function fell back, by name (``'numpy.unwrap'``).
FALLBACK_CALLS: collections.Counter[str] = collections.Counter()


class InMemoryFallbackWarning(UserWarning):
    """A NumPy function ran in memory on computed OOArrays (its inputs fit the budget)."""


def _ooarrays(value: Any, found: dict[int, Any]) -> None:
    if isinstance(value, OOArray):
        found[id(value)] = value
    elif isinstance(value, (list, tuple)):
        for item in value:
            _ooarrays(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _ooarrays(item, found)


def _computed(value: Any, cache: dict[int, np.ndarray]) -> Any:
    if isinstance(value, OOArray):
        if id(value) not in cache:
            cache[id(value)] = value.compute()
        return cache[id(value)]
    if isinstance(value, list):
        return [_computed(item, cache) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_computed(item, cache) for item in value)
    if isinstance(value, dict):
        return {key: _computed(item, cache) for key, item in value.items()}
    return value


def _wrap(value: Any) -> Any:
    """Wrap ndarrays and NumPy scalars of the dtypes ooarray holds back into OOArrays."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in SUPPORTED_KINDS \
            and value.dtype.fields is None:
        return OOArray(constant_node(np.asarray(value)))
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # NumPy's named results
        return type(value)(*(_wrap(item) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(item) for item in value)
    return value


def _size(shape: Any) -> int:
    if isinstance(shape, (int, np.integer)):
        return operator.index(shape)
    return math.prod(operator.index(n) for n in shape)


def _arg(args: tuple, kwargs: dict, position: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _padded(args: tuple, kwargs: dict) -> int:
    a, width = args[0], np.asarray(_arg(args, kwargs, 1, "pad_width", 0))
    widths = np.broadcast_to(width, (np.ndim(a), 2)) if width.ndim < 2 else width
    return math.prod(n + int(lo) + int(hi) for n, (lo, hi) in zip(np.shape(a), widths, strict=True))


def _tiled(args: tuple, kwargs: dict) -> int:
    reps = np.atleast_1d(_arg(args, kwargs, 1, "reps", 1))
    return np.size(args[0]) * _size(tuple(int(r) for r in reps))


def _repeated(args: tuple, kwargs: dict) -> int:
    repeats = np.asarray(_arg(args, kwargs, 1, "repeats", 1))
    if _arg(args, kwargs, 2, "axis") is None or repeats.ndim == 0:
        return int(np.size(args[0]) * (int(repeats.max(initial=0)) if repeats.size else 0))
    return int(np.size(args[0]) * int(repeats.max(initial=0)))


#: Result sizes (in elements) of the functions whose result grows with a scalar argument.
_ELEMENTS: dict[str, Callable[[tuple, dict], int]] = {
    "numpy.kron": lambda args, kwargs: np.size(args[0]) * np.size(args[1]),
    "numpy.tile": _tiled,
    "numpy.resize": lambda args, kwargs: _size(_arg(args, kwargs, 1, "new_shape", 0)),
    "numpy.pad": _padded,
    "numpy.repeat": _repeated,
    "numpy.broadcast_to": lambda args, kwargs: _size(_arg(args, kwargs, 1, "shape", 0)),
    "numpy.meshgrid": lambda args, kwargs: len(args) * math.prod(np.size(x) for x in args),
    "numpy.broadcast_arrays": lambda args, kwargs: len(args) * math.prod(
        np.broadcast_shapes(*(np.shape(x) for x in args))),
}


#: Functions that write into their first argument: an OOArray there is never modified.
IN_PLACE = frozenset({"numpy.copyto", "numpy.place", "numpy.put", "numpy.putmask",
                      "numpy.fill_diagonal", "numpy.put_along_axis"})


def estimate_result_bytes(name: str, args: tuple, kwargs: dict, input_elements: int) -> int:
    """Return a generous estimate of the bytes a function's result takes.

    Examples
    --------
    >>> estimate_result_bytes("numpy.unwrap", (), {}, 1000)
    32000
    >>> estimate_result_bytes("numpy.tile", (np.ones(10), 100), {}, 10)
    32000
    """
    estimator = _ELEMENTS.get(name)
    if estimator is not None:
        try:
            elements = max(int(estimator(args, kwargs)), input_elements)
        except Exception:  # noqa: BLE001 -- malformed arguments: let NumPy raise its error
            elements = input_elements
        return RESULT_FACTOR * RESULT_ITEMSIZE * elements
    return RESULT_FACTOR * RESULT_ITEMSIZE * input_elements


def call_in_memory(func: Callable[..., Any], name: str, args: tuple,
                   kwargs: dict[str, Any]) -> Any:
    """Run ``func(*args, **kwargs)`` on computed OOArrays if that fits the memory budget.

    Raises
    ------
    TypeError
        If the OOArray inputs and the estimated result do not fit ``memory_limit``, or if an
        OOArray is passed as ``out=`` (a fallback cannot write into it).
    """
    if name in IN_PLACE and args and isinstance(args[0], OOArray):
        raise TypeError(f"{name} writes into its first argument, and an OOArray is not modified "
                        f"in place; build the new array with np.where(mask, values, a)")
    found: dict[int, Any] = {}
    _ooarrays((args, kwargs), found)
    out = kwargs.get("out")
    if out is not None and any(id(a) in found for a in
                               (out if isinstance(out, tuple) else (out,))):
        raise TypeError(f"{name} is not supported by ooarray out of core yet, and cannot fall "
                        f"back to NumPy with an OOArray out=; drop out= and use the result")
    limit = _config.get().memory_limit
    inputs = sum(a.nbytes for a in found.values())
    result = estimate_result_bytes(name, args, kwargs, sum(a.size for a in found.values()))
    if inputs + result > limit:
        raise TypeError(
            f"{name} is not supported by ooarray out of core yet, and its OOArray inputs "
            f"({format_bytes(inputs)}) with its estimated result ({format_bytes(result)}) do "
            f"not fit memory_limit={format_bytes(limit)} for an in-memory fallback; see "
            f"ooarray.supported_functions() for what runs out of core, call it on slices "
            f"small enough, or raise memory_limit if the machine has the memory")
    cache: dict[int, np.ndarray] = {}
    try:
        args, kwargs = _computed(args, cache), _computed(kwargs, cache)
    except BudgetError as error:  # an input's plan needs more than the budget
        raise TypeError(f"{name} is not supported by ooarray out of core yet, and its inputs "
                        f"cannot be computed for an in-memory fallback: {error}") from error
    # The pool keeps its buffers for the next computation; give them back first, so that
    # the inputs and NumPy's result are what the process holds, within memory_limit.
    pool().release_memory()
    FALLBACK_CALLS[name] += 1
    warnings.warn(f"{name} ran in memory with NumPy on {format_bytes(inputs)} of computed "
                  f"OOArrays (an in-memory fallback, not out of core)",
                  InMemoryFallbackWarning, stacklevel=4)
    return _wrap(func(*args, **kwargs))


dispatch.use_fallback(call_in_memory)
