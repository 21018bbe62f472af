"""Linear algebra functions of the main namespace: matmul, matrix_transpose, tensordot,
vecdot, all through ooarray's tiled out-of-core contraction."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.array_api._helpers import as_array, check_kind
from ooarray.core.array import OOArray

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]


def matmul(x1: OOArray, x2: OOArray, /) -> OOArray:
    """Return the matrix product (batched over leading axes).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.matmul(xp.eye(2), xp.asarray([[1.0], [2.0]])).tolist()
    [[1.0], [2.0]]
    """
    x1, x2 = as_array(x1, "x1"), as_array(x2, "x2")
    check_kind(x1, "numeric", "matmul")
    check_kind(x2, "numeric", "matmul")
    return np.matmul(x1, x2)


def matrix_transpose(x: OOArray, /) -> OOArray:
    """Swap the last two axes (a view)."""
    return as_array(x).mT


def tensordot(x1: OOArray, x2: OOArray, /, *, axes: Any = 2) -> OOArray:
    """Return the sum of products over ``axes`` (an int, or two sequences of axes)."""
    x1, x2 = as_array(x1, "x1"), as_array(x2, "x2")
    check_kind(x1, "numeric", "tensordot")
    check_kind(x2, "numeric", "tensordot")
    return np.tensordot(x1, x2, axes=axes)


def vecdot(x1: OOArray, x2: OOArray, /, *, axis: int = -1) -> OOArray:
    """Return the dot product of vectors along ``axis`` (``x1`` conjugated)."""
    x1, x2 = as_array(x1, "x1"), as_array(x2, "x2")
    check_kind(x1, "numeric", "vecdot")
    check_kind(x2, "numeric", "vecdot")
    return np.linalg.vecdot(x1, x2, axis=axis)
