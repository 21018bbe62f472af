"""What every benchmark of this folder shares: measuring a run, the systems' common part, the
run loop, the tables and the JSON file.

A benchmark (``elementwise``, ``matmul``) names its systems (subclasses of :class:`System`),
makes its inputs with :func:`prepare_inputs` and warms them with :func:`prepare_and_warm`,
runs every system with :func:`run_systems` (a system that is not installed or does not apply
becomes a row saying so), each run measured by :func:`run_measured` (wall and CPU time, peak
RSS and RSS over time, bytes through ``read()``/``write()``) and repeated with
:func:`median_of`; then prints :func:`format_results`, :func:`format_ratios` and
:func:`conclude` (agreement and the verdict) and writes :func:`write_report`. Nothing here
knows which systems or operations a benchmark compares.
"""

from __future__ import annotations

import abc
import argparse
import contextlib
import ctypes
import ctypes.util
import dataclasses
import gc
import importlib
import json
import math
import os
import platform
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from numpy.typing import DTypeLike

from ooarray.config import parse_bytes
from ooarray.diagnostics.memory import RSSSampler
from ooarray.errors import format_bytes

__all__ = [
    "Measurement", "Result", "Check", "System", "OOArrayPeer", "measure", "run_measured",
    "median_of", "settle", "warm_page_cache", "spread_indices", "say",
    "create_zarr_like", "stored_matches", "prepare_inputs", "prepare_and_warm", "workdir",
    "run_systems", "format_results", "format_checks", "ratio", "format_ratios", "conclude",
    "machine_description", "write_json", "write_report", "results_directory",
    "names_option", "refuse_unknown_systems", "add_common_arguments", "add_plot_arguments", "describe_run", "format_table",
    "format_markdown_table", "format_pool_counters", "row_line", "worker_environment",
]

#: Status of a :class:`Result`: it ran, the system cannot do it, the system is missing, it failed.
OK, NOT_APPLICABLE, SKIPPED, FAILED = "ok", "n/a", "skipped", "error"

#: How much of a file :func:`warm_page_cache` reads at a time (one reused buffer).
WARM_READ_BYTES = 16 * 2**20

#: Seconds between RSS samples while a run is measured (the peak and the memory figure).
RSS_SAMPLE_SECONDS = 0.01

#: Where benchmarks write what they draw unless told otherwise (relative to the current
#: directory); it ignores itself in git (a ``.gitignore`` of ``*`` inside).
RESULTS_DIRECTORY = Path("bench-results")

#: What a system that needs an optional extra says when the extra is missing.
INSTALL_HINT = "pip install 'ooarray[bench]'"


def say(*parts: object) -> None:
    """Print a line of the report at once (the benchmarks run for minutes)."""
    print(*parts, flush=True)


# --- measuring ---------------------------------------------------------------------------


@dataclasses.dataclass
class Measurement:
    """Cost of one run.

    Attributes
    ----------
    wall, user, sys : float
        Elapsed seconds, and CPU seconds of all the process's threads in user and kernel mode.
    peak_rss, baseline_rss : int
        Highest resident set size seen during the run, and the RSS when it started (bytes).
    read_chars, write_chars : int
        Bytes through ``read()`` and ``write()`` system calls during the run, page-cache hits
        included (``read_bytes`` would be about zero with a warm cache).
    rss_samples : list of (seconds, bytes)
        RSS over the run (for the memory figure; left out of :meth:`Result.as_dict`).
    """

    wall: float
    user: float
    sys: float
    peak_rss: int
    baseline_rss: int
    read_chars: int = 0
    write_chars: int = 0
    rss_samples: list[tuple[float, int]] = dataclasses.field(default_factory=list, repr=False)

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
            del row["measurement"]["rss_samples"]
            row["measurement"]["cpu_utilisation"] = self.measurement.cpu_utilisation
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Result:
        """Return the row :meth:`as_dict` gave (without the RSS samples).

        Examples
        --------
        >>> row = Result("s", "f", "op", measurement=Measurement(1.0, 0.5, 0.1, 9, 3))
        >>> Result.from_dict(row.as_dict()) == row
        True
        """
        row = dict(row)
        cost = row.pop("measurement", None)
        if cost is not None:
            cost = Measurement(**{k: v for k, v in cost.items() if k != "cpu_utilisation"})
        return cls(**row, measurement=cost)


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


