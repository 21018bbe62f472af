"""``np.copyto``, ``np.putmask`` and ``np.place``: assignment by function.

As ``a[idx] = value`` (:mod:`ooarray.ops.assignment`), lazy and copy-on-write: an OOArray
destination is rebound to a node with the positions replaced; an ndarray destination is
filled now, in memory. NumPy raises the errors, on one-element stand-ins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.algorithms.assignment import (
    BlockCountNode,
    CyclicNode,
    MaskedFillNode,
    MaskedValuesNode,
)
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops._operands import constant_node
from ooarray.ops.assignment_values import (
    _broadcasts,
    _oo,
    _operand,
    _shape_text,
    _small,
    _strip,
    _value,
)
from ooarray.plan.regions import CastNode

__all__ = ["copyto", "putmask", "place"]

_SCALARS = (bool, int, float, complex, np.generic)


# -- copyto, putmask, place ----------------------------------------------------------------
@implements(np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """Copy values from ``src`` into ``dst`` where ``where`` is true, as ``np.copyto``.

    An OOArray ``dst`` is rebound to the new values (lazily; arrays built from it before
    keep the old ones). An ndarray ``dst`` is filled now: ``src`` is computed, which must fit
    ``memory_limit``.

    Parameters
    ----------
    dst : OOArray or ndarray
    src : array_like or OOArray
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}
    where : bool array_like or OOArray

    Raises
    ------
    TypeError
        If ``src`` cannot be cast by the ``casting`` rule, or ``dst`` is not an array.
    ValueError
        If ``src`` or ``where`` do not broadcast to ``dst``'s shape.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.zeros(4, dtype=int)
    >>> np.copyto(a, [1, 2, 3, 4], where=[True, False, True, False])
    >>> a.compute()
    array([1, 0, 3, 0])
    """
    if not isinstance(dst, (OOArray, np.ndarray)):
        raise TypeError(f"copyto() argument 1 must be a numpy.ndarray, not "
                        f"{type(dst).__name__}")
    if not isinstance(dst, OOArray):
        values = src.compute() if isinstance(src, OOArray) else src
        mask = where.compute() if isinstance(where, OOArray) else where
        np.copyto(dst, values, casting=casting, where=mask)
        return
    src_in = src if isinstance(src, OOArray) else (
        src if isinstance(src, _SCALARS) else np.asarray(src))
    mask = where if isinstance(where, OOArray) or where is True else np.asarray(where, bool) \
        if isinstance(where, (list, tuple, bool)) else np.asarray(where)
    # NumPy's casting errors (and Python-integer overflow), on one-element stand-ins.
    np.copyto(np.empty((1,), dst.dtype), _element(src_in), casting=casting,
              where=True if mask is True else np.zeros((1,), mask.dtype))
    shape = np.shape(src_in) if not isinstance(src_in, OOArray) else src_in.shape
    if not _broadcasts(shape, dst.shape):
        raise ValueError(f"could not broadcast input array from shape {_shape_text(shape)} "
                         f"into shape {_shape_text(dst.shape)}")
    if mask is not True and not _broadcasts(mask.shape, dst.shape):
        raise ValueError(f"could not broadcast where mask from shape "
                         f"{_shape_text(mask.shape)} into shape {_shape_text(dst.shape)}")
    if isinstance(src_in, OOArray):
        value = src_in.node if src_in.dtype == dst.dtype else CastNode(src_in.node, dst.dtype)
    else:
        value = np.empty(np.shape(src_in), dst.dtype)
        np.copyto(value, src_in, casting=casting)
    value = _operand(_strip(value, dst.ndim))
    if mask is True:
        dst._node = MaskedFillNode(dst.node, value)
        return
    mask = _strip(mask.node if isinstance(mask, OOArray) else mask.astype(bool, copy=False),
                  dst.ndim)
    dst._node = MaskedFillNode(dst.node, value, _operand(mask))


def _element(value: Any) -> Any:
    """A one-element stand-in with ``value``'s dtype (a scalar stays itself: NEP 50)."""
    if isinstance(value, _SCALARS):
        return value
    return np.zeros((1,), value.dtype)


def _flat_bool(mask: Any, size: int, what: str) -> Any:
    """``mask`` as booleans (an OOArray, or an ndarray), checked to have ``size`` elements."""
    if isinstance(mask, OOArray):
        if mask.size != size:
            raise ValueError(f"{what}: mask and data must be the same size")
        return mask if mask.dtype == np.bool_ else mask.astype(bool)
    mask = np.asarray(mask)
    if mask.size != size:
        raise ValueError(f"{what}: mask and data must be the same size")
    return mask.astype(bool, copy=False)


def _values_in_memory(values: Any, what: str) -> np.ndarray:
    return _small(values, what) if isinstance(values, OOArray) else np.asarray(values)


