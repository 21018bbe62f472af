"""``ooarray.profile()``: where a block of work spent its time, its memory and its I/O.

::

    with oa.profile() as p:
        total = float(np.sqrt(a * a + 1).sum())
    print(p.report())           # a table: time per operation, CPU, memory, the pool's counters
    figures = p.plot()          # matplotlib figures: memory, I/O trace, time per operation

A :class:`Profile` is a callback (:class:`~ooarray.execute.callbacks.Callback`): it watches
the computations that its thread runs inside the ``with`` block, and records

- each task's own time, by operation (the plan node's label: ``sum-partial``, ``add``,
  ``matmul``...), measured around the plan's ``run_task``/``make_chunk`` that the executor
  calls (reads of inputs and the computing; a store's writes that overlap the next task are
  not in it). On a cluster, where tasks run in other processes, a task's time is the time
  since the previous task of its computation ended;
- the buffer pool's counters after each task (hits, misses, evictions, chunks freed after
  their last use, bytes read, written and spilled) and its access trace (``Stats.trace``);
- on a sampling thread: the process's RSS, the bytes every buffer pool of the process holds,
  and its CPU time, against the budget (``memory_limit``) of each computation;
- the CPU the process used over the block: its user and system time against the wall time
  times the cores it may run on.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import psutil

from ooarray import config as _config
from ooarray.buffer.manager import held_bytes_of_every_pool
from ooarray.buffer.stats import Stats
from ooarray.diagnostics.memory import RSSSampler
from ooarray.diagnostics.profile_plots import plot_profile
from ooarray.diagnostics.profile_report import report
from ooarray.execute.callbacks import Callback

__all__ = ["profile", "Profile", "TaskRecord", "Computation", "OperationTime", "Counters",
           "MemorySample", "operation_of"]

#: The plan methods an executor calls to run a task (``ooarray.execute.job.Plan``).
TIMED_METHODS = ("run_task", "make_chunk")
#: The counters the I/O trace follows over time.
COUNTERS = ("hits", "misses", "evictions", "freed", "bytes_read", "bytes_written",
            "bytes_spilled")


def profile(interval: float = 0.02, trace: bool = True) -> Profile:
    """Profile the computations run in a ``with`` block (in this thread).

    Parameters
    ----------
    interval : float
        Seconds between two samples of memory and CPU.
    trace : bool
        Also record the buffer pool's access trace (``p.stats.trace``: every hit, miss,
        eviction, spill and free, in order).

    Returns
    -------
    Profile
        Filled while the block runs; read it (``report()``, ``plot()``) after.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> with oa.profile() as p:
    ...     _ = float(oa.random.default_rng(0).random(1000, chunks=100).sum())
    >>> p.stats.misses, sum(op.tasks for op in p.operations.values()) == p.stats.tasks
    (10, True)
    >>> print(p.report())  # doctest: +ELLIPSIS
    ooarray profile: 1 computation, ... tasks, ...
    operation ...
    """
    return Profile(interval=interval, trace=trace)


def operation_of(task: Any) -> str:
    """The operation a task does: the label of the plan node it computes."""
    node = getattr(task, "node", None)
    return str(getattr(node, "label", None) or type(node).__name__)


class TaskRecord(NamedTuple):
    """One task: when it ended (seconds since the profile started), its own time, its
    operation, and the computation it belongs to (an index in ``Profile.computations``).
    ``measured`` is False for a time taken as the interval since the task before it."""

    end: float
    seconds: float
    operation: str
    computation: int
    measured: bool = True


class Counters(NamedTuple):
    """The buffer pools' counters at a moment, added up over the profile so far."""

    time: float
    hits: int
    misses: int
    evictions: int
    freed: int
    bytes_read: int
    bytes_written: int
    bytes_spilled: int


class MemorySample(NamedTuple):
    """The process's RSS and the bytes its buffer pools held, ``time`` seconds in."""

    time: float
    rss: int
    pool_bytes: int