def _io_chars(process: psutil.Process) -> tuple[int, int]:
    try:
        counters = process.io_counters()
    except (AttributeError, psutil.Error):  # not on every platform
        return 0, 0
    return getattr(counters, "read_chars", counters.read_bytes), \
        getattr(counters, "write_chars", counters.write_bytes)


def measure(function: Callable[[], Any]) -> tuple[Any, Measurement]:
    """Call ``function()`` and return its result with wall, CPU time, RSS and I/O.

    Examples
    --------
    >>> value, cost = measure(lambda: sum(range(1000)))
    >>> value, cost.wall >= 0, cost.peak_rss >= cost.baseline_rss > 0
    (499500, True, True)
    """
    process = psutil.Process()
    with RSSSampler(interval=RSS_SAMPLE_SECONDS) as rss:
        io_before = _io_chars(process)
        cpu_before = process.cpu_times()
        started = time.perf_counter()
        value = function()
        wall = time.perf_counter() - started
        cpu_after = process.cpu_times()
        io_after = _io_chars(process)
    return value, Measurement(wall=wall, user=cpu_after.user - cpu_before.user,
                              sys=cpu_after.system - cpu_before.system,
                              peak_rss=rss.peak, baseline_rss=rss.baseline,
                              read_chars=io_after[0] - io_before[0],
                              write_chars=io_after[1] - io_before[1],
                              rss_samples=list(rss.samples))


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


def spread_indices(length: int, count: int) -> np.ndarray:
    """Return up to ``count`` indices spread evenly over ``range(length)``, ends included.

    Examples
    --------
    >>> spread_indices(4, 32).tolist(), spread_indices(1000, 32)[[0, -1]].tolist()
    ([0, 1, 2, 3], [0, 999])
    """
    return np.unique(np.linspace(0, length - 1, min(length, count)).astype(np.intp))


# --- systems and their inputs --------------------------------------------------------------


class System(abc.ABC):  # noqa: B024 (each benchmark's subclass adds abstract methods)
    """One way of doing a benchmark's operations; each benchmark adds its abstract methods.

    Attributes
    ----------
    name : str
        The name used on the command line and in the tables.
    requires : tuple of str
        Modules of optional extras the system imports; :meth:`missing` checks them.
    extra : dict
        Counters of the last run that the system can report (empty by default).
    """

    name: str = ""
    requires: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}

    def missing(self) -> str | None:
        """Return why the system cannot run at all (an extra not installed), or None."""
        for module in self.requires:
            try:
                importlib.import_module(module)
            except ImportError:
                return f"{module.split('.')[0]} is not installed ({INSTALL_HINT})"
        return None

    def unsupported(self, fmt: str) -> str | None:
        """Return why the system does not apply to format ``fmt``, or None."""
        return None

    def describe(self, dataset: Any) -> str:
        """Return how the system splits the work (chunks, blocks), for the report."""
        return ""

    def reset(self) -> None:  # noqa: B027 (most systems keep nothing)
        """Drop whatever the system keeps between runs, as if in a new process."""


