"""What runs on a cluster's worker: the tasks of a plan, in a buffer pool of the worker's own.

The client sends each computation's plan once (with a copy of the output store when the
result goes to one) and then one small call per task: :func:`run_task`. Every worker process
keeps, per computation, a buffer pool bounded by the computation's per-worker budget; the
tasks it runs are admitted against that pool exactly as on one machine, so a worker's memory
stays within it whatever the others do.

Tasks are stateless and idempotent: a task reads its input chunks from the input stores and
from the computation's work store (:class:`ooarray.store.workstore.WorkStore`, which every
intermediate is written through to), and writes its output to the work store, to the output
store (whole chunks of a partial that is committed only by the client), or back to the
client. A task run twice (a worker lost, a speculative copy) writes the same bytes again.
The pool is a cache: a worker that is restarted starts an empty one.

Only the package's own functions and plain data travel: nothing here closes over the
client's state.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numexpr
import numpy as np

from ooarray.buffer.manager import BufferManager
from ooarray.buffer.policies import make_policy
from ooarray.buffer.stats import Stats
from ooarray.config import Config
from ooarray.execute.context import TaskContext
from ooarray.execute.job import Plan
from ooarray.execute.sinks import StoreSink
from ooarray.store.base import ChunkStore
from ooarray.store.workstore import WorkStore

__all__ = ["ClusterRun", "Shipment", "TaskOutcome", "begin", "run_task", "finish"]


@dataclasses.dataclass(frozen=True)
class ClusterRun:
    """What every task of one computation carries to a worker (small, sent with each call).

    Attributes
    ----------
    key : str
        The computation.
    work_dir : str
        Its work store, on storage every worker shares.
    settings : Config
        The computation's settings (without the client).
    pool_limit : int
        Bytes of each worker's buffer pool.
    cores : int
        Cores a task may keep busy with library threads (numexpr, BLAS).
    """

    key: str
    work_dir: str
    settings: Config
    pool_limit: int
    cores: int = 1


@dataclasses.dataclass
class Shipment:
    """What a computation sends to every worker once: the plan, and a copy of the output
    store when the result goes to one (None: results go back to the client)."""

    plan: Plan
    store: ChunkStore | None = None


@dataclasses.dataclass
class TaskOutcome:
    """What a task tells the client: what to put in the result in memory (``data`` for
    ``region``, when the result is not written to a store), the bytes it wrote to the output
    store, and the chunks it wrote there (for the store's journal)."""

    number: int
    region: tuple[slice, ...] | None = None
    data: np.ndarray | None = None
    written: int = 0
    entries: list = dataclasses.field(default_factory=list)


class _Computation:
    """One computation's buffer pool and counters in this worker process."""

    def __init__(self, run: ClusterRun) -> None:
        self.stats = Stats()
        self.pool = BufferManager(limit=run.pool_limit)
        self.pool.reset(run.pool_limit, make_policy(run.settings.policy), self.stats,
                        WorkStore(run.work_dir))
        self.sinks: dict[int, StoreSink] = {}
        self.lock = threading.Lock()


_computations: dict[str, _Computation] = {}
_computations_lock = threading.Lock()


def _computation(run: ClusterRun) -> _Computation:
    with _computations_lock:
        found = _computations.get(run.key)
        if found is None:
            found = _computations[run.key] = _Computation(run)
            if numexpr.get_num_threads() != run.cores:
                numexpr.set_num_threads(run.cores)
        return found


def begin(run: ClusterRun, trace: list, uses: dict) -> None:
    """Start ``run`` in this worker: its pool, and the access trace of the tasks the client
    means to send here, with how often each intermediate is read here (Belady's policy
    reads this worker's future from them)."""
    _computation(run).pool.set_trace(trace, uses)


def _sink(computation: _Computation, shipment: Shipment) -> StoreSink:
    with computation.lock:
        sink = computation.sinks.get(id(shipment))
        if sink is None:
            sink = computation.sinks[id(shipment)] = StoreSink(shipment.store)
        return sink


def run_task(shipment: Shipment, number: int, run: ClusterRun) -> TaskOutcome:
    """Run task ``number`` of the shipped plan in this worker's pool for ``run``."""
    computation = _computation(run)
    plan, pool = shipment.plan, computation.pool
    task = plan.tasks[number]
    outcome = TaskOutcome(number)
    with pool.reserve(task.nbytes):
        ctx = TaskContext(pool, plan, run.cores)
        try:
            delivered = plan.run_task(task, ctx)
            if delivered is not None:
                region = task.output_region()
                if shipment.store is not None:
                    sink = _sink(computation, shipment)
                    with pool.lending_charge(sink.scratch_bytes):
                        outcome.written = sink.write(task.index, region, delivered,
                                                     pool.borrow)
                    outcome.entries = shipment.store.take_written()
                else:
                    outcome.region = region
                    outcome.data = np.array(delivered, copy=True)  # the pool's buffer goes back
        finally:
            ctx.close()
    with computation.lock:
        computation.stats.tasks += 1
    return outcome


def finish(key: str) -> dict[str, Any] | None:
    """End computation ``key`` in this worker: free its pool; return its counters (None if
    this worker ran none of its tasks)."""
    with _computations_lock:
        computation = _computations.pop(key, None)
    if computation is None:
        return None
    computation.pool.finish()
    computation.pool.release_memory()
    return computation.stats.as_dict()
