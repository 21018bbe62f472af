"""Eager evaluation: small in-memory work runs at once with NumPy.

A lazy plan pays for planning, scheduling and a pool on every computation: hundreds of
microseconds, where NumPy takes one or two on a thousand elements. Iterative programs (solvers,
time steps, per-row updates) pay it on every step. So an operation whose OOArray operands are
all in memory (:class:`~ooarray.plan.graph.ConstantNode`) and whose operands and result fit in
``eager_bytes`` (at most a sixteenth of ``memory_limit``) is computed now by NumPy itself: its
values, dtypes and errors are NumPy's, and its result is again an in-memory OOArray, so a loop
of small steps never builds a plan. Anything larger, or on stored data, stays lazy.

A result NumPy made is frozen without a copy (nobody else holds it); an ``out=`` OOArray is
rebound to a new buffer, never written in place, since other arrays may share its values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.indexing import is_basic_index
from ooarray.plan.graph import ConstantNode, frozen

__all__ = ["NOT_EAGER", "eager_limit", "ufunc", "function", "wrap", "concrete", "getitem",
           "assigned"]

#: What the functions here return when the operation must be planned lazily.
NOT_EAGER: Any = NotImplemented

#: Functions that write into an argument: the lazy implementations rebind OOArrays instead.
_IN_PLACE = frozenset({np.copyto, np.place, np.putmask, np.put, np.put_along_axis,
                       np.fill_diagonal})
#: Functions whose result can be far larger than their array arguments (repetition, outer
#: products, shapes given as numbers): planned lazily, where a huge result stays out of core.
_EXPANDING = frozenset({
    np.outer, np.kron, np.tile, np.repeat, np.pad, np.broadcast_to, np.broadcast_arrays,
    np.meshgrid, np.einsum, np.tensordot, np.resize, np.diag, np.diagflat, np.vander,
    np.bincount, np.histogram2d, np.histogramdd, np.cov, np.corrcoef, np.ix_,
    np.zeros_like, np.ones_like, np.full_like, np.empty_like, np.linalg.svd,
    np.linalg.qr, np.insert, np.histogram, np.apply_along_axis, np.linspace, np.logspace,
    np.geomspace, np.arange,
})
#: NEP 35 creation functions: NumPy passes ``like=`` to us and not in ``kwargs``; their
#: result's size comes from numbers, so they are planned (zeros of any size take no memory).
_CREATION = frozenset(getattr(np, name) for name in (
    "empty", "zeros", "ones", "full", "arange", "array", "asarray", "asanyarray",
    "ascontiguousarray", "asfortranarray", "require", "eye", "identity", "tri",
    "fromfunction", "fromfile", "frombuffer", "fromiter", "fromstring", "loadtxt",
    "genfromtxt") if hasattr(np, name))
#: NumPy functions the eager path leaves to the planner.
_PLANNED = _IN_PLACE | _EXPANDING | _CREATION
#: FFTs take a length (``n``, ``s``) that can pad a small input to any size.
_FFTS = frozenset(getattr(np.fft, name) for name in (
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
    "fftn", "ifftn", "rfftn", "irfftn"))
#: Bytes per element of a result, at most: its operands' largest itemsize or, for a result
#: of another kind (integers to a float, a comparison of complex values), a float64's.
_RESULT_ITEMSIZE = 8


def _itemsize(args: Any) -> int:
    return max([_RESULT_ITEMSIZE] + [a.itemsize for a in args if isinstance(a, np.ndarray)])


class _Lazy(Exception):
    """An argument that is not a small in-memory array."""


def eager_limit() -> int:
    """Bytes of operands (and of the result) up to which an operation runs at once."""
    settings = _config.get()
    return min(settings.eager_bytes, settings.memory_limit // 16)


def concrete(array: Any) -> np.ndarray | None:
    """The frozen in-memory values of an OOArray, or None if it is planned or stored."""
    node = array._node
    return node.array if type(node) is ConstantNode else None


def wrap(value: Any, given: tuple = ()) -> Any:
    """Turn the arrays NumPy returned into OOArrays, keeping NumPy and Python scalars (as
    NumPy returns them), tuples and lists.

    ``given`` are the ndarrays the call was given: NumPy may return one of them as it is
    (``np.atleast_1d``), and the caller's array is frozen by a copy, never by a flag.
    """
    if isinstance(value, np.ndarray):
        if value.base is None and not any(value is array for array in given):
            value.flags.writeable = False  # NumPy made it for us alone: frozen, no copy
            return _ARRAY_TYPE(ConstantNode.whole(value))
        return _ARRAY_TYPE(ConstantNode.whole(frozen(value)))
    if isinstance(value, np.generic):
        return value  # NumPy's own scalar, as NumPy returns it (``a[i]``, ``a.sum()``)
    if isinstance(value, (tuple, list)):
        return _rebuilt(value, [wrap(v, given) for v in value])
    return value


def _rebuilt(sequence: tuple | list, items: list) -> tuple | list:
    """``sequence``'s type (a named tuple too: ``np.unique_all``) holding ``items``."""
    if hasattr(sequence, "_fields"):
        return type(sequence)(*items)
    return type(sequence)(items)


