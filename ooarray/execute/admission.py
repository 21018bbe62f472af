"""The process budget: computations running at once in several threads share it.

Each computation runs in a buffer pool of its own, whose budget is the computation's share.
A computation alone gets all of its ``memory_limit``. When a second one starts in another
thread, the budget of the process is the smallest ``memory_limit`` of those running (each
was promised that the process stays within it), and it is divided: every computation keeps
what its largest task needs (plus a result it holds in memory) and the rest is split in
equal parts. The pools of the computations already running shrink to their new shares
(free buffers are dropped and cached chunks evicted at once; tasks they admitted before
finish first), and the new computation starts only once they are within them. A
computation that cannot get what it needs next to the others waits for one to end; one that
could not fit even alone was refused before it got here (:mod:`ooarray.execute.budget`).

When a computation ends, the others grow back into what it held.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from ooarray.buffer.manager import BufferManager

__all__ = ["Share", "ProcessBudget", "process_budget"]

#: How often a computation waiting for the others to shrink looks again (seconds).
SHRINK_POLL_SECONDS = 0.005


@dataclasses.dataclass(eq=False)
class Share:
    """One running computation's part of the process budget."""

    #: The computation's own ``memory_limit``.
    limit: int
    #: The least it can run in: its largest task and a result it keeps in memory.
    need: int
    #: Bytes held outside the pool (a result in memory), part of ``need``.
    resident: int
    #: Its part now; its pool's budget is this less ``resident``.
    granted: int = 0
    #: The pool it runs in, given when it joins.
    pool: BufferManager | None = None

    def apply(self) -> bool:
        """Give the pool its budget; return whether the pool is within it."""
        return self.pool is None or self.pool.resize(max(1, self.granted - self.resident))


def fair_shares(shares: list[Share], cap: int) -> dict[int, int]:
    """What each of ``shares`` gets of ``cap`` bytes: its need and an equal part of the rest."""
    spare = cap - sum(share.need for share in shares)
    part = spare // len(shares)
    return {id(share): share.need + part for share in shares}


class ProcessBudget:
    """The computations running in this process and their parts of the budget."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running: list[Share] = []

    @property
    def running(self) -> int:
        """How many computations hold a share now."""
        return len(self._running)

    def join(self, share: Share, take_pool: Callable[[], BufferManager]) -> None:
        """Give ``share`` its part and a pool from ``take_pool``, once it fits beside the
        computations running; shrink theirs and wait until their pools are within what is
        left. (The pool is taken only then, so that a computation that waited runs in the
        pool that the one before it left, with that pool's free buffers.)"""
        with self._changed:
            while True:
                everyone = [*self._running, share]
                cap = min(s.limit for s in everyone)
                if sum(s.need for s in everyone) <= cap:
                    break
                self._changed.wait()
            parts = fair_shares(everyone, cap)
            for running in self._running:
                running.granted = parts[id(running)]
            share.granted = parts[id(share)]
            # The pool may hold free buffers of the computation that ran in it before, up
            # to that one's whole budget: cut them to this share before it counts.
            share.pool = take_pool()
            share.apply()
            others = list(self._running)
            self._running.append(share)
        while not all([s.apply() for s in others]):
            time.sleep(SHRINK_POLL_SECONDS)

    def leave(self, share: Share) -> None:
        """End ``share``: the computations still running grow back into its part."""
        with self._changed:
            if share not in self._running:  # interrupted while it waited to join
                return
            self._running.remove(share)
            if self._running:
                cap = min(s.limit for s in self._running)
                parts = fair_shares(self._running, cap)
                for running in self._running:
                    running.granted = parts[id(running)]
                    running.apply()
            self._changed.notify_all()


_process_budget = ProcessBudget()


def process_budget() -> ProcessBudget:
    """Return the budget that the computations of this process share."""
    return _process_budget
