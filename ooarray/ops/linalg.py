"""Linear algebra: matmul (``@``), dot, tensordot, inner, outer, vdot, trace, diagonal.

Products of out-of-core operands become a :class:`~ooarray.algorithms.matmul.MatmulNode`, which
streams tiles through BLAS within the budget. One-dimensional operands are promoted to
matrices and the added axis removed again, as NumPy does. Every other contraction is one
matmul too (:func:`contract`): the operands are transposed so that batch axes lead and the
summed axes meet, reshaped to (batch..., m, k) and (batch..., k, n), multiplied, and the
result reshaped back. einsum lives in :mod:`ooarray.ops.einsum`.

``np.linalg.norm`` is out of core for the norms that are reductions (vector norms; the
Frobenius, 1 and infinity matrix norms). The spectral and nuclear norms need an SVD: they are
computed with NumPy when the matrix fits comfortably in the budget, and refused otherwise.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.linalg import DiagonalNode
from ooarray.algorithms.matmul import MatmulNode
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray, zeros
from ooarray.ops.manipulation import ravel, reshape

__all__ = ["matmul", "dot", "contract", "tensordot", "inner", "outer", "vdot", "trace",
           "diagonal", "norm"]

#: The SVD norms ('nuc', 2, -2) are computed in memory when the input is at most this share
#: of memory_limit (the SVD needs a few copies of it).
IN_MEMORY_NORM_SHARE = 1 / 4


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


def _product(left: OOArray, right: OOArray, dtype: np.dtype, unscaled_outer: bool = False
             ) -> OOArray:
    """``left @ right`` of (batch..., m, k) and (batch..., k, n) operands, as a MatmulNode.

    A product with no elements, or a sum over k = 0 terms, is NumPy's zeros of the result's
    shape and dtype, a constant with no task: a tile of a size-0 batch cannot be shaped
    (m, n).

    Complex products that NumPy computes without GEMM are computed as NumPy does, because
    GEMM multiplies its product by alpha = 1 + 0j, and an infinite product times alpha has
    a NaN imaginary part (inf * 0): NumPy's dot, vdot, inner, matmul and einsum of two
    vectors (m = n = 1) call BLAS ?dotu/?dotc or their own loop (``dot([1e30j], [1e30j])``
    is -inf+0j, GEMM gives -inf+nanj); so do np.matmul's products over k = 1
    (``unscaled_outer``: NumPy's loop without BLAS). Both are memory-bound (a dot product,
    an outer product), so a fused multiply (and sum) costs no BLAS speed.
    """
    shape = np.broadcast_shapes(left.shape[:-2], right.shape[:-2]) + \
        (left.shape[-2], right.shape[-1])
    if math.prod(shape) == 0 or left.shape[-1] == 0:
        return zeros(shape, dtype)
    if dtype.kind == "c" and shape[-2:] == (1, 1):
        products = np.multiply(left, np.swapaxes(right, -1, -2)).astype(dtype, copy=False)
        return np.sum(products, axis=-1, keepdims=True, dtype=dtype)
    if dtype.kind == "c" and unscaled_outer and left.shape[-1] == 1:
        return np.multiply(left, right).astype(dtype, copy=False)
    return OOArray(MatmulNode(left.node, right.node, dtype, _config.get().memory_limit))


@implements(np.matmul)
def matmul(x1: Any, x2: Any, /, out: Any = None, *, casting: str = "same_kind",
           dtype: Any = None, **kwargs: Any) -> Any:
    """Matrix product of two arrays, as ``np.matmul`` (batch axes broadcast)."""
    return _matmul(x1, x2, out, casting, dtype, kwargs, True)


def _matmul(x1: Any, x2: Any, out: Any, casting: str, dtype: Any, kwargs: dict,
            unscaled_outer: bool) -> Any:
    """np.matmul, and np.dot of operands of at most two axes; ``unscaled_outer``: a complex
    product over k = 1 is NumPy's loop without BLAS (see :func:`_product`)."""
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
    result = _product(left, right, result_dtype, unscaled_outer)
    if a.ndim == 1 and b.ndim == 1:
        result = result[..., 0, 0]
    elif a.ndim == 1:
        result = result[..., 0, :]
    elif b.ndim == 1:
        result = result[..., :, 0]
    return _deliver(result, out)


def _dot_dtype(a: OOArray, b: OOArray) -> np.dtype:
    """The dtype ``np.dot`` gives for these operands (asked of NumPy on empty stand-ins)."""
    return np.dot(np.empty((1, 0), a.dtype), np.empty((0, 1), b.dtype)).dtype