@implements(np.putmask)
def putmask(a: Any, mask: Any, values: Any) -> None:
    """Set ``a.flat[n] = values[n % len(values)]`` where ``mask.flat[n]`` is true, as
    ``np.putmask``.

    An OOArray ``a`` is rebound to the new values (lazily). The repeated values are read in
    memory unless ``values`` has as many elements as ``a`` (then it may be any OOArray).

    Parameters
    ----------
    a : OOArray
    mask : array_like or OOArray
        As many elements as ``a`` (true where to write).
    values : array_like or OOArray
        Cast to ``a.dtype`` with the ``'safe'`` rule (Python scalars: NumPy's rules).

    Raises
    ------
    ValueError
        ``putmask: mask and data must be the same size``.
    TypeError
        If ``values`` cannot be cast safely, or ``a`` is not an array.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6))
    >>> np.putmask(a, a % 2 == 0, [-1, -2])
    >>> a.compute()
    array([-1,  1, -1,  3, -1,  5])
    """
    if not isinstance(a, OOArray):
        if not isinstance(a, np.ndarray):
            raise TypeError("putmask: first argument must be an array")
        np.putmask(a, mask.compute() if isinstance(mask, OOArray) else mask,
                   _values_in_memory(values, "putmask of an ndarray"))
        return
    flat = _flat_bool(mask, a.size, "putmask")
    if isinstance(values, (OOArray, np.ndarray)):
        # arrays cast by the 'safe' rule: NumPy's TypeError on a stand-in
        np.putmask(np.empty((1,), a.dtype), np.zeros((1,), bool),
                   np.zeros((1,) if values.ndim else (), values.dtype))
    if isinstance(values, OOArray):
        if values.size == 0:
            return
        if values.size == a.size:
            source = np.reshape(values, a.shape) if values.shape != a.shape else values
            a._node = MaskedFillNode(a.node, _value(source, a.dtype), _shaped(flat, a.shape))
            return
        values = _values_in_memory(values, "putmask with fewer values than elements")
    if isinstance(values, np.ndarray):
        converted = values.astype(a.dtype)
    else:  # lists and scalars convert as in an assignment (OverflowError, NaN, ...)
        converted = np.empty(np.shape(values), a.dtype)
        converted[...] = values
    if converted.size == 0:
        return
    if converted.size == 1:
        value = converted.reshape(())
    elif converted.size == a.size:
        value = constant_node(converted.reshape(a.shape))
    else:
        value = CyclicNode(converted, a.shape, a.chunks)
    a._node = MaskedFillNode(a.node, value, _shaped(flat, a.shape))


def _shaped(mask: Any, shape: tuple[int, ...]) -> Any:
    """A flat-compatible mask given ``shape``, as a Node (or 0-d ndarray)."""
    if isinstance(mask, OOArray):
        return (mask if mask.shape == shape else np.reshape(mask, shape)).node
    return _operand(mask.reshape(shape))


@implements(np.place)
def place(arr: Any, mask: Any, vals: Any) -> None:
    """Put ``vals`` at the true positions of ``mask``, in order and repeated, as ``np.place``.

    The ``k``-th true position (in C order) takes ``vals[k % len(vals)]``. An OOArray
    ``arr`` is rebound to the new values (lazily); the mask is counted first, per chunk.

    Parameters
    ----------
    arr : OOArray
    mask : array_like or OOArray
        As many elements as ``arr``.
    vals : array_like or OOArray
        Read in memory unless it has at least as many elements as ``mask`` has true values.

    Raises
    ------
    ValueError
        ``place: mask and data must be the same size``; ``Cannot insert from an empty
        array!`` when ``vals`` is empty and the mask is not.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6))
    >>> np.place(a, a > 2, [44, 55])
    >>> a.compute()
    array([ 0,  1,  2, 44, 55, 44])
    """
    if not isinstance(arr, OOArray):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"place() argument 1 must be numpy.ndarray, not "
                            f"{type(arr).__name__}")
        np.place(arr, mask.compute() if isinstance(mask, OOArray) else mask,
                 _values_in_memory(vals, "place into an ndarray"))
        return
    flat_mask = _flat_bool(mask, arr.size, "place")
    mask_node = flat_mask.node if isinstance(flat_mask, OOArray) else \
        constant_node(flat_mask.reshape(-1))
    if len(mask_node.shape) != 1:
        mask_node = np.reshape(_oo(mask_node), (-1,)).node
    old = arr.node if arr.ndim == 1 else np.reshape(arr, (-1,)).node
    counts = _oo(BlockCountNode(mask_node, old.chunks[0])).compute()
    count = int(counts.sum())
    if isinstance(vals, OOArray):
        np.place(np.empty((1,), arr.dtype), np.zeros((1,), bool), np.zeros((1,), vals.dtype))
        if vals.size >= count and count:
            flat_vals = vals if vals.ndim == 1 else np.reshape(vals, (-1,))
            values = _value(flat_vals[:count], arr.dtype)
            node = MaskedValuesNode(old, mask_node, values, counts)
            arr._node = node if arr.ndim == 1 else np.reshape(_oo(node), arr.shape).node
            return
        vals = _values_in_memory(vals, "place with fewer values than true positions")
    raw = np.asarray(vals)
    converted = np.empty(raw.shape, arr.dtype)
    converted[...] = vals  # NumPy's conversion errors (OverflowError, NaN to integer, ...)
    if count == 0:
        return
    if converted.size == 0:
        raise ValueError("Cannot insert from an empty array!")
    values = CyclicNode(converted, (count,), ((count,),))
    node = MaskedValuesNode(old, mask_node, values, counts)
    arr._node = node if arr.ndim == 1 else np.reshape(_oo(node), arr.shape).node
