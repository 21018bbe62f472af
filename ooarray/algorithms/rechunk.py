"""Rechunking within the budget: a direct region read, or a stage on the intersection grid.

A direct rechunk is a region node: each target chunk reads the source chunks it overlaps.
That is free when the grids are alike, but rows -> columns makes every target chunk pin
every source chunk (the whole array). Then the plan goes through an intermediate
materialised stage (rechunker's and Cubed's approach) whose grid is the *intersection* of the
two grids: every intermediate chunk lies inside one source chunk and inside one target chunk.
Writing it pins one source chunk at a time; a target chunk then reads exactly the
intermediate chunks that tile it, so neither side holds more than about one chunk of either
grid. Where chunks are small next to the budget, neighbouring intersection chunks are merged
while both sides stay within a share of the budget (fewer, larger tasks). Intermediate
chunks live in the pool and go to the spill store when it is full.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ooarray.chunks import Chunks, Region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["RechunkNode", "RechunkStageNode", "intersection_chunks", "direct_bytes",
           "staged_bytes", "stage_chunks", "plan_rechunk", "DIRECT_SHARE", "STAGE_GAIN"]

#: A direct rechunk is kept while one target chunk's reads stay under this share of the
#: budget (so several tasks still run side by side); above it the plan goes through a stage.
DIRECT_SHARE = 1 / 4
#: Above that share, a stage is taken only if it holds at most this fraction of what the
#: direct read would: a stage writes and reads the whole array once more (to disk when the
#: pool is full), which a small saving does not pay for.
STAGE_GAIN = 1 / 2


class RechunkNode(RegionNode):
    """The same values on another chunk grid (regions read across the old chunks)."""

    def __init__(self, source: Node, chunks: Chunks) -> None:
        super().__init__(source.shape, source.dtype, chunks, [source])

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], region)]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        return arrays[0]

    def scratch_bytes(self, region: Region) -> int:
        return 0


class RechunkStageNode(MaterializedNode):
    """The source's values stored in the pool on an intermediate grid."""

    def __init__(self, source: Node, chunks: Chunks) -> None:
        super().__init__(source.shape, source.dtype, chunks, [source])

    @property
    def label(self) -> str:
        return "rechunk-stage"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], self.chunk_region(index))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        out[...] = arrays[0]
        return out


def intersection_chunks(first: Chunks, second: Chunks) -> Chunks:
    """Return the grid whose boundaries are those of both grids.

    Examples
    --------
    >>> intersection_chunks(((4, 4), (6,)), ((8,), (2, 2, 2)))
    ((4, 4), (2, 2, 2))
    >>> intersection_chunks(((3, 3),), ((2, 4),))
    ((2, 1, 3),)
    """
    grid = []
    for a, b in zip(first, second, strict=True):
        bounds = sorted(set(offsets(a)) | set(offsets(b)))
        grid.append(tuple(hi - lo for lo, hi in itertools.pairwise(bounds)) or (0,))
    return tuple(grid)


def _covering_lengths(source: tuple[int, ...], target: tuple[int, ...]) -> int:
    """The largest total length of the source chunks that one target chunk overlaps."""
    starts, ends = offsets(source)[:-1], offsets(source)[1:]
    largest = 0
    for lo, hi in itertools.pairwise(offsets(target)):
        first = int(np.searchsorted(ends, lo, side="right"))
        last = int(np.searchsorted(starts, max(hi, lo + 1), side="left"))
        if last > first:
            largest = max(largest, ends[last - 1] - starts[first])
    return largest


def _chunk_bytes(chunks: Chunks, itemsize: int) -> int:
    return math.prod(max(c) for c in chunks) * itemsize


def _reads_bytes(source: Chunks, target: Chunks, itemsize: int) -> int:
    """Bytes a task making one chunk of ``target`` from chunks of ``source`` holds: the
    source chunks it overlaps, and its own chunk."""
    covered = math.prod(_covering_lengths(s, t) for s, t in zip(source, target, strict=True))
    return covered * itemsize + _chunk_bytes(target, itemsize)


