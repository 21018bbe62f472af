"""Out-of-core matrix multiplication: output-stationary tiles sized from the budget.

Dask and Cubed multiply block by block and sum the partial products in a tree, which
materialises ``k / chunk`` partial results. Here one task owns one tile of C: it walks the
k dimension in steps, multiplying an A tile by a B tile with BLAS (all cores), which adds the
product into the C tile itself (:mod:`ooarray.plan.blas`), while the I/O thread reads the next
step's tiles and the writer thread writes the previous C tile. The tile side comes from the
budget: a task holds its C tile and two steps of A and B tiles (the one in use and the one being
prefetched), while the previous C tile and the sink's two encoded copies of it are in flight.

The counted input traffic, ``k (tm + tn)`` elements per tile, is reported next to the
Hong-Kung lower bound ``2 m n k / sqrt(M)`` (in elements, for a fast memory of ``M`` elements).
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math

import numpy as np

from ooarray.core.chunks import Chunks, Region, normalize_chunks, region_shape
from ooarray.plan.blas import BandedGemm, GemmCall, blas_gemm_available, finish_lanes, \
    gemm_accumulate
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, region_footprint

__all__ = ["MatmulTiles", "plan_tiles", "MatmulNode"]

#: Share of the budget one multiplication task plans for; the rest is slack for the pool's
#: size classes and small allocations.
TASK_SHARE = 0.9
#: What a task holds at once, in square tiles: its C tile, the previous C tile and the sink's
#: two copies of it while the writer thread encodes it (so that the write overlaps this
#: task's BLAS), and a product buffer where BLAS cannot accumulate in place (see
#: :mod:`ooarray.plan.blas`); and three steps of A and B tiles: the one in use (its stored
#: chunks pinned, and the tile assembled from them) and the one being prefetched (pinned).
C_TILES_HELD = 4
STEP_TILES_HELD = 3
#: Copies of a C tile the sink may hold while it encodes (zarr's copy and the encoded bytes).
SINK_TILE_COPIES = 2
#: How often a plan is shrunk when a task's measured working set exceeds the budget, and the
#: margin each shrink leaves.
PLAN_REFINEMENTS = 6
PLAN_SHRINK_MARGIN = 0.9
#: A plan's working set is measured on every task up to this many, and on a sample beyond.
TASKS_MEASURED = 256
#: Bands of a tile's rows per core when its rows span fewer of A's chunks than there are cores
#: (the cores take bands from one queue, see BandedGemm).
BANDS_PER_CORE = 3
#: Large tiles are rounded down to a multiple of this (BLAS blocks, typical chunk sizes).
TILE_ROUNDING = 256


@dataclasses.dataclass(frozen=True)
class MatmulTiles:
    """A tile plan for C (m x n) = A (m x k) @ B (k x n).

    Attributes
    ----------
    tm, tn, tk : int
        Rows and columns of a C tile, and the k step.
    task_bytes : int
        What one task holds at once.
    io_bytes : int
        Input bytes the tasks read, counted without reuse between tasks.
    lower_bound_bytes : int
        Hong-Kung lower bound of the input traffic for a fast memory of the budget's size.
    """

    tm: int
    tn: int
    tk: int
    task_bytes: int
    io_bytes: int
    lower_bound_bytes: int

    @property
    def io_ratio(self) -> float:
        """Counted input traffic over the lower bound."""
        return self.io_bytes / self.lower_bound_bytes if self.lower_bound_bytes else 1.0


def _round(t: int, limit: int, align: int = 1) -> int:
    """Clamp ``t`` to ``limit`` and round it down to a multiple of ``align`` (the operands'
    chunk length, so tiles cover whole chunks: no chunk is pinned for a sliver, and no tile
    is assembled from pieces), or of :data:`TILE_ROUNDING` for large tiles."""
    t = max(1, min(t, limit))
    if t == limit:
        return t
    if align > 1 and t >= align:
        return t - t % align
    if align > 1:
        # Smaller than a chunk: a divisor of the chunk length, so no tile straddles two chunks
        # (a straddling tile pins both).
        return max(d for d in range(1, t + 1) if align % d == 0)
    if t >= 2 * TILE_ROUNDING:
        return t - t % TILE_ROUNDING
    return t


def plan_tiles(m: int, k: int, n: int, itemsize: int, budget: int,
               align: tuple[int, int, int] = (1, 1, 1),
               product_buffer: bool = True) -> MatmulTiles:
    """Choose output-stationary tiles for C = A @ B within ``budget`` bytes.

    ``align`` gives the chunk lengths of the operands along m, n and k; tiles are rounded
    down to multiples of them where they are larger. ``product_buffer`` reserves a tile for
    products that BLAS cannot add into C itself.

    Examples
    --------
    >>> t = plan_tiles(16384, 16384, 16384, 8, 10**9, align=(1024, 1024, 1024))
    >>> (t.tm, t.tn, t.tk), t.task_bytes <= 10**9
    ((3072, 3072, 3072), True)
    """
    items = int(budget * TASK_SHARE) // itemsize
    c_tiles = C_TILES_HELD + int(product_buffer)
    side = math.isqrt(max(1, items // (c_tiles + 2 * STEP_TILES_HELD)))
    tm, tn = _round(side, m, align[0]), _round(side, n, align[1])
    # Whatever C and its copies leave goes to the k step (tall-skinny and thin shapes).
    held_c = c_tiles * tm * tn
    tk = _round(max(1, (items - held_c) // (STEP_TILES_HELD * (tm + tn))), k, align[2])
    task_items = held_c + STEP_TILES_HELD * tk * (tm + tn)
    tiles = math.ceil(m / tm) * math.ceil(n / tn)
    io_items = tiles * k * (tm + tn) if m and n else 0
    bound = 2 * m * n * k / math.sqrt(max(1, budget // itemsize))
    return MatmulTiles(tm, tn, tk, task_items * itemsize, io_items * itemsize,
                       int(bound * itemsize))


class MatmulNode(MaterializedNode):
    """C = A @ B for A (..., m, k) and B (..., k, n), batch axes broadcast.

    Parameters
    ----------
    a, b : Node
        Operands with at least two axes.
    dtype : numpy.dtype
        NumPy's result dtype.
    budget : int
        Bytes the tile plan may use.
    """

    task_threads = 1  # BLAS uses every core inside one task

    def __init__(self, a: Node, b: Node, dtype: np.dtype, budget: int) -> None:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        m, k = a.shape[-2:]
        n = b.shape[-1]
        align = (max(a.chunks[-2]), max(b.chunks[-1]),
                 math.lcm(max(a.chunks[-1]), max(b.chunks[-2])))
        itemsize = np.dtype(dtype).itemsize
        self._batch_chunks = tuple((1,) * length if length else (0,) for length in batch)
        self._core_shape = (m, n)
        self.k = k
        self._direct_blas = blas_gemm_available(dtype)
        product = not self._direct_blas
        # Chunk-by-chunk products (see _piecewise) run on lanes of single-threaded BLAS, one
        # per core; set first, since it decides what a task holds.
        piecewise = not batch and all(node.materialized and node.dtype == dtype
                                      for node in (a, b))
        self.library_threads = 1 if self._direct_blas and piecewise else None
        super().__init__(tuple(batch) + (m, n), dtype, self._grid(plan_tiles(
            m, k, n, itemsize, budget, align, product)), [a, b])
        # The plan's model assumes tiles that cover whole chunks; operands whose stored chunks
        # are coarser than a step (reshaped, transposed) pin more. Measure one task's real
        # working set and shrink the plan until it fits, when it can.
        planning = budget
        best = (self._task_bytes(), self.tiles)
        for _ in range(PLAN_REFINEMENTS):
            if best[0] <= budget or planning <= 1:
                break
            planning = max(1, int(planning * budget / best[0] * PLAN_SHRINK_MARGIN))
            self.chunks = self._grid(plan_tiles(m, k, n, itemsize, planning, align, product))
            best = min(best, (self._task_bytes(), self.tiles), key=lambda pair: pair[0])
        # Smaller steps do not help when whole stored chunks are pinned anyway: keep the plan
        # that needed least (the budget check then says how much that is).
        self.chunks = self._grid(best[1])

    def _grid(self, tiles: MatmulTiles) -> Chunks:
        """Adopt ``tiles``: set the k steps and return the output chunk grid."""
        self.tiles = tiles
        self.steps = [slice(s, min(s + tiles.tk, self.k)) for s in range(0, self.k, tiles.tk)]
        return self._batch_chunks + normalize_chunks((tiles.tm, tiles.tn), self._core_shape, 1)

    def _task_bytes(self) -> int:
        """The largest working set (tile, scratch, the sink's copies) of the tasks: all of them
        when there are few, else a sample that meets every row and column offset of the tiles
        against the operands' chunks."""
        lead = (0,) * (len(self.shape) - 2)
        rows, cols = len(self.chunks[-2]), len(self.chunks[-1])
        if rows * cols <= TASKS_MEASURED:
            indices = {lead + (i, j) for i in range(rows) for j in range(cols)}
        else:
            indices = {lead + (i, (i * 7 + j) % cols) for i in range(rows)
                       for j in range(max(1, TASKS_MEASURED // rows))}
        worst = 0
        for index in indices:
            tile = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
            worst = max(worst, tile * (1 + SINK_TILE_COPIES) + self.chunk_scratch_bytes(index))
        return worst

    @property
    def label(self) -> str:
        return "matmul"

    def _regions(self, index: tuple[int, ...], step: slice) -> tuple[Region, Region]:
        region = self.chunk_region(index)
        rows, cols = region[-2:]
        batch = region[:-2]
        a, b = self.inputs

        def lead(node: Node) -> tuple[slice, ...]:
            own = node.shape[:-2]
            offset = len(batch) - len(own)
            return tuple(slice(0, 1) if length == 1 else batch[offset + axis]
                         for axis, length in enumerate(own))

        return lead(a) + (rows, step), lead(b) + (step, cols)

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        pairs: list[tuple[Node, Region]] = []
        for step in self.steps:
            region_a, region_b = self._regions(index, step)
            pairs += [(self.inputs[0], region_a), (self.inputs[1], region_b)]
        return pairs

    def opening_reads(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return list(zip(self.inputs, self._regions(index, self.steps[0]))) if self.steps \
            else []

    def _step_bytes(self, index: tuple[int, ...], step: slice) -> tuple[int, int, int]:
        """A step's bytes: A's chunks and B's chunks it pins, and its copy of B."""
        region_a, region_b = self._regions(index, step)
        pinned_b, built_b = region_footprint(self.inputs[1], region_b)
        return region_footprint(self.inputs[0], region_a)[0], pinned_b, built_b

    def _room_after_last_step(self, index: tuple[int, ...]) -> int:
        """What a lanes task's reservation leaves while its last step is read and the one
        before it multiplied (see chunk_scratch_bytes)."""
        sizes = [self._step_bytes(index, step) for step in self.steps]
        reserved = max(3 * (a + b) + built for a, b, built in sizes)
        last_a, last_b, last_built = sizes[-1]
        before = sizes[-2][0] + sizes[-2][2] if len(sizes) > 1 else 0
        return reserved - before - (last_a + last_b + last_built)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        tile = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
        worst = 0
        for step in self.steps:
            pinned_a, built_a = region_footprint(self.inputs[0], self._regions(index, step)[0])
            pinned_b, built_b = region_footprint(self.inputs[1], self._regions(index, step)[1])
            if self.library_threads == 1:  # (_room_after_last_step follows this)
                # the step the lanes multiply holds A's chunks and its copy of B's, the next
                # one A's and B's chunks and the copy being made, the one after it is
                # prefetched: at most three steps of chunks and one copy, since a copy is no
                # larger than the chunks it comes from
                worst = max(worst, 3 * (pinned_a + pinned_b) + built_b)
            else:
                # the step in use (pinned and assembled) and the next one (pinned, prefetched)
                worst = max(worst, 2 * (pinned_a + pinned_b) + built_a + built_b)
        return worst + (0 if self._direct_blas else tile)  # and the product buffer

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        a, b = self.inputs
        shape = region_shape(self.chunk_region(index))
        chunk = ctx.allocate(shape, self.dtype)  # batch axes of length 1, then the C tile
        tile = chunk.reshape(shape[-2:])
        if not self.steps:
            tile.fill(0)
            return chunk
        if self.library_threads == 1:
            self._multiply_in_lanes(ctx, index, tile)
            return chunk
        product = ctx.allocate(shape[-2:], self.dtype) if not self._direct_blas and (
            len(self.steps) > 1 or self._piecewise) else None
        self._prefetch_step(ctx, index, 0)
        for number, step in enumerate(self.steps):
            self._prefetch_step(ctx, index, number + 1)
            region_a, region_b = self._regions(index, step)
            with ctx.scope():
                if self._piecewise:
                    for lane in self._piece_lanes(ctx, region_a, region_b, tile, number == 0,
                                                  [(region_a[0].start, region_a[0].stop)]):
                        for left, right, target, overwrite in lane:
                            gemm_accumulate(left, right, target, product, overwrite=overwrite)
                    continue
                depth = step.stop - step.start
                left = ctx.evaluate(a, region_a).reshape(shape[-2], depth)
                right = ctx.evaluate(b, region_b).reshape(depth, shape[-1])
                gemm_accumulate(left, right, tile, product, overwrite=number == 0)
        return chunk

    def _prefetch_step(self, ctx: EvaluationContext, index: tuple[int, ...],
                       number: int) -> None:
        if number < len(self.steps):
            region_a, region_b = self._regions(index, self.steps[number])
            ctx.prefetch(self.inputs[0], region_a)
            ctx.prefetch(self.inputs[1], region_b)

    def _multiply_in_lanes(self, ctx: EvaluationContext, index: tuple[int, ...],
                           tile: np.ndarray) -> None:
        """Multiply step by step, each step's chunk pieces as GEMM calls in bands of the tile's
        rows, run by one single-threaded BLAS thread per core
        (:class:`~ooarray.plan.blas.BandedGemm`).

        The task reads step ``s + 1`` while the threads multiply step ``s``, so a thread that
        the I/O thread slowed down does not hold the other one at the end of every step;
        during the last step the I/O thread reads the next tile's first step.
        """
        in_flight: collections.deque = collections.deque()
        bands = _bands(self.chunk_region(index)[-2], self.inputs[0].chunks[0], ctx.cores)
        gemm = BandedGemm(len(bands), ctx.cores)
        self._prefetch_step(ctx, index, 0)
        try:
            for number, step in enumerate(self.steps):
                if number + 1 < len(self.steps):
                    self._prefetch_step(ctx, index, number + 1)
                else:  # the next tile's first step, in what the task's last steps leave
                    ctx.prefetch_upcoming(self._room_after_last_step(index))
                part = ctx.part()
                in_flight.append((part, []))
                lanes = self._piece_lanes(part, *self._regions(index, step), tile,
                                          number == 0, bands)
                in_flight[-1][1].extend(gemm.start(lanes))
                if len(in_flight) > 1:
                    self._end_step(*in_flight.popleft())
            # The last step may end after the task: a lane that finishes first starts on the
            # next tile instead of waiting for the other (they drift apart by 50-100 ms a
            # tile, as the I/O and writer threads take one core or the other).
            last = list(in_flight)
            pinned_a, pinned_b, built_b = self._step_bytes(index, self.steps[-1])
            if ctx.finish_later(lambda: _end_steps(last), pinned_a + (built_b or pinned_b)):
                in_flight.clear()
        finally:
            _end_steps(in_flight)  # nothing else of the task may outlive it, even after an error

    @staticmethod
    def _end_step(part: EvaluationContext, futures: list) -> None:
        try:
            finish_lanes(futures)
        finally:
            part.close()

    @property
    def _piecewise(self) -> bool:
        """Whether steps multiply chunk by chunk: both operands stored, two axes each.

        A step's tiles then never need assembling from the chunks they span (which cost
        10-22 % of a matmul on the benchmark): each piece is a view of one pinned chunk, and
        BLAS writes into a view of the C tile.
        """
        return len(self.shape) == 2 and all(
            node.materialized and node.dtype == self.dtype for node in self.inputs)

    def _piece_lanes(self, ctx: EvaluationContext, region_a: Region, region_b: Region,
                     tile: np.ndarray, first: bool,
                     bands: list[tuple[int, int]]) -> list[list[GemmCall]]:
        """Return one step's GEMM calls, one list per band of the tile's rows (``bands``:
        their first and last rows), each band's calls in order.

        A's pieces are views of its pinned chunks (one call per piece of A's chunks). With
        direct BLAS, B's step is one panel as wide as the tile (copied when it spans chunks):
        one-thread GEMM runs at 108 GFLOP/s with 1024 output columns and 114 with 3072 on
        the benchmark's machine, which is worth far more than the copy.
        """
        a, b = self.inputs
        rows, depth = region_a
        cols = region_b[1]
        row_cuts = _cuts(a.chunks[0], rows)
        depth_cuts = sorted(set(_cuts(a.chunks[1], depth)) | set(_cuts(b.chunks[0], depth)))
        col_cuts = [cols.start, cols.stop] if self._direct_blas else _cuts(b.chunks[1], cols)
        lefts = {(r0, k0): ctx.read(a, (slice(r0, r1), slice(k0, k1)))
                 for r0, r1 in zip(row_cuts, row_cuts[1:])
                 for k0, k1 in zip(depth_cuts, depth_cuts[1:])}
        if self._direct_blas:
            panel = ctx.read_panel(b, region_b)
            rights = {(k0, cols.start): panel[k0 - depth.start:k1 - depth.start]
                      for k0, k1 in zip(depth_cuts, depth_cuts[1:])}
        else:
            rights = {(k0, c0): ctx.read(b, (slice(k0, k1), slice(c0, c1)))
                      for k0, k1 in zip(depth_cuts, depth_cuts[1:])
                      for c0, c1 in zip(col_cuts, col_cuts[1:])}
        lanes: list[list[GemmCall]] = []
        for top, bottom in bands:
            lane: list[GemmCall] = []
            for r0, r1 in zip(row_cuts, row_cuts[1:]):
                lo, hi = max(r0, top), min(r1, bottom)
                if lo >= hi:
                    continue
                for c0, c1 in zip(col_cuts, col_cuts[1:]):
                    target = tile[lo - rows.start:hi - rows.start,
                                  c0 - cols.start:c1 - cols.start]
                    for number, k0 in enumerate(depth_cuts[:-1]):
                        lane.append((lefts[r0, k0][lo - r0:hi - r0], rights[k0, c0], target,
                                     first and number == 0))
            lanes.append(lane)
        return lanes


def _end_steps(steps) -> None:
    """Wait for the lanes of every step in ``steps`` (pairs of a part and its futures) and
    close the parts, raising the first error once all have ended."""
    errors = []
    for part, futures in list(steps):
        try:
            MatmulNode._end_step(part, futures)
        except BaseException as error:  # noqa: PERF203 - every part must be closed
            errors.append(error)
    if isinstance(steps, collections.deque):
        steps.clear()
    if errors:
        raise errors[0]


def _bands(rows: slice, row_chunks: tuple[int, ...], cores: int) -> list[tuple[int, int]]:
    """Cut a tile's ``rows`` into bands for :class:`~ooarray.plan.blas.BandedGemm`: A's row
    chunks when there are at least as many as cores (each call then has a chunk's height),
    else ``BANDS_PER_CORE`` bands per core of near-equal height (some empty if it is short).
    """
    cuts = _cuts(row_chunks, rows)
    if len(cuts) - 1 >= cores:
        return list(zip(cuts, cuts[1:]))
    count = cores * BANDS_PER_CORE
    edges = [rows.start + (rows.stop - rows.start) * i // count for i in range(count + 1)]
    return list(zip(edges, edges[1:]))


def _cuts(lengths: tuple[int, ...], sel: slice) -> list[int]:
    """Chunk boundaries inside ``sel``, with its ends: where a region's pieces start and stop."""
    inside = [edge for edge in itertools.accumulate(lengths) if sel.start < edge < sel.stop]
    return [sel.start, *inside, sel.stop]


