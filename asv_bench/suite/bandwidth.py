"""How fast ooarray's reductions read their input: ``a.sum()`` and ``a.std()`` of a 256 MiB
array stored as ``.npy`` and as Zarr, on a warm page cache, with ``track_`` benchmarks of the
bytes read per second through the buffer pool (``ooarray.collect_stats``): the figures
behind the project's bandwidth goals (``.npy`` reductions within 1.2x memmap + numexpr, Zarr
pipelines 3x faster than Dask; docs/guide/performance.md), kept in asv's history. The inputs are the elementwise benchmark's
(:mod:`benchmarks.elementwise`), so the same values are read as there.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.elementwise import shape_for
from benchmarks.elementwise_systems import FORMATS, Dataset
from benchmarks.harness import warm_page_cache
from ooarray.config import parse_bytes

from . import OneCallPerSample
from .elementwise import prepare_inputs

#: Size of the reduced input (the elementwise suite's size).
INPUT_SIZE = "256MiB"
#: ooarray's budget: smaller than the input, so the reduction streams it through the pool.
MEMORY_LIMIT = "128MB"
SHAPE = shape_for(parse_bytes(INPUT_SIZE))
OPERATIONS = ("sum", "std")


class Bandwidth(OneCallPerSample):
    """ooarray's reductions per storage format: wall time and bytes read per second."""

    params = (list(FORMATS), list(OPERATIONS))
    param_names = ("format", "operation")
    timeout = 600

    def setup_cache(self) -> str:
        return prepare_inputs("bandwidth-inputs", SHAPE, MEMORY_LIMIT)

    def setup(self, directory: str, fmt: str, operation: str) -> None:
        import ooarray as oa

        self.dataset = Dataset(fmt, Path(directory), SHAPE)
        warm_page_cache(self.dataset.inputs)
        with oa.config.set(memory_limit=MEMORY_LIMIT):  # a .npy is chunked from the budget
            self.array = oa.open(self.dataset.inputs[0])

    def _reduce(self, operation: str) -> tuple[float, object]:
        import ooarray as oa

        with oa.config.set(memory_limit=MEMORY_LIMIT), oa.collect_stats() as stats:
            start = time.perf_counter()
            float(getattr(self.array, operation)())
            seconds = time.perf_counter() - start
        return seconds, stats

    def time_reduction(self, directory: str, fmt: str, operation: str) -> None:
        self._reduce(operation)

    def track_read_bandwidth(self, directory: str, fmt: str, operation: str) -> float:
        """Bytes read from the store per second of wall time, in GB/s."""
        seconds, stats = self._reduce(operation)
        return stats.bytes_read / seconds / 1e9

    track_read_bandwidth.unit = "GB/s"  # type: ignore[attr-defined]

    def track_hit_rate(self, directory: str, fmt: str, operation: str) -> float:
        """The pool's hit rate (a sum reads each chunk once: misses only, then its hits)."""
        return self._reduce(operation)[1].hit_rate

    track_hit_rate.unit = "ratio"  # type: ignore[attr-defined]
