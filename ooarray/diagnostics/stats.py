"""``ooarray.stats()``: counters of every computation since start, or within a scope."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ooarray.buffer.stats import Stats
from ooarray.execute.local import listeners, scoped_listeners

__all__ = ["stats", "collect_stats", "reset_stats", "Stats"]

_totals = Stats()
listeners.append(_totals)


def stats() -> Stats:
    """Return a copy of the counters of every computation since start (or :func:`reset_stats`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> with oa.collect_stats() as s:
    ...     _ = float(oa.random.default_rng(0).random(1000, chunks=100).sum())
    >>> s.tasks > 0, s.hit_rate >= 0
    (True, True)
    """
    copy = Stats()
    copy.add(_totals)
    return copy


def reset_stats() -> None:
    """Set the process-wide counters back to zero."""
    global _totals
    listeners.remove(_totals)
    _totals = Stats()
    listeners.append(_totals)


@contextlib.contextmanager
def collect_stats(trace: bool = False) -> Iterator[Stats]:
    """Collect the counters of the computations run inside the ``with`` block, in this
    thread (computations that other threads run meanwhile are not counted).

    Parameters
    ----------
    trace : bool
        Also record every chunk access as ``(event, key)`` in ``Stats.trace``.
    """
    scoped = Stats(trace=[] if trace else None)
    token = scoped_listeners.set((*scoped_listeners.get(), scoped))
    try:
        yield scoped
    finally:
        scoped_listeners.reset(token)
