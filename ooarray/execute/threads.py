"""The ``threads`` executor (the default): the tasks of a stage run on ``num_threads`` threads."""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading

from ooarray.buffer.manager import BufferManager
from ooarray.execute.job import Job, Task
from ooarray.execute.local import LocalExecutor
from ooarray.execute.tasks import run_task

__all__ = ["ThreadsExecutor"]

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


class ThreadsExecutor(LocalExecutor):
    """Runs the tasks of a stage on a thread pool kept between computations; each task
    reserves its working set in the pool before it starts."""

    name = "threads"

    def task_threads(self, job: Job) -> int:
        return job.settings.num_threads

    def run_stage(self, pool: BufferManager, job: Job, tasks: list[Task], threads: int,
                  cores: int) -> None:
        if threads <= 1 or len(tasks) <= 1:
            super().run_stage(pool, job, tasks, threads, cores)
            return

        def run(task: Task) -> Task:
            with pool.reserve(task.nbytes):
                run_task(pool, job, task, cores)
            return task

        def finished(future: concurrent.futures.Future) -> None:
            job.task_done(future.result())

        workers = _workers(threads)
        pending: set[concurrent.futures.Future] = set()
        try:
            for task in tasks:
                # Each task runs in a copy of the caller's context, so settings held in
                # context variables (np.errstate, ooarray.config) reach the worker threads.
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
