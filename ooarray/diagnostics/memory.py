"""Measuring the process's memory: current and peak resident set size."""

from __future__ import annotations

import resource
import sys
import threading
import time

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

    Attributes
    ----------
    baseline, peak : int
        RSS when the block started, and the highest RSS seen in it.
    samples : list of (seconds, bytes)
        RSS over time, for plots of memory against the budget.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.baseline = self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        process = psutil.Process()
        start = time.perf_counter()
        while not self._stop.is_set():
            rss = process.memory_info().rss
            self.samples.append((time.perf_counter() - start, rss))
            self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> "RSSSampler":
        self.baseline = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
