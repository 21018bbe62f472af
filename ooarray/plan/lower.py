"""Lowering: from a plan's root to chunk tasks, with what each reads and how much memory it needs.

A task either makes one chunk of a materialised node (it goes into the pool) or evaluates one
region of the root for a sink (an output store, or the result array of ``compute``). Before
anything runs, the plan knows every task's chunk reads (for the access trace) and its working
set (for admission, and to refuse a budget too small before work starts).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable

import numpy as np

from ooarray.chunks import (
    Chunks,
    Region,
    block_region,
    iter_blocks,
    overlapping_blocks,
    refines,
    region_shape,
)
from ooarray.plan.fuse import Fusion
from ooarray.plan.graph import (
    EvaluationContext,
    MaterializedNode,
    Node,
    SourceNode,
    region_footprint,
    topological_order,
)

__all__ = ["Plan", "Task"]


def _region_key(region: Region) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.stop) for s in region)


def _region_bytes(region: Region, dtype: np.dtype) -> int:
    return math.prod(region_shape(region)) * dtype.itemsize


@dataclasses.dataclass(eq=False)
class Task:
    """One unit of work: make chunk ``index`` of ``node``, or write region ``index`` of a sink.

    Attributes
    ----------
    node : Node
        A materialised node (``sink`` is False) or the plan's root (``sink`` is True).
    index : tuple of int
        Chunk index in the node's grid, or in the sink's grid.
    inputs : list of (Node, region)
        What the task evaluates.
    reads : list of chunk keys
        Materialised chunks it pins: each input chunk once, and each chunk of a streamed
        piece once per piece that reads it.
    nbytes : int
        Upper bound of the pool bytes it needs at once.
    stage : int
        Tasks of one stage may run together; a stage starts when the previous one ended.
    """

    node: Node
    index: tuple[int, ...]
    inputs: list[tuple[Node, Region]]
    reads: list[Hashable]
    nbytes: int
    stage: int
    sink: bool = False
    #: A materialised root's task that hands its chunk to the sink instead of the pool.
    direct: bool = False

    @property
    def write(self) -> Hashable | None:
        """The chunk key the task puts into the pool, if any."""
        return None if self.sink else self.node.chunk_key(self.index)

    @property
    def delivers(self) -> bool:
        """Whether the task's output goes to the sink (not into the pool)."""
        return self.sink or self.direct

    def output_region(self) -> Region:
        """The region of the sink's result the task delivers (a sink or direct task)."""
        return self.inputs[0][1] if self.sink and not self.direct else \
            self.node.chunk_region(self.index)

    def opening_reads(self) -> list[tuple[Node, Region]]:
        """What the task reads first (for the task before it to prefetch)."""
        return self.node.opening_reads(self.index)

    @property
    def task_threads(self) -> int | None:
        """How many tasks of this one's stage may run at once (None: no limit of its own)."""
        return None if self.sink and not self.direct else self.node.task_threads

    @property
    def library_threads(self) -> int | None:
        """Threads numexpr and BLAS get while the stage runs (None: the cores shared out)."""
        return None if self.sink and not self.direct else self.node.library_threads


