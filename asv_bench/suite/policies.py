"""ooarray's workloads under a small budget, per eviction policy.

Every class is parametrised over the policy (``"lru"``, ``"belady"``) and its operations,
and has four benchmarks of the same call: ``time_operation`` (wall time),
``peakmem_operation`` (the process's peak RSS), ``track_hit_rate`` (the buffer pool's hits
over requests) and ``track_bytes_read`` (bytes its stores read), the last two from
``ooarray.collect_stats()``. The inputs are those of
``bench all`` (``benchmarks/compare_inputs.py``) at ``INPUT_SIZE``, stored once per asv run in Zarr
chunks of at most an eighth of ``MEMORY_LIMIT``:

- ``Elementwise``: the chain ``2*a*b + c**2 - a/(b+1)`` written to Zarr, and
  ``sqrt(a*a + b*b).sum()`` (a chain fused into a reduction);
- ``Reductions``: ``sum``, ``std``, ``mean(axis=0)`` and ``max(axis=1)``;
- ``Matmul``: ``A @ B`` written to Zarr;
- ``Indexing``: a strided slice, rows and columns picked by unsorted index arrays;
- ``Sorting``: ``np.sort`` and ``np.argsort`` of a vector, written to Zarr;
- ``SmallArray``: single calls on a 1000-element array (the per-call overhead; they run in
  memory, so the pool's counters stay at zero).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import ooarray as oa
from benchmarks.compare_inputs import Inputs, prepare, sizes
from benchmarks.compare_systems import small_values
from benchmarks.harness import warm_page_cache
from ooarray.config import parse_bytes

from . import OneCallPerSample

POLICIES = ["lru", "belady"]

#: Each of a, b and c; A and B and the vector are each a quarter of it.
INPUT_SIZE = "32MiB"

#: Half of one input: every out-of-core workload streams, evicts and (Belady) plans.
MEMORY_LIMIT = "16MB"

#: Rows and columns the indexing workloads pick.
PICKED = 100

INPUTS = sizes(parse_bytes(INPUT_SIZE))


def _chain(x: dict[str, Any]) -> Any:
    a, b, c = x["a"], x["b"], x["c"]
    return 2 * a * b + c ** 2 - a / (b + 1)


def _picks(length: int) -> np.ndarray:
    """``PICKED`` distinct indices below ``length``, in no order (the same every run)."""
    return np.random.default_rng(0).permutation(length)[:PICKED]


class _PolicyWorkload(OneCallPerSample):
    """The common part: inputs, settings, one call of an operation and its counters.

    Subclasses set ``operations``, a mapping of name to ``function(arrays, out)``, where
    ``arrays`` maps ``a, b, c, A, B, v`` to ooarray arrays opened on the inputs and ``out``
    is a path the operation may write to.
    """

    operations: dict[str, Callable[[dict[str, Any], Path], Any]] = {}
    param_names = ("policy", "operation")
    timeout = 300

    def setup_cache(self) -> str:
        # Shared by every class of this module (asv keys the cache by this function), run
        # once, in a directory asv removes after the benchmarks.
        directory = Path("policy-inputs").resolve()
        prepare(Inputs(directory, *INPUTS), parse_bytes(MEMORY_LIMIT), ["zarr"])
        return str(directory)

    def setup(self, directory: str, policy: str, operation: str) -> None:
        self.inputs = Inputs(Path(directory), *INPUTS)
        self.policy = policy
        self.out = Path(directory) / f"out-{type(self).__name__}-{policy}-{operation}.zarr"
        warm_page_cache(self.inputs.all_paths("zarr"))

    def teardown(self, directory: str, policy: str, operation: str) -> None:
        shutil.rmtree(self.out, ignore_errors=True)

    def _arrays(self) -> dict[str, Any]:
        a, b, c = (oa.open(path) for path in self.inputs.elementwise("zarr").inputs)
        matrix_a, matrix_b = (oa.open(path) for path in self.inputs.matrices("zarr"))
        return {"a": a, "b": b, "c": c, "A": matrix_a, "B": matrix_b,
                "v": oa.open(self.inputs.vector("zarr"))}

    def _run(self, operation: str) -> oa.diagnostics.stats.Stats:
        from ooarray.execute.local import pool

        with oa.config.set(memory_limit=MEMORY_LIMIT, policy=self.policy), \
                oa.collect_stats() as stats:
            self.operations[operation](self._arrays(), self.out)
        pool().release_memory()
        return stats

    def time_operation(self, directory: str, policy: str, operation: str) -> None:
        self._run(operation)

    def peakmem_operation(self, directory: str, policy: str, operation: str) -> None:
        self._run(operation)

    def track_hit_rate(self, directory: str, policy: str, operation: str) -> float:
        """Hits of the buffer pool over its requests."""
        return float(self._run(operation).hit_rate)

    track_hit_rate.unit = "ratio"  # type: ignore[attr-defined]

    def track_bytes_read(self, directory: str, policy: str, operation: str) -> float:
        """Bytes the stores read (inputs and spilled intermediates)."""
        return float(self._run(operation).bytes_read)

    track_bytes_read.unit = "bytes"  # type: ignore[attr-defined]


class Elementwise(_PolicyWorkload):
    """An elementwise chain written to Zarr, and one fused into a reduction."""

    operations = {
        "chain_to_zarr": lambda x, out: _chain(x).to_zarr(out, overwrite=True),
        "chain_sum": lambda x, out: float(np.sqrt(x["a"] * x["a"] + x["b"] * x["b"]).sum()),
    }
    params = (POLICIES, list(operations))


class Reductions(_PolicyWorkload):
    """Whole-array and axis reductions."""

    operations = {
        "sum": lambda x, out: float(x["a"].sum()),
        "std": lambda x, out: float(x["a"].std()),
        "mean_axis0": lambda x, out: np.asarray(x["a"].mean(axis=0)),
        "max_axis1": lambda x, out: np.asarray(x["a"].max(axis=1)),
    }
    params = (POLICIES, list(operations))


class Matmul(_PolicyWorkload):
    """``A @ B`` written to Zarr, in the inputs' chunks."""

    operations = {
        "matmul": lambda x, out: (x["A"] @ x["B"]).to_zarr(out, overwrite=True,
                                                           chunks=x["A"].chunksize),
    }
    params = (POLICIES, list(operations))


