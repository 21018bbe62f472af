"""Measuring the process's memory: current and peak resident set size."""

from __future__ import annotations

import resource
import sys
import threading
import time
from collections.abc import Callable, Mapping

import psutil

__all__ = ["rss_bytes", "peak_rss_bytes", "RSSSampler"]


def rss_bytes() -> int:
    """Return the process's resident set size now."""
    return psutil.Process().memory_info().rss


def peak_rss_bytes() -> int:
    """Return the most resident memory the process has had since it started."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class RSSSampler:
    """Sample RSS on a thread while a block runs: ``with RSSSampler() as s: ...; s.peak``.

    Parameters
    ----------
    interval : float
        Seconds between samples.
    probes : mapping of str to callable, optional
        Other quantities to sample at the same moments (the buffer pools' bytes, the CPU
        time...), each a function of no argument returning a number.

    Attributes
    ----------
    baseline, peak : int
        RSS when the block started, and the highest RSS seen in it.
    samples : list of (seconds, bytes)
        RSS over time, for plots of memory against the budget.
    series : dict of str to list of (seconds, value)
        Each probe's values, sampled with RSS.
    started : float
        ``time.perf_counter()`` when the block started: the origin of the samples' times.
    """

    def __init__(self, interval: float = 0.02,
                 probes: Mapping[str, Callable[[], float]] | None = None) -> None:
        self.interval = interval
        self.probes = dict(probes or {})
        self.samples: list[tuple[float, int]] = []
        self.series: dict[str, list[tuple[float, float]]] = {name: [] for name in self.probes}
        self.baseline = self.peak = 0
        self.started = 0.0
        self._stop = threading.Event()

    def sample(self) -> None:
        """Take one sample now (the thread calls it every ``interval``)."""
        rss = self._process.memory_info().rss
        now = time.perf_counter() - self.started
        self.samples.append((now, rss))
        for name, probe in self.probes.items():
            self.series[name].append((now, probe()))
        self.peak = max(self.peak, rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RSSSampler:
        self._process = psutil.Process()
        self.started = time.perf_counter()
        self.baseline = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # the state at the end
