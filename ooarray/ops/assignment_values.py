"""What every assignment path shares: the value cast as NumPy's assignment casts it, its
leading axes dropped or added, and the zero-byte stand-ins on which NumPy checks indices and
shapes.

The paths themselves: ``a[idx] = value`` in :mod:`ooarray.ops.assignment` (basic indices
and boolean masks) and :mod:`ooarray.ops.assignment_index_arrays` (integer arrays);
``np.copyto``, ``np.putmask`` and ``np.place`` in :mod:`ooarray.ops.copyto_putmask_place`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.ops._operands import IN_MEMORY_SHARE, constant_node
from ooarray.plan.graph import Node
from ooarray.plan.regions import CastNode, SliceNode

#: A dtype of zero bytes: stand-ins of any shape on which NumPy checks indices and shapes.
_NOTHING = np.dtype([])


# -- small helpers ---------------------------------------------------------------------------
def _limit() -> int:
    return _config.get().memory_limit


def _shape_text(shape: tuple[int, ...]) -> str:
    """A shape as NumPy's assignment errors print it: ``(2,1,3)``, ``(2,)``."""
    return "(" + ",".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _stand_in(shape: tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, _NOTHING)


def _index_stand_in(item: Any) -> Any:
    """An index item NumPy can check: OOArrays become zero-strided arrays of their shape."""
    if isinstance(item, OOArray):
        return np.broadcast_to(np.zeros((), item.dtype), item.shape)
    return item


def _small(array: OOArray, what: str) -> np.ndarray:
    """Compute ``array`` if it fits a share of the budget, else refuse with TypeError."""
    allowed = int(_limit() * IN_MEMORY_SHARE)
    if array.nbytes > allowed:
        raise TypeError(f"{what} needs the whole of an OOArray of {array.nbytes} bytes in "
                        f"memory, above {allowed} bytes (a quarter of memory_limit); raise "
                        f"memory_limit or pass it as an ndarray")
    return array.compute()


def _oo(node: Node) -> OOArray:
    return OOArray(node)


def _full_slice(shape: tuple[int, ...]) -> list[Any]:
    return [(0, 1, n) for n in shape]


def _drop_leading(node: Any, count: int) -> Any:
    """Drop ``count`` leading axes of length 1 (a Node or an ndarray)."""
    if not count:
        return node
    if isinstance(node, Node):
        return SliceNode(node, [0] * count + _full_slice(node.shape[count:]))
    return node.reshape(node.shape[count:])


def _pad(value: Any, ndim: int) -> Any:
    """Give ``value`` leading axes of length 1 up to ``ndim``."""
    extra = ndim - len(value.shape)
    if not extra:
        return value
    if isinstance(value, Node):
        return SliceNode(value, [None] * extra + _full_slice(value.shape))
    return value.reshape((1,) * extra + value.shape)


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (leading axes of length 1 are dropped)."""
    shape = tuple(shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1], strict=False))


# -- the value -------------------------------------------------------------------------------
def _value(value: Any, dtype: np.dtype, advanced: bool = False) -> Any:
    """The value as a Node or an ndarray of ``dtype``, cast as NumPy's assignment casts.

    ``advanced``: the index takes NumPy's advanced path (a boolean mask, integer arrays, a
    bool scalar), which makes an array of a NumPy scalar value first, so the scalar is cast
    as a 0-d array is (np.int32(2**31 - 1) wraps to -1 in int8, np.float64(nan) becomes 0
    with NumPy's warning); the basic path (slices, integers, ``...``) converts it as a
    Python number (OverflowError, ValueError for NaN). Python numbers convert alike on both.
    """
    if isinstance(value, OOArray):
        if value.dtype.kind == "c" and dtype.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part",
                          np.exceptions.ComplexWarning, stacklevel=3)
        return value.node if value.dtype == dtype else CastNode(value.node, dtype)
    if advanced and isinstance(value, np.generic):
        value = np.asarray(value)
    converted = np.empty(np.shape(value), dtype)
    converted[...] = value  # NumPy's own conversion: OverflowError, ValueError for NaN, ...
    return converted


def _as_node(value: Any) -> Node:
    return value if isinstance(value, Node) else constant_node(value)


def _operand(value: Any) -> Any:
    """A Node, or a 0-d ndarray (a broadcast scalar needs no node)."""
    if isinstance(value, Node) or value.ndim == 0:
        return value
    return constant_node(value)


def _strip(value: Any, ndim: int) -> Any:
    """Drop the leading axes of length 1 beyond ``ndim`` (NumPy's assignment allows them)."""
    extra = len(value.shape) - ndim
    while extra > 0 and value.shape[0] == 1:
        value, extra = _drop_leading(value, 1), extra - 1
    return value