@dataclasses.dataclass
class Computation:
    """One computation (one plan run): when it started and ended (seconds since the profile
    started), its tasks, its budget and, once ended, its counters."""

    start: float
    tasks: int
    memory_limit: int
    end: float | None = None
    stats: Stats | None = None


@dataclasses.dataclass
class OperationTime:
    """The tasks of one operation: how many, their time added up, and the longest one."""

    operation: str
    tasks: int = 0
    seconds: float = 0.0
    longest: float = 0.0

    @property
    def mean(self) -> float:
        """Seconds per task."""
        return self.seconds / self.tasks if self.tasks else 0.0


class _Clock:
    """The tasks' times of one computation, and which threads are inside a timed call (a
    plan's ``run_task`` may call its ``make_chunk``: only the outer call counts)."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}
        self.inside = threading.local()


class _Timed:
    """A plan's method that adds the time each call takes to its task's entry in the clock.

    Pickled (a plan shipped to a cluster's workers), it is the method it wraps."""

    def __init__(self, method: Any, clock: _Clock) -> None:
        self.method = method
        self.clock = clock

    def __call__(self, task: Any, ctx: Any) -> Any:
        inside = self.clock.inside
        if getattr(inside, "timing", False):
            return self.method(task, ctx)
        inside.timing = True
        started = time.perf_counter()
        try:
            return self.method(task, ctx)
        finally:
            inside.timing = False
            seconds, key = self.clock.seconds, id(task)
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started

    def __reduce__(self) -> tuple:
        return getattr, (self.method.__self__, self.method.__name__)


class _Run:
    """What a profile keeps of a computation while it runs."""

    def __init__(self, plan: Any, number: int, start: float) -> None:
        self.plan = plan
        self.number = number
        self.last_end = start
        self.clock = _Clock()
        self.installed: list[str] = []
        # Several profiles may watch one computation: the first wraps the plan's methods,
        # the others read the times it writes.
        for name in TIMED_METHODS:
            current = getattr(plan, name, None)
            if isinstance(current, _Timed):
                self.clock = current.clock
            elif current is not None:
                try:
                    setattr(plan, name, _Timed(current, self.clock))
                except AttributeError:  # a plan that takes no attributes: times estimated
                    continue
                self.installed.append(name)

    def close(self) -> None:
        """Give the plan back its own methods."""
        for name in self.installed:
            if isinstance(vars(self.plan).get(name), _Timed):
                delattr(self.plan, name)


class Profile(Callback):
    """What :func:`profile` records (see the module's notes); a callback.

    Attributes
    ----------
    seconds : float
        Wall time of the ``with`` block.
    cpu_seconds : float
        User and system CPU time the process used in it (every thread).
    cores : int
        The cores the process may run on.
    memory_limit : int
        The budget in force when the block started.
    computations : list of Computation
        Every computation run in the block, in the order they started.
    tasks : list of TaskRecord
        Every task, in the order they ended.
    counters : list of Counters
        The pools' counters after each task and at the end of each computation.
    stats : Stats
        The computations' counters added up (with the access trace, if recorded).
    sampler : RSSSampler
        RSS, pool bytes (``series["pool"]``) and CPU seconds (``series["cpu"]``) over time.
    """

    def __init__(self, interval: float = 0.02, trace: bool = True) -> None:
        self.wants_trace = trace
        self.interval = interval
        self.stats = Stats(trace=[] if trace else None)
        self.computations: list[Computation] = []
        self.tasks: list[TaskRecord] = []
        self.counters: list[Counters] = []
        self.seconds = self.cpu_seconds = 0.0
        self.cores = _cores()
        self.memory_limit = _config.get().memory_limit
        self._runs: dict[int, _Run] = {}
        self._owner: dict[int, _Run] = {}
        self._process = psutil.Process()
        self.sampler = RSSSampler(interval, probes={"pool": held_bytes_of_every_pool,
                                                    "cpu": self._cpu_time})
        self._started = time.perf_counter()
        self._cpu_started = 0.0

    # -- recording ----------------------------------------------------------------------
    def _cpu_time(self) -> float:
        times = self._process.cpu_times()
        return times.user + times.system

    def _now(self) -> float:
        return time.perf_counter() - self._started

    def __enter__(self) -> Profile:
        self.memory_limit = _config.get().memory_limit
        self.sampler.__enter__()
        self._started = self.sampler.started
        self._cpu_started = self._cpu_time()
        return super().__enter__()

    def __exit__(self, *exc_info: object) -> None:
        super().__exit__(*exc_info)
        self.sampler.__exit__(*exc_info)
        self.seconds = self._now()
        self.cpu_seconds = self._cpu_time() - self._cpu_started

    def on_plan_start(self, plan: Any) -> None:
        now = self._now()
        run = _Run(plan, len(self.computations), now)
        self.computations.append(Computation(now, len(plan.tasks), _config.get().memory_limit))
        self._runs[id(plan)] = run
        for task in plan.tasks:
            self._owner[id(task)] = run

    def on_task_end(self, task: Any, stats: Stats) -> None:
        run = self._owner.get(id(task))
        if run is None:
            return
        now = self._now()
        seconds = run.clock.seconds.get(id(task))
        measured = seconds is not None
        if seconds is None:
            seconds = now - run.last_end
        run.last_end = now
        self.tasks.append(TaskRecord(now, seconds, operation_of(task), run.number, measured))
        self._count(now, stats)

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        run = self._runs.pop(id(plan), None)
        if run is None:
            return
        run.close()
        for task in plan.tasks:
            self._owner.pop(id(task), None)
        computation = self.computations[run.number]
        computation.end = self._now()
        computation.stats = dataclasses.replace(stats, trace=None, workers=None)
        self.stats.add(stats)
        self._count(computation.end, Stats())

    def _count(self, now: float, running: Stats) -> None:
        """Record the counters of the ended computations and of ``running``."""
        self.counters.append(Counters(now, *(getattr(self.stats, name) + getattr(running, name)
                                             for name in COUNTERS)))

    # -- reading ------------------------------------------------------------------------
    @property
    def cpu_utilisation(self) -> float:
        """Share of the cores the process kept busy over the block (0 to 1)."""
        return self.cpu_seconds / (self.seconds * self.cores) if self.seconds else 0.0

    @property
    def operations(self) -> dict[str, OperationTime]:
        """Time per operation, the longest first."""
        found: dict[str, OperationTime] = {}
        for record in self.tasks:
            entry = found.setdefault(record.operation, OperationTime(record.operation))
            entry.tasks += 1
            entry.seconds += record.seconds
            entry.longest = max(entry.longest, record.seconds)
        return dict(sorted(found.items(), key=lambda item: -item[1].seconds))

    @property
    def memory(self) -> list[MemorySample]:
        """RSS and the pools' bytes, sampled every ``interval`` seconds."""
        pools = self.sampler.series["pool"]
        return [MemorySample(t, int(rss), int(pool))
                for (t, rss), (_, pool) in zip(self.sampler.samples, pools, strict=False)]

    @property
    def cpu(self) -> list[tuple[float, float]]:
        """CPU utilisation (0 to 1 of the cores) between two samples, at their midpoint."""
        points = self.sampler.series["cpu"]
        return [((t0 + t1) / 2, (c1 - c0) / ((t1 - t0) * self.cores))
                for (t0, c0), (t1, c1) in zip(points, points[1:], strict=False) if t1 > t0]

    def trace_counts(self) -> dict[str, int]:
        """How many events of each kind the access trace holds (empty without a trace)."""
        counts: dict[str, int] = {}
        for event, _key in self.stats.trace or ():
            counts[event] = counts.get(event, 0) + 1
        return counts

    def report(self) -> str:
        """Return the profile as text: the block, CPU, memory, the pool, and a table of the
        time per operation."""
        return report(self)

    def plot(self, directory: str | os.PathLike | None = None, format: str = "png"
             ) -> dict[str, Any]:
        """Draw the profile with matplotlib; see
        :func:`~ooarray.diagnostics.profile_plots.plot_profile`."""
        return plot_profile(self, None if directory is None else Path(directory), format)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
