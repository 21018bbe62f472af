"""Matrix decompositions out of core: ``qr``, ``svd``, ``cholesky``, ``solve``, ``lstsq``.

* ``qr`` and ``svd`` of tall-skinny matrices (m >= n) run TSQR: the QR of each row block,
  the QR of the stacked small R factors in memory, then Q = Q_block @ Q2_block per block.
  Short-fat SVDs go through the conjugate transpose. Signs are made NumPy's: for a full-rank
  matrix every QR differs from LAPACK's by a diagonal of unit factors, and LAPACK's choice is
  recovered from the top n x n rows of Q alone (see :func:`_lapack_signs`).
* ``cholesky`` is blocked and right-looking on tiles sized from the budget; ``solve`` of a
  matrix that does not fit the budget uses it (the matrix must be Hermitian positive
  definite), followed by blocked forward and back substitution.
* Everything else in ``numpy.linalg`` (and these functions' modes that need a large dense
  result, such as ``qr(mode='complete')`` of a tall matrix) is computed with NumPy in memory
  when the operands and result fit a quarter of ``memory_limit`` -- eagerly, at the call,
  since their result shapes may depend on values -- and raises ``TypeError`` naming the
  function otherwise.

Results are lazy OOArrays, except that ``lstsq`` computes the small R factor at the call:
the shape of its residuals depends on the rank. Errors found while computing
(``LinAlgError`` for a matrix that is not positive definite, or singular) are raised by
``compute()``, not by the call.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.linalg import LinAlgError

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.chunks import regular_chunk_shape
from ooarray.core.dispatch import HANDLED_FUNCTIONS, implements
from ooarray.errors import format_bytes
from ooarray.ops.creation import asarray
from ooarray.algorithms import decompositions as nodes

__all__ = ["qr", "svd", "svdvals", "cholesky", "solve", "lstsq", "tsqr_rows", "cholesky_tile"]

_linalg = np.linalg._linalg  # where NumPy keeps its result namedtuples

#: Share of ``memory_limit`` that operands and results of an in-memory NumPy call may take
#: (LAPACK makes copies of its operands besides).
IN_MEMORY_SHARE = 0.25
#: Share of the budget a TSQR or Cholesky task plans for; the rest is slack for the pool.
TASK_SHARE = 0.8
#: Row blocks a TSQR task holds at once: pinned chunks, an assembled copy, LAPACK's copies,
#: the product and the output.
TSQR_BLOCKS_HELD = 8
#: Tiles a Cholesky task holds at once (a panel task: its tile, the diagonal tile, the output
#: and LAPACK's copies of the solve).
CHOLESKY_TILES_HELD = 10


# -- shared helpers -----------------------------------------------------------------------
def _budget() -> int:
    return _config.get().memory_limit


def _fits(*nbytes: int) -> bool:
    return sum(nbytes) <= _budget() * IN_MEMORY_SHARE


def _wrap(value: Any) -> Any:
    """NumPy's result with its arrays (and NumPy scalars) made OOArrays."""
    if isinstance(value, tuple):
        parts = [_wrap(v) for v in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    if isinstance(value, (np.ndarray, np.generic)):
        return asarray(np.asarray(value))
    return value


def _in_memory(func: Callable[..., Any], name: str, arrays: list[OOArray], result_bytes: int,
               *args: Any, why: str = "", **kwargs: Any) -> Any:
    """Run ``func`` with NumPy on the computed ``arrays`` if they fit, else raise TypeError."""
    needed = sum(a.nbytes for a in arrays) + result_bytes
    if not _fits(needed):
        raise TypeError(
            f"numpy.linalg.{name}{why} is not supported by ooarray out of core: its operands "
            f"and result ({format_bytes(needed)}) exceed {IN_MEMORY_SHARE:.0%} of "
            f"memory_limit={format_bytes(_budget())}, the most computed in memory with NumPy; "
            f"raise memory_limit or see ooarray.ops.decompositions for what runs out of core")
    values = [a.compute() for a in arrays]
    return _wrap(func(*values, *args, **kwargs))


def _operand(x: Any) -> OOArray:
    return x if isinstance(x, OOArray) else asarray(x)


def _require_matrix(a: OOArray) -> None:
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least "
                          f"two-dimensional")


