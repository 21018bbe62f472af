"""The executor interface, the engines by name, and running a lowered plan.

An executor receives a :class:`~ooarray.execute.job.Job` (a lowered plan, its schedule, the
sink, the settings captured when the computation started, the counters and the callbacks)
and runs its tasks. It knows nothing of NumPy functions: the plan's nodes do the work.

Adding an engine means adding one module with a class that has a ``name`` and a
``run(job)`` method, and naming it in :data:`ENGINES` (and in ``config.EXECUTORS``).
"""

from __future__ import annotations

import importlib
import time
from typing import Protocol

from ooarray import config as _config
from ooarray.buffer.stats import Stats
from ooarray.config import Config
from ooarray.execute.budget import check_tasks
from ooarray.execute.callbacks import ProgressBar, active_callbacks
from ooarray.execute.job import Job, Plan, Schedule
from ooarray.execute.sinks import Sink

__all__ = ["Executor", "ENGINES", "executor_named", "execute"]


class Executor(Protocol):
    """Runs the tasks of a job; the caller commits or aborts the sink afterwards."""

    name: str

    def run(self, job: Job) -> None:
        """Run every stage of ``job.schedule`` into ``job.sink`` (stages in order, a stage's
        tasks in any order), calling ``job.task_done(task)`` after each task."""


#: The engines by name: the module and class of each.
ENGINES: dict[str, str] = {
    "sync": "ooarray.execute.sync:SyncExecutor",
    "threads": "ooarray.execute.threads:ThreadsExecutor",
    "dask": "ooarray.execute.cluster:DaskExecutor",
}
_instances: dict[str, Executor] = {}


def executor_named(name: str) -> Executor:
    """Return the engine called ``name`` (one of :data:`ENGINES`)."""
    engine = _instances.get(name)
    if engine is None:
        if name not in ENGINES:
            raise ValueError(f"executor must be one of {tuple(ENGINES)}; got {name!r}")
        module, cls = ENGINES[name].split(":")
        engine = _instances[name] = getattr(importlib.import_module(module), cls)()
    return engine


def execute(plan: Plan, order: Schedule, sink: Sink, settings: Config | None = None) -> Stats:
    """Run ``plan``'s tasks in the ``order`` of its schedule into ``sink`` with ``settings``
    (by default those in force); return its counters.

    The sink is committed when every task succeeded and aborted otherwise. The computation
    shares the process budget with those running in other threads
    (:mod:`ooarray.execute.admission`): it may wait for room before it starts.

    Raises
    ------
    BudgetError
        Before any work, if the largest task does not fit the budget.
    """
    settings = settings if settings is not None else _config.get()
    check_tasks(plan, settings.memory_limit, sink.resident_bytes)
    callbacks = active_callbacks(*([ProgressBar()] if settings.progress else []))
    stats = Stats(trace=[] if any(c.wants_trace for c in callbacks) else None)
    job = Job(plan, order, sink, settings, stats, callbacks)
    started = time.perf_counter()
    for callback in callbacks:
        callback.on_plan_start(plan)
    try:
        executor_named(settings.executor).run(job)
    except BaseException:
        sink.abort()
        raise
    else:
        sink.commit()
    finally:
        stats.tasks = len(plan.tasks)
        stats.seconds = time.perf_counter() - started
        for callback in callbacks:
            callback.on_plan_end(plan, stats)
    return stats
