"""Running one task: the plan computes it in a task context; what it delivers goes to the sink."""

from __future__ import annotations

import numpy as np

from ooarray.buffer.manager import BufferManager
from ooarray.chunks import Region
from ooarray.execute.context import TaskContext
from ooarray.execute.job import Job, Task

__all__ = ["run_task", "deliver"]


def deliver(pool: BufferManager, job: Job, task: Task, region: Region,
            data: np.ndarray) -> None:
    """Write ``data``, ``region`` of the result, to the job's sink (charging its scratch)."""
    with pool.lending_charge(job.sink.scratch_bytes):
        written = job.sink.write(task.index, region, data, pool.borrow)
    job.count_written(written)


def run_task(pool: BufferManager, job: Job, task: Task, cores: int) -> None:
    """Run ``task`` with the pool's buffers: an intermediate chunk stays in the pool, a
    result region goes to the sink."""
    ctx = TaskContext(pool, job.plan, cores)
    try:
        delivered = job.plan.run_task(task, ctx)
        if delivered is not None:
            deliver(pool, job, task, task.output_region(), delivered)
    finally:
        ctx.close()
