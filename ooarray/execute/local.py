"""Local executors: ``sync`` (one task at a time, in order) and ``threads`` (the default).

Both run the same schedule through a buffer pool. The thread executor runs the tasks of a
stage on ``num_threads`` threads; each task first reserves its working set in the pool, so
tasks never wait on each other for memory mid-way. numexpr (and BLAS, through threadpoolctl
when it is installed) get ``cores // num_threads`` threads of their own, so that task
threads times library threads never exceed the cores.

Computations started in several threads run at once, each in a pool of its own, and share
the process budget (:mod:`ooarray.execute.admission`). A computation alone runs in the
process's main pool, which keeps its free buffers between computations.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import functools
import os
import threading
import time
from collections.abc import Iterator

import numexpr

from ooarray import config as _config
from ooarray.buffer.manager import BufferManager
from ooarray.buffer.policies import make_policy
from ooarray.buffer.stats import Stats
from ooarray.errors import BudgetError, format_bytes
from ooarray.execute.admission import Share, process_budget
from ooarray.execute.context import TaskContext, release_reads
from ooarray.execute.sinks import ArraySink, Sink, StoreSink
from ooarray.plan.lower import Plan, Task
from ooarray.plan.schedule import Schedule, schedule
from ooarray.store.spill import SpillStore

__all__ = ["execute", "pool", "ArraySink", "StoreSink", "listeners", "scoped_listeners"]

_pool = BufferManager(limit=1)
#: Whether a computation runs in ``_pool`` now; the others take a pool of their own.
_pool_busy = False
_spare_pools: list[BufferManager] = []
_pools_lock = threading.Lock()
_stats_lock = threading.Lock()
#: Stats objects that want every computation's counters added to them (``ooarray.stats``).
listeners: list[Stats] = []
#: Stats objects that want the counters of the computations of this thread (or asyncio task)
#: only (``ooarray.collect_stats``).
scoped_listeners: contextvars.ContextVar[tuple[Stats, ...]] = contextvars.ContextVar(
    "ooarray_scoped_listeners", default=())


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


def _deliver(pool: BufferManager, sink: Sink, task: Task, region, data,
             stats: Stats) -> None:
    with pool.charge(sink.scratch_bytes):
        written = sink.write(task.index, region, data)
    with _stats_lock:
        stats.bytes_written += written


def _make_chunk(plan: Plan, task: Task, ctx: TaskContext):
    arrays = [plan.evaluate(node, region, ctx) for node, region in task.inputs]
    return task.node.compute_chunk(task.index, arrays, ctx)


def _run_task(pool: BufferManager, plan: Plan, task: Task, sink: Sink, stats: Stats,
              cores: int) -> None:
    ctx = TaskContext(pool, plan, cores)
    try:
        if task.direct:
            chunk = _make_chunk(plan, task, ctx)
            _deliver(pool, sink, task, task.node.chunk_region(task.index), chunk, stats)
        elif task.sink:
            region = task.inputs[0][1]
            _deliver(pool, sink, task, region,
                     plan.evaluate(task.inputs[0][0], region, ctx), stats)
        else:
            ctx.keep(task.write, _make_chunk(plan, task, ctx))
    finally:
        ctx.close()


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
            if previous != count:
                numexpr.set_num_threads(count)
                _library_restore.append(lambda: numexpr.set_num_threads(previous))
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


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="task", desc="ooarray")


_workers_pool: concurrent.futures.ThreadPoolExecutor | None = None
_workers_count = 0
_workers_lock = threading.Lock()


def _workers(threads: int) -> concurrent.futures.ThreadPoolExecutor:
    """Return the task thread pool, kept between computations (starting one costs ~10 ms);
    it has at least ``threads`` threads (computations running at once share it)."""
    global _workers_pool, _workers_count
    with _workers_lock:
        if _workers_pool is None or _workers_count < threads:
            # A smaller pool is dropped, not shut down: a computation may still submit to
            # it; its threads end when the last computation using it lets it go.
            _workers_pool = concurrent.futures.ThreadPoolExecutor(
                threads, thread_name_prefix="ooarray")
            _workers_count = threads
        return _workers_pool


def _run_stage(pool: BufferManager, plan: Plan, tasks: list[Task], sink: Sink, stats: Stats,
               threads: int, cores: int, bar) -> None:
    def run(task: Task) -> None:
        with pool.reserve(task.nbytes):
            _run_task(pool, plan, task, sink, stats, cores)

    def finished(future: concurrent.futures.Future | None = None) -> None:
        if future is not None:
            future.result()
        if bar is not None:
            bar.update(1)

    if threads <= 1 and len(tasks) > 1 and isinstance(sink, StoreSink) \
            and all(task.direct for task in tasks):
        _run_writing_behind(pool, plan, tasks, sink, stats, cores, finished)
        return
    if threads <= 1 or len(tasks) <= 1:
        for task in tasks:
            run(task)
            finished()
        return
    workers = _workers(threads)
    pending: set[concurrent.futures.Future] = set()
    try:
        for task in tasks:
            # Each task runs in a copy of the caller's context, so settings held in context
            # variables (np.errstate, for one) reach the worker threads.
            pending.add(workers.submit(contextvars.copy_context().run, run, task))
            if len(pending) >= threads:
                done, pending = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    finished(future)
        for future in concurrent.futures.as_completed(pending):
            finished(future)
    except BaseException:
        for future in pending:
            future.cancel()
        concurrent.futures.wait(pending)  # nothing of this run may outlive it
        raise


@functools.cache
def _writer() -> concurrent.futures.ThreadPoolExecutor:
    """The thread that writes finished chunks to the sink while the next task computes."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ooarray-write")


