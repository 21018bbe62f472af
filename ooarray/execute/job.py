"""A job: one computation as an executor receives it.

The job carries everything a run needs: the lowered plan and its schedule, where the result
goes, the settings captured when the computation started (its budget among them), the
counters and the callbacks. An executor reads the settings from the job, never from
``ooarray.config``.
"""

from __future__ import annotations

import dataclasses
import threading

from ooarray.buffer.stats import Stats
from ooarray.config import Config
from ooarray.execute.callbacks import Callback
from ooarray.execute.sinks import Sink
from ooarray.plan.lower import Plan, Task
from ooarray.plan.schedule import Schedule

__all__ = ["Job"]


@dataclasses.dataclass(eq=False)
class Job:
    """One computation: run ``schedule``'s stages of ``plan``'s tasks into ``sink``."""

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
