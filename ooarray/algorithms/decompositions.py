"""Plan nodes of the out-of-core matrix decompositions: TSQR, blocked Cholesky, substitution.

Every node here is materialised: its chunks live in the buffer pool and spill when the budget
is small, and each node is one stage of the plan. LAPACK works outside the pool, so a task
charges the copies NumPy makes (``ctx.pool.charge``) and declares them as scratch, which is
what keeps the budget honest around ``numpy.linalg`` calls.

* **TSQR** (tall-skinny QR): :class:`BlockRNode` makes the R factor of every row block (and
  the top rows of the first block's Q, for the sign fix-up); :class:`DenseNode` runs the small
  QR of the stacked R factors in memory; :class:`TSQRApplyNode` recomputes each block's Q and
  multiplies it by that block's part of a small right factor (Q2, or Q2 @ U for the SVD).
  Recomputing the block QR costs flops but no write and read of an m x n intermediate.
* **Cholesky** (right-looking, tiles of b x b): per panel k a :class:`CholDiagNode`
  (the tile's Cholesky), a :class:`CholPanelNode` (tiles below it, by a triangular solve)
  and a :class:`CholUpdateNode` (the trailing matrix minus the panel's outer product).
* **Substitution**: :class:`SubstitutionNode` makes one block row of the solution of
  L y = b (forward) or L^H x = y (backward), streaming L's tiles one after another.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node

__all__ = ["DenseNode", "BlockRNode", "TSQRApplyNode", "CholDiagNode", "CholPanelNode",
           "CholUpdateNode", "CholAssembleNode", "HermitianCheckNode", "SubstitutionNode",
           "ConcatRowsNode", "Blocks", "Tile", "whole"]

#: Copies of its operand that a LAPACK call makes outside the pool (a Fortran-ordered copy,
#: the factor it returns, workspace), counted against the budget.
LAPACK_COPIES = 3

#: (node, region): a tile of some node.
Tile = tuple[Node, Region]


def whole(node: Node) -> Region:
    """The region covering all of ``node``."""
    return tuple(slice(0, n) for n in node.shape)


def _bytes(shape: Sequence[int], dtype: np.dtype) -> int:
    return math.prod(shape) * np.dtype(dtype).itemsize


def _charge(ctx: EvaluationContext, nbytes: int):
    """Count ``nbytes`` that NumPy allocates outside the pool against the budget."""
    return ctx.charge(nbytes)


def _emit(ctx: EvaluationContext, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    out = ctx.allocate(value.shape, dtype)
    out[...] = value
    return out


class Blocks:
    """Start offsets of a tuple of block lengths."""

    def __init__(self, lengths: Sequence[int]) -> None:
        self.lengths = tuple(int(x) for x in lengths)
        self.starts = offsets(self.lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def slice(self, i: int, shift: int = 0) -> slice:
        return slice(shift + self.starts[i], shift + self.starts[i] + self.lengths[i])


class DenseNode(MaterializedNode):
    """A small result computed in memory, in one task, from whole inputs.

    Parameters
    ----------
    inputs : sequence of Node
        Read whole.
    func : callable
        ``func(*arrays) -> ndarray`` of ``shape``; may raise ``LinAlgError``.
    shape, dtype
        Of the result.
    name : str
        For plan displays.
    """

    task_threads = 1

    def __init__(self, inputs: Sequence[Node], func: Callable[..., np.ndarray],
                 shape: Sequence[int], dtype: np.dtype, name: str) -> None:
        chunks = tuple((n,) if n else (0,) for n in shape)
        super().__init__(shape, dtype, chunks, inputs)
        self.func, self.name = func, name

    @property
    def label(self) -> str:
        return self.name

    def task_inputs(self, index):
        return [(node, whole(node)) for node in self.inputs]

    def chunk_scratch_bytes(self, index) -> int:
        return LAPACK_COPIES * sum(node.nbytes for node in self.inputs)

    def compute_chunk(self, index, arrays, ctx):
        with _charge(ctx, self.chunk_scratch_bytes(index)):
            return _emit(ctx, self.func(*arrays), self.dtype)


# -- TSQR ---------------------------------------------------------------------------------
class BlockRNode(MaterializedNode):
    """The stacked R factors of the row blocks of a tall matrix ``a`` (m x n).

    Chunk ``i`` is ``R_i`` (``min(r_i, n)`` x n); chunk 0 also holds, below ``R_0``, the top
    ``min(r_0, n)`` rows of the first block's Q (zero-padded to n columns).
    """

    task_threads = 1  # LAPACK uses every core inside one task

    def __init__(self, a: Node, rows: Sequence[int]) -> None:
        n = a.shape[1]
        self.blocks = Blocks(rows)
        self.ks = tuple(min(r, n) for r in rows)
        self.top = min(rows[0], n)
        lengths = (self.ks[0] + self.top,) + self.ks[1:]
        super().__init__((sum(lengths), n), a.dtype, (lengths, (n,)), [a])

    @property
    def label(self) -> str:
        return "tsqr-r"

    def task_inputs(self, index):
        a = self.inputs[0]
        return [(a, (self.blocks.slice(index[0]), slice(0, a.shape[1])))]

    def chunk_scratch_bytes(self, index) -> int:
        return LAPACK_COPIES * _bytes((self.blocks.lengths[index[0]], self.shape[1]), self.dtype)

    def compute_chunk(self, index, arrays, ctx):
        i, k = index[0], self.ks[index[0]]
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        with _charge(ctx, self.chunk_scratch_bytes(index)):
            if i == 0:
                q, r = np.linalg.qr(arrays[0])
                out[k:] = 0
                out[k:, :k] = q[:self.top]
            else:
                r = np.linalg.qr(arrays[0], mode="r")
        out[:k] = r
        return out


class TSQRApplyNode(MaterializedNode):
    """``Q_i @ W_i`` per row block: Q_i from the block's QR (recomputed), W_i the block's rows
    of a small right factor ``w`` (K x p, K the stacked R factors' rows)."""

    task_threads = 1

    def __init__(self, a: Node, rows: Sequence[int], w: Node) -> None:
        n = a.shape[1]
        self.blocks = Blocks(rows)
        self.ks = Blocks([min(r, n) for r in rows])
        p = w.shape[1]
        super().__init__((a.shape[0], p), np.result_type(a.dtype, w.dtype),
                         (self.blocks.lengths, (p,)), [a, w])

    @property
    def label(self) -> str:
        return "tsqr-q"

    def task_inputs(self, index):
        a, w = self.inputs
        i = index[0]
        return [(a, (self.blocks.slice(i), slice(0, a.shape[1]))),
                (w, (self.ks.slice(i), slice(0, w.shape[1])))]

    def chunk_scratch_bytes(self, index) -> int:
        return LAPACK_COPIES * _bytes((self.blocks.lengths[index[0]], self.inputs[0].shape[1]),
                                      self.dtype)

    def compute_chunk(self, index, arrays, ctx):
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        with _charge(ctx, self.chunk_scratch_bytes(index)):
            q = np.linalg.qr(arrays[0])[0]
            np.matmul(q, arrays[1], out=out)
        return out


# -- Cholesky ---------------------------------------------------------------------------
def _tile_bytes(tile: Tile) -> int:
    return _bytes(region_shape(tile[1]), tile[0].dtype)


class CholDiagNode(MaterializedNode):
    """``L_kk = cholesky(S_kk)`` of one diagonal tile; ``guard`` nodes are read first (a check
    that raises)."""

    task_threads = 1

    def __init__(self, tile: Tile, dtype: np.dtype, guard: Sequence[Node] = ()) -> None:
        shape = region_shape(tile[1])
        super().__init__(shape, dtype, tuple((s,) for s in shape), [tile[0], *guard])
        self.tile = tile

    @property
    def label(self) -> str:
        return "cholesky-diag"

    def task_inputs(self, index):
        return [self.tile] + [(g, whole(g)) for g in self.inputs[1:]]

    def chunk_scratch_bytes(self, index) -> int:
        return LAPACK_COPIES * self.nbytes

    def compute_chunk(self, index, arrays, ctx):
        with _charge(ctx, self.chunk_scratch_bytes(index)):
            return _emit(ctx, np.linalg.cholesky(arrays[0]), self.dtype)


class CholPanelNode(MaterializedNode):
    """``L_ik = S_ik L_kk^{-H}`` for the tiles ``tiles`` below a diagonal tile."""

    def __init__(self, tiles: Sequence[Tile], diag: CholDiagNode) -> None:
        rows = [region_shape(t[1])[0] for t in tiles]
        b = diag.shape[0]
        super().__init__((sum(rows), b), diag.dtype, (tuple(rows), (b,)),
                         [*{id(t[0]): t[0] for t in tiles}.values(), diag])
        self.tiles, self.diag = list(tiles), diag

    @property
    def label(self) -> str:
        return "cholesky-panel"

    def task_inputs(self, index):
        return [self.tiles[index[0]], (self.diag, whole(self.diag))]

    def chunk_scratch_bytes(self, index) -> int:
        return LAPACK_COPIES * (_tile_bytes(self.tiles[index[0]]) + self.diag.nbytes)

    def compute_chunk(self, index, arrays, ctx):
        tile, lkk = arrays
        with _charge(ctx, self.chunk_scratch_bytes(index)):
            solved = np.linalg.solve(lkk, tile.conj().T).conj().T
        return _emit(ctx, solved, self.dtype)


class CholUpdateNode(MaterializedNode):
    """The trailing matrix after a panel: ``S_ij - L_ik L_jk^H`` on and below the diagonal
    (tile grid ``blocks``); the tiles above it are zeros that nothing reads."""

    def __init__(self, tiles: Callable[[int, int], Tile], blocks: Sequence[int],
                 panel: CholPanelNode, sources: Sequence[Node]) -> None:
        self.blocks = Blocks(blocks)
        grid = self.blocks.lengths
        super().__init__((sum(grid), sum(grid)), panel.dtype, (grid, grid),
                         [*sources, panel])
        self.tiles, self.panel = tiles, panel

    @property
    def label(self) -> str:
        return "cholesky-update"

    def _panel_tile(self, i: int) -> Tile:
        return (self.panel, (self.blocks.slice(i), slice(0, self.panel.shape[1])))

    def task_inputs(self, index):
        i, j = index
        if i < j:
            return []
        return [self.tiles(i, j), self._panel_tile(i), self._panel_tile(j)]

    def chunk_scratch_bytes(self, index) -> int:
        return _bytes(region_shape(self.chunk_region(index)), self.dtype)  # the product

    def compute_chunk(self, index, arrays, ctx):
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        if index[0] < index[1]:
            out.fill(0)
            return out
        source, left, right = arrays
        np.matmul(left, right.conj().T, out=out)
        np.subtract(source, out, out=out)
        return out


class CholAssembleNode(MaterializedNode):
    """The n x n factor from its tiles: ``L`` (zeros above), or ``L^H`` if ``upper``."""

    def __init__(self, blocks: Sequence[int], diags: Sequence[CholDiagNode],
                 panels: Sequence[CholPanelNode], upper: bool) -> None:
        self.blocks = Blocks(blocks)
        n = sum(self.blocks.lengths)
        super().__init__((n, n), diags[0].dtype, (self.blocks.lengths,) * 2,
                         [*diags, *panels])
        self.diags, self.panels, self.upper = list(diags), list(panels), upper

    @property
    def label(self) -> str:
        return "cholesky"

    def _lower(self, i: int, j: int) -> Tile:
        if i == j:
            return (self.diags[i], whole(self.diags[i]))
        panel = self.panels[j]
        return (panel, (self.blocks.slice(i, -self.blocks.starts[j + 1]),
                         slice(0, panel.shape[1])))

    def task_inputs(self, index):
        i, j = index
        if self.upper:
            return [self._lower(j, i)] if j >= i else []
        return [self._lower(i, j)] if i >= j else []

    def compute_chunk(self, index, arrays, ctx):
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        if not arrays:
            out.fill(0)
        else:
            out[...] = arrays[0].conj().T if self.upper else arrays[0]
        return out


class HermitianCheckNode(MaterializedNode):
    """Raises ``LinAlgError`` if ``a`` is not Hermitian within a rounding tolerance; one task
    per tile pair below the diagonal (the chunks it makes are empty flags)."""

    #: Allowed |a_ij - conj(a_ji)| in units of eps times the tile pair's largest magnitude.
    TOLERANCE_EPS = 1000

    def __init__(self, a: Node, blocks: Sequence[int]) -> None:
        self.blocks = Blocks(blocks)
        count = len(self.blocks)
        super().__init__((count, count), np.int8, ((1,) * count,) * 2, [a])

    @property
    def label(self) -> str:
        return "hermitian-check"

    def task_inputs(self, index):
        i, j = index
        if i <= j:
            return []
        a = self.inputs[0]
        return [(a, (self.blocks.slice(i), self.blocks.slice(j))),
                (a, (self.blocks.slice(j), self.blocks.slice(i)))]

    def compute_chunk(self, index, arrays, ctx):
        if arrays:
            lower, upper = arrays
            scale = max(float(np.max(np.abs(lower), initial=0)),
                        float(np.max(np.abs(upper), initial=0)))
            eps = np.finfo(self.inputs[0].dtype).eps if self.inputs[0].dtype.kind in "fc" \
                else 0
            if np.max(np.abs(lower - upper.conj().T), initial=0) > \
                    self.TOLERANCE_EPS * eps * scale:
                raise np.linalg.LinAlgError(
                    "ooarray solves systems that do not fit memory_limit by Cholesky, which "
                    "needs a Hermitian (symmetric) positive-definite matrix; this one is not "
                    "Hermitian. Raise memory_limit to solve it in memory")
        out = ctx.allocate((1, 1), self.dtype)
        out.fill(0)
        return out


class SubstitutionNode(MaterializedNode):
    """Block row ``i`` of the solution of a triangular system by a Cholesky factor's tiles.

    Forward: ``y_i = L_ii^{-1} (b_i - sum_{j<i} L_ij y_j)``; backward (``adjoint``):
    ``x_i = L_ii^{-H} (y_i - sum_{j>i} L_ji^H x_j)``. ``terms`` are the (L tile, solved block)
    pairs of the sum, streamed one pair at a time.
    """

    task_threads = 1

    def __init__(self, diag: Tile, rhs: Tile, terms: Sequence[tuple[Tile, Node]],
                 adjoint: bool, dtype: np.dtype) -> None:
        shape = (region_shape(diag[1])[0], region_shape(rhs[1])[1])
        nodes = [diag[0], rhs[0]] + [t[0] for t, _ in terms] + [x for _, x in terms]
        super().__init__(shape, dtype, tuple((s,) for s in shape),
                         list({id(n): n for n in nodes}.values()))
        self.diag, self.rhs, self.terms, self.adjoint = diag, rhs, list(terms), adjoint

    @property
    def label(self) -> str:
        return "backward" if self.adjoint else "forward"

    def task_inputs(self, index):
        return [self.diag, self.rhs]

    def streamed_inputs(self, index):
        pairs: list[Tile] = []
        for tile, solved in self.terms:
            pairs += [tile, (solved, whole(solved))]
        return pairs

    def chunk_scratch_bytes(self, index) -> int:
        worst = max((_tile_bytes(t) + s.nbytes for t, s in self.terms), default=0)
        return 2 * self.nbytes + worst + LAPACK_COPIES * _tile_bytes(self.diag)

    def compute_chunk(self, index, arrays, ctx):
        diag, rhs = arrays
        total = ctx.allocate(self.shape, self.dtype)
        total[...] = rhs
        product = ctx.allocate(self.shape, self.dtype) if self.terms else None
        for tile, solved in self.terms:
            with ctx.scope():
                block = ctx.evaluate(*tile)
                x = ctx.evaluate(solved, whole(solved))
                np.matmul(block.conj().T if self.adjoint else block, x, out=product)
                np.subtract(total, product, out=total)
        with _charge(ctx, LAPACK_COPIES * _tile_bytes(self.diag)):
            result = np.linalg.solve(diag.conj().T if self.adjoint else diag, total)
        return _emit(ctx, result, self.dtype)


class ConcatRowsNode(MaterializedNode):
    """The row blocks ``parts`` (each one chunk, the same columns) stacked."""

    def __init__(self, parts: Sequence[Node]) -> None:
        rows = tuple(p.shape[0] for p in parts)
        cols = parts[0].shape[1]
        super().__init__((sum(rows), cols), parts[0].dtype, (rows, (cols,)), parts)

    @property
    def label(self) -> str:
        return "concatenate"

    def task_inputs(self, index):
        part = self.inputs[index[0]]
        return [(part, whole(part))]

    def compute_chunk(self, index, arrays, ctx):
        return _emit(ctx, arrays[0], self.dtype)