def _coarsen(pieces: tuple[int, ...], length: int) -> tuple[int, ...]:
    """Join consecutive ``pieces`` while a group stays within ``length``."""
    groups: list[int] = []
    for piece in pieces:
        if groups and groups[-1] + piece <= length:
            groups[-1] += piece
        else:
            groups.append(piece)
    return tuple(groups)


def direct_bytes(source: Node, chunks: Chunks) -> int:
    """Bytes one target chunk holds when it reads the source chunks it overlaps directly:
    those chunks, and the assembled target chunk."""
    return _reads_bytes(source.chunks, chunks, source.dtype.itemsize)


def stage_chunks(source: Chunks, target: Chunks, itemsize: int, allowed: int) -> Chunks:
    """Return the intermediate grid: the intersection of both grids, coarsened while both
    sides of the stage stay within ``allowed`` bytes.

    Every boundary is one of the two grids', so a merged chunk still lies inside one chunk
    of a grid along an axis where it was not merged. Merging matters when chunks are small
    next to the budget: rows of length 1 to columns of width 1 would otherwise make one
    task per element.

    Examples
    --------
    >>> stage_chunks(((1,) * 4, (4,)), ((4,), (1,) * 4), 8, 2**20)
    ((4,), (4,))
    >>> stage_chunks(((1,) * 4, (4,)), ((4,), (1,) * 4), 8, 100)
    ((2, 2), (2, 2))
    >>> stage_chunks(((1,) * 4, (4,)), ((4,), (1,) * 4), 8, 40)
    ((1, 1, 1, 1), (1, 1, 1, 1))
    """
    middle = intersection_chunks(source, target)
    grid = list(middle)

    def cost(candidate: list[tuple[int, ...]]) -> int:
        return max(_reads_bytes(source, tuple(candidate), itemsize),
                   _reads_bytes(tuple(candidate), target, itemsize))

    improved = True
    while improved:
        improved = False
        for axis in reversed(range(len(grid))):
            merged = _coarsen(middle[axis], 2 * max(grid[axis]))
            if len(merged) < len(grid[axis]):
                trial = grid[:axis] + [merged] + grid[axis + 1:]
                if cost(trial) <= allowed:
                    grid, improved = trial, True
    return tuple(grid)


def staged_bytes(source: Node, chunks: Chunks, stage: Chunks | None = None) -> int:
    """Bytes the larger of the two sides of a staged rechunk holds: source chunks and an
    intermediate chunk, or a target chunk's intermediate chunks and the target chunk."""
    itemsize = source.dtype.itemsize
    stage = stage if stage is not None else intersection_chunks(source.chunks, chunks)
    return max(_reads_bytes(source.chunks, stage, itemsize),
               _reads_bytes(stage, chunks, itemsize))


def plan_rechunk(source: Node, chunks: Chunks, memory_limit: int) -> Node:
    """Return a node with ``source``'s values on the grid ``chunks``.

    Direct (a region node) while a target chunk's reads stay under ``DIRECT_SHARE`` of
    ``memory_limit``, or when a stage would not at least halve them (``STAGE_GAIN``);
    otherwise through a :class:`RechunkStageNode` on :func:`stage_chunks`.
    """
    while isinstance(source, RechunkNode):
        source = source.inputs[0]
    if source.chunks == chunks:
        return source
    direct = direct_bytes(source, chunks)
    allowed = int(memory_limit * DIRECT_SHARE)
    if direct <= allowed:
        return RechunkNode(source, chunks)
    grid = stage_chunks(source.chunks, chunks, source.dtype.itemsize, allowed)
    if staged_bytes(source, chunks, grid) > direct * STAGE_GAIN:
        return RechunkNode(source, chunks)
    return RechunkNode(RechunkStageNode(source, grid), chunks)
