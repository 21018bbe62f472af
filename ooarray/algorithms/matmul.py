"""Out-of-core matrix multiplication: output-stationary tiles sized from the budget.

Dask and Cubed multiply block by block and sum the partial products in a tree, which
materialises ``k / chunk`` partial results. Here one task owns one tile of C: it walks the
k dimension in steps, multiplying an A tile by a B tile with BLAS (all cores), which adds the
product into the C tile itself (:mod:`ooarray.algorithms.blas`), while the I/O thread reads the next
step's tiles and the writer thread writes the previous C tile. The tiles come from the
budget: of the plans whose task fits (its C tile, three steps of A and B tiles, and the previous
C tile in flight), the one expected to read least, where tiles run row by row (every other row
backwards) and the pool keeps A's row panel between the tiles of a row when there is room.

The counted input traffic, ``k (tm + tn)`` elements per tile, is reported next to the
Hong-Kung lower bound ``2 m n k / sqrt(M)`` (in elements, for a fast memory of ``M`` elements).
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import functools
import itertools
import math
from collections.abc import Iterator

import numpy as np

from ooarray.chunks import MAX_CHUNKS, Chunks, Region, iter_blocks, normalize_chunks, \
    offsets, region_shape
from ooarray.errors import BudgetError, format_bytes
from ooarray.algorithms.blas import BandedGemm, GemmCall, blas_gemm_available, finish_lanes, \
    gemm_accumulate
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, region_footprint

__all__ = ["MatmulTiles", "plan_tiles", "MatmulNode"]

#: Share of the budget one multiplication task plans for; the rest is slack for the pool's
#: size classes and small allocations.
TASK_SHARE = 0.9
#: C tiles held at once: the task's own, and the previous one while the writer thread writes
#: it (so that the write overlaps this task's BLAS); a third holds products where BLAS cannot
#: accumulate in place (see :mod:`ooarray.algorithms.blas`).
C_TILES_HELD = 2
#: Copies of one stored chunk of C the sink holds while it encodes (zarr's copy and the
#: encoded bytes); C is stored in chunks finer than its tiles (``MatmulNode.store_chunks``).
SINK_CHUNK_COPIES = 2
#: Steps of A and B tiles a task holds: the one in use (its stored chunks pinned, and the
#: tile assembled from them, or for lanes B's panel) and the one or two being prefetched.
STEP_TILES_HELD = 3
#: How often a plan is shrunk when a task's measured working set exceeds the budget, and the
#: margin each shrink leaves.
PLAN_REFINEMENTS = 6
PLAN_SHRINK_MARGIN = 0.9
#: A plan's working set is measured on every task up to this many, and on a sample beyond.
TASKS_MEASURED = 256
#: Bands of a tile's rows per core when its rows span fewer of A's chunks than there are cores
#: (the cores take bands from one queue, see BandedGemm).
BANDS_PER_CORE = 3
#: Tile lengths of operands without a chunk length to follow are multiples of this (BLAS
#: blocks, typical chunk sizes) from twice it up.
TILE_ROUNDING = 256
#: Tiles at most this many times longer than wide, unless the short side spans its axis:
#: the reads the plan counts favour thin tiles (A's row panel stays in the pool and B
#: streams by), but thin tiles make thin BLAS calls and copy B's panels more often.
MAX_ASPECT = 2


@dataclasses.dataclass(frozen=True)
class MatmulTiles:
    """A tile plan for C (m x n) = A (m x k) @ B (k x n).

    Attributes
    ----------
    tm, tn, tk : int
        Rows and columns of a C tile, and the k step.
    task_bytes : int
        What one task holds at once, with the tile being written behind it.
    io_bytes : int
        Input bytes the tasks read, counted without reuse between tasks: ``k (tm + tn)``
        elements per tile (less for tiles cut short at the edges).
    lower_bound_bytes : int
        Hong-Kung lower bound of the input traffic for a fast memory of the budget's size.
    expected_read_bytes : int
        Input bytes read when the pool keeps A's row panel between the tiles of a row, in
        what the task leaves of the budget (the plan minimises this).
    """

    tm: int
    tn: int
    tk: int
    task_bytes: int
    io_bytes: int
    lower_bound_bytes: int
    expected_read_bytes: int = 0

    @property
    def io_ratio(self) -> float:
        """Counted input traffic over the lower bound."""
        return self.io_bytes / self.lower_bound_bytes if self.lower_bound_bytes else 1.0


@functools.lru_cache(maxsize=64)
def _divisors(length: int) -> tuple[int, ...]:
    """The divisors of ``length``, ascending."""
    small = [d for d in range(1, math.isqrt(length) + 1) if length % d == 0]
    return tuple(sorted(set(small) | {length // d for d in small}))


#: Tile lengths tried along an axis (in chunks): every power of two, the shortest length
#: that cuts the axis into each count of tiles up to this many, and no others.
EVEN_SPLITS = 16
#: Tiles and steps shorter than one of the operands' chunks are tried only when no plan of
#: whole chunks fits the budget, and then only down to this length (or the chunk's, if
#: shorter): below it a task's fixed costs (a task, a pin per chunk, a BLAS call per piece)
#: outweigh its flops, and the output would have many times the operands' chunks.
MIN_TILE = 32
#: Chunk pins a plan may make in all (tiles times k-steps times the chunks a step pins,
#: when the operands' chunks are known; tile-steps otherwise): each is an access of the
#: schedule's trace, which planning builds at a few microseconds each.
MAX_PLANNED_PINS = 10**6


def _span(length: int, chunk: int, axis: int) -> int:
    """Length of the chunks (of ``chunk`` along an ``axis``) that a window of ``length``
    pins, for the worst of the windows at multiples of ``length``: the window itself when
    it covers whole chunks, one chunk when it lies inside one, else the chunks it
    straddles."""
    if chunk <= 1 or length % chunk == 0:
        return min(length, axis)
    if chunk % length == 0:
        return min(chunk, axis)
    return min((length // chunk + 2) * chunk, axis)


def _count(length: int, chunk: int, axis: int) -> int:
    """Chunks a window of ``length`` pins along an axis (see :func:`_span`)."""
    return -(-_span(length, chunk, axis) // max(1, chunk)) if axis else 0


def _lengths(limit: int, align: int, finer: bool = False) -> list[int]:
    """Tile lengths worth trying along an axis of ``limit``: multiples of the chunk length
    ``align`` (or of :data:`TILE_ROUNDING` on a long axis without chunks) that are powers of
    two chunks long or the shortest cutting the axis into 1 to :data:`EVEN_SPLITS` tiles,
    and the whole axis; with ``finer``, also the divisors of the chunk length down to
    :data:`MIN_TILE`. At most about 50 lengths, whatever the axis."""
    if limit < 1:
        return []
    unit = align if align > 1 else (TILE_ROUNDING if limit >= 2 * TILE_ROUNDING else 1)
    units = -(-limit // unit)  # chunks along the axis
    counts = {units} | {-(-units // split) for split in range(1, EVEN_SPLITS + 1)}
    counts.update(1 << power for power in range(units.bit_length()))
    found = {min(count * unit, limit) for count in counts}
    if finer and unit > 1:
        floor = min(MIN_TILE, unit)
        if align > 1:
            found.update(d for d in _divisors(align) if floor <= d < min(align, limit))
        else:
            found.update(1 << p for p in range(floor.bit_length() - 1, unit.bit_length())
                         if floor <= 1 << p < min(unit, limit))
    return sorted(found)


def _store_length(tile: int, align: int) -> int:
    """Length of C's stored chunks along an axis of tiles ``tile`` long: the operand's chunk
    length where it divides the tile (C is then stored like its operands), else the tile."""
    return align if 1 < align < tile and tile % align == 0 else tile


def _k_align(a_chunk: int, b_chunk: int, k: int) -> int:
    """Step lengths along k are multiples of this: the least common multiple of the two
    operands' chunk lengths when it is within the axis (a step then covers whole chunks of
    both), else the finer length when the coarser chunk spans k (a step then lies in one
    chunk of it), else the coarser length (a step then straddles chunks of the finer
    operand, which the plan counts)."""
    fine, coarse = sorted((max(1, a_chunk), max(1, b_chunk)))
    common = math.lcm(fine, coarse)
    if common <= k:
        return common
    return fine if coarse >= k else coarse


def plan_tiles(m: int, k: int, n: int, itemsize: int, budget: int,
               align: tuple[int, int, int] = (1, 1, 1),
               product_buffer: bool = True, panel: bool = False,
               chunks: tuple[int, int, int, int] | None = None,
               batch: int = 1) -> MatmulTiles:
    """Choose output-stationary tiles for C = A @ B within ``budget`` bytes.

    A task holds two C tiles (its own and the previous one, written behind it), the
    sink's copies of a stored chunk of C and three steps of the operands' chunks that A and
    B tiles pin; a third tile holds products that BLAS cannot add into C itself
    (``product_buffer``), and B's step may be copied into a panel as wide as the tile
    (``panel``). Among the plans whose task fits in :data:`TASK_SHARE` of the budget, with
    steps at least a chunk deep and tiles at most :data:`MAX_ASPECT` times longer than wide
    (unless a side is one chunk or the whole axis), the one expected to read least
    (``expected_read_bytes``: each row of tiles reads B, and the pool keeps A's row panel
    in what the task leaves) wins; then the one with fewest tiles, then the deepest steps.

    ``align`` gives the chunk lengths of the operands along m, n and k; tiles and steps are
    multiples of them (or the whole axis). ``chunks`` gives the operands' own chunk lengths
    (A's rows, A's columns, B's rows, B's columns; by default from ``align``): a step pins
    whole chunks, so that is what the plan counts. Only when no plan of whole chunks fits
    are tiles and steps cut to divisors of a chunk, down to :data:`MIN_TILE`. The search
    tries about 50 lengths per axis whatever the shape, and plans whose grid (times
    ``batch``, the product's batch length) has more than
    :data:`~ooarray.chunks.MAX_CHUNKS` tiles or more than :data:`MAX_PLANNED_PINS`
    tile-steps are refused.

    Raises
    ------
    BudgetError
        When no admissible plan fits the budget; ``needed`` is the smallest budget one does.
    ValueError
        When every plan, even of one tile, makes too many tiles or chunk reads (chunks far
        too small for the operands, which ``normalize_chunks`` refuses for their own grids).

    Examples
    --------
    >>> t = plan_tiles(16384, 16384, 16384, 8, 10**9, align=(1024, 1024, 1024),
    ...                product_buffer=False, panel=True)
    >>> (t.tm, t.tn, t.tk), t.task_bytes <= 10**9
    ((4096, 4096, 1024), True)
    """
    items = int(budget * TASK_SHARE) // itemsize
    pool = budget // itemsize
    c_tiles = C_TILES_HELD + int(product_buffer)
    known = chunks is not None
    a_rows, a_depth, b_depth, b_cols = chunks or (align[0], align[2], align[2], align[1])
    if not (m and n):  # an empty product: one empty tile
        return MatmulTiles(max(1, m), max(1, n), max(1, k), 0, 0, 0, 0)
    # Steps shallower than a chunk pin whole chunks for a sliver of them, and make BLAS
    # calls too thin to run at speed.
    shallowest = min(k, align[2] if align[2] > 1 else TILE_ROUNDING)
    batch = max(1, batch)

    def task_items(tm: int, tn: int, tk: int) -> int:
        sink = SINK_CHUNK_COPIES * _store_length(tm, align[0]) * _store_length(tn, align[1])
        step = _span(tm, a_rows, m) * _span(tk, a_depth, k) + \
            _span(tk, b_depth, k) * _span(tn, b_cols, n)
        return c_tiles * tm * tn + sink + STEP_TILES_HELD * step + (tk * tn if panel else 0)

    def pins(tm: int, tn: int, tk: int) -> int:
        """Chunks one step pins (one, when the chunks are not known)."""
        if not known:
            return 1
        return _count(tm, a_rows, m) * _count(tk, a_depth, k) + \
            _count(tk, b_depth, k) * _count(tn, b_cols, n)

    def search(finer: bool) -> tuple[tuple | None, int | None]:
        best: tuple | None = None
        smallest: int | None = None  # the smallest admissible task, fitting or not
        depths = _lengths(k, align[2], finer) or [1]  # (k = 0: no steps)
        lengths_n = _lengths(n, align[1], finer)
        least_m, least_n = min(m, align[0]), min(n, align[1])
        for tm in _lengths(m, align[0], finer):
            for tn in lengths_n:
                if max(tm, tn) > MAX_ASPECT * min(tm, tn) and \
                        not (tm == m and tm < tn) and not (tn == n and tn < tm) and \
                        not (tm > tn and tm <= least_m) and not (tn > tm and tn <= least_n):
                    continue
                tiles = batch * math.ceil(m / tm) * math.ceil(n / tn)
                if tiles > MAX_CHUNKS:
                    continue
                for tk in depths:
                    if tiles * math.ceil(k / tk) * pins(tm, tn, tk) > MAX_PLANNED_PINS:
                        continue
                    held = task_items(tm, tn, tk)
                    smallest = held if smallest is None else min(smallest, held)
                    if held > items:
                        continue
                    # least traffic among plans with steps at least a chunk deep, then the
                    # fewest tiles, then the deepest steps
                    reads = _expected_reads(m, k, n, tm, tn, tk, pool - held)
                    key = (tk < shallowest, reads, tiles, -tk)
                    if best is None or key < best[0]:
                        best = (key, tm, tn, tk, held)
        return best, smallest

    best, smallest = search(finer=False)
    if best is None:  # the budget forces tiles or steps finer than the chunks
        best, finest = search(finer=True)
        if finest is not None:
            smallest = finest if smallest is None else min(smallest, finest)
    if best is None:
        if smallest is None:  # too many tiles or reads even in one tile: no budget helps
            raise ValueError(
                f"a matmul of ({m}, {k}) by ({k}, {n}) in chunks {a_rows}x{a_depth} and "
                f"{b_depth}x{b_cols} would make more than {MAX_CHUNKS:,} tiles or "
                f"{MAX_PLANNED_PINS:,} chunk reads whatever the budget; use larger chunks")
        needed = math.ceil(smallest * itemsize / TASK_SHARE)
        raise BudgetError(
            f"memory_limit={format_bytes(budget)} is too small for a matmul of ({m}, {k}) "
            f"by ({k}, {n}) in chunks {a_rows}x{a_depth} and {b_depth}x{b_cols}: its "
            f"smallest task (tiles of at least {MIN_TILE} or a chunk, at most "
            f"{MAX_CHUNKS:,} of them, at most {MAX_PLANNED_PINS:,} chunk reads in all) needs "
            f"{format_bytes(needed)}; raise memory_limit or use other chunks",
            needed=needed, limit=budget)
    _, tm, tn, tk, held = best
    # each tile reads its rows of A and its columns of B, k deep
    io_items = k * (math.ceil(n / tn) * m + math.ceil(m / tm) * n)
    bound = 2 * m * n * k / math.sqrt(max(1, budget // itemsize))
    expected = _expected_reads(m, k, n, tm, tn, tk, pool - held)
    return MatmulTiles(tm, tn, tk, held * itemsize, io_items * itemsize,
                       int(bound * itemsize), expected * itemsize)


def _expected_reads(m: int, k: int, n: int, tm: int, tn: int, tk: int, room: int) -> int:
    """Elements of A and B read when tiles run row by row and the pool keeps ``room``
    elements besides the task: each row of tiles reads all of B, and A's row panel once and
    then, for each further tile of the row, what of it neither the pool nor the task's own
    steps of A could keep."""
    columns = math.ceil(n / tn)
    full_rows, last = divmod(m, tm)

    def missed_of(rows: int) -> int:
        return max(0, rows * k - STEP_TILES_HELD * rows * tk - room)

    missed = full_rows * missed_of(tm) + (missed_of(last) if last else 0)
    return math.ceil(m / tm) * k * n + m * k + (columns - 1) * missed


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
        # the operands' chunk lengths: A's rows and columns, B's rows and columns
        chunk_lengths = (max(a.chunks[-2]), max(a.chunks[-1]), max(b.chunks[-2]),
                         max(b.chunks[-1]))
        align = (chunk_lengths[0], chunk_lengths[3],
                 _k_align(chunk_lengths[1], chunk_lengths[2], k))
        batch_length = math.prod(batch)
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
        self._align = align
        self._footprints: dict[tuple, tuple[int, int]] = {}
        panel = self.library_threads == 1  # B's steps are copied into panels (_piece_lanes)
        def plan(planning: int) -> MatmulTiles:
            return plan_tiles(m, k, n, itemsize, planning, align, product, panel,
                              chunk_lengths, batch_length)

        super().__init__(tuple(batch) + (m, n), dtype, self._grid(plan(budget)), [a, b])
        # The plan's model assumes tiles that cover whole chunks; operands whose stored chunks
        # are coarser than a step (reshaped, transposed) pin more. Measure one task's real
        # working set and shrink the plan until it fits, when it can.
        planning = budget
        best = (self._task_bytes(), self.tiles)
        for _ in range(PLAN_REFINEMENTS):
            if best[0] <= budget or planning <= 1:
                break
            planning = max(1, int(planning * budget / best[0] * PLAN_SHRINK_MARGIN))
            try:
                self.chunks = self._grid(plan(planning))
            except BudgetError:  # nothing smaller is admissible: keep the best so far
                break
            best = min(best, (self._task_bytes(), self.tiles), key=lambda pair: pair[0])
        # Smaller steps do not help when whole stored chunks are pinned anyway: keep the plan
        # that needed least (the budget check then says how much that is).
        self.chunks = self._grid(best[1])

    def _grid(self, tiles: MatmulTiles) -> Chunks:
        """Adopt ``tiles``: set the k steps and return the output chunk grid."""
        self.tiles = tiles
        self.steps = [slice(s, min(s + tiles.tk, self.k)) for s in range(0, self.k, tiles.tk)]
        return self._batch_chunks + normalize_chunks((tiles.tm, tiles.tn), self._core_shape, 1)

    @property
    def store_chunks(self) -> Chunks:
        """C stored in A's row chunks and B's column chunks where they divide the tiles: the
        tiles are sized for this computation's budget, not for reading C back."""
        lengths = (_store_length(self.tiles.tm, self._align[0]),
                   _store_length(self.tiles.tn, self._align[1]))
        return self._batch_chunks + normalize_chunks(lengths, self._core_shape, 1)

    def block_order(self) -> Iterator[tuple[int, ...]]:
        """Tiles row by row, every other row from right to left: a row's first tile needs
        the B panel that the row before ended with, which the pool may still hold."""
        columns = len(self.chunks[-1])
        for index in iter_blocks(self.chunks):
            yield index if index[-2] % 2 == 0 else index[:-1] + (columns - 1 - index[-1],)

    def _task_bytes(self) -> int:
        """The largest working set (tile, scratch, the one being written and the sink's
        copies of a stored chunk) of the tasks: all of them when there are few, else a
        sample that meets every row and column offset of the tiles against the operands'
        chunks."""
        lead = (0,) * (len(self.shape) - 2)
        rows, cols = len(self.chunks[-2]), len(self.chunks[-1])
        if rows * cols <= TASKS_MEASURED:
            indices = {lead + (i, j) for i in range(rows) for j in range(cols)}
        else:
            indices = {lead + (i, (i * 7 + j) % cols) for i in range(rows)
                       for j in range(max(1, TASKS_MEASURED // rows))}
        stored = SINK_CHUNK_COPIES * math.prod(max(axis, default=0)
                                               for axis in self.store_chunks) * self.dtype.itemsize
        worst = 0
        for index in indices:
            tile = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
            worst = max(worst, tile * C_TILES_HELD + stored + self.chunk_scratch_bytes(index))
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

    def _step_bytes(self, index: tuple[int, ...], step: slice) -> tuple[int, int, int, int]:
        """A step's bytes: A's chunks it pins and its copy of them, and the same of B."""
        region_a, region_b = self._regions(index, step)
        return (*self._footprint(0, region_a), *self._footprint(1, region_b))

    def _footprint(self, operand: int, region: Region) -> tuple[int, int]:
        """``region_footprint`` of an operand's region, remembered: A's depends only on a
        tile's rows and B's on its columns, so the tasks of a row (or column) of tiles share
        them (planning a grid of one-row chunks measured every chunk of every task)."""
        key = (operand, tuple((part.start, part.stop) for part in region))
        found = self._footprints.get(key)
        if found is None:
            found = self._footprints[key] = _box_footprint(self.inputs[operand], region)
        return found

    def _room_after_last_step(self, index: tuple[int, ...]) -> int:
        """What a lanes task's reservation (its chunk scratch) leaves while its last step is
        read and the one before it multiplied."""
        last_a, _, last_b, last_built = self._step_bytes(index, self.steps[-1])
        before = 0
        if len(self.steps) > 1:
            pinned_a, _, _, built_b = self._step_bytes(index, self.steps[-2])
            before = pinned_a + built_b
        return self.chunk_scratch_bytes(index) - before - (last_a + last_b + last_built)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        tile = math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize
        worst = 0
        for step in self.steps:
            pinned_a, built_a, pinned_b, built_b = self._step_bytes(index, step)
            if self.library_threads == 1:
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
        (:class:`~ooarray.algorithms.blas.BandedGemm`).

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
            pinned_a, _, pinned_b, built_b = self._step_bytes(index, self.steps[-1])
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


def _box_footprint(node: Node, region: Region) -> tuple[int, int]:
    """``region_footprint`` of ``region`` of ``node``, in a few operations per axis when
    the node is stored: the chunks a box touches make a box, whose lengths per axis are
    sums of whole chunks (``region_footprint`` visits every chunk, ~10 us each: a task
    over 15,000 one-element chunks took 0.2 s)."""
    if not node.materialized or any(part.stop <= part.start for part in region):
        return region_footprint(node, region)
    pinned, blocks = node.dtype.itemsize, 1
    for lengths, part in zip(node.chunks, region):
        starts = offsets(lengths)
        first = bisect.bisect_right(starts, part.start) - 1
        last = bisect.bisect_left(starts, part.stop) - 1  # the last chunk starting before stop
        pinned *= starts[last + 1] - starts[first]
        blocks *= last - first + 1
    built = math.prod(region_shape(region)) * node.dtype.itemsize if blocks > 1 else 0
    return pinned, built


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
    """Cut a tile's ``rows`` into bands for :class:`~ooarray.algorithms.blas.BandedGemm`: A's row
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