class Plan:
    """A root node, its fused expressions, and its tasks.

    Parameters
    ----------
    root : Node
        What to compute.
    sink_chunks : chunk grid
        The grid in which the result is written (one sink task per block).
    sink_scratch : int
        Bytes a sink needs to write one block (an encoder's copy, for example).
    done : set of block indices
        Blocks of ``sink_chunks`` already written (a resumed write): no sink task is made
        for them, nor a root task whose blocks are all done. (Earlier stages still run
        whole: their chunks are not traced back to the blocks that need them.)
    """

    def __init__(self, root: Node, sink_chunks: Chunks, sink_scratch: int = 0,
                 done: frozenset[tuple[int, ...]] = frozenset()) -> None:
        self.root = root
        self.fusion = Fusion()
        self.stages = self._materialized_stages(root)
        # A root made by tasks on the sink's grid, or on a coarser grid whose blocks are whole
        # sink blocks, hands each chunk straight to the sink (which writes it block by block):
        # no stage of sink tasks, and no result held in the pool until every chunk is made.
        direct = bool(self.stages) and self.stages[-1] is root and \
            refines(sink_chunks, root.chunks)
        self.tasks: list[Task] = []
        for number, node in enumerate(self.stages):
            delivers = direct and node is root
            for index in node.block_order():
                if delivers and done and all(
                        block in done for block, _, _ in
                        overlapping_blocks(sink_chunks, node.chunk_region(index))):
                    continue
                inputs = node.task_inputs(index)
                out_bytes = _region_bytes(node.chunk_region(index), node.dtype) \
                    + node.chunk_scratch_bytes(index) + (sink_scratch if delivers else 0)
                task = self._task(node, index, inputs, out_bytes, number,
                                  node.streamed_inputs(index))
                task.sink = task.direct = delivers
                self.tasks.append(task)
        if not direct:
            for index in iter_blocks(sink_chunks):
                if index in done:
                    continue
                inputs = [(root, block_region(sink_chunks, index))]
                task = self._task(root, index, inputs, sink_scratch, len(self.stages))
                task.sink = True
                self.tasks.append(task)

    # -- structure ------------------------------------------------------------------------
    @staticmethod
    def _materialized_stages(root: Node) -> list[MaterializedNode]:
        """Materialised nodes made by tasks, inputs before the nodes that read them."""
        return [node for node in topological_order(root)
                if node.materialized and not isinstance(node, SourceNode)]

    def input_regions(self, node: Node, region: Region) -> list[tuple[Node, Region]]:
        """Return what ``node`` reads for ``region``, through its fused expression if it has one."""
        fused = self.fusion.expression_for(node)
        return fused.leaf_regions(region) if fused else node.input_regions(region)

    def _task(self, node: Node, index: tuple[int, ...], inputs: list[tuple[Node, Region]],
              extra_bytes: int, stage: int,
              streamed: list[tuple[Node, Region]] = ()) -> Task:
        # A streamed piece is read in a scope of its own (released before the next piece), so
        # a chunk that two pieces touch is pinned twice: the trace lists one access per pin,
        # which is what Belady consumes and what frees an intermediate after its last pin.
        # (A node that holds several pieces in one scope makes this count high, which only
        # keeps a chunk in the pool longer.)
        # A streamed piece's chunks are loaded by the task like the others: a source's read
        # scratch (a codec's compressed copy) is held while each loads, once at a time.
        streamed_reads, read_scratch = [], 0
        for child, region in streamed:
            for leaf, block in self.leaf_blocks(child, region):
                streamed_reads.append(leaf.chunk_key(block))
                if isinstance(leaf, SourceNode):
                    read_scratch = max(read_scratch, leaf.store.read_scratch_bytes())
        reads: dict[Hashable, None] = {}
        seen: set[tuple[int, tuple]] = set()
        total = extra_bytes
        pending = list(inputs)
        while pending:
            child, region = pending.pop()
            key = (child.id, _region_key(region))
            if key in seen:
                continue
            seen.add(key)
            if child.materialized:
                blocks = overlapping_blocks(child.chunks, region)
                for block, _, _ in blocks:
                    key = child.chunk_key(block)
                    if key not in reads:  # a chunk is pinned once per task
                        reads[key] = None
                        total += _region_bytes(child.chunk_region(block), child.dtype)
                if len(blocks) > 1:
                    total += _region_bytes(region, child.dtype)
                if isinstance(child, SourceNode):
                    read_scratch = max(read_scratch, child.store.read_scratch_bytes())
                continue
            fused = self.fusion.expression_for(child)
            total += (fused or child).scratch_bytes(region)
            pending.extend(self.input_regions(child, region))
        return Task(node, tuple(index), list(inputs), list(reads) + streamed_reads,
                    total + read_scratch, stage)

    def leaf_blocks(self, node: Node, region: Region
                    ) -> list[tuple[MaterializedNode, tuple[int, ...]]]:
        """The materialised chunks that evaluating ``region`` of ``node`` pins, in order."""
        found: dict[Hashable, tuple[MaterializedNode, tuple[int, ...]]] = {}
        pending = [(node, region)]
        while pending:
            child, child_region = pending.pop()
            if child.materialized:
                for block, _, _ in overlapping_blocks(child.chunks, child_region):
                    found.setdefault(child.chunk_key(block), (child, block))
            else:
                pending.extend(reversed(self.input_regions(child, child_region)))
        return list(found.values())

    def reads(self, node: Node, region: Region) -> list[Hashable]:
        """Keys of the materialised chunks that evaluating ``region`` of ``node`` pins."""
        return [leaf.chunk_key(block) for leaf, block in self.leaf_blocks(node, region)]

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, node: Node, region: Region, ctx: TaskCache) -> np.ndarray:
        """Return ``region`` of ``node``'s output, evaluating region nodes (fused) on the way."""
        if node.materialized:
            return ctx.read(node, region)
        key = (node.id, _region_key(region))
        cached = ctx.cache.get(key)
        if cached is not None:
            return cached
        fused = self.fusion.expression_for(node)
        pairs = fused.leaf_regions(region) if fused else node.input_regions(region)
        arrays = [self.evaluate(child, child_region, ctx) for child, child_region in pairs]
        result = (fused or node).compute(arrays, region, ctx)
        ctx.cache[key] = result
        return result

    def footprint(self, node: Node, region: Region) -> int:
        """Bytes of the stored chunks that evaluating ``region`` of ``node`` pins."""
        return region_footprint(node, region)[0]

    def make_chunk(self, task: Task, ctx: TaskCache) -> np.ndarray:
        """Compute the chunk of ``task`` (its inputs evaluated, fused, through ``ctx``)."""
        arrays = [self.evaluate(node, region, ctx) for node, region in task.inputs]
        return task.node.compute_chunk(task.index, arrays, ctx)

    def run_task(self, task: Task, ctx: TaskCache) -> np.ndarray | None:
        """Run ``task``: return what it delivers to the sink (:meth:`Task.output_region` of
        the result), or None after handing its chunk to the pool."""
        if task.direct:
            return self.make_chunk(task, ctx)
        if task.sink:
            node, region = task.inputs[0]
            return self.evaluate(node, region, ctx)
        ctx.keep(task.write, self.make_chunk(task, ctx))
        return None

    @property
    def max_task_bytes(self) -> int:
        """The largest working set of any task."""
        return max((t.nbytes for t in self.tasks), default=0)

    def describe(self) -> str:
        """A few lines on the plan: stages, tasks, fused expressions."""
        lines = [f"plan for {self.root!r}: {len(self.tasks)} tasks in {len(self.stages) + 1} "
                 f"stages, largest task {self.max_task_bytes} bytes"]
        for node in self.stages:
            lines.append(f"  stage {node!r}")
        for found in self.fusion._found.values():
            if found is not None:
                lines.append(f"  fused: {found.expression}")
        return "\n".join(lines)


class TaskCache(EvaluationContext):
    """What :meth:`Plan.evaluate` needs of a task context: reads, allocations, a cache."""

    cache: dict
