"""Callbacks: what a computation tells the code that watches it.

Every executor calls, for each computation (each plan it runs):

- :meth:`Callback.on_plan_start` once, before the first task;
- :meth:`Callback.on_task_end` after each task (from the thread that ran it, one call at a
  time: callbacks need no locks of their own);
- :meth:`Callback.on_plan_end` once, after the last task or the failure, with the counters.

A callback is active globally (:meth:`Callback.register`, until :meth:`Callback.unregister`)
or in a ``with`` block, for the computations that this thread (or asyncio task) runs in it::

    class Count(oa.Callback):
        def __init__(self):
            self.tasks = 0
        def on_task_end(self, task, stats):
            self.tasks += 1

    with Count() as counter:
        a.sum().compute()

The progress bar and ``ooarray.stats``/``collect_stats`` are callbacks.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from ooarray.buffer.stats import Stats

__all__ = ["Callback", "active_callbacks", "StatsCollector", "ProgressBar"]

_global: list[Callback] = []
_global_lock = threading.Lock()
_scoped: contextvars.ContextVar[tuple[Callback, ...]] = contextvars.ContextVar(
    "ooarray_callbacks", default=())


class Callback:
    """Base class of the objects a computation reports to; override what you need.

    Attributes
    ----------
    wants_trace : bool
        Ask the buffer pool to record every chunk access (``Stats.trace``) of the
        computations this callback watches (it costs a list append per access).
    """

    wants_trace: bool = False

    def on_plan_start(self, plan: Any) -> None:
        """A computation of ``plan`` (its lowered tasks: ``plan.tasks``) starts."""

    def on_task_end(self, task: Any, stats: Stats) -> None:
        """``task`` ended; ``stats`` are the computation's counters so far."""

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        """The computation ended (done, failed or interrupted); ``stats`` are its counters."""

    # -- activation ---------------------------------------------------------------------
    def register(self) -> Callback:
        """Watch every computation of the process from now on; return ``self``."""
        with _global_lock:
            if self not in _global:
                _global.append(self)
        return self

    def unregister(self) -> None:
        """Stop watching every computation (see :meth:`register`)."""
        with _global_lock:
            if self in _global:
                _global.remove(self)

    def __enter__(self) -> Callback:
        tokens = getattr(self, "_tokens", [])
        tokens.append(_scoped.set((*_scoped.get(), self)))
        self._tokens = tokens
        return self

    def __exit__(self, *exc_info: object) -> None:
        _scoped.reset(self._tokens.pop())


def active_callbacks(*extra: Callback) -> tuple[Callback, ...]:
    """The callbacks that watch a computation starting now in this thread, and ``extra``."""
    with _global_lock:
        registered = tuple(_global)
    return (*registered, *_scoped.get(), *extra)


class StatsCollector(Callback):
    """Adds every computation's counters to :attr:`stats` (``ooarray.collect_stats``)."""

    def __init__(self, trace: bool = False) -> None:
        self.stats = Stats(trace=[] if trace else None)
        self.wants_trace = trace

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        self.stats.add(stats)


class ProgressBar(Callback):
    """A tqdm progress bar over a computation's tasks (``config.set(progress=True)``).

    Nothing is shown for a computation of one task, or when tqdm is not installed.
    """

    def __init__(self) -> None:
        self._bar = None

    def on_plan_start(self, plan: Any) -> None:
        if len(plan.tasks) <= 1:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=len(plan.tasks), unit="task", desc="ooarray")

    def on_task_end(self, task: Any, stats: Stats) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