class OOArrayPeer(System):
    """ooarray under a memory budget: the settings of every run, its pool emptied between
    runs, and its counters (``extra``) and access trace collected by :meth:`session`.

    Parameters
    ----------
    memory_limit : int or str
        The budget, e.g. ``"1GB"``.
    **settings
        Other ``ooarray.config`` settings of every run (e.g. ``policy="lru"``).
    """

    def __init__(self, memory_limit: int | str, **settings: Any) -> None:
        super().__init__()
        self.memory_limit = memory_limit
        self.settings = {"memory_limit": memory_limit, **settings}
        self.trace: list[tuple[str, Any]] = []

    @property
    def budget(self) -> str:
        """The memory limit, for the report (``"953.7 MiB"``)."""
        return format_bytes(parse_bytes(self.memory_limit))

    def config(self) -> Any:
        """Return ``ooarray.config.set(...)`` of this system's settings (a ``with`` block)."""
        import ooarray as oa

        return oa.config.set(**self.settings)

    @contextlib.contextmanager
    def session(self, trace: bool = False) -> Iterator[None]:
        """Run a block under the system's settings; keep its statistics in ``extra`` (and its
        access trace in ``trace``)."""
        import ooarray as oa

        self.extra, self.trace = {}, []
        with self.config(), oa.collect_stats(trace=trace) as stats:
            yield
        self.extra = stats.as_dict()
        self.trace = list(stats.trace or []) if trace else []

    def reset(self) -> None:
        """Return the buffer pool's memory to the operating system.

        The pool keeps its buffers between computations because memory touched for the
        first time is slow on small VMs; the first run after a reset pays for that again, as
        in a new process, whatever ran before (e.g. making the inputs or another system).
        """
        from ooarray.execute.local import pool

        pool().release_memory()


def create_zarr_like(source: Path, target: Path) -> Any:
    """Create an empty Zarr array at ``target`` with ``source``'s shape, chunks and codecs.

    Every system then writes with the codec ooarray's inputs use, so the comparison is of the
    systems and not of their default compressors.
    """
    import zarr

    like = zarr.open_array(os.fspath(source), mode="r")
    return zarr.create_array(os.fspath(target), shape=like.shape, dtype=like.dtype,
                             chunks=like.chunks, serializer=like.serializer,
                             filters=like.filters, compressors=like.compressors,
                             overwrite=True)


def stored_matches(path: Path, fmt: str, shape: tuple[int, ...], dtype: np.dtype,
                   chunks: tuple[int, ...] | None = None) -> bool:
    """Whether ``path`` holds an array of ``shape`` and ``dtype`` (and, for Zarr, ``chunks``)."""
    if not path.exists():
        return False
    try:
        if fmt == "zarr":
            import zarr

            stored = zarr.open_array(os.fspath(path), mode="r")
            if chunks is not None and tuple(stored.chunks) != tuple(chunks):
                return False
        else:
            stored = np.load(path, mmap_mode="r")
    except (OSError, ValueError, KeyError):
        return False
    return tuple(stored.shape) == tuple(shape) and np.dtype(stored.dtype) == np.dtype(dtype)


def prepare_inputs(paths: Sequence[Path], fmt: str, shape: tuple[int, ...],
                   chunks: tuple[int, ...], memory_limit: int, seed: int = 1,
                   dtype: DTypeLike = np.float64) -> list[str]:
    """Write random inputs of ``dtype`` (float64 or float32, uniform in [0, 1), one seeded
    generator, in the order of ``paths``) with ooarray within ``memory_limit``, except those
    already stored with the same shape, dtype (and Zarr chunks).

    Returns
    -------
    list of str
        The names of the inputs written (the others were reused).
    """
    import ooarray as oa

    written = []
    with oa.config.set(memory_limit=memory_limit):
        rng = oa.random.default_rng(seed)
        for path in paths:
            # Every input draws from the generator even when reused, so that the later ones
            # are the same data whichever inputs are already there.
            array = rng.random(shape, dtype=dtype, chunks=chunks)
            if stored_matches(path, fmt, shape, array.dtype, chunks):
                continue
            writer = array.to_zarr if fmt == "zarr" else array.to_npy
            writer(path, overwrite=True)
            written.append(path.stem)
    return written


def prepare_and_warm(paths: Sequence[Path], make: Callable[[], list[str]], where: Path,
                     prefix: str = "", names: str | None = None) -> None:
    """Make the inputs (``make()`` returns the names written), then read them once so every
    timed run finds a warm page cache; say what it did (``names``: what to call the inputs
    when all are reused, by default their names)."""
    started = time.perf_counter()
    written = make()
    names = names or ", ".join(path.stem for path in paths)
    say(f"{prefix}inputs: " + (f"wrote {', '.join(written)} in "
                               f"{time.perf_counter() - started:.1f} s" if written
                               else f"reused {names}") + f" in {where}")
    settle()
    started = time.perf_counter()
    warmed = warm_page_cache(paths)
    seconds = max(time.perf_counter() - started, 1e-9)
    say(f"{prefix}page cache warmed: read {format_bytes(warmed)} in {seconds:.1f} s "
        f"({warmed / seconds / 1e9:.1f} GB/s); every timed run below reads a warm cache")