def contract(a: OOArray, b: OOArray, batch: Sequence[tuple[int, int]],
             summed: Sequence[tuple[int, int]], dtype: np.dtype) -> OOArray:
    """Multiply ``a`` and ``b``, summing over paired axes, as one out-of-core matmul.

    Parameters
    ----------
    a, b : OOArray
    batch : sequence of (int, int)
        Pairs of axes (of ``a``, of ``b``) kept side by side, as matmul's batch axes; lengths
        must be equal or 1 (broadcast).
    summed : sequence of (int, int)
        Pairs of axes summed over; lengths must be equal.
    dtype : numpy.dtype
        The result dtype.

    Returns
    -------
    OOArray
        Axes: the batch axes, then ``a``'s other axes, then ``b``'s, each in order.
    """
    batch_a, batch_b = [p[0] for p in batch], [p[1] for p in batch]
    sum_a, sum_b = [p[0] for p in summed], [p[1] for p in summed]
    free_a = [ax for ax in range(a.ndim) if ax not in batch_a + sum_a]
    free_b = [ax for ax in range(b.ndim) if ax not in batch_b + sum_b]
    lengths_a, lengths_b = [a.shape[ax] for ax in free_a], [b.shape[ax] for ax in free_b]
    depth = math.prod(a.shape[ax] for ax in sum_a)
    left = reshape(a.transpose(batch_a + free_a + sum_a),
                   [a.shape[ax] for ax in batch_a] + [math.prod(lengths_a), depth])
    right = reshape(b.transpose(batch_b + sum_b + free_b),
                    [b.shape[ax] for ax in batch_b] + [depth, math.prod(lengths_b)])
    product = _product(left, right, dtype)
    return reshape(product, product.shape[:-2] + tuple(lengths_a) + tuple(lengths_b))


def _axes_pairs(axes: Any) -> tuple[list[int], list[int]]:
    """NumPy's reading of tensordot's ``axes``: an int N, or two sequences (or ints)."""
    try:
        iter(axes)
    except TypeError:
        count = operator.index(axes)
        return list(range(-count, 0)), list(range(0, count))
    axes_a, axes_b = axes

    def listed(value: Any) -> list[int]:
        try:
            return [operator.index(v) for v in value]
        except TypeError:
            return [operator.index(value)]

    return listed(axes_a), listed(axes_b)


@implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> OOArray:
    """Sum products over the given axes, as ``np.tensordot``.

    Parameters
    ----------
    a, b : array_like
    axes : int or (sequence of int, sequence of int)
        An int N sums over the last N axes of ``a`` and the first N of ``b``.

    Returns
    -------
    OOArray
        ``a``'s free axes, then ``b``'s.

    Raises
    ------
    ValueError
        ``shape-mismatch for sum`` if the summed axes differ in number or length.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.tensordot(oa.ones((2, 3, 4)), np.ones((4, 3)), axes=([1, 2], [1, 0])).compute()
    array([12., 12.])
    """
    x, y = asarray(a), asarray(b)
    axes_a, axes_b = _axes_pairs(axes)
    if len(axes_a) != len(axes_b):
        raise ValueError("shape-mismatch for sum")
    for k, (i, j) in enumerate(zip(axes_a, axes_b)):
        if x.shape[i] != y.shape[j]:  # IndexError for an axis out of range, as NumPy
            raise ValueError("shape-mismatch for sum")
        axes_a[k], axes_b[k] = i % x.ndim, j % y.ndim
    return contract(x, y, [], list(zip(axes_a, axes_b)), _dot_dtype(x, y))


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _not_aligned(x: OOArray, y: OOArray, i: int, j: int) -> ValueError:
    """NumPy's error for dot and inner operands whose summed axes differ."""
    return ValueError(f"shapes {_shape_text(x.shape)} and {_shape_text(y.shape)} not aligned: "
                      f"{x.shape[i]} (dim {i}) != {y.shape[j]} (dim {j})")


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """Dot product, as ``np.dot``: a sum over the last axis of ``a`` and the second-to-last
    of ``b`` (its only axis if it has one); a product with a scalar."""
    x, y = asarray(a), asarray(b)
    if x.ndim == 0 or y.ndim == 0:
        return _deliver(np.multiply(x, y), out)
    if x.ndim <= 2 and y.ndim <= 2:
        # NumPy's dot multiplies by a one-element operand without GEMM; other products over
        # k = 1 (a column by a row) are GEMM's
        return _matmul(x, y, out, "same_kind", None, {}, 1 in (x.size, y.size))
    j = max(0, y.ndim - 2)
    if x.shape[-1] != y.shape[j]:
        raise _not_aligned(x, y, x.ndim - 1, j)
    return _deliver(contract(x, y, [], [(x.ndim - 1, j)], _dot_dtype(x, y)), out)


@implements(np.inner)
def inner(a: Any, b: Any, /) -> OOArray:
    """Sum of products over the last axes, as ``np.inner``."""
    x, y = asarray(a), asarray(b)
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    if x.shape[-1] != y.shape[-1]:
        raise _not_aligned(x, y, x.ndim - 1, y.ndim - 1)
    return contract(x, y, [], [(x.ndim - 1, y.ndim - 1)], _dot_dtype(x, y))


@implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    """Outer product of the flattened operands, as ``np.outer``."""
    return np.multiply(ravel(a)[:, None], ravel(b)[None, :], out=out)


