"""Linear algebra: matmul (``@``), dot.

Products of out-of-core operands become a :class:`~ooarray.plan.matmul.MatmulNode`, which
streams tiles through BLAS within the budget. One-dimensional operands are promoted to
matrices and the added axis removed again, as NumPy does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.plan.matmul import MatmulNode

__all__ = ["matmul", "dot"]


def _deliver(result: OOArray, out: Any) -> Any:
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) else out
    if out.shape != result.shape:
        raise ValueError(f"output has shape {out.shape}, expected {result.shape}")
    if isinstance(out, OOArray):
        out._node = result.astype(out.dtype, copy=False).node
        return out
    np.copyto(out, result.compute(), casting="same_kind")
    return out


@implements(np.matmul)
def matmul(x1: Any, x2: Any, /, out: Any = None, *, casting: str = "same_kind",
           dtype: Any = None, **kwargs: Any) -> Any:
    """Matrix product of two arrays, as ``np.matmul`` (batch axes broadcast)."""
    if kwargs:
        raise TypeError(f"numpy.matmul() got unsupported keyword argument(s) {sorted(kwargs)}")
    a, b = asarray(x1), asarray(x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions (has 0, "
                         "gufunc core with signature (n?,k),(k,m?)->(n?,m?) requires 1)")
    # NumPy picks the dtype (and refuses bad dtype=/casting=) on zero-size stand-ins.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result_dtype = np.matmul(np.empty((1, 0) if a.ndim > 1 else (0,), a.dtype),
                                 np.empty((0, 1) if b.ndim > 1 else (0,), b.dtype),
                                 dtype=dtype, casting=casting).dtype
    left = a[None, :] if a.ndim == 1 else a
    right = b[:, None] if b.ndim == 1 else b
    if left.shape[-1] != right.shape[-2]:
        raise ValueError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n?,k),(k,m?)->(n?,m?) (size {right.shape[-2]} is different from "
            f"{left.shape[-1]})")
    np.broadcast_shapes(left.shape[:-2], right.shape[:-2])
    if dtype is not None:
        left, right = left.astype(result_dtype), right.astype(result_dtype)
    node = MatmulNode(left.node, right.node, result_dtype, _config.get().memory_limit)
    result = OOArray(node)
    if a.ndim == 1 and b.ndim == 1:
        result = result[..., 0, 0]
    elif a.ndim == 1:
        result = result[..., 0, :]
    elif b.ndim == 1:
        result = result[..., :, 0]
    return _deliver(result, out)


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """Dot product, as ``np.dot``, for operands of at most two axes (and scalars)."""
    x, y = asarray(a), asarray(b)
    if x.ndim == 0 or y.ndim == 0:
        return _deliver(np.multiply(x, y), out)
    if x.ndim > 2 or y.ndim > 2:
        raise TypeError("numpy.dot of arrays with more than two axes is not supported by "
                        "ooarray yet; use np.matmul or np.tensordot")
    return matmul(x, y, out=out)