class _Unwrapper:
    """Replaces OOArrays by their in-memory values, counting the bytes of array arguments."""

    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0
        self.seen: list[np.ndarray] = []  # every array handed to NumPy

    def __call__(self, value: Any) -> Any:
        if isinstance(value, _ARRAY_TYPE):
            array = concrete(value)
            if array is None:
                raise _Lazy
            return self._count(array)
        if isinstance(value, np.ndarray):
            return self._count(value)
        if isinstance(value, (list, tuple)):
            return _rebuilt(value, [self(v) for v in value])
        return value

    def _count(self, array: np.ndarray) -> np.ndarray:
        self.seen.append(array)
        self.total += array.nbytes
        if self.total > self.limit:
            raise _Lazy
        return array


def _result_elements(ufunc_: np.ufunc, method: str, args: list[Any]) -> int | None:
    """Elements of a ufunc's result, or None if not known cheaply."""
    shapes = [a.shape if isinstance(a, np.ndarray) else np.shape(a) for a in args]
    if method == "__call__":
        if ufunc_.signature is None:
            largest = max(shapes, key=len)
            if all(s == largest or s == () for s in shapes):
                return math.prod(largest)
            try:
                return math.prod(np.broadcast_shapes(*shapes))
            except ValueError:
                return 0  # NumPy's call raises its own error: a dtype error comes first
        if ufunc_ is np.matmul and all(len(s) >= 1 for s in shapes):
            a, b = shapes
            try:
                batch = np.broadcast_shapes(a[:-2], b[:-2])
            except ValueError:
                return 0  # as above
            return math.prod(batch) * (a[-2] if len(a) > 1 else 1) * \
                (b[-1] if len(b) > 1 else 1)
        return None
    if method == "outer":
        return math.prod(math.prod(s) for s in shapes)
    if method in ("reduce", "accumulate", "reduceat"):
        return math.prod(shapes[0]) if shapes else None
    return None


_PYTHON_SCALARS = (int, float, bool, complex)