def _result_dtype(func: Callable[..., Any], *dtypes: np.dtype, index: int | None = 0,
                  **kwargs: Any) -> np.dtype:
    """The dtype NumPy's ``func`` gives, from 1 x 1 stand-ins (raises NumPy's TypeError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = func(*[np.ones((1, 1), d) for d in dtypes], **kwargs)
    return np.asarray(result if index is None else result[index]).dtype


def _real(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


# -- TSQR -----------------------------------------------------------------------------------
def tsqr_rows(m: int, n: int, itemsize: int, budget: int, chunk: int | None = None
              ) -> tuple[int, ...]:
    """Row blocks for TSQR of an m x n matrix within ``budget`` bytes.

    A block has at least n rows (so the first block's Q gives the top n rows of Q) and is a
    multiple of the operand's row ``chunk`` when that is smaller.

    Examples
    --------
    >>> tsqr_rows(1000, 4, 8, 64_000, chunk=100)
    (200, 200, 200, 200, 200)
    """
    rows = max(n, int(budget * TASK_SHARE) // (TSQR_BLOCKS_HELD * max(1, n) * itemsize), 1)
    if chunk and n <= chunk <= rows:
        rows -= rows % chunk
    rows = min(rows, m)
    full, rest = divmod(m, rows)
    if rest and full and rest < n:  # a last block shorter than n joins the one before it
        return (rows,) * (full - 1) + (rows + rest,)
    return (rows,) * full + ((rest,) if rest else ())


def _lapack_signs(q_top: np.ndarray, r: np.ndarray, square: bool) -> np.ndarray:
    """The unit factors ``d`` with which ``Q d`` and ``conj(d) R`` are LAPACK's QR.

    For a full-rank A = Q R, Householder QR of A applies the same reflectors as Householder QR
    of Q' = Q diag(phase(r_jj)) (a column scaled by a positive factor gives the same
    reflector). Those reflectors depend only on the top n rows of Q' and on Q'^H Q' = I, so
    Householder QR of a small matrix with the same top rows and orthonormal columns makes
    the same choices; its R is a diagonal of +-1, the remaining signs. A square Q' is that
    matrix itself (LAPACK treats the single element left in the last column of a square
    matrix in its own way, so no row may be added below it).
    """
    diag = np.diagonal(r)
    magnitude = np.abs(diag)
    phase = np.where(magnitude > 0, diag / np.where(magnitude > 0, magnitude, 1), 1)
    top = q_top * phase
    if not square:
        rest = np.eye(len(diag), dtype=top.dtype) - top.conj().T @ top
        values, vectors = np.linalg.eigh(rest)
        top = np.vstack([top, np.sqrt(np.clip(values, 0, None))[:, None] * vectors.conj().T])
    signs = np.sign(np.diagonal(np.linalg.qr(top, mode="r")).real)
    return phase * np.where(signs == 0, 1, signs)


def _stack_qr(k0: int, top: int, square: bool) -> Callable[[np.ndarray], np.ndarray]:
    """The small QR of the stacked R factors, signs made LAPACK's: rows [Q2 d; conj(d) R]."""
    def run(stacked: np.ndarray) -> np.ndarray:
        factors = np.concatenate([stacked[:k0], stacked[k0 + top:]])
        q2, r = np.linalg.qr(factors)
        d = _lapack_signs(stacked[k0:k0 + top, :k0] @ q2[:k0], r, square)
        return np.concatenate([q2 * d, d.conj()[:, None] * r])
    return run


class _TSQR:
    """The lazy pieces of a TSQR of a tall matrix ``a`` (m >= n)."""

    def __init__(self, a: OOArray, dtype: np.dtype) -> None:
        a = a.astype(dtype, copy=False)
        m, n = a.shape
        chunk = regular_chunk_shape(a.chunks)
        self.a, self.n = a, n
        self.rows = tsqr_rows(m, n, dtype.itemsize, _budget(), chunk[0] if chunk else None)
        self.stack = nodes.BlockRNode(a.node, self.rows)
        self.k = self.stack.shape[0] - self.stack.top
        self.qr = nodes.DenseNode([self.stack], _stack_qr(self.stack.ks[0], self.stack.top, m == n),
                                  (self.k + n, n), dtype, "tsqr-small")

    @property
    def r(self) -> OOArray:
        return OOArray(self.qr)[self.k:]

    def apply(self, w: nodes.Node) -> OOArray:
        """Q @ U for a small U, given as ``w``: rows [:K] hold Q2 @ U."""
        return OOArray(nodes.TSQRApplyNode(self.a.node, self.rows, w))

    @property
    def q(self) -> OOArray:
        return self.apply(self.qr)


