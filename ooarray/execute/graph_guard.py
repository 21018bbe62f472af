"""Plans read the graph while they are made and run; settling a checkpoint rewrites it.

Settling turns a node into a constant or a source in place (:func:`ooarray.plan.graph.settle`),
so that every plan holding it reads its values. A computation in another thread that is
lowering or running a plan through that node must not see it change half way. So making and
running a plan *reads* the graph, and settling *writes* it: any number of threads read at
once; a writer waits until no other thread reads, and readers wait while a writer works.

Both are reentrant in one thread (settling computes its checkpoints, which reads). A thread
that reads and then asks to write gives up its reads while it waits, so two such threads
never wait for each other; whoever then writes is alone.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["GraphGuard", "graph_guard"]


class GraphGuard:
    """A reentrant readers-writer lock over the plan graph."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers: dict[int, int] = {}  # thread id -> reads it holds
        self._writer: int | None = None
        self._writes = 0

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the graph unchanged by other threads for the block."""
        me = threading.get_ident()
        with self._changed:
            while self._writer is not None and self._writer != me:
                self._changed.wait()
            self._readers[me] = self._readers.get(me, 0) + 1
        try:
            yield
        finally:
            with self._changed:
                self._readers[me] -= 1
                if not self._readers[me]:
                    del self._readers[me]
                self._changed.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the graph alone for the block (no other thread reads or writes it)."""
        me = threading.get_ident()
        with self._changed:
            held = self._readers.pop(me, 0)  # given up while waiting: see the module notes
            if held:
                self._changed.notify_all()
            while (self._writer is not None and self._writer != me) or self._readers:
                self._changed.wait()
            self._writer = me
            self._writes += 1
            if held:
                self._readers[me] = held
        try:
            yield
        finally:
            with self._changed:
                self._writes -= 1
                if not self._writes:
                    self._writer = None
                self._changed.notify_all()


_graph_guard = GraphGuard()


def graph_guard() -> GraphGuard:
    """Return the process's guard of the plan graph."""
    return _graph_guard