def _call(ufunc_: np.ufunc, inputs: tuple, limit: int, target: Any = None) -> Any:
    """``ufunc(*inputs)`` for the common calls (an elementwise ufunc with no keywords, or with
    one OOArray ``out=``: ``x += y``), at the cost of a few attribute reads per operand; None
    when the general path must decide."""
    if target is not None:
        written = target._node
        if type(written) is not ConstantNode:
            return NOT_EAGER
        if written.array.nbytes > limit:
            return None
    args = []
    total, largest = 0, ()
    for x in inputs:
        kind = type(x)
        if kind in _PYTHON_SCALARS or isinstance(x, np.generic):
            args.append(x)
            continue
        if kind is _ARRAY_TYPE:
            node = x._node
            if type(node) is not ConstantNode:
                return NOT_EAGER
            x = node.array
        elif kind is not np.ndarray:
            return None
        total += x.nbytes
        if x.shape != largest:
            if largest and x.shape:
                return None  # broadcasting: the general path sizes the result
            largest = x.shape if x.shape else largest
        args.append(x)
    if total > limit or math.prod(largest) * _itemsize(args) > limit:
        return NOT_EAGER
    if target is None:
        return wrap(ufunc_(*args))
    buffer = written.array.copy()  # others may share the old values: never written in place
    ufunc_(*args, out=buffer)  # NumPy's casting rule and broadcasting errors
    buffer.setflags(write=False)
    target._node = ConstantNode.whole(buffer)
    return target


#: The array class, set by :mod:`ooarray.core.array` when it is defined (it imports this
#: module, so this module does not import it).
_ARRAY_TYPE: type = type(None)


def use_array_type(array_type: type) -> None:
    """Make ``array_type`` the array class the eager path wraps results in."""
    global _ARRAY_TYPE
    _ARRAY_TYPE = array_type


