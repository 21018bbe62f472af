"""Counters of one computation, or of many added together."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

from ooarray.errors import format_bytes

__all__ = ["Stats"]


@dataclasses.dataclass(eq=False)  # identity: listeners are removed by identity
class Stats:
    """What the buffer manager and executor did.

    Attributes
    ----------
    hits, misses : int
        Chunk requests served from the pool, and those that had to be read or generated.
    evictions : int
        Chunks dropped from the pool to make room while they could still be read again
        (an intermediate still to be read is spilled first).
    freed : int
        Chunks dropped after their last use (the schedule says nothing reads them again):
        not evictions. A computation that streams its inputs frees every chunk it is done
        with and evicts none when the rest fits the budget.
    bytes_read, bytes_written : int
        Bytes read from input stores, and written to output stores.
    bytes_spilled : int
        Bytes of intermediates written to the spill store (and later read back).
    peak_bytes : int
        Most bytes the pool held at once (chunks, reused buffers and task scratch).
    tasks : int
        Chunk tasks run.
    seconds : float
        Wall time of the computations.
    trace : list of (event, key), optional
        Every chunk access in order, as ``("hit" | "miss" | "evict" | "spill" | "free",
        key)``, when recording was asked for.
    workers : dict of str to Stats, optional
        On a cluster (``executor="dask"``): each worker's own counters, by address (the
        totals above are their sums; a worker that was lost takes its counters with it).
    """

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    freed: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    bytes_spilled: int = 0
    peak_bytes: int = 0
    tasks: int = 0
    seconds: float = 0.0
    trace: list[tuple[str, Hashable]] | None = None
    workers: dict[str, Stats] | None = None

    @property
    def hit_rate(self) -> float:
        """Share of chunk requests served from the pool (0.0 when there were none)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def add(self, other: Stats) -> None:
        """Add ``other``'s counters to these (the peak is the larger of the two)."""
        for field in ("hits", "misses", "evictions", "freed", "bytes_read", "bytes_written",
                      "bytes_spilled", "tasks", "seconds"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.peak_bytes = max(self.peak_bytes, other.peak_bytes)
        if self.trace is not None and other.trace is not None:
            self.trace.extend(other.trace)
        for address, worker in (other.workers or {}).items():
            if self.workers is None:
                self.workers = {}
            if address not in self.workers:
                self.workers[address] = Stats()
            self.workers[address].add(worker)

    def as_dict(self) -> dict[str, float]:
        """Return the counters (not the trace) as a dict, with ``hit_rate``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("trace", "workers")}
        out["hit_rate"] = self.hit_rate
        return out

    def __repr__(self) -> str:
        return (
            f"Stats(tasks={self.tasks}, hits={self.hits}, misses={self.misses}, "
            f"hit_rate={self.hit_rate:.1%}, evictions={self.evictions}, freed={self.freed}, "
            f"read={format_bytes(self.bytes_read)}, written={format_bytes(self.bytes_written)}, "
            f"spilled={format_bytes(self.bytes_spilled)}, peak={format_bytes(self.peak_bytes)}, "
            f"seconds={self.seconds:.3f})"
        )
