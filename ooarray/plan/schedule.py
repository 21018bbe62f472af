"""Scheduling: the order tasks run in, and the chunk-access trace that order implies.

Stages run in dependency order; within a stage, tasks run in C order of their blocks, which
reads each input store front to back. The trace lists every pin and every chunk put into the
pool, in that order: Belady's policy reads the future from it, and the pool frees an
intermediate after its last read.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable

from ooarray.plan.lower import Plan, Task

__all__ = ["Schedule", "schedule"]


class Schedule:
    """Tasks in run order, grouped by stage, and their access trace.

    Attributes
    ----------
    stages : list of list of Task
    trace : list of chunk keys
        Every access the tasks make, in order.
    uses : Counter
        For every intermediate chunk (made by a task), how many tasks read it.
    """

    def __init__(self, stages: list[list[Task]]) -> None:
        self.stages = stages
        self.trace: list[Hashable] = []
        self.uses: collections.Counter[Hashable] = collections.Counter()
        made = {t.write for group in stages for t in group if t.write is not None}
        for group in stages:
            for task in group:
                self.trace.extend(task.reads)
                if task.write is not None:
                    self.trace.append(task.write)
                self.uses.update(key for key in task.reads if key in made)

    @property
    def tasks(self) -> list[Task]:
        return [t for group in self.stages for t in group]


def schedule(plan: Plan) -> Schedule:
    """Return the run order of ``plan``'s tasks."""
    groups: dict[int, list[Task]] = collections.defaultdict(list)
    for task in plan.tasks:
        groups[task.stage].append(task)
    return Schedule([groups[k] for k in sorted(groups)])