@implements(np.linalg.qr)
def qr(a: Any, mode: str = "reduced") -> Any:
    """QR factorisation, as ``np.linalg.qr``; tall-skinny matrices (m >= n) by TSQR.

    Parameters
    ----------
    a : array_like, (m, n)
        With m >= n, out of core; other shapes (and stacks of matrices) in memory if small.
    mode : {'reduced', 'r', 'complete', 'raw'}
        'complete' and 'raw' of a tall matrix are computed in memory, and only if they fit.

    Returns
    -------
    QRResult(Q, R) of OOArrays, or R alone for ``mode='r'``.

    Raises
    ------
    LinAlgError
        If ``a`` has fewer than two axes.
    TypeError
        If a mode or shape that only runs in memory does not fit.

    Notes
    -----
    Signs match NumPy's for full-rank matrices; for rank-deficient ones Q @ R == a holds but
    columns of Q (rows of R) may differ from NumPy's by a sign.

    Examples
    --------
    >>> import ooarray as oa
    >>> q, r = np.linalg.qr(oa.asarray(np.arange(12.0).reshape(4, 3) ** 2))
    >>> np.allclose(q.compute() @ r.compute(), np.arange(12.0).reshape(4, 3) ** 2)
    True
    """
    a = _operand(a)
    _require_matrix(a)
    if mode not in ("reduced", "r", "complete", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    m, n = a.shape[-2:]
    dtype = _result_dtype(np.linalg.qr, a.dtype)
    if a.ndim > 2 or m < n or n == 0 or mode == "raw" or (mode == "complete" and m != n):
        q_bytes = m * (m if mode == "complete" else min(m, n)) * dtype.itemsize
        return _in_memory(np.linalg.qr, "qr", [a], q_bytes + a.nbytes, mode,
                          why=f"(mode={mode!r}) of shape {a.shape}")
    tsqr = _TSQR(a, dtype)
    if mode == "r":
        return tsqr.r
    return _linalg.QRResult(tsqr.q, tsqr.r)


# -- SVD ------------------------------------------------------------------------------------
def _small_svd(k: int, n: int) -> Callable[[np.ndarray], np.ndarray]:
    """From [Q2; R]: rows [Q2 @ U_r; Vh_r] of the SVD R = U_r S Vh_r."""
    def run(packed: np.ndarray) -> np.ndarray:
        u, _, vh = np.linalg.svd(packed[k:], full_matrices=False)
        return np.concatenate([packed[:k] @ u, vh])
    return run


def _singular_values(k: int) -> Callable[[np.ndarray], np.ndarray]:
    def run(packed: np.ndarray) -> np.ndarray:
        return np.linalg.svd(packed[k:], compute_uv=False)
    return run


@implements(np.linalg.svd)
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition, as ``np.linalg.svd``, by TSQR then an SVD of R.

    Parameters
    ----------
    a : array_like, (m, n)
        Tall-skinny (via TSQR) or short-fat (via its conjugate transpose) out of core.
    full_matrices : bool
        True (NumPy's default) needs an m x m or n x n factor: computed in memory if it fits.
        Pass False for the out-of-core path.
    compute_uv : bool
    hermitian : bool
        True is computed in memory (if it fits).

    Returns
    -------
    SVDResult(U, S, Vh) of OOArrays, or S alone if ``compute_uv`` is False.

    Notes
    -----
    Singular values match NumPy's; singular vectors are unique only up to a unit factor per
    pair, and those factors may differ from NumPy's.

    Examples
    --------
    >>> import ooarray as oa
    >>> x = np.arange(8.0).reshape(4, 2) ** 2
    >>> np.allclose(np.linalg.svd(oa.asarray(x), compute_uv=False).compute(),
    ...             np.linalg.svd(x, compute_uv=False))
    True
    """
    a = _operand(a)
    _require_matrix(a)
    m, n = a.shape[-2:]
    dtype = _result_dtype(np.linalg.svd, a.dtype)
    square = full_matrices and compute_uv and m != n
    if a.ndim > 2 or hermitian or square or min(m, n) == 0:
        result_bytes = (m * m + n * n) * dtype.itemsize if compute_uv else 0
        return _in_memory(np.linalg.svd, "svd", [a], result_bytes, full_matrices, compute_uv,
                          hermitian, why=f"(full_matrices={full_matrices}, "
                          f"hermitian={hermitian}) of shape {a.shape}; pass "
                          f"full_matrices=False")
    wide = m < n
    tsqr = _TSQR(np.conj(a.T) if wide else a, dtype)
    s = OOArray(nodes.DenseNode([tsqr.qr], _singular_values(tsqr.k), (tsqr.n,),
                                _real(dtype), "svd-values"))
    if not compute_uv:
        return s
    small = nodes.DenseNode([tsqr.qr], _small_svd(tsqr.k, tsqr.n), tsqr.qr.shape, dtype,
                            "svd-small")
    u = tsqr.apply(small)
    vh = OOArray(small)[tsqr.k:]
    if wide:
        return _linalg.SVDResult(np.conj(vh.T), s, np.conj(u.T))
    return _linalg.SVDResult(u, s, vh)


@implements(np.linalg.svdvals)
def svdvals(x: Any, /) -> OOArray:
    """Singular values, as ``np.linalg.svdvals``: ``svd(x, compute_uv=False)``."""
    return svd(x, full_matrices=False, compute_uv=False)


# -- Cholesky ---------------------------------------------------------------------------------
def cholesky_tile(n: int, itemsize: int, budget: int, chunk: int | None = None) -> int:
    """Tile side for a blocked Cholesky of an n x n matrix within ``budget`` bytes.

    Examples
    --------
    >>> cholesky_tile(10_000, 8, 80_000_000, chunk=500)
    500
    """
    side = max(1, math.isqrt(int(budget * TASK_SHARE) // (CHOLESKY_TILES_HELD * itemsize)))
    if chunk and chunk <= side:
        side -= side % chunk
    return min(side, max(1, n))


class _Cholesky:
    """The tile nodes of a blocked right-looking Cholesky of ``a`` (lower factor)."""

    def __init__(self, a: OOArray, dtype: np.dtype, check_hermitian: bool = False) -> None:
        a = a.astype(dtype, copy=False)
        n = a.shape[0]
        chunk = regular_chunk_shape(a.chunks)
        side = cholesky_tile(n, dtype.itemsize, _budget(), min(chunk) if chunk else None)
        self.blocks = nodes.Blocks([side] * (n // side) + ([n % side] if n % side else []))
        count = len(self.blocks)
        guard = [nodes.HermitianCheckNode(a.node, self.blocks.lengths)] \
            if check_hermitian and count > 1 else []
        source, shift = a.node, 0  # the trailing matrix S^(k) and the first tile it holds
        self.diags: list[nodes.CholDiagNode] = []
        self.panels: list[nodes.CholPanelNode] = []
        for k in range(count):
            tile = self._tiler(source, shift)
            diag = nodes.CholDiagNode(tile(k, k), dtype, guard if k == 0 else ())
            self.diags.append(diag)
            if k + 1 == count:
                break
            panel = nodes.CholPanelNode([tile(i, k) for i in range(k + 1, count)], diag)
            self.panels.append(panel)
            source = nodes.CholUpdateNode(lambda i, j, t=tile, k=k: t(i + k + 1, j + k + 1),
                                          self.blocks.lengths[k + 1:], panel, [source])
            shift = k + 1

    def _tiler(self, source: nodes.Node, shift: int) -> Callable[[int, int], nodes.Tile]:
        base = self.blocks.starts[shift]
        return lambda i, j: (source, (self.blocks.slice(i, -base), self.blocks.slice(j, -base)))

    def lower_tile(self, i: int, j: int) -> nodes.Tile:
        """Tile (i, j), i >= j, of L."""
        if i == j:
            return (self.diags[i], nodes.whole(self.diags[i]))
        panel = self.panels[j]
        return (panel, (self.blocks.slice(i, -self.blocks.starts[j + 1]),
                        slice(0, panel.shape[1])))

    def factor(self, upper: bool) -> OOArray:
        return OOArray(nodes.CholAssembleNode(self.blocks.lengths, self.diags, self.panels,
                                              upper))

    def solve(self, b: OOArray, dtype: np.dtype) -> OOArray:
        """x with L L^H x = b, for b of shape (n, k)."""
        count = len(self.blocks)
        cols = slice(0, b.shape[1])
        forward: list[nodes.Node] = []
        for i in range(count):
            terms = [(self.lower_tile(i, j), forward[j]) for j in range(i)]
            forward.append(nodes.SubstitutionNode(
                self.lower_tile(i, i), (b.node, (self.blocks.slice(i), cols)), terms, False,
                dtype))
        backward: dict[int, nodes.Node] = {}
        for i in reversed(range(count)):
            terms = [(self.lower_tile(j, i), backward[j]) for j in range(i + 1, count)]
            backward[i] = nodes.SubstitutionNode(
                self.lower_tile(i, i), (forward[i], nodes.whole(forward[i])), terms, True,
                dtype)
        return OOArray(nodes.ConcatRowsNode([backward[i] for i in range(count)]))


def _square(a: OOArray) -> None:
    _require_matrix(a)
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


@implements(np.linalg.cholesky)
def cholesky(a: Any, /, *, upper: bool = False) -> OOArray:
    """Cholesky factor, as ``np.linalg.cholesky``: blocked, right-looking, tiles from the budget.

    Parameters
    ----------
    a : array_like, (n, n)
        Hermitian positive definite; as in NumPy only its lower triangle is read. Stacks of
        matrices are computed in memory if they fit.
    upper : bool
        Return L^H instead of L.

    Returns
    -------
    OOArray
        L (or L^H), zeros in the other triangle.

    Raises
    ------
    LinAlgError
        At ``compute()``, if ``a`` is not positive definite; at the call, if it is not square.

    Examples
    --------
    >>> import ooarray as oa
    >>> l = np.linalg.cholesky(oa.asarray([[4.0, 2.0], [2.0, 5.0]]))
    >>> l.compute().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    a = _operand(a)
    _square(a)
    dtype = _result_dtype(np.linalg.cholesky, a.dtype, index=None)
    if a.ndim > 2 or a.shape[0] == 0:
        return _in_memory(np.linalg.cholesky, "cholesky", [a], a.nbytes, upper=upper,
                          why=f" of a stack of matrices {a.shape}")
    return _Cholesky(a, dtype).factor(upper)


# -- solve and lstsq ----------------------------------------------------------------------------
@implements(np.linalg.solve)
def solve(a: Any, b: Any) -> OOArray:
    """Solve ``a @ x = b``, as ``np.linalg.solve``.

    ``a`` that fits a quarter of the budget is solved in memory with NumPy (any nonsingular
    matrix, at the call). A larger ``a`` is solved out of core by Cholesky and blocked
    substitution, which needs ``a`` Hermitian positive definite.

    Parameters
    ----------
    a : array_like, (n, n)
    b : array_like, (n,) or (n, k)

    Returns
    -------
    OOArray

    Raises
    ------
    LinAlgError
        If ``a`` is not square; out of core, at ``compute()``, if ``a`` is not Hermitian or
        not positive definite (in memory: if it is singular, as NumPy).

    Examples
    --------
    >>> import ooarray as oa
    >>> np.linalg.solve(oa.asarray([[4.0, 2.0], [2.0, 5.0]]), [2.0, 1.0]).compute()
    array([0.5, 0. ])
    """
    a, b = _operand(a), _operand(b)
    _square(a)
    dtype = _result_dtype(np.linalg.solve, a.dtype, b.dtype)
    vector = b.ndim == 1
    if a.ndim > 2 or b.ndim > 2 or _fits(a.nbytes, 2 * b.nbytes):
        return _in_memory(np.linalg.solve, "solve", [a, b], b.nbytes,
                          why=" of stacked matrices")
    if b.shape[0] != a.shape[0]:
        raise ValueError(f"solve: Input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {b.shape[0]} is different from {a.shape[0]})")
    rhs = (b[:, None] if vector else b).astype(dtype, copy=False)
    x = _Cholesky(a, dtype, check_hermitian=True).solve(rhs, dtype)
    return x[:, 0] if vector else x


def _lstsq_small(r: np.ndarray, rcond: float | None, m: int, n: int, dtype: np.dtype):
    """Singular values, rank and the pseudo-inverse of R (as NumPy's gelsd cuts them)."""
    u, s, vh = np.linalg.svd(r, full_matrices=False)
    if rcond is None or rcond < 0:
        rcond = np.finfo(dtype).eps * max(m, n)
    keep = s > rcond * (s[0] if s.size else 0)
    inverse = np.where(keep, 1 / np.where(keep, s, 1), 0)
    return s, np.int32(keep.sum()), (vh.conj().T * inverse) @ u.conj().T


@implements(np.linalg.lstsq)
def lstsq(a: Any, b: Any, rcond: float | None = None) -> tuple:
    """Least-squares solution, as ``np.linalg.lstsq``; tall-skinny ``a`` by TSQR.

    x = V S^+ U_r^H Q^H b with R = U_r S V^H: the minimum-norm solution, as NumPy's.

    Returns
    -------
    (x, residuals, rank, s)
        x, residuals and s are OOArrays; rank a NumPy int32, as NumPy's. The small R factor is
        computed at the call (the residuals' shape depends on the rank), x lazily.

    Examples
    --------
    >>> import ooarray as oa
    >>> x, res, rank, s = np.linalg.lstsq(oa.asarray([[1.0, 0], [0, 1], [1, 1]]), [1, 1, 2.0])
    >>> x.compute().round(6).tolist(), int(rank)
    ([1.0, 1.0], 2)
    """
    a, b = _operand(a), _operand(b)
    if a.ndim != 2 or b.ndim not in (1, 2):
        _require_matrix(a)
        raise LinAlgError(f"lstsq: expected a 2-D matrix and a 1-D or 2-D right-hand side, "
                          f"got shapes {a.shape} and {b.shape}")
    m, n = a.shape
    if b.shape[0] != m:
        raise LinAlgError("Incompatible dimensions")
    dtype = _result_dtype(np.linalg.lstsq, a.dtype, b.dtype)
    if m < n or n == 0 or b.size == 0:
        return _in_memory(np.linalg.lstsq, "lstsq", [a, b], b.nbytes + n * b.itemsize, rcond,
                          why=f" of a short-fat or empty matrix {a.shape}")
    tsqr = _TSQR(a, dtype)
    s, rank, pinv = _lstsq_small(tsqr.r.compute(), rcond, m, n, dtype)
    rhs = (b[:, None] if b.ndim == 1 else b).astype(dtype, copy=False)
    x = asarray(pinv) @ (np.conj(tsqr.q.T) @ rhs)
    x = x[:, 0] if b.ndim == 1 else x
    if rank == n and m > n:
        fitted = a.astype(dtype, copy=False) @ (x[:, None] if b.ndim == 1 else x)
        residual = np.sum(np.abs(rhs - fitted) ** 2, axis=0)
    else:
        residual = asarray(np.empty(0, _real(dtype)))
    return x, residual, rank, asarray(s.astype(_real(dtype), copy=False))


# -- the rest of numpy.linalg: in memory when it fits ---------------------------------------------
def _fallback(func: Callable[..., Any]) -> Callable[..., Any]:
    name = func.__name__

    def run(*args: Any, **kwargs: Any) -> Any:
        arrays = [x for arg in (*args, *kwargs.values())
                  for x in (arg if isinstance(arg, (list, tuple)) else [arg])
                  if isinstance(x, OOArray)]
        needed = 2 * sum(x.nbytes for x in arrays)  # the operands, and a result as large
        if not _fits(needed):
            _in_memory(func, name, arrays, needed)  # raises the TypeError
        values = {id(x): x.compute() for x in arrays}

        def plain(arg: Any) -> Any:
            if isinstance(arg, (list, tuple)):
                return type(arg)(plain(x) for x in arg)
            return values.get(id(arg), arg)

        return _wrap(func(*[plain(x) for x in args],
                          **{k: plain(v) for k, v in kwargs.items()}))

    run.__name__ = run.__qualname__ = name
    run.__doc__ = (f"``numpy.linalg.{name}`` computed in memory with NumPy when its operands "
                   f"fit {IN_MEMORY_SHARE:.0%} of memory_limit; TypeError otherwise.")
    return run


#: numpy.linalg functions with no out-of-core algorithm here.
IN_MEMORY_ONLY = ("cond", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "matrix_power",
                  "matrix_rank", "pinv", "slogdet", "tensorinv", "tensorsolve", "norm",
                  "matrix_norm", "vector_norm", "multi_dot", "cross", "outer", "tensordot",
                  "vecdot", "trace", "diagonal", "matrix_transpose", "matmul")

for _name in IN_MEMORY_ONLY:
    _function = getattr(np.linalg, _name, None)
    if _function is not None and _function not in HANDLED_FUNCTIONS:  # ops/linalg.py first
        implements(_function)(_fallback(_function))
