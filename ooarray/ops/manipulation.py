"""Array manipulation: reshape and ravel.

A reshape is a :class:`~ooarray.plan.reshape.ReshapeNode`, a region node: nothing is copied
unless a task's input region cannot be viewed flat. ``order='F'`` is the C-order reshape of
the reversed axes, transposed back.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.plan.reshape import ReshapeNode

__all__ = ["reshape", "ravel", "normalize_shape"]

_ORDERS = ("C", "F", "A", "K")


def normalize_shape(shape: Any, size: int) -> tuple[int, ...]:
    """Return ``shape`` for an array of ``size`` elements, with ``-1`` resolved.

    Raises
    ------
    TypeError
        If an entry is not an integer.
    ValueError
        NumPy's errors: more than one unknown (negative) length, or a size mismatch.

    Examples
    --------
    >>> normalize_shape((3, -1), 12)
    (3, 4)
    """
    entries = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    dims = [operator.index(n) for n in entries]
    unknown = [i for i, n in enumerate(dims) if n < 0]  # NumPy reads any negative as -1
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    shown = "(" + ", ".join(str(n) for n in dims) + ("," if len(dims) == 1 else "") + ")"
    if unknown:
        known = math.prod(n for n in dims if n >= 0)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {shown}")
        dims[unknown[0]] = size // known
    if math.prod(dims) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shown}")
    return tuple(dims)


def _c_reshape(array: OOArray, shape: tuple[int, ...]) -> OOArray:
    if shape == array.shape:
        return array
    return OOArray(ReshapeNode(array.node, shape))


@implements(np.reshape)
def reshape(a: Any, /, shape: Any = None, order: str = "C", *, newshape: Any = None,
            copy: bool | None = None) -> OOArray:
    """Give an array a new shape without changing its data, as ``np.reshape``.

    Parameters
    ----------
    a : array_like
    shape : int or tuple of int
        The new shape; one entry may be ``-1`` (inferred).
    order : {'C', 'F', 'A'}
        Read and place elements in row-major ('C', and 'A' for OOArrays) or column-major
        ('F') order.
    copy : bool, optional
        Accepted for compatibility: an OOArray is never modified, so a view and a copy are
        the same thing.

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        ``cannot reshape array of size X into shape Y``, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.reshape(oa.arange(6), (2, -1)).compute()
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    if shape is None:
        if newshape is None:
            raise TypeError("reshape() missing 1 required positional argument: 'shape'")
        shape = newshape
    array = asarray(a)
    if order not in _ORDERS[:3]:
        raise ValueError(f"order must be one of 'C', 'F', 'A' (got {order!r})")
    target = normalize_shape(shape, array.size)
    if order == "F":
        return _c_reshape(array.T, target[::-1]).T
    return _c_reshape(array, target)


@implements(np.ravel)
def ravel(a: Any, order: str = "C") -> OOArray:
    """Return the array flattened to one axis, as ``np.ravel``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.ravel(oa.asarray(np.eye(2))).compute()
    array([1., 0., 0., 1.])
    """
    if order not in _ORDERS:
        raise ValueError(f"order must be one of 'C', 'F', 'A', 'K' (got {order!r})")
    return reshape(a, -1, order="F" if order == "F" else "C")
