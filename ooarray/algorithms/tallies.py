"""Tallies: reductions of whole arrays into a small result of a shape of their own.

A histogram, a bincount or the (count, min, max) of an array do not keep any input axis:
every input block adds into one fixed-shape result (``spec.shape``). Two materialised nodes
carry them:

* :class:`TallyPartialNode` splits the input blocks into a few groups; one task per group
  (and per chunk of the result) reads its blocks one after another, each inside a scope so
  only one block is held, and adds each into an accumulator of the result's chunk.
* :class:`TallyNode` adds the groups' accumulators up, streaming them one at a time.

The groups give parallelism and keep the intermediate small (a few copies of the result,
not one per input block). A result too large for one task is cut into chunks; each chunk's
task reads the whole input, so a result of ``c`` chunks costs ``c`` passes over the data.
What a block adds and how accumulators combine is a :class:`TallySpec` (``ops/tallies``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ooarray.chunks import (
    Chunks,
    Region,
    block_region,
    iter_blocks,
    region_shape,
)
from ooarray.plan.graph import (
    EvaluationContext,
    Leaf,
    MaterializedNode,
    Node,
    leaf_chunks,
    region_footprint,
)

__all__ = ["TallySpec", "TallyPartialNode", "TallyNode", "group_blocks"]


class TallySpec(Protocol):
    """What a tally adds per input block and how accumulators combine."""

    name: str
    #: dtype of the accumulator and of the result.
    dtype: np.dtype
    #: Shape of the result.
    shape: tuple[int, ...]

    def start(self, out: np.ndarray, region: Region) -> None:
        """Fill the accumulator ``out`` (``region`` of the result) with the identity."""

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        """Add one block of each operand into ``out``, the accumulator of ``region``."""

    def merge(self, out: np.ndarray, part: np.ndarray) -> None:
        """Combine another group's accumulator ``part`` into ``out``."""

    def scratch_bytes(self, items: int, out_items: int) -> int:
        """Bytes ``add`` allocates itself (NumPy temporaries) for a block of ``items``."""


def _bytes(leaves: set[Leaf] | list[Leaf]) -> int:
    return sum(math.prod(region_shape(node.chunk_region(block))) * node.dtype.itemsize
               for node, block in leaves)


def group_blocks(chunks: Chunks, groups: int) -> list[list[Region]]:
    """Split the blocks of ``chunks`` (C order) into ``groups`` runs of near-equal length.

    Examples
    --------
    >>> [len(g) for g in group_blocks(((2, 2, 2, 1), (3, 3)), 3)]
    [3, 3, 2]
    """
    regions = [block_region(chunks, index) for index in iter_blocks(chunks)]
    groups = max(1, min(groups, len(regions)))
    size, extra = divmod(len(regions), groups)
    runs, start = [], 0
    for number in range(groups):
        stop = start + size + (number < extra)
        runs.append(regions[start:stop])
        start = stop
    return runs


class TallyPartialNode(MaterializedNode):
    """One accumulator per group of input blocks and chunk of the result.

    Parameters
    ----------
    operands : sequence of Node
        Arrays of one shape; blocks of the first one's grid are read from all of them.
    spec : TallySpec
    groups : int
        How many groups the input blocks are split into (at most one per block).
    out_chunks : chunk grid
        Chunks of the result (``spec.shape``).
    """

    def __init__(self, operands: Sequence[Node], spec: TallySpec, groups: int,
                 out_chunks: Chunks) -> None:
        operands = list(operands)
        if any(op.shape != operands[0].shape for op in operands):
            raise AssertionError("tally operands must have one shape")
        self.spec = spec
        self.groups = group_blocks(operands[0].chunks, groups)
        self._run_cache: dict[int, list[tuple[list[Region], list[Leaf]]]] = {}
        super().__init__((len(self.groups), *spec.shape), spec.dtype,
                         ((1,) * len(self.groups), *out_chunks), operands)

    @property
    def label(self) -> str:
        return f"{self.spec.name}-partial"

    def _runs(self, group: int) -> list[tuple[list[Region], list[Leaf]]]:
        """The group's blocks cut into runs, each with the chunks several of its blocks read.

        A chunk read by several blocks (a mean broadcast along them, a stored chunk wider
        than a block) is pinned once, before the first block of its run, and released after
        the run: the pool frees an intermediate after as many reads as the schedule counts
        (one per task), and a stored chunk is not read again from its store. Runs are the
        unions of the overlapping spans [first block, last block] of those chunks.
        """
        cached = self._run_cache.get(group)
        if cached is not None:
            return cached
        regions = self.groups[group]
        span: dict[Leaf, list[int]] = {}
        for number, region in enumerate(regions):
            for op in self.inputs:
                for leaf in leaf_chunks(op, region):
                    span.setdefault(leaf, [number, number])[1] = number
        shared = {leaf: s for leaf, s in span.items() if s[0] < s[1]}
        ends = [number for number in range(len(regions))]
        for first, last in shared.values():
            for number in range(first, last):
                ends[number] = -1  # the run goes on past this block
        runs, start = [], 0
        for number, end in enumerate(ends):
            if end >= 0:
                held = [leaf for leaf, (first, _) in shared.items() if start <= first <= number]
                runs.append((regions[start:number + 1], held))
                start = number + 1
        self._run_cache[group] = runs
        return runs

    def _out_region(self, index: tuple[int, ...]) -> Region:
        return self.chunk_region(index)[1:]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(op, region) for region in self.groups[index[0]] for op in self.inputs]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        out_items = math.prod(region_shape(self._out_region(index)))
        worst = 0
        for regions, held in self._runs(index[0]):
            kept = set(held)
            run_worst = 0
            for region in regions:
                leaves = set().union(*(leaf_chunks(op, region) for op in self.inputs))
                built = sum(region_footprint(op, region)[1] for op in self.inputs)
                items = math.prod(region_shape(region))
                run_worst = max(run_worst, _bytes(leaves - kept) + built
                                + self.spec.scratch_bytes(items, out_items))
            worst = max(worst, _bytes(kept) + run_worst)
        return worst

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out_region = self._out_region(index)
        chunk = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        out = chunk[0]
        self.spec.start(out, out_region)
        for regions, held in self._runs(index[0]):
            with ctx.scope():
                for node, block in held:
                    ctx.read(node, node.chunk_region(block))  # pinned for the whole run
                for region in regions:
                    with ctx.scope():
                        blocks = [ctx.evaluate(op, region) for op in self.inputs]
                        items = math.prod(region_shape(region))
                        with ctx.charge(self.spec.scratch_bytes(items, out.size)):
                            self.spec.add(blocks, out, out_region)
        return chunk


class TallyNode(MaterializedNode):
    """The tally's result: the groups' accumulators combined, chunk by chunk."""

    def __init__(self, partial: TallyPartialNode) -> None:
        self.spec = partial.spec
        super().__init__(partial.shape[1:], partial.dtype, partial.chunks[1:], [partial])

    @property
    def label(self) -> str:
        return self.spec.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        partial = self.inputs[0]
        region = self.chunk_region(index)
        return [(partial, (slice(g, g + 1), *region)) for g in range(partial.shape[0])]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        return math.prod(region_shape(self.chunk_region(index))) * self.dtype.itemsize

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        for number, (node, region) in enumerate(self.streamed_inputs(index)):
            with ctx.scope():
                part = ctx.evaluate(node, region)[0]
                if number == 0:
                    out[...] = part
                else:
                    self.spec.merge(out, part)
        return out