def _write_behind(pool: BufferManager, task: Task, chunk, holding: int, sink: Sink,
                  stats: Stats, finish=None) -> None:
    try:
        if finish is not None:  # the task's last BLAS calls, still writing into the chunk
            finish()
        _deliver(pool, sink, task, task.node.chunk_region(task.index), chunk, stats)
    finally:
        pool.release(chunk)
        pool.discharge(holding)


def _run_writing_behind(pool: BufferManager, plan: Plan, tasks: list[Task], sink: Sink,
                        stats: Stats, cores: int, finished) -> None:
    """Run tasks that deliver their chunk to a store one after another, each chunk written
    on the writer thread while the next task computes (a matmul's C tile is encoded and
    written while BLAS makes the next one).

    A task holds its working set, less the sink's scratch, while it computes; a chunk in
    flight holds its own bytes and the sink's scratch until it is written. So a task waits
    for the previous write only when both do not fit the budget, and at most one write is
    in flight.
    """
    in_flight: concurrent.futures.Future | None = None
    handoff: dict = {}  # reads a task started for the next one (its opening reads)
    # Budget a task keeps held for those reads: they are part of the next task's working
    # set, so the next task is admitted for the rest only.
    carried = 0
    try:
        for position, task in enumerate(tasks):
            computing = max(0, task.nbytes - sink.scratch_bytes, carried)
            pool.admit(computing - carried)
            kept = running = 0
            try:
                after = tasks[position + 1] if position + 1 < len(tasks) else None
                ctx = TaskContext(pool, plan, cores, prefetched=handoff, upcoming=None
                                  if after is None else after.node.opening_reads(after.index),
                                  defers=True)
                try:
                    chunk = ctx.detach(_make_chunk(plan, task, ctx))
                except BaseException:
                    if ctx.unfinished is not None:
                        ctx.unfinished[0]()
                    raise
                finally:
                    handoff, kept = ctx.handoff, min(ctx.handoff_bytes, computing)
                    ctx.close()
                # The task's last BLAS calls may still run: their bytes stay reserved until
                # the writer has waited for them.
                finish, running = ctx.unfinished or (None, 0)
                running = min(running, computing - kept)
                try:
                    if in_flight is not None:
                        in_flight.result()  # a failed write stops the run here
                        in_flight = None
                except BaseException:
                    try:
                        if finish is not None:  # BLAS must stop writing into the chunk first
                            finish()
                    finally:
                        pool.discharge(running)
                        running = 0
                        pool.release(chunk)
                    raise
            finally:
                pool.discharge(computing - kept - running)
                carried = kept
            holding = chunk.nbytes + sink.scratch_bytes
            pool.admit(holding)
            in_flight = _writer().submit(contextvars.copy_context().run, _write_behind, pool,
                                         task, chunk, holding + running, sink, stats, finish)
            finished()
    finally:
        release_reads(pool, handoff)  # left by a task that failed
        pool.discharge(carried)
        if in_flight is not None:  # nothing of this run may outlive it (even on Ctrl-C)
            concurrent.futures.wait([in_flight])
    if in_flight is not None:
        in_flight.result()


