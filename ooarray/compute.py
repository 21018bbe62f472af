"""Computing a root: settle its plan's checkpoints, then lower and execute it into a sink.

See :mod:`ooarray.plan.checkpoint` for which nodes are checkpoints and why. A checkpoint
small enough is kept in memory as a constant; a larger one is written, chunk by chunk within
the budget, to a raw chunk file in ``spill_dir`` (in the node's own chunk grid, which
consumers may have planned around), removed when the node is garbage collected.

Settling rewrites nodes that plans of other threads may hold: it holds the graph alone,
while making and running a plan reads it (:mod:`ooarray.execute.graph_guard`).
"""

from __future__ import annotations

import weakref

from ooarray import config as _config
from ooarray.buffer.stats import Stats
from ooarray.chunks import Chunks
from ooarray.config import Config
from ooarray.execute.budget import fits
from ooarray.execute.executor import execute
from ooarray.execute.graph_guard import graph_guard
from ooarray.execute.sinks import ArraySink, Sink, StoreSink
from ooarray.plan.checkpoint import MAX_DEPTH, MAX_EVALUATIONS, checkpoints, refresh_depths
from ooarray.plan.graph import ConstantNode, Node, SourceNode, settle
from ooarray.plan.lower import Plan
from ooarray.plan.schedule import schedule
from ooarray.store.chunkfile import ChunkFile

__all__ = ["run", "settle_checkpoints", "IN_MEMORY_CHECKPOINT_SHARE"]

#: A checkpoint at most this share of ``memory_limit`` is kept in memory; a larger one goes
#: to a file in ``spill_dir``.
IN_MEMORY_CHECKPOINT_SHARE = 1 / 8


def run(root: Node, sink: Sink, settings: Config | None = None) -> Stats:
    """Compute ``root`` into ``sink``: checkpoints first, then the plan of what is left.

    ``settings`` (by default those in force now) are captured once and carried down to every
    plan and run of the computation, its checkpoints' included.
    """
    settings = settings if settings is not None else _config.get()
    settle_checkpoints(root, settings=settings)
    with graph_guard().reading():
        plan = _plan(root, sink.chunks, sink.scratch_bytes, sink.resident_bytes, settings,
                     sink.done)
        return execute(plan, schedule(plan), sink, settings)


def settle_checkpoints(root: Node, max_evaluations: int = MAX_EVALUATIONS,
                       max_depth: int = MAX_DEPTH, settings: Config | None = None) -> None:
    """Compute every checkpoint of ``root``'s plan (inputs first) and settle it on its values."""
    settings = settings if settings is not None else _config.get()
    guard = graph_guard()
    with guard.reading():
        if not checkpoints(root, max_evaluations, max_depth):
            return
    with guard.writing():
        # Again: another thread may have settled some while this one waited.
        chosen = checkpoints(root, max_evaluations, max_depth)
        for node in chosen:
            settle(node, _computed(node, settings))
        if chosen:
            refresh_depths(root)


#: When a plan's largest task does not fit the budget: (max_evaluations, max_depth) of the
#: checkpoints tried in turn, each giving smaller trees per task than the one before.
SMALLER_TASKS = ((1, MAX_DEPTH), (1, 8), (1, 2), (1, 1))


def _plan(root: Node, chunks: Chunks, scratch: int, resident: int, settings: Config,
          done: frozenset[tuple[int, ...]] = frozenset()) -> Plan:
    """The plan of ``root``, less the sink blocks ``done`` (a resumed write); while its
    largest task does not fit the budget, more of its region nodes become checkpoints first
    (:data:`SMALLER_TASKS`), and the plan is made again (execute then says what is still
    too large)."""
    plan = Plan(root, chunks, scratch, done)
    for evaluations, depth in SMALLER_TASKS:
        if fits(plan, settings.memory_limit, resident):
            break
        if checkpoints(root, evaluations, depth):
            settle_checkpoints(root, evaluations, depth, settings)
            plan = Plan(root, chunks, scratch, done)
    return plan


def _computed(node: Node, settings: Config) -> Node:
    if node.nbytes <= settings.memory_limit * IN_MEMORY_CHECKPOINT_SHARE:
        sink = ArraySink(node.shape, node.dtype, node.chunks)
        plan = _plan(node, sink.chunks, sink.scratch_bytes, sink.resident_bytes, settings)
        execute(plan, schedule(plan), sink, settings)
        sink.result.flags.writeable = False  # ours alone: frozen without a copy
        return ConstantNode(sink.result, node.chunks)
    store = ChunkFile(node.shape, node.dtype, node.chunks, settings.spill_dir, "checkpoint")
    try:
        plan = _plan(node, store.chunks, 0, 0, settings)
        execute(plan, schedule(plan), StoreSink(store), settings)
    except BaseException:
        store.remove()
        raise
    weakref.finalize(node, store.remove)
    return SourceNode(store)
