"""The ``linalg`` extension: each function is ooarray's ``np.linalg`` registration (TSQR,
tiled Cholesky, tiled contractions) under the standard's signature."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ooarray.array_api._helpers import as_array, check_kind
from ooarray.array_api._linear_algebra_functions import matmul, matrix_transpose, tensordot, vecdot
from ooarray.core.array import OOArray

__all__ = ["cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv",
           "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
           "vector_norm"]


class EighResult(NamedTuple):
    eigenvalues: OOArray
    eigenvectors: OOArray


class QRResult(NamedTuple):
    Q: OOArray
    R: OOArray


class SlogdetResult(NamedTuple):
    sign: OOArray
    logabsdet: OOArray


class SVDResult(NamedTuple):
    U: OOArray
    S: OOArray
    Vh: OOArray


def _floating(x: Any, func: str) -> OOArray:
    x = as_array(x)
    check_kind(x, "floating-point", func)
    return x


def cholesky(x: OOArray, /, *, upper: bool = False) -> OOArray:
    """Return the Cholesky factor of a Hermitian positive-definite matrix (lower by default).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.linalg.cholesky(xp.asarray([[4.0, 2.0], [2.0, 5.0]])).tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    return np.linalg.cholesky(_floating(x, "cholesky"), upper=upper)


def cross(x1: OOArray, x2: OOArray, /, *, axis: int = -1) -> OOArray:
    """Return the cross product of 3-element vectors along ``axis``."""
    return np.linalg.cross(as_array(x1, "x1"), as_array(x2, "x2"), axis=axis)


def det(x: OOArray, /) -> OOArray:
    """Return the determinant of each square matrix."""
    return np.linalg.det(_floating(x, "det"))


def diagonal(x: OOArray, /, *, offset: int = 0) -> OOArray:
    """Return the ``offset``-th diagonal of the last two axes (a view)."""
    return np.linalg.diagonal(as_array(x), offset=offset)


def eigh(x: OOArray, /) -> EighResult:
    """Return eigenvalues (ascending) and eigenvectors of a Hermitian matrix."""
    return EighResult(*np.linalg.eigh(_floating(x, "eigh")))


def eigvalsh(x: OOArray, /) -> OOArray:
    """Return the eigenvalues (ascending) of a Hermitian matrix."""
    return np.linalg.eigvalsh(_floating(x, "eigvalsh"))


def inv(x: OOArray, /) -> OOArray:
    """Return the inverse of each square matrix."""
    return np.linalg.inv(_floating(x, "inv"))


def matrix_norm(x: OOArray, /, *, keepdims: bool = False, ord: Any = "fro") -> OOArray:  # noqa: A002
    """Return a matrix norm of the last two axes (Frobenius by default)."""
    return np.linalg.matrix_norm(_floating(x, "matrix_norm"), keepdims=keepdims, ord=ord)


def matrix_power(x: OOArray, n: int, /) -> OOArray:
    """Return the matrix raised to the integer power ``n``."""
    return np.linalg.matrix_power(as_array(x), n)


def matrix_rank(x: OOArray, /, *, rtol: Any = None) -> OOArray:
    """Return the rank (singular values above ``rtol`` times the largest)."""
    return np.linalg.matrix_rank(_floating(x, "matrix_rank"), rtol=rtol)


def outer(x1: OOArray, x2: OOArray, /) -> OOArray:
    """Return the outer product of two 1-D arrays."""
    x1, x2 = as_array(x1, "x1"), as_array(x2, "x2")
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("outer takes two 1-D arrays")
    return np.linalg.outer(x1, x2)


def pinv(x: OOArray, /, *, rtol: Any = None) -> OOArray:
    """Return the Moore-Penrose pseudo-inverse."""
    return np.linalg.pinv(_floating(x, "pinv"), rtol=rtol)


def qr(x: OOArray, /, *, mode: str = "reduced") -> QRResult:
    """Return the QR factorisation (TSQR, out of core for tall matrices)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"mode must be 'reduced' or 'complete'; got {mode!r}")
    return QRResult(*np.linalg.qr(_floating(x, "qr"), mode=mode))


def slogdet(x: OOArray, /) -> SlogdetResult:
    """Return the sign and the natural log of the absolute determinant."""
    return SlogdetResult(*np.linalg.slogdet(_floating(x, "slogdet")))


def solve(x1: OOArray, x2: OOArray, /) -> OOArray:
    """Return the solution of ``x1 @ result = x2``."""
    return np.linalg.solve(_floating(x1, "solve"), as_array(x2, "x2"))


def svd(x: OOArray, /, *, full_matrices: bool = True) -> SVDResult:
    """Return the singular value decomposition ``U, S, Vh``."""
    return SVDResult(*np.linalg.svd(_floating(x, "svd"), full_matrices=full_matrices))


def svdvals(x: OOArray, /) -> OOArray:
    """Return the singular values, largest first."""
    return np.linalg.svdvals(_floating(x, "svdvals"))


def trace(x: OOArray, /, *, offset: int = 0, dtype: Any = None) -> OOArray:
    """Return the sum of the ``offset``-th diagonal of the last two axes."""
    return np.linalg.trace(as_array(x), offset=offset, dtype=dtype)


def vector_norm(x: OOArray, /, *, axis: Any = None, keepdims: bool = False,
                ord: Any = 2) -> OOArray:  # noqa: A002
    """Return a vector norm over ``axis`` (all elements by default)."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.linalg.vector_norm(_floating(x, "vector_norm"), axis=axis, keepdims=keepdims,
                                 ord=ord)
