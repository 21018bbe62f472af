"""Writing behind: a store's chunks are written on a writer thread while the next task computes.

When the tasks of a stage run one after another and each delivers its chunk to a store (a
matmul's C tiles), the run overlaps each chunk's encoding and writing with the computation
of the next one. Both local executors do this for such a stage; it is a property of the run
(:func:`writes_behind`), not an engine of its own.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools

from ooarray.buffer.manager import BufferManager
from ooarray.execute.context import TaskContext, release_reads
from ooarray.execute.job import Job, Task
from ooarray.execute.sinks import StoreSink
from ooarray.execute.tasks import deliver

__all__ = ["writes_behind", "run_writing_behind"]


def writes_behind(job: Job, tasks: list[Task]) -> bool:
    """Whether ``tasks``, run one after another, write behind: several tasks that each
    deliver their chunk to a store."""
    return len(tasks) > 1 and isinstance(job.sink, StoreSink) and \
        all(task.direct for task in tasks)


@functools.cache
def _writer() -> concurrent.futures.ThreadPoolExecutor:
    """The thread that writes finished chunks to the sink while the next task computes."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ooarray-write")


def _write_behind(pool: BufferManager, job: Job, task: Task, chunk, holding: int,
                  finish=None) -> None:
    try:
        if finish is not None:  # the task's last BLAS calls, still writing into the chunk
            finish()
        deliver(pool, job, task, task.output_region(), chunk)
    finally:
        pool.release(chunk)
        pool.discharge(holding)


def run_writing_behind(pool: BufferManager, job: Job, tasks: list[Task], cores: int) -> None:
    """Run tasks that deliver their chunk to a store one after another, each chunk written
    on the writer thread while the next task computes (a matmul's C tile is encoded and
    written while BLAS makes the next one).

    A task holds its working set, less the sink's scratch, while it computes; a chunk in
    flight holds its own bytes and the sink's scratch until it is written. So a task waits
    for the previous write only when both do not fit the budget, and at most one write is
    in flight.
    """
    plan, sink = job.plan, job.sink
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
                                  if after is None else after.opening_reads(),
                                  defers=True)
                try:
                    chunk = ctx.detach(plan.make_chunk(task, ctx))
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
                                         job, task, chunk, holding + running, finish)
            job.task_done(task)
    finally:
        release_reads(pool, handoff)  # left by a task that failed
        pool.discharge(carried)
        if in_flight is not None:  # nothing of this run may outlive it (even on Ctrl-C)
            concurrent.futures.wait([in_flight])
    if in_flight is not None:
        in_flight.result()
