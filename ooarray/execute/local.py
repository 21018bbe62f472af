"""What the local executors share: buffer pools, the process budget, library threads, and
running a schedule's stages.

Both local engines (``sync``: :mod:`ooarray.execute.sync`, ``threads``:
:mod:`ooarray.execute.threads`) run the same schedule through a buffer pool. Each task first
reserves its working set in the pool, so tasks never wait on each other for memory mid-way.
numexpr (and BLAS, through threadpoolctl when it is installed) get ``cores // task threads``
threads of their own, so that task threads times library threads never exceed the cores.
A stage whose tasks run one after another and deliver chunks to a store writes behind
(:mod:`ooarray.execute.write_behind`).

Computations started in several threads run at once, each in a pool of its own, and share
the process budget (:mod:`ooarray.execute.admission`). A computation alone runs in the
process's main pool, which keeps its free buffers between computations.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator

import numexpr

from ooarray.buffer.address_space import threads_fit
from ooarray.buffer.manager import BufferManager
from ooarray.buffer.policies import make_policy
from ooarray.execute.admission import Share, process_budget
from ooarray.execute.job import Job, Task
from ooarray.execute.tasks import run_task
from ooarray.execute.write_behind import run_writing_behind, writes_behind
from ooarray.store.spill import SpillStore

__all__ = ["LocalExecutor", "pool"]

_pool = BufferManager(limit=1)
#: Whether a computation runs in ``_pool`` now; the others take a pool of their own.
_pool_busy = False
_spare_pools: list[BufferManager] = []
_pools_lock = threading.Lock()


def pool() -> BufferManager:
    """Return the process's main buffer pool (that of a computation running alone)."""
    return _pool


def _take_pool() -> BufferManager:
    global _pool_busy
    with _pools_lock:
        if not _pool_busy:
            _pool_busy = True
            return _pool
        return _spare_pools.pop() if _spare_pools else BufferManager(limit=1)


def _return_pool(used: BufferManager) -> None:
    """Give back a pool whose computation has ended (and left the process budget)."""
    global _pool_busy
    with _pools_lock:
        # Free buffers are kept for the next computation only by the main pool, and only
        # while no other computation runs: they are outside every running one's share.
        if used is not _pool or process_budget().running:
            used.release_memory()
        if used is _pool:
            _pool_busy = False
        else:
            _spare_pools.append(used)


class _LazySpill:
    """Creates the spill directory only when the first chunk is spilled."""

    def __init__(self, parent: str) -> None:
        self._parent, self._store = parent, None

    def __getattr__(self, name: str):
        if self._store is None:
            if name in ("delete", "close"):
                return lambda *args: None
            self._store = SpillStore(self._parent)
        return getattr(self._store, name)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


@functools.cache
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS (scanning the libraries costs ~100 us, so
    once); None without threadpoolctl (the bench extra): BLAS keeps its setting."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController().select(user_api="blas")


_library_lock = threading.Lock()
#: Computations (stages) inside :func:`_library_threads` now, and what the first one changed.
_library_users = 0
_library_restore: list = []


@contextlib.contextmanager
def _library_threads(count: int) -> Iterator[None]:
    """Give numexpr and BLAS ``count`` threads each while tasks run on their own threads.

    Only what differs is set: numexpr's ``set_num_threads`` costs ~150 us even to the same
    count, which a computation on a small array would pay twice. The libraries' settings
    are process-wide: when computations run at once in several threads, the first one
    sets them and the last one to end restores them.
    """
    global _library_users
    with _library_lock:
        _library_users += 1
        if _library_users == 1:
            _library_restore.clear()
            count = max(1, count)
            previous = numexpr.get_num_threads()
            # numexpr ends the process when it cannot start a thread (exit(-1) on a failed
            # pthread_create, seen under a limited address space): more threads only when
            # their stacks fit; otherwise it keeps fewer.
            if previous != count and (count < previous or threads_fit(count - previous)):
                numexpr.set_num_threads(count)
                _library_restore.append(functools.partial(_restore_numexpr, previous))
            blas = _blas_controller()
            if blas is not None and any(info["num_threads"] != count for info in blas.info()):
                limit = blas.limit(limits=count)
                _library_restore.append(limit.restore_original_limits)
    try:
        yield
    finally:
        with _library_lock:
            _library_users -= 1
            if _library_users == 0:
                while _library_restore:
                    _library_restore.pop()()


def _restore_numexpr(previous: int) -> None:
    current = numexpr.get_num_threads()
    if previous < current or threads_fit(previous - current):
        numexpr.set_num_threads(previous)


class LocalExecutor:
    """Runs a job's stages in this process, one after another, within the job's share of
    the process budget; :meth:`run_stage` runs the tasks of one stage in order.

    Subclasses choose how many tasks of a stage run at once (:meth:`task_threads`) and how
    (:meth:`run_stage`).
    """

    name = "local"

    def task_threads(self, job: Job) -> int:
        """How many tasks of a stage may run at once."""
        return 1

    def run(self, job: Job) -> None:
        """Run every stage of ``job`` (the caller commits or aborts the sink)."""
        settings, plan, sink = job.settings, job.plan, job.sink
        cores = os.cpu_count() or 1
        spill = _LazySpill(settings.spill_dir)
        share = Share(settings.memory_limit, plan.max_task_bytes + sink.resident_bytes,
                      sink.resident_bytes)
        pool = None
        try:
            try:
                process_budget().join(share, _take_pool)
                pool = share.pool
                pool.reset(max(1, share.granted - sink.resident_bytes),
                           make_policy(settings.policy), job.stats, spill)
                pool.set_trace(job.schedule.trace, job.schedule.uses)
                share.apply()  # the share may have changed while the pool was reset
                threads = self.task_threads(job)
                # Run no more tasks at once than the computation's budget holds.
                if plan.max_task_bytes:
                    threads = max(1, min(threads, pool.limit // plan.max_task_bytes))
                for group in job.schedule.stages:
                    wanted = group[0].task_threads
                    stage_threads = max(1, min(threads, wanted or threads, len(group)))
                    task_cores = max(1, cores // stage_threads)
                    # What the stage's tasks reserve at once (a stage that writes behind
                    # reserves its chunks in flight too: up to the budget): the pool hands
                    # out buffers larger than asked for only in the rest.
                    pool.set_reservation_ceiling(
                        None if writes_behind(job, group)
                        else stage_threads * max(task.nbytes for task in group))
                    with _library_threads(group[0].library_threads or task_cores):
                        self.run_stage(pool, job, group, stage_threads, task_cores)
            finally:
                if pool is not None:
                    pool.finish()
                process_budget().leave(share)
        finally:
            if pool is not None:
                _return_pool(pool)
            spill.close()

    def run_stage(self, pool: BufferManager, job: Job, tasks: list[Task], threads: int,
                  cores: int) -> None:
        """Run the tasks of one stage, one after another (writing behind when they deliver
        chunks to a store); ``cores`` is what each task may keep busy."""
        if writes_behind(job, tasks):
            run_writing_behind(pool, job, tasks, cores)
            return
        for task in tasks:
            with pool.reserve(task.nbytes):
                run_task(pool, job, task, cores)
            job.task_done(task)