@implements(np.vdot)
def vdot(a: Any, b: Any, /) -> OOArray:
    """Dot product of the flattened operands, the first conjugated, as ``np.vdot``."""
    x, y = ravel(a), ravel(b)
    if x.size != y.size:
        raise ValueError(f"cannot reshape array of size {y.size} into shape ({x.size},)")
    if x.dtype.kind == "c":
        x = np.conjugate(x)
    return contract(x, y, [], [(0, 0)], _dot_dtype(x, y))


@implements(np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> OOArray:
    """The diagonal of two axes, as ``np.diagonal``: the other axes, then the diagonal.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.diagonal(oa.asarray(np.arange(9).reshape(3, 3)), 1).compute()
    array([1, 5])
    """
    x = asarray(a)
    if x.ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    first = normalize_axis_index(axis1, x.ndim, "axis1")
    second = normalize_axis_index(axis2, x.ndim, "axis2")
    if first == second:
        raise ValueError("axis1 and axis2 cannot be the same")
    return OOArray(DiagonalNode(x.node, operator.index(offset), first, second))


@implements(np.trace)
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: Any = None) -> Any:
    """Sum along a diagonal, as ``np.trace`` (a sum over :func:`diagonal`)."""
    return np.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _sum_squares_root(x: OOArray, axes: tuple[int, ...], keepdims: bool) -> OOArray:
    return np.sqrt(np.sum(np.square(np.abs(x)), axis=axes, keepdims=keepdims))


def _vector_norm(x: OOArray, ord: Any, axis: int, keepdims: bool) -> OOArray:
    """NumPy's vector norms, each a reduction over ``axis``."""
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        real = np.empty(0, x.dtype).real.dtype
        return np.sum(np.not_equal(x, 0).astype(real), axis=axis, keepdims=keepdims)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return _sum_squares_root(x, (axis,), keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    total = np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims)
    return total ** np.reciprocal(ord, dtype=total.dtype)


def _matrix_norm(x: OOArray, ord: Any, axes: tuple[int, int], keepdims: bool) -> OOArray:
    """The matrix norms that are reductions: Frobenius, 1, -1, inf, -inf."""
    row, col = axes
    if ord is None or ord in ("fro", "f"):
        return _sum_squares_root(x, axes, keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (row, col) if ord in (1, -1) else (col, row)
        pick = np.max if ord > 0 else np.min
        result = pick(np.sum(np.abs(x), axis=inner, keepdims=True), axis=outer, keepdims=True)
        if keepdims:
            return result
        return result[tuple(0 if a in axes else slice(None) for a in range(x.ndim))]
    raise ValueError("Invalid norm order for matrices.")


def _in_memory_norm(x: OOArray, ord: Any, axis: Any, keepdims: bool) -> OOArray:
    limit = _config.get().memory_limit
    if x.nbytes > limit * IN_MEMORY_NORM_SHARE:
        raise TypeError(
            f"np.linalg.norm with ord={ord!r} needs singular values, which ooarray does not "
            f"compute out of core; the input ({x.nbytes} bytes) is over "
            f"{IN_MEMORY_NORM_SHARE:.0%} of memory_limit={limit}. Use ord='fro', 1 or inf, or "
            f"call np.linalg.norm on np.asarray(x) of a part that fits in memory")
    return asarray(np.asarray(np.linalg.norm(x.compute(), ord, axis, keepdims)))


def _norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if not isinstance(axis, tuple):
        try:
            axis = (int(axis),)  # NumPy truncates a float axis
        except (TypeError, ValueError):
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from None
    return tuple(normalize_axis_index(a, ndim) for a in axis)


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> OOArray:
    """Matrix or vector norm, as ``np.linalg.norm``.

    Parameters
    ----------
    x : array_like
    ord : {None, int, float, inf, -inf, 'fro', 'nuc'}
        Vector norms: any; matrix norms: None, 'fro', 1, -1, inf, -inf out of core; 'nuc', 2
        and -2 only for inputs that fit in a quarter of ``memory_limit``.
    axis : None, int or (int, int)
    keepdims : bool

    Returns
    -------
    OOArray
        A floating-point array (integers are converted to float64, as NumPy does).

    Raises
    ------
    TypeError
        For an SVD norm of an input too large to compute in memory.
    ValueError
        NumPy's errors for invalid orders and axes.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> float(np.linalg.norm(oa.asarray([3.0, 4.0])))
    5.0
    """
    array = asarray(x)
    if array.dtype.kind not in "fc":
        array = array.astype(np.float64)
    ndim = array.ndim
    if axis is None:
        if ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1):
            result = _sum_squares_root(ravel(array), (0,), False)
            return reshape(result, (1,) * ndim) if keepdims else result
        axis = tuple(range(ndim))
    axes = _norm_axes(axis, ndim)
    if len(axes) == 1:
        return _vector_norm(array, ord, axes[0], keepdims)
    if len(axes) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    if axes[0] == axes[1]:
        raise ValueError("Duplicate axes given.")
    if isinstance(ord, str) and ord == "nuc" or (not isinstance(ord, str) and ord in (2, -2)):
        return _in_memory_norm(array, ord, axes, keepdims)
    return _matrix_norm(array, ord, axes, keepdims)