@contextlib.contextmanager
def workdir(directory: str | os.PathLike | None, keep: bool, prefix: str) -> Iterator[Path]:
    """The directory of the inputs: ``directory`` (made if needed, never removed), or a
    temporary one, removed at the end unless ``keep``."""
    path = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix=prefix))
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        if directory is None and not keep:
            shutil.rmtree(path, ignore_errors=True)


def row_line(result: Result) -> str:
    """One line of the running report: a row's wall time, peak RSS and CPU, or its status."""
    cost = result.measurement
    head = f"{result.system:22} {result.operation:11}"
    if cost is None:
        return f"{head} {result.status}: {result.note}"
    return (f"{head} {cost.wall:8.2f} s  peak RSS {format_bytes(cost.peak_rss)}  "
            f"cpu {cost.cpu_utilisation:.1f}")


def run_systems(systems: Sequence[System], dataset: Any, fmt: str,
                operations: Sequence[str], run: Callable[[System], list[Result]],
                prefix: str = "") -> list[Result]:
    """Run every system with ``run(system)`` (which returns its rows), in order, saying each
    row; a system that is missing or does not apply to ``fmt`` gets a row per operation
    saying why, and does not run."""
    results: list[Result] = []
    for system in systems:
        status, reason = SKIPPED, system.missing()
        if reason is None:
            status, reason = NOT_APPLICABLE, system.unsupported(fmt)
        if reason is not None:
            say(f"{prefix}{system.name}: {status}: {reason}")
            results += [Result(system.name, fmt, operation, status=status, note=reason)
                        for operation in operations]
            continue
        say(f"{prefix}{system.name}: {system.describe(dataset)}")
        rows = run(system)
        for row in rows:
            say(f"{prefix}  {row_line(row)}")
        results += rows
    return results


# --- tables, verdict, JSON -----------------------------------------------------------------


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
    return cells + [f"{cost.wall:.2f}", spread, f"{cost.user:.2f}", f"{cost.sys:.2f}",
                    f"{cost.cpu_utilisation:.1f}", format_bytes(cost.peak_rss),
                    format_bytes(cost.peak_rss - cost.baseline_rss), remark]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` under ``header`` as a text table, columns padded and separated by
    ``|``.

    Examples
    --------
    >>> print(format_table(("a", "bb"), [("1", "2"), ("333", "")]))
    a   | bb
    ----+---
    1   | 2
    333 |
    """
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
    return format_table(_COLUMNS, [_cells(result) for result in results])


def format_markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` under ``header`` as a Markdown (GitHub) table.

    Examples
    --------
    >>> print(format_markdown_table(("a", "b"), [("1", "x|y")]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(row) for row in rows)])


def format_pool_counters(results: Sequence[Result], system: str = "ooarray") -> str:
    """Return a line per finished run of ``system`` with its buffer pool's counters (tasks,
    bytes read and written, hit rate, evictions, pool peak)."""
    lines = []
    for r in results:
        if r.system == system and r.ok and r.extra.get("tasks") is not None:
            x = r.extra
            lines.append(f"  {r.format:4} {r.operation:11} tasks {x['tasks']:5}  "
                         f"read {format_bytes(x['bytes_read']):>9}  "
                         f"written {format_bytes(x['bytes_written']):>9}  "
                         f"hit rate {x['hit_rate']:.0%}  evictions {x['evictions']}  "
                         f"pool peak {format_bytes(x['peak_bytes'])}")
    return "\n".join(lines)


