"""What a plan will hold and read, worked out before it runs (for :mod:`.explain`).

Two projections, both from the lowered plan alone (no data is read):

* :func:`admission`: how many tasks of each stage the executor runs at once, and so the most
  bytes their working sets hold together, as :mod:`ooarray.execute.local` decides it;
* :func:`project_io`: the buffer pool's hits, misses, evictions, spills and bytes read under
  the configured policy, by replaying the schedule's chunk accesses through the real policy
  objects (:mod:`ooarray.buffer.policies`) in a model of the pool: tasks one after another
  in schedule order, each with its working set reserved (less the chunks it pins, which are
  counted as they load), a streamed piece's chunks released before the next piece, and the
  other tasks of its stage that run at once holding their working sets; cached chunks fill
  what is left of the budget, an intermediate chunk is freed after its last read, and under
  Belady a stored chunk after its last use.

The figures are an estimate. With the ``sync`` executor they matched runs of elementwise
chains, reductions and a strided scan exactly under both policies (tests/test_explain.py);
threads end tasks in another order (a few percent); a matmul's tasks prefetch steps and copy
panels outside the model, so under a tight budget its Belady figure was off by up to a factor
of 1.7 either way (LRU's within 8 %).
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Hashable

from ooarray.buffer.policies import make_policy
from ooarray.chunks import block_region, region_shape
from ooarray.plan.graph import MaterializedNode, SourceNode, topological_order
from ooarray.plan.lower import Plan, Task
from ooarray.plan.schedule import Schedule

__all__ = ["StageAdmission", "admission", "IOProjection", "project_io", "chunk_bytes"]


@dataclasses.dataclass
class StageAdmission:
    """How stage ``number`` (1-based) runs: ``at_once`` of its ``tasks`` at a time, the
    largest of ``largest`` bytes."""

    number: int
    tasks: int
    at_once: int
    largest: int

    @property
    def held(self) -> int:
        """Bytes the working sets of the tasks running at once hold together (at most)."""
        return self.at_once * self.largest


def admission(schedule: Schedule, pool_limit: int, threads: int) -> list[StageAdmission]:
    """How many tasks of each stage of ``schedule`` run at once in a pool of ``pool_limit``
    bytes with ``threads`` task threads (the rule of ``LocalExecutor.run``)."""
    largest = max((t.nbytes for group in schedule.stages for t in group), default=0)
    if largest:
        threads = max(1, min(threads, pool_limit // largest))
    found = []
    for group in schedule.stages:
        wanted = group[0].task_threads
        at_once = max(1, min(threads, wanted or threads, len(group)))
        found.append(StageAdmission(group[0].stage + 1, len(group), at_once,
                                    max(t.nbytes for t in group)))
    return found


@dataclasses.dataclass
class IOProjection:
    """What the pool is expected to do for one plan (see the module's notes).

    Attributes
    ----------
    hits, misses, evictions : int
        Chunk pins served from the pool, pins that load a chunk, chunks evicted for room.
    frees : int
        Chunks dropped after their last use (not evictions: nothing is read again).
    store_bytes, store_loads : int
        Bytes and chunks read from input stores (and generated data).
    distinct_store_bytes : int
        Bytes of the distinct stored chunks the plan reads: ``store_bytes`` when no chunk
        is read twice.
    spilled_bytes, unspilled_bytes : int
        Intermediate bytes written to the spill store, and read back from it.
    read_by_node : dict of int to int
        ``store_bytes`` by source node id.
    policy : str
    capacity : int
        The pool's budget in the model (``memory_limit`` less a result kept in memory).
    """

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    frees: int = 0
    store_bytes: int = 0
    store_loads: int = 0
    distinct_store_bytes: int = 0
    spilled_bytes: int = 0
    unspilled_bytes: int = 0
    read_by_node: dict[int, int] = dataclasses.field(default_factory=dict)
    policy: str = ""
    capacity: int = 0

    @property
    def reread_bytes(self) -> int:
        """Stored bytes read more than once (evicted before their next use)."""
        return self.store_bytes - self.distinct_store_bytes


def chunk_bytes(plan: Plan) -> dict[Hashable, int]:
    """Return the bytes of every chunk that ``plan``'s tasks read or write, by key."""
    nodes = {node.id: node for node in topological_order(plan.root)
             if isinstance(node, MaterializedNode)}
    sizes: dict[Hashable, int] = {}
    for task in plan.tasks:
        for key in [*task.reads, task.write]:
            if key is None or key in sizes:
                continue
            node = nodes[key[0]]
            sizes[key] = math.prod(region_shape(block_region(node.chunks, key[1]))) \
                * node.dtype.itemsize
    return sizes


def _pieces(plan: Plan, task: Task) -> list[list[Hashable]]:
    """The chunk keys of each streamed piece of ``task``, in the order of its reads (the
    last of ``task.reads``)."""
    if task.sink and not task.direct:
        return []
    return [plan.reads(child, region)
            for child, region in task.node.streamed_inputs(task.index)]


def project_io(plan: Plan, schedule: Schedule, pool_limit: int, policy: str,
               stages: list[StageAdmission]) -> IOProjection:
    """Replay ``schedule``'s accesses through a model of the pool (see the module's notes).

    Parameters
    ----------
    plan, schedule : the lowered plan and its run order
    pool_limit : int
        The pool's budget: ``memory_limit`` less a result kept in memory.
    policy : {"belady", "lru"}
    stages : list of StageAdmission
        From :func:`admission`: the other tasks of a stage that run at once hold their
        working sets beside each task.

    Returns
    -------
    IOProjection
    """
    sizes = chunk_bytes(plan)
    stored = {node.id for node in topological_order(plan.root) if isinstance(node, SourceNode)}
    chooser = make_policy(policy)
    chooser.set_trace(schedule.trace)
    remaining = collections.Counter(schedule.uses)
    out = IOProjection(policy=policy, capacity=pool_limit)
    out.distinct_store_bytes = sum(size for key, size in sizes.items() if key[0] in stored)
    cached: dict[Hashable, int] = {}  # key -> pins now (0: evictable)
    spilled: set[Hashable] = set()
    held = 0

    def make_room(needed: int, room: int) -> None:
        nonlocal held
        while held + needed > room:
            candidates = [k for k, pins in cached.items() if pins == 0]
            if not candidates:
                return  # the task's own chunks: it was admitted alone
            victim = chooser.victim(candidates)
            del cached[victim]
            held -= sizes[victim]
            chooser.forget(victim)
            out.evictions += 1
            if victim[0] not in stored and remaining[victim] > 0 and victim not in spilled:
                spilled.add(victim)
                out.spilled_bytes += sizes[victim]

    def pin(key: Hashable, room: int) -> None:
        nonlocal held
        chooser.record_access(key)
        if key in cached:
            cached[key] += 1
            out.hits += 1
            return
        out.misses += 1
        make_room(sizes[key], room)
        cached[key] = 1
        held += sizes[key]
        if key[0] in stored:
            out.store_bytes += sizes[key]
            out.store_loads += 1
            out.read_by_node[key[0]] = out.read_by_node.get(key[0], 0) + sizes[key]
        else:
            out.unspilled_bytes += sizes[key]

    def unpin(key: Hashable) -> None:
        nonlocal held
        cached[key] -= 1
        if key[0] in stored:
            dead = not chooser.used_again(key)
        else:
            remaining[key] -= 1
            dead = remaining[key] <= 0
        if dead and cached[key] == 0:
            del cached[key]
            held -= sizes[key]
            chooser.forget(key)
            spilled.discard(key)
            out.frees += 1

    def run(task: Task, others: int) -> None:
        nonlocal held
        pieces = _pieces(plan, task)
        fixed = task.reads[:len(task.reads) - sum(len(piece) for piece in pieces)]
        # What the task holds besides the chunks it pins: its output and scratch, and room
        # for the streamed pieces other than the one it reads (prefetching, copies).
        pinned = sum(sizes[key] for key in dict.fromkeys(fixed))
        widest = max((sum(sizes[key] for key in dict.fromkeys(piece)) for piece in pieces),
                     default=0)
        room = pool_limit - others - max(0, task.nbytes - pinned - widest)
        for key in fixed:
            pin(key, room)
        for piece in pieces:  # each read in a scope of its own, released before the next
            for key in piece:
                pin(key, room)
            for key in piece:
                unpin(key)
        if task.write is not None:  # its output was part of its working set
            chooser.record_access(task.write)
            if remaining[task.write] > 0:
                cached[task.write] = 0
                held += sizes[task.write]
        for key in fixed:
            unpin(key)
        make_room(0, pool_limit - others)

    for group, stage in zip(schedule.stages, stages, strict=True):
        others = (stage.at_once - 1) * stage.largest
        for task in group:
            run(task, others)
    return out