def ufunc(ufunc_: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """Run ``ufunc.method`` now if its operands are small and in memory, else NOT_EAGER."""
    OOArray = _ARRAY_TYPE  # noqa: N806 (the class, given by core.array: it imports us)
    limit = eager_limit()
    if method == "__call__" and ufunc_.signature is None and limit > 0:
        if not kwargs:
            done = _call(ufunc_, inputs, limit)
        elif len(kwargs) == 1 and type(kwargs.get("out")) is tuple and \
                len(kwargs["out"]) == 1 and type(kwargs["out"][0]) is OOArray:
            done = _call(ufunc_, inputs, limit, kwargs["out"][0])
        else:
            done = None
        if done is not None:
            return done
    if limit <= 0 or method == "at":
        return NOT_EAGER
    out = kwargs.get("out")
    outs = out if isinstance(out, tuple) else (() if out is None else (out,))
    if "where" in kwargs and not outs:  # NumPy leaves the rest uninitialised; lazily: zeros
        return NOT_EAGER
    # A matrix product reads its operands in place: only its result must be small.
    unwrap = _Unwrapper(math.inf if ufunc_ is np.matmul and method == "__call__" else limit)
    try:
        args = [unwrap(x) for x in inputs]
        call = {k: unwrap(v) for k, v in kwargs.items() if k != "out"}
        buffers = []
        for target in outs:
            if isinstance(target, OOArray):
                values = concrete(target)
                if values is None:
                    raise _Lazy
                buffers.append(values.copy())
            else:
                buffers.append(target)
    except _Lazy:
        return NOT_EAGER
    elements = _result_elements(ufunc_, method, args)
    if elements is None or elements * _itemsize(args) > limit:
        return NOT_EAGER
    if outs:
        call["out"] = tuple(buffers) if isinstance(out, tuple) else buffers[0]
    result = getattr(ufunc_, method)(*args, **call)
    if not outs:
        return wrap(result, tuple(unwrap.seen))
    for target, buffer in zip(outs, buffers, strict=True):
        if isinstance(target, OOArray):
            buffer.flags.writeable = False
            target._node = ConstantNode.whole(buffer)
    return outs if isinstance(result, tuple) else outs[0]


def function(func: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Run the NumPy function ``func`` now if its array arguments are small and in memory
    and its result cannot outgrow them, else NOT_EAGER."""
    limit = eager_limit()
    if limit <= 0 or func in _PLANNED or (kwargs and (
            kwargs.get("out") is not None or kwargs.get("like") is not None or
            kwargs.get("copy") is False)) or \
            (func in _FFTS and (len(args) > 1 or "n" in kwargs or "s" in kwargs)):
        return NOT_EAGER
    # Products and reductions read their operands in place and allocate only their result:
    # on in-memory operands of any size they run at once when the result is small.
    reading = func in _PRODUCTS or func in _REDUCTIONS
    unwrap = _Unwrapper(math.inf if reading else limit)
    try:
        call_args = [unwrap(a) for a in args]
        call_kwargs = {k: unwrap(v) for k, v in kwargs.items()}
    except _Lazy:
        return NOT_EAGER
    if reading:
        elements = _function_result_elements(func, call_args, call_kwargs)
        if elements is None or elements * _itemsize(call_args) > limit:
            return NOT_EAGER
    return wrap(func(*call_args, **call_kwargs), tuple(unwrap.seen))


#: Products whose result size follows from their operands' shapes.
_PRODUCTS = frozenset({np.dot, np.inner, np.vdot})
#: Reductions that allocate nothing but their result (no temporary of the input's size,
#: as ``std``, ``var``, ``median`` or ``norm`` make).
_REDUCTIONS = frozenset({np.sum, np.prod, np.max, np.min, np.amax, np.amin, np.any, np.all,
                         np.mean, np.argmax, np.argmin, np.count_nonzero, np.trace})


def _function_result_elements(func: Any, args: list, kwargs: dict) -> int | None:
    """Elements of the result of a product or reduction, or None if not known cheaply."""
    if not args or not isinstance(args[0], np.ndarray):
        return None
    if func in _PRODUCTS:
        if len(args) != 2 or kwargs:
            return None
        a, b = (np.shape(x) for x in args)
        if func is np.vdot:
            return 1
        if not a or not b:
            return math.prod(a or b)
        kept = (b[:-2] + b[-1:] if func is np.dot else b[:-1]) if len(b) > 1 else ()
        return math.prod(a[:-1] + kept)
    shape = args[0].shape
    if func is np.trace:
        return math.prod(shape[2:])
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    if axis is None:
        return 1
    try:
        axes = (axis,) if isinstance(axis, int) else tuple(int(a) for a in axis)
        reduced = math.prod(shape[a] for a in axes)
    except (TypeError, IndexError):
        return None
    return math.prod(shape) // reduced if reduced else 0


def _index_values(index: Any) -> Any:
    """``index`` with in-memory OOArrays replaced by their values; _Lazy for others."""
    array_type = _ARRAY_TYPE
    if type(index) is tuple:
        for item in index:
            if isinstance(item, array_type):
                return tuple(_index_values(item) for item in index)
        return index
    if isinstance(index, array_type):
        values = concrete(index)
        if values is None:
            raise _Lazy
        return values
    return index


def getitem(values: np.ndarray, index: Any, limit: int) -> Any:
    """``values[index]`` now, if ``values`` is small, or if a basic index takes a small
    view of a large array (a row of a matrix in a loop: no copy); else NOT_EAGER."""
    if values.nbytes > limit and not is_basic_index(index):
        return NOT_EAGER
    try:
        index = _index_values(index)
    except _Lazy:
        return NOT_EAGER
    result = values[index]
    if isinstance(result, np.ndarray) and result.nbytes > limit:
        return NOT_EAGER
    return wrap(result)


def assigned(values: np.ndarray, index: Any, value: Any, limit: int,
             alone: bool = False) -> Any:
    """Small ``values`` with ``values[index] = value``, as a frozen array: a copy, or
    ``values`` itself written in place when the caller holds them ``alone`` (nothing else can
    see them); NOT_EAGER if not small and in memory."""
    if not limit or values.nbytes > limit:
        return NOT_EAGER
    try:
        index = _index_values(index)
        if isinstance(value, _ARRAY_TYPE):
            value = concrete(value)
            if value is None:
                raise _Lazy
    except _Lazy:
        return NOT_EAGER
    if alone:
        values.setflags(write=True)
        try:
            values[index] = value
        finally:
            values.setflags(write=False)
        return values
    changed = values.copy()
    changed[index] = value
    changed.flags.writeable = False
    return changed
