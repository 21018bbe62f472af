"""NumPy's metadata functions on OOArrays, answered from shape and dtype without computing.

``np.shape``, ``np.ndim``, ``np.size``, ``np.result_type``, ``np.can_cast``,
``np.min_scalar_type``, ``np.iscomplexobj``, ``np.isrealobj``, ``np.shares_memory``,
``np.may_share_memory``, ``np.common_type`` and ``np.einsum_path`` dispatch through
``__array_function__``; without these registrations
they would take the in-memory fallback and compute the whole array to read its shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements

__all__ = ["shape", "ndim", "size", "result_type", "can_cast", "min_scalar_type",
           "iscomplexobj", "isrealobj", "shares_memory", "may_share_memory", "common_type",
           "einsum_path"]


def _dtype_of(value: Any) -> Any:
    return value.dtype if isinstance(value, OOArray) else value


@implements(np.shape)
def shape(a: Any) -> tuple[int, ...]:
    """Return ``a.shape`` (nothing is computed).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.shape(oa.zeros((2, 3)))
    (2, 3)
    """
    return a.shape if isinstance(a, OOArray) else np.shape(a)


@implements(np.ndim)
def ndim(a: Any) -> int:
    """Return ``a.ndim`` (nothing is computed)."""
    return a.ndim if isinstance(a, OOArray) else np.ndim(a)


@implements(np.size)
def size(a: Any, axis: int | tuple[int, ...] | None = None) -> int:
    """Return the number of elements, along ``axis`` if given (nothing is computed)."""
    return np.size(np.broadcast_to(np.empty((), np.int8), a.shape), axis) \
        if isinstance(a, OOArray) else np.size(a, axis)


@implements(np.result_type)
def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """Return NumPy's result type, with each OOArray standing for its dtype (NEP 50)."""
    return np.result_type(*(_dtype_of(x) for x in arrays_and_dtypes))


@implements(np.can_cast)
def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """Return whether the dtype of ``from_`` casts to ``to`` under ``casting``."""
    return np.can_cast(_dtype_of(from_), to, casting)


@implements(np.min_scalar_type)
def min_scalar_type(a: Any) -> np.dtype:
    """Return the dtype of an array (a 0-d OOArray is computed: it is one value)."""
    if isinstance(a, OOArray):
        return np.min_scalar_type(a.compute()) if a.ndim == 0 else a.dtype
    return np.min_scalar_type(a)


@implements(np.iscomplexobj)
def iscomplexobj(x: Any) -> bool:
    """Return whether the dtype is complex (nothing is computed)."""
    return x.dtype.kind == "c" if isinstance(x, OOArray) else np.iscomplexobj(x)


@implements(np.isrealobj)
def isrealobj(x: Any) -> bool:
    """Return whether the dtype is not complex (nothing is computed)."""
    return not iscomplexobj(x)


@implements(np.shares_memory, np.may_share_memory)
def shares_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    """Return True only for the same array: OOArrays are never written in place, so two
    different ones never change each other's values."""
    return a is b or (isinstance(a, OOArray) and isinstance(b, OOArray) and a.node is b.node)


may_share_memory = shares_memory


def _stand_in(value: Any) -> Any:
    """An OOArray as a zero-byte view of its shape and dtype (NumPy reads only those)."""
    if not isinstance(value, OOArray):
        return value
    return np.lib.stride_tricks.as_strided(np.zeros(1, value.dtype), value.shape,
                                           (0,) * value.ndim, writeable=False)


@implements(np.common_type)
def common_type(*arrays: Any) -> type:
    """Return NumPy's common scalar type of the arrays, from their dtypes."""
    return np.common_type(*(_stand_in(a) for a in arrays))


@implements(np.einsum_path)
def einsum_path(*operands: Any, optimize: Any = "greedy", einsum_call: bool = False) -> Any:
    """Return NumPy's contraction order and its report: it reads only the operands' shapes.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.ones((3, 4)))
    >>> np.einsum_path("ij,jk->ik", a, a.T)[0]
    ['einsum_path', (0, 1)]
    """
    return np.einsum_path(*(_stand_in(o) for o in operands), optimize=optimize,
                          einsum_call=einsum_call)
