"""What every ``python -m ooarray bench`` benchmark shares: measuring a run, its result row,
the tables and the JSON file.

Nothing here knows which systems or operations a benchmark compares; ``elementwise`` and
``matmul`` build :class:`Result` rows with :func:`measure` and print them with
:func:`format_results` and :func:`format_ratios`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gc
import json
import math
import os
import platform
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from ooarray.diagnostics.memory import RSSSampler
from ooarray.errors import format_bytes

__all__ = [
    "Measurement", "Result", "Check", "measure", "run_measured", "median_of", "settle",
    "warm_page_cache",
    "format_results", "format_checks", "ratio", "format_ratios", "machine_description",
    "write_json",
]

#: Status of a :class:`Result`: it ran, the system cannot do it, the system is missing, it failed.
OK, NOT_APPLICABLE, SKIPPED, FAILED = "ok", "n/a", "skipped", "error"

#: How much of a file :func:`warm_page_cache` reads at a time (one reused buffer).
WARM_READ_BYTES = 16 * 2**20

#: Seconds between RSS samples while a run is measured.
RSS_SAMPLE_SECONDS = 0.01


@dataclasses.dataclass
class Measurement:
    """Cost of one run.

    Attributes
    ----------
    wall, user, sys : float
        Elapsed seconds, and CPU seconds of all the process's threads in user and kernel mode.
    peak_rss, baseline_rss : int
        Highest resident set size seen during the run, and the RSS when it started (bytes).
    """

    wall: float
    user: float
    sys: float
    peak_rss: int
    baseline_rss: int

    @property
    def cpu_utilisation(self) -> float:
        """CPU seconds per wall second (2.0 is two cores busy all the time)."""
        return (self.user + self.sys) / self.wall if self.wall > 0 else 0.0


@dataclasses.dataclass
class Result:
    """One row of a benchmark table: a system doing one operation on one storage format.

    Attributes
    ----------
    system, format, operation : str
        What ran, e.g. ``("dask", "zarr", "sum")``.
    status : str
        ``"ok"``, ``"n/a"`` (the system cannot do this), ``"skipped"`` (the system is not
        installed) or ``"error"``.
    note : str
        Why a run is not ``"ok"``, or a remark about how it ran.
    measurement : Measurement, optional
        The cost, when the run finished.
    value : float, optional
        The scalar a reduction returned, for checking systems against each other.
    extra : dict
        System-specific counters (ooarray's buffer-pool statistics, chunk shapes, ...).
    walls : list of float
        Wall times of every repetition, when the row is the median of several
        (:func:`median_of`).
    """

    system: str
    format: str
    operation: str
    status: str = OK
    note: str = ""
    measurement: Measurement | None = None
    value: float | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    walls: list[float] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the run finished and was measured."""
        return self.status == OK and self.measurement is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the row as plain JSON-ready values (bytes as ints, seconds as floats)."""
        row = dataclasses.asdict(self)
        if self.measurement is not None:
            row["measurement"]["cpu_utilisation"] = self.measurement.cpu_utilisation
        return row


@dataclasses.dataclass
class Check:
    """Whether one system's answer agrees with the reference answer.

    Attributes
    ----------
    system, format, operation : str
        The run checked.
    reference : str
        What it was compared with, e.g. ``"numpy"`` or ``"NumPy on 32 sampled rows"``.
    deviation : float
        The largest relative (scalars) or absolute (sampled rows) difference found.
    tolerance : float
        The largest deviation allowed.
    """

    system: str
    format: str
    operation: str
    reference: str
    deviation: float
    tolerance: float

    @property
    def ok(self) -> bool:
        """Whether the deviation is within the tolerance (NaN is not)."""
        return bool(self.deviation <= self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        """Return the check as plain JSON-ready values, with ``ok``."""
        return {**dataclasses.asdict(self), "ok": self.ok}


def settle() -> None:
    """Bring the process back to a quiet state between runs (outside any timing).

    Collects garbage, hands freed heap back to the operating system (glibc's
    ``malloc_trim``) so the next run's RSS starts low, and flushes dirty pages of files just
    written so the next run does not pay for the previous run's write-back.
    """
    gc.collect()
    _malloc_trim()
    os.sync()


def _malloc_trim() -> None:
    name = ctypes.util.find_library("c")
    if name is None:
        return
    libc = ctypes.CDLL(name)
    if hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def measure(function: Callable[[], Any]) -> tuple[Any, Measurement]:
    """Call ``function()`` and return its result with wall, CPU time and peak RSS.

    Examples
    --------
    >>> value, cost = measure(lambda: sum(range(1000)))
    >>> value, cost.wall >= 0, cost.peak_rss >= cost.baseline_rss > 0
    (499500, True, True)
    """
    process = psutil.Process()
    with RSSSampler(interval=RSS_SAMPLE_SECONDS) as rss:
        cpu_before = process.cpu_times()
        started = time.perf_counter()
        value = function()
        wall = time.perf_counter() - started
        cpu_after = process.cpu_times()
    return value, Measurement(wall=wall, user=cpu_after.user - cpu_before.user,
                              sys=cpu_after.system - cpu_before.system,
                              peak_rss=rss.peak, baseline_rss=rss.baseline)


def run_measured(system: str, fmt: str, operation: str,
                 function: Callable[[], Any]) -> Result:
    """Settle the process, measure ``function()`` and return the row; a failure becomes a row.

    ``function`` returns the run's scalar (a reduction's value) or None. An exception is caught
    and reported as an ``"error"`` row with its message, so one broken run does not stop the
    rest of the benchmark.
    """
    settle()
    try:
        value, cost = measure(function)
    except Exception as error:  # reported in the table, with the traceback
        traceback.print_exc()
        return Result(system, fmt, operation, status=FAILED,
                      note=f"{type(error).__name__}: {error}")
    scalar = None if value is None else float(value)
    return Result(system, fmt, operation, measurement=cost, value=scalar)


def median_of(repeats: Sequence[Result]) -> Result:
    """Return the repetition with the median wall time, with every repetition's wall time.

    A failed repetition is returned as it is, so that a failure is never hidden by a success.

    Examples
    --------
    >>> runs = [Result("s", "f", "op", measurement=Measurement(w, 0, 0, 1, 1)) for w in (3, 1, 2)]
    >>> best = median_of(runs)
    >>> best.measurement.wall, best.walls
    (2, [3, 1, 2])
    """
    failed = [r for r in repeats if not r.ok]
    if failed:
        return failed[0]
    ranked = sorted(repeats, key=lambda r: r.measurement.wall)  # type: ignore[union-attr]
    chosen = dataclasses.replace(ranked[(len(ranked) - 1) // 2])
    chosen.walls = [r.measurement.wall for r in repeats]  # type: ignore[union-attr]
    return chosen


def warm_page_cache(paths: Iterable[Path]) -> int:
    """Read every file at or under ``paths`` once, so that timed runs find them cached.

    Returns
    -------
    int
        The number of bytes read.
    """
    buffer = bytearray(WARM_READ_BYTES)
    total = 0
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            with open(file, "rb", buffering=0) as handle:
                while count := handle.readinto(buffer):
                    total += count
    return total


def _seconds(value: float) -> str:
    return f"{value:.2f}"


_COLUMNS = ("format", "operation", "system", "wall s", "min-max s", "user s", "sys s", "cpu",
            "peak RSS", "+RSS", "value / note")


def _cells(result: Result) -> list[str]:
    cells = [result.format, result.operation, result.system]
    cost = result.measurement
    if cost is None:
        return cells + ["-"] * 7 + [f"{result.status}: {result.note}"]
    value = "" if result.value is None else f"{result.value:.12g}"
    remark = " ".join(part for part in (value, result.note) if part)
    spread = f"{min(result.walls):.2f}-{max(result.walls):.2f}" if len(result.walls) > 1 else ""
    return cells + [_seconds(cost.wall), spread, _seconds(cost.user), _seconds(cost.sys),
                    f"{cost.cpu_utilisation:.1f}", format_bytes(cost.peak_rss),
                    format_bytes(cost.peak_rss - cost.baseline_rss), remark]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(width)
                        for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (header, *rows)]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def format_results(results: Sequence[Result]) -> str:
    """Return the results as a text table: one row per (format, operation, system).

    ``min-max s`` is the range of wall times when the row is the median of repetitions;
    ``cpu`` is CPU seconds per wall second; ``+RSS`` is the peak above the RSS at the start of
    the run.
    """
    return _table(_COLUMNS, [_cells(result) for result in results])


def format_checks(checks: Sequence[Check]) -> str:
    """Return the checks as a text table, one row per checked run."""
    rows = [[c.format, c.operation, c.system, c.reference, f"{c.deviation:.2e}",
             f"{c.tolerance:.0e}", "OK" if c.ok else "MISMATCH"] for c in checks]
    return _table(("format", "operation", "system", "compared with", "deviation", "tolerance",
                   "agrees"), rows)


def ratio(results: Sequence[Result], subject: str, peer: str, fmt: str,
          operation: str) -> dict[str, float] | None:
    """Return ``subject``'s wall time and peak RSS divided by ``peer``'s, or None.

    None when either run is missing or did not finish. Below 1 means ``subject`` was faster
    (or smaller).
    """
    rows = {r.system: r for r in results if r.format == fmt and r.operation == operation}
    mine, theirs = rows.get(subject), rows.get(peer)
    if mine is None or theirs is None or not (mine.ok and theirs.ok):
        return None
    assert mine.measurement is not None and theirs.measurement is not None
    return {"wall": mine.measurement.wall / theirs.measurement.wall,
            "peak_rss": mine.measurement.peak_rss / theirs.measurement.peak_rss}


def format_ratios(results: Sequence[Result], subject: str, peers: Sequence[str]) -> str:
    """Return a table of ``subject``'s wall time and peak RSS over each peer's."""
    keys = list(dict.fromkeys((r.format, r.operation) for r in results))
    header = ["format", "operation"] + [f"{subject}/{peer} {what}" for peer in peers
                                        for what in ("wall", "RSS")]
    rows = []
    for fmt, operation in keys:
        row = [fmt, operation]
        for peer in peers:
            found = ratio(results, subject, peer, fmt, operation)
            row += ["n/a", "n/a"] if found is None else \
                [f"{found['wall']:.2f}", f"{found['peak_rss']:.2f}"]
        rows.append(row)
    return _table(header, rows)


def machine_description() -> dict[str, Any]:
    """Return what the numbers depend on: CPUs, load, memory, Python, and library versions."""
    import numexpr
    import numpy
    import zarr

    described: dict[str, Any] = {
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(), "python": platform.python_version(),
        "numpy": numpy.__version__, "numexpr": numexpr.__version__, "zarr": zarr.__version__,
    }
    try:
        import dask
    except ImportError:
        return described
    described["dask"] = dask.__version__
    return described


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: str | os.PathLike, document: dict[str, Any]) -> None:
    """Write ``document`` (results as :meth:`Result.as_dict` rows) to ``path`` as JSON."""
    Path(path).write_text(json.dumps(_json_ready(document), indent=2) + "\n")


def spread_indices(length: int, count: int) -> np.ndarray:
    """Return up to ``count`` indices spread evenly over ``range(length)``, ends included.

    Examples
    --------
    >>> spread_indices(4, 32).tolist(), spread_indices(1000, 32)[[0, -1]].tolist()
    ([0, 1, 2, 3], [0, 999])
    """
    return np.unique(np.linspace(0, length - 1, min(length, count)).astype(np.intp))
