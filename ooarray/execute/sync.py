"""The ``sync`` executor: one task at a time, in the schedule's order (for debugging, and
for programs that want no threads of ours)."""

from __future__ import annotations

from ooarray.execute.local import LocalExecutor

__all__ = ["SyncExecutor"]


class SyncExecutor(LocalExecutor):
    """Runs every task on the calling thread, in order (writing behind still overlaps a
    store's writes with the next task)."""

    name = "sync"