def format_checks(checks: Sequence[Check]) -> str:
    """Return the checks as a text table, one row per checked run."""
    rows = [[c.format, c.operation, c.system, c.reference, f"{c.deviation:.2e}",
             f"{c.tolerance:.0e}", "OK" if c.ok else "MISMATCH"] for c in checks]
    return format_table(("format", "operation", "system", "compared with", "deviation", "tolerance",
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
    return format_table(header, rows)


def conclude(results: Sequence[Result], checks: Sequence[Check], heading: str = "Agreement",
             problems: Sequence[str] = ()) -> bool:
    """Print the agreement table and the verdict; return whether every run finished, every
    check agrees and there are no other ``problems`` (each said)."""
    say(f"\n{heading}\n")
    say(format_checks(checks))
    for problem in problems:
        say(f"PROBLEM: {problem}")
    ok = not problems and all(r.status != FAILED for r in results) and all(c.ok for c in checks)
    say(f"\n{'all systems agree' if ok else 'PROBLEMS: see the errors and checks above'}")
    return ok


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


def describe_run(systems: Sequence[System], repeat: int) -> str:
    """The run's systems, the CPUs and their load at the start, and the repetitions."""
    load = os.getloadavg()
    return (f"systems {', '.join(s.name for s in systems)}; {os.cpu_count()} CPUs (load "
            f"average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start); {repeat} "
            f"repetition(s), median shown")


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


def write_report(path: str | os.PathLike, benchmark: str, results: Sequence[Result],
                 checks: Sequence[Check], ok: bool, **fields: Any) -> None:
    """Write a benchmark's JSON: its name and ``fields``, the machine, the verdict, the rows
    and the checks."""
    write_json(path, {"benchmark": benchmark, **fields, "machine": machine_description(),
                      "ok": ok, "results": [r.as_dict() for r in results],
                      "checks": [c.as_dict() for c in checks]})
    say(f"wrote {path}")


def results_directory(path: str | os.PathLike) -> Path:
    """Make the directory ``path`` for a benchmark's output and return it; under
    :data:`RESULTS_DIRECTORY` (the default place), that folder ignores itself in git."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if RESULTS_DIRECTORY.resolve() in (path.resolve(), *path.resolve().parents):
        ignore = RESULTS_DIRECTORY / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# made by the benchmarks: their output is not part of the repo\n*\n")
    return path


# --- the command line ----------------------------------------------------------------------


def worker_environment() -> dict[str, str]:
    """This environment, with the folder that holds ``benchmarks`` (the repository) on the
    path of a worker process, wherever it is started from."""
    here = str(Path(__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, here] if here not in paths
                                                        else paths)}



def refuse_unknown_systems(names: Sequence[str], known: Sequence[str]) -> None:
    """Raise ValueError naming the systems in ``names`` that are not in ``known``."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"systems must be among {', '.join(known)}; "
                         f"got {', '.join(unknown)}")


def names_option(known: Sequence[str], option: str) -> Callable[[str], list[str]]:
    """An argparse ``type`` for a comma-separated list of names among ``known``."""
    def parse(value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"{option} must be a comma-separated list of {', '.join(known)}; got {value!r}")
        return names

    return parse


def add_plot_arguments(parser: argparse.ArgumentParser, default: str) -> None:
    """Add ``--plots DIR`` (where the figures go; '' for none) and ``--overwrite``."""
    parser.add_argument("--plots", default=default, metavar="DIR",
                        help=f"directory for the PNG and SVG figures (default {default}, "
                             "which git ignores; '' for none)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write over figures git tracks (--plots docs/figures --overwrite "
                             "redraws the documented ones); refused otherwise")


def add_common_arguments(parser: argparse.ArgumentParser, systems: Sequence[str],
                         default_memory: str, systems_help: str = "") -> None:
    """Add the options every benchmark has: ``--memory``, ``--dir``, ``--systems``,
    ``--keep``, ``--repeat`` and ``--json``."""
    parser.add_argument("--memory", default=default_memory,
                        help=f"ooarray's memory_limit (default {default_memory})")
    parser.add_argument("--dir", default=None,
                        help="where the inputs are made or reused (default: a temporary "
                             "directory, removed at the end unless --keep)")
    parser.add_argument("--systems", type=names_option(systems, "--systems"),
                        default=list(systems),
                        help=f"comma-separated (default {','.join(systems)}{systems_help})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory and every system's output")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each system N times and show the median (default 1)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")
