"""Callbacks: what a computation tells the code that watches it.

Every executor calls, for each computation (each plan it runs):

- :meth:`Callback.on_plan_start` once, before the first task;
- :meth:`Callback.on_task_end` after each task, one call at a time (callbacks need no locks
  of their own), from a thread of the executor's (not always the one that ran the task);
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

The progress bar (:class:`ProgressBar`, ``config.set(progress=...)``),
``ooarray.stats``/``collect_stats`` and ``ooarray.profile`` are callbacks.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
import warnings
from typing import Any

from ooarray import config as _config
from ooarray.buffer.stats import Stats

__all__ = ["Callback", "active_callbacks", "StatsCollector", "ProgressBar",
           "output_is_interactive", "AUTO_MINIMUM_SECONDS"]

#: With ``progress="auto"``, a computation's bar appears once it has run this long.
AUTO_MINIMUM_SECONDS = 1.0

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
    """The callbacks that watch a computation starting now in this thread, and ``extra``
    (less an extra :class:`ProgressBar` when one is active already: one bar is enough)."""
    with _global_lock:
        registered = tuple(_global)
    active = (*registered, *_scoped.get())
    if any(isinstance(callback, ProgressBar) for callback in active):
        extra = tuple(callback for callback in extra if not isinstance(callback, ProgressBar))
    return (*active, *extra)


class StatsCollector(Callback):
    """Adds every computation's counters to :attr:`stats` (``ooarray.collect_stats``)."""

    def __init__(self, trace: bool = False) -> None:
        self.stats = Stats(trace=[] if trace else None)
        self.wants_trace = trace

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        self.stats.add(stats)


def output_is_interactive() -> bool:
    """Whether someone is likely watching the output: standard error is a terminal, or the
    code runs in a Jupyter kernel (where tqdm draws a notebook widget)."""
    stream = sys.stderr
    try:
        if stream is not None and stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - an IPython too old or half imported: not a kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _tqdm(asked: bool) -> Any:
    """tqdm's class (its notebook widget in Jupyter), or None when it is not installed;
    when the bar was ``asked`` for (``progress=True``), a missing tqdm is a warning."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if asked:
            warnings.warn("ooarray.config progress=True, but tqdm is not installed, so no "
                          "progress bar is shown: pip install tqdm (or pip install "
                          "'ooarray[progress]')", UserWarning, stacklevel=2)
        return None
    return tqdm


class _Alarm:
    """One daemon thread that draws the bars that come due while no task ends (a timer
    thread per computation would cost ~0.5 ms, as much as a small computation)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[ProgressBar, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None

    def set(self, bar: ProgressBar, due: float, plan: Any) -> None:
        """Call ``bar._open_when_due(plan)`` at ``due`` (``time.monotonic()``)."""
        with self._changed:
            self._due[bar] = (due, plan)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ooarray-progress",
                                                daemon=True)
                self._thread.start()
            self._changed.notify()

    def cancel(self, bar: ProgressBar) -> None:
        with self._changed:
            self._due.pop(bar, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due:
                    self._changed.wait()
                now = time.monotonic()
                ready = [(bar, plan) for bar, (due, plan) in self._due.items() if due <= now]
                if not ready:
                    self._changed.wait(min(due for due, _ in self._due.values()) - now)
                    continue
                for bar, _ in ready:
                    del self._due[bar]
            for bar, plan in ready:
                bar._open_when_due(plan)


_alarm = _Alarm()


class ProgressBar(Callback):
    """A tqdm progress bar over a computation's tasks (``config.set(progress=...)``).

    Parameters
    ----------
    show : bool or "auto", optional
        ``"auto"``: show the bar only when the output is interactive
        (:func:`output_is_interactive`) and once the computation has run ``minimum``
        seconds (so short computations print nothing). ``True``: show it at once, wherever
        the output goes, and warn if tqdm is missing. ``False``: never. By default,
        ``ooarray.config``'s ``progress``.
    minimum : float, optional
        Seconds a computation runs before its bar appears; by default
        :data:`AUTO_MINIMUM_SECONDS` for ``"auto"`` and 0 for ``True``.

    Notes
    -----
    Nothing is shown for a computation of one task. A bar watches one computation at a
    time; one that starts while it shows another (in another thread) is not counted in it.
    Each computation that ``config.progress`` asks a bar for gets a new one.
    """

    def __init__(self, show: bool | str | None = None, minimum: float | None = None) -> None:
        if show is None:
            show = _config.get().progress
        if not (isinstance(show, bool) or show == "auto"):
            raise ValueError(f"show must be True, False or 'auto'; got {show!r}")
        self.show = show
        self.minimum = minimum
        self._lock = threading.Lock()
        self._bar: Any = None
        self._plan: Any = None
        self._tasks: set[int] = set()
        self._done = 0
        self._due: float | None = None
        self._tqdm: Any = None

    def on_plan_start(self, plan: Any) -> None:
        if not self.show or self._plan is not None or len(plan.tasks) <= 1:
            return
        if self.show == "auto":
            if not output_is_interactive():
                return
            minimum = AUTO_MINIMUM_SECONDS if self.minimum is None else self.minimum
        else:
            minimum = 0.0 if self.minimum is None else self.minimum
        tqdm = _tqdm(asked=self.show is True)
        if tqdm is None:
            return
        with self._lock:
            self._plan, self._tqdm, self._done = plan, tqdm, 0
            self._tasks = {id(task) for task in plan.tasks}
            if minimum <= 0:
                self._open()
                return
            self._due = time.monotonic() + minimum
            # The alarm shows the bar of a computation whose tasks are long (no task may end
            # for many seconds); task ends show it too, once due, without waiting for it.
            _alarm.set(self, self._due, plan)

    def _open(self) -> None:
        """Draw the bar (with the lock held), counting the tasks done so far."""
        self._bar = self._tqdm(total=len(self._tasks), initial=self._done, unit="task",
                               desc="ooarray")

    def _open_when_due(self, plan: Any) -> None:
        with self._lock:
            if self._plan is plan and self._bar is None:
                self._open()

    def on_task_end(self, task: Any, stats: Stats) -> None:
        if self._plan is None or id(task) not in self._tasks:
            return
        with self._lock:
            self._done += 1
            if self._bar is None:
                if self._due is not None and time.monotonic() >= self._due:
                    self._open()  # counts this task
            else:
                self._bar.update(1)

    def on_plan_end(self, plan: Any, stats: Stats) -> None:
        if self._plan is not plan:
            return
        with self._lock:
            bar, due = self._bar, self._due
            self._plan, self._bar, self._due = None, None, None
            self._tasks = set()
        if due is not None:
            _alarm.cancel(self)
        if bar is not None:
            bar.close()