class Indexing(_PolicyWorkload):
    """A strided slice, and rows and columns picked by unsorted index arrays."""

    operations = {
        "strided_slice": lambda x, out: np.asarray(x["a"][::8, 1000:3000]),
        "fancy_rows": lambda x, out: np.asarray(x["a"][_picks(x["a"].shape[0])]),
        "fancy_columns": lambda x, out: np.asarray(x["a"][:, _picks(x["a"].shape[1])]),
    }
    params = (POLICIES, list(operations))


class Sorting(_PolicyWorkload):
    """A vector sorted, and its sorting indices, written to Zarr."""

    operations = {
        "sort": lambda x, out: np.sort(x["v"]).to_zarr(out, overwrite=True),
        "argsort": lambda x, out: np.argsort(x["v"]).to_zarr(out, overwrite=True),
    }
    params = (POLICIES, list(operations))


def _small() -> Any:
    return oa.asarray(small_values())


class SmallArray(_PolicyWorkload):
    """Single calls on a 1000-element array: the cost of a call, whatever the policy."""

    operations = {
        "add_then_sum": lambda x, out: float((_small() + 1).sum()),
        "chain_to_ndarray": lambda x, out: np.asarray(_small() * 2 + 1),
        "slice_computed": lambda x, out: np.asarray(_small()[10:20]),
        "setitem_computed": lambda x, out: _setitem(_small()),
    }
    params = (POLICIES, list(operations))
    # asv's defaults: many calls per sample, as a call takes microseconds.
    number, repeat, rounds, warmup_time = 0, 0, 2, -1

    def _arrays(self) -> dict[str, Any]:
        return {}


def _setitem(a: Any) -> float:
    a[17] = 3.0
    return float(a[17])
