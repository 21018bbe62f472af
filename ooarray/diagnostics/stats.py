"""``ooarray.stats()``: counters of every computation since start, or within a scope."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ooarray.buffer.stats import Stats
from ooarray.execute.callbacks import StatsCollector

__all__ = ["stats", "collect_stats", "reset_stats", "Stats"]

_totals = StatsCollector().register()


def stats() -> Stats:
    """Return a copy of the counters of every computation since start (or :func:`reset_stats`).

    ``evictions`` counts the chunks the buffer pool dropped to make room before their last
    use, ``freed`` those it dropped after it: a computation that streams its inputs within
    the budget shows ``evictions=0`` and ``freed`` > 0.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> with oa.collect_stats() as s:
    ...     _ = float(oa.random.default_rng(0).random(1000, chunks=100).sum())
    >>> s.tasks > 0, s.hit_rate >= 0
    (True, True)
    """
    copy = Stats()
    copy.add(_totals.stats)
    return copy


def reset_stats() -> None:
    """Set the process-wide counters back to zero."""
    global _totals
    _totals.unregister()
    _totals = StatsCollector().register()


@contextlib.contextmanager
def collect_stats(trace: bool = False) -> Iterator[Stats]:
    """Collect the counters of the computations run inside the ``with`` block, in this
    thread (computations that other threads run meanwhile are not counted).

    Parameters
    ----------
    trace : bool
        Also record every chunk access as ``(event, key)`` in ``Stats.trace``.
    """
    with StatsCollector(trace) as collector:
        yield collector.stats
