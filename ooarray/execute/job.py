"""A job: one computation as an executor receives it.

The job carries everything a run needs: the lowered plan and its schedule, where the result
goes, the settings captured when the computation started (its budget among them), the
counters and the callbacks. An executor reads the settings from the job, never from
``ooarray.config``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

import numpy as np

from ooarray.buffer.stats import Stats
from ooarray.chunks import Region
from ooarray.config import Config
from ooarray.execute.callbacks import Callback
from ooarray.execute.sinks import Sink

__all__ = ["Job", "Task", "Plan", "Schedule"]


class Task(Protocol):
    """What an executor needs of a task (``ooarray.plan.lower.Task`` is one)."""

    nbytes: int
    index: tuple[int, ...]
    direct: bool
    #: The chunk keys it pins, in order (its part of the access trace).
    reads: list[Hashable]

    @property
    def write(self) -> Hashable | None: ...

    @property
    def delivers(self) -> bool: ...
    @property
    def task_threads(self) -> int | None: ...
    @property
    def library_threads(self) -> int | None: ...
    def output_region(self) -> Region: ...
    def opening_reads(self) -> list[tuple[Any, Region]]: ...


class Plan(Protocol):
    """What an executor needs of a lowered plan (``ooarray.plan.lower.Plan`` is one)."""

    tasks: Sequence[Task]

    @property
    def max_task_bytes(self) -> int: ...
    def run_task(self, task: Task, ctx: Any) -> np.ndarray | None: ...
    def make_chunk(self, task: Task, ctx: Any) -> np.ndarray: ...
    def footprint(self, node: Any, region: Region) -> int: ...


class Schedule(Protocol):
    """The order a plan's tasks run in (``ooarray.plan.schedule.Schedule`` is one)."""

    stages: Sequence[Sequence[Task]]
    trace: Sequence[Hashable]
    uses: dict


@dataclasses.dataclass(eq=False)
class Job:
    """One computation: run ``schedule``'s stages of ``plan``'s tasks into ``sink``.

    Executors see the plan, its tasks and its schedule through the protocols above only.
    """

    plan: Plan
    schedule: Schedule
    sink: Sink
    settings: Config
    stats: Stats
    callbacks: tuple[Callback, ...] = ()
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def count_written(self, nbytes: int) -> None:
        """Add ``nbytes`` written to the sink's storage to the counters (any thread)."""
        with self._lock:
            self.stats.bytes_written += nbytes

    def task_done(self, task: Task) -> None:
        """Tell the callbacks that ``task`` ended (any thread; one call at a time)."""
        if not self.callbacks:
            return
        with self._lock:
            for callback in self.callbacks:
                callback.on_task_end(task, self.stats)
