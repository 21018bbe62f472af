"""The ``dask`` executor: a plan's tasks on a ``dask.distributed`` cluster.

``ooarray.config.set(executor="dask")`` runs on the cluster of the current
``distributed.Client``; ``executor=client`` on that client's; ``executor="tcp://host:8786"``
on the scheduler at that address. The plan is the one the local executors run; only where its
tasks run changes:

- the plan (and a copy of the output store) is sent to every worker once; each task is then
  one small call of :func:`ooarray.execute.cluster_worker.run_task`;
- each worker runs its tasks in a buffer pool of its own, bounded by the per-worker budget
  (:func:`worker_budget`); a task that cannot fit it fails before anything runs;
- intermediates go to a work store on storage every worker shares (``work_dir``, by default
  ``spill_dir``), removed when the computation ends;
- the stages run in order; within a stage, the tasks are cut into one run of consecutive
  tasks per worker (the schedule puts tasks that share inputs next to each other: a matmul's
  row of tiles, a reduction's blocks) and each worker gets its run's access trace, so its pool
  keeps what it will read again. Dask may still move a task to another worker (a worker
  lost, an idle one stealing work): the answer is the same, only the reuse is less;
- a result in memory comes back task by task; a result written to a store is written by the
  workers into the store's partial, which the client journals and commits.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
import uuid
from collections.abc import Hashable
from typing import Any

from ooarray.buffer.stats import Stats
from ooarray.errors import BudgetError, format_bytes
from ooarray.execute.cluster_worker import ClusterRun, Shipment, begin, finish, run_task
from ooarray.execute.job import Job, Task
from ooarray.execute.sinks import StoreSink
from ooarray.store.workstore import WorkStore

__all__ = ["DaskExecutor", "client_for", "worker_budget", "WORKER_MEMORY_SHARE"]

#: Share of a worker's Dask ``memory_limit`` that its buffer pool may take: Dask starts
#: spilling its own data at 60 % and pauses the worker at 80 %.
WORKER_MEMORY_SHARE = 0.5
#: Seconds to wait for a scheduler given by address before saying it cannot be reached.
CONNECT_TIMEOUT = 10

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _distributed():
    try:
        import distributed
    except ImportError as error:
        raise ImportError("executor='dask' needs dask.distributed: pip install "
                          "'ooarray[distributed]'") from error
    return distributed


def client_for(cluster: Any) -> Any:
    """Return the client to run on: ``cluster`` itself (a ``distributed.Client``), a client
    of the scheduler at address ``cluster``, or (None) the current client.

    Raises
    ------
    ValueError
        If ``cluster`` is None and no client has been started.
    OSError
        If the scheduler at ``cluster`` cannot be reached.
    """
    distributed = _distributed()
    if cluster is None:
        try:
            return distributed.get_client()
        except ValueError:
            raise ValueError(
                "executor='dask' runs on the current dask.distributed client, and none has "
                "been started: start one (distributed.Client() for a local cluster, or "
                "Client('tcp://scheduler:8786')), or pass executor=client or "
                "executor='tcp://scheduler:8786'") from None
    if not isinstance(cluster, str):
        return cluster
    with _clients_lock:
        client = _clients.get(cluster)
        if client is not None and client.status in ("running", "connecting"):
            return client
        try:
            client = distributed.Client(cluster, timeout=CONNECT_TIMEOUT,
                                        set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise OSError(f"cannot reach the dask scheduler at {cluster} ({error}); check "
                          f"that it runs and that this address is right") from error
        _clients[cluster] = client
        return client


def worker_budget(memory_limit: int, workers: dict[str, dict]) -> int:
    """Bytes of each worker's buffer pool: ``memory_limit``, and no more than
    :data:`WORKER_MEMORY_SHARE` of the smallest Dask ``memory_limit`` among the workers
    (those with none set do not bound it)."""
    limits = [info.get("memory_limit") or 0 for info in workers.values()]
    bounded = [int(limit * WORKER_MEMORY_SHARE) for limit in limits if limit]
    return min([memory_limit, *bounded])


def _assign(stages: list[list[Task]], addresses: list[str]) -> list[list[str]]:
    """The worker for each task of each stage: consecutive runs, one per worker."""
    placed = []
    for tasks in stages:
        count = len(tasks)
        placed.append([addresses[min(len(addresses) - 1, position * len(addresses) // count)]
                       for position in range(count)])
    return placed


def _traces(stages: list[list[Task]], placed: list[list[str]]
            ) -> dict[str, tuple[list[Hashable], dict[Hashable, int]]]:
    """Each worker's access trace and intermediate reads, from the tasks placed on it."""
    made = {task.write for tasks in stages for task in tasks if task.write is not None}
    traces: dict[str, list[Hashable]] = collections.defaultdict(list)
    uses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for tasks, addresses in zip(stages, placed, strict=True):
        for task, address in zip(tasks, addresses, strict=True):
            traces[address].extend(task.reads)
            if task.write is not None:
                traces[address].append(task.write)
            uses[address].update(key for key in task.reads if key in made)
    return {address: (traces[address], dict(uses[address])) for address in traces}