def check_budget(plan: Plan, limit: int, resident: int = 0) -> None:
    """Raise :class:`BudgetError` if one task of ``plan`` cannot fit in ``limit`` bytes."""
    needed = plan.max_task_bytes
    if needed + resident > limit:
        what = f"the {format_bytes(resident)} result and " if resident else ""
        raise BudgetError(
            f"memory_limit={format_bytes(limit)} is too small: {what}one task of this "
            f"computation needs {format_bytes(needed + resident)}; raise memory_limit "
            f"(ooarray.config.set(memory_limit=...)) or use smaller chunks (chunks=...)",
            needed=needed + resident, limit=limit)


def execute(plan: Plan, sink: Sink) -> Stats:
    """Run ``plan`` into ``sink`` within the configured budget; return its counters.

    The computation shares the process budget with those running in other threads
    (:mod:`ooarray.execute.admission`): it may wait for room before it starts.

    Raises
    ------
    BudgetError
        Before any work, if the largest task does not fit the budget.
    """
    settings = _config.get()
    check_budget(plan, settings.memory_limit, sink.resident_bytes)
    order: Schedule = schedule(plan)
    receivers = [*listeners, *scoped_listeners.get()]
    recording = any(s.trace is not None for s in receivers)
    stats = Stats(trace=[] if recording else None)
    cores = os.cpu_count() or 1
    spill = _LazySpill(settings.spill_dir)
    started = time.perf_counter()
    bar = _progress(len(plan.tasks), settings.progress and len(plan.tasks) > 1)
    share = Share(settings.memory_limit, plan.max_task_bytes + sink.resident_bytes,
                  sink.resident_bytes)
    pool = None
    try:
        try:
            process_budget().join(share, _take_pool)
            pool = share.pool
            pool.reset(max(1, share.granted - sink.resident_bytes),
                       make_policy(settings.policy), stats, spill)
            pool.set_trace(order.trace, order.uses)
            share.apply()  # the share may have changed while the pool was reset
            threads = 1 if settings.executor == "sync" else settings.num_threads
            # Run no more tasks at once than the computation's budget holds.
            if plan.max_task_bytes:
                threads = max(1, min(threads, pool.limit // plan.max_task_bytes))
            for group in order.stages:
                node = group[0].node if not group[0].sink or group[0].direct else None
                wanted = node.task_threads if node is not None else None
                stage_threads = max(1, min(threads, wanted or threads, len(group)))
                task_cores = max(1, cores // stage_threads)
                library = node.library_threads if node is not None else None
                with _library_threads(library or task_cores):
                    _run_stage(pool, plan, group, sink, stats, stage_threads, task_cores, bar)
        except BaseException:
            sink.abort()
            raise
        else:
            sink.commit()
        finally:
            if pool is not None:
                pool.finish()
            process_budget().leave(share)
    finally:
        if pool is not None:
            _return_pool(pool)
        spill.close()
        if bar is not None:
            bar.close()
        stats.tasks = len(plan.tasks)
        stats.seconds = time.perf_counter() - started
        with _stats_lock:
            for listener in receivers:
                listener.add(stats)
    return stats
