"""Running one task: evaluate its inputs, make its chunk, keep it or deliver it to the sink."""

from __future__ import annotations

import numpy as np

from ooarray.buffer.manager import BufferManager
from ooarray.core.chunks import Region
from ooarray.execute.context import TaskContext
from ooarray.execute.job import Job
from ooarray.plan.lower import Plan, Task

__all__ = ["run_task", "make_chunk", "deliver"]


def deliver(pool: BufferManager, job: Job, task: Task, region: Region,
            data: np.ndarray) -> None:
    """Write ``data``, ``region`` of the result, to the job's sink (charging its scratch)."""
    with pool.charge(job.sink.scratch_bytes):
        written = job.sink.write(task.index, region, data)
    job.count_written(written)


def make_chunk(plan: Plan, task: Task, ctx: TaskContext) -> np.ndarray:
    """Compute the chunk of a task that makes one (its inputs evaluated through the plan)."""
    arrays = [plan.evaluate(node, region, ctx) for node, region in task.inputs]
    return task.node.compute_chunk(task.index, arrays, ctx)


def run_task(pool: BufferManager, job: Job, task: Task, cores: int) -> None:
    """Run ``task`` with the pool's buffers: an intermediate chunk stays in the pool, a
    result region goes to the sink."""
    plan = job.plan
    ctx = TaskContext(pool, plan, cores)
    try:
        if task.direct:
            chunk = make_chunk(plan, task, ctx)
            deliver(pool, job, task, task.node.chunk_region(task.index), chunk)
        elif task.sink:
            region = task.inputs[0][1]
            deliver(pool, job, task, region, plan.evaluate(task.inputs[0][0], region, ctx))
        else:
            ctx.keep(task.write, make_chunk(plan, task, ctx))
    finally:
        ctx.close()