class DaskExecutor:
    """Runs a job's stages on a ``dask.distributed`` cluster, one Dask task per plan task."""

    name = "dask"

    def run(self, job: Job) -> None:
        distributed = _distributed()
        settings, plan = job.settings, job.plan
        client = client_for(settings.cluster)
        workers = client.scheduler_info()["workers"]
        if not workers:
            raise RuntimeError(f"the dask cluster of {client} has no workers; start some or "
                               f"wait for them (client.wait_for_workers(n))")
        limit = worker_budget(settings.memory_limit, workers)
        if plan.max_task_bytes > limit:
            raise BudgetError(
                f"one task of this computation needs {format_bytes(plan.max_task_bytes)} "
                f"but each worker's buffer pool has {format_bytes(limit)} (memory_limit="
                f"{format_bytes(settings.memory_limit)}, and at most "
                f"{WORKER_MEMORY_SHARE:.0%} of the smallest worker's memory_limit); give "
                f"the workers more memory or use smaller chunks (chunks=...)",
                needed=plan.max_task_bytes, limit=limit)
        addresses = sorted(workers)
        per_host = collections.Counter(info.get("host") for info in workers.values())
        threads = max(info.get("nthreads", 1) for info in workers.values())
        cores = max(1, (os.cpu_count() or 1) // max(1, max(per_host.values()) * threads))
        work = WorkStore.create(settings.work_dir or settings.spill_dir)
        run = ClusterRun(uuid.uuid4().hex, work.directory,
                         dataclasses.replace(settings, executor="sync", cluster=None),
                         limit, cores)
        store = job.sink.store if isinstance(job.sink, StoreSink) else None
        stages = [list(tasks) for tasks in job.schedule.stages]
        numbers = {id(task): number for number, task in enumerate(plan.tasks)}
        placed = _assign(stages, addresses)
        shipment = None
        try:
            shipment = client.scatter(Shipment(plan, store), broadcast=True, hash=False)
            for address, (trace, uses) in _traces(stages, placed).items():
                client.run(begin, run, trace, uses, workers=[address])  # its own trace only
            for tasks, where in zip(stages, placed, strict=True):
                self._run_stage(distributed, client, job, run, shipment, tasks, where,
                                numbers, store)
        finally:
            try:
                self._gather_stats(client, job.stats, run.key)
            finally:
                if shipment is not None:
                    shipment.release()
                work.remove()

    @staticmethod
    def _run_stage(distributed, client, job: Job, run: ClusterRun, shipment, tasks: list[Task],
                   where: list[str], numbers: dict[int, int], store) -> None:
        futures = [client.submit(run_task, shipment, numbers[id(task)], run,
                                 key=f"ooarray-{run.key}-{numbers[id(task)]}",
                                 workers=[address], allow_other_workers=True,
                                 priority=len(tasks) - position, pure=False)
                   for position, (task, address) in enumerate(zip(tasks, where, strict=True))]
        by_number = {numbers[id(task)]: task for task in tasks}
        try:
            for future in distributed.as_completed(futures):
                outcome = future.result()
                future.release()
                task = by_number[outcome.number]
                if outcome.data is not None:
                    job.sink.write(task.index, outcome.region, outcome.data)
                if outcome.entries:
                    store.record_written(outcome.entries)
                if outcome.written:
                    job.count_written(outcome.written)
                job.task_done(task)
        except BaseException:
            client.cancel(futures)
            raise

    @staticmethod
    def _gather_stats(client, stats: Stats, key: str) -> None:
        found = client.run(finish, key, on_error="return")
        stats.workers = {}
        for address, counters in sorted(found.items()):
            if not isinstance(counters, dict):
                continue  # a worker that ran none of its tasks, or was lost
            worker = Stats(**{name: counters[name] for name in (
                "hits", "misses", "evictions", "freed", "bytes_read", "bytes_written",
                "bytes_spilled", "peak_bytes", "tasks", "seconds")})
            stats.workers[address] = worker
            tasks = stats.tasks
            stats.add(worker)
            stats.tasks = tasks  # the executor's caller counts the plan's tasks

