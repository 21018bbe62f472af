"""The elementwise benchmark: ooarray against its peers on bandwidth-bound work.

Run it from a checkout of the repository: ``python -m benchmarks elementwise`` (or
``python -m ooarray bench elementwise``, the same command).

In one process, on three float64 arrays ``a, b, c`` of ``--size`` each (shape ``(rows,
4096)``), stored once per format (Zarr and ``.npy``), every system

1. writes ``2*a*b + c**2 - a/(b+1)`` in the inputs' format,
2. returns ``a.sum()``,
3. returns ``a.std()``,

and the benchmark reports wall time, user and system CPU time and peak RSS of each run, the
ratios of ooarray to Dask and to memmap + numexpr, and whether all systems agree. The page
cache is warmed before the timed runs, so the numbers are of a warm cache. NumPy in memory
runs last in each format because it leaves the process's RSS grown. The time and memory
figures go to --plots (default bench-results/elementwise, which git ignores).

ooarray flushes Zarr results larger than its budget chunk by chunk (fdatasync, inside its
timing); its peers leave theirs in the page cache. ``ooarray-nosync`` is ooarray with
``write_through=False``, written as the peers write, for the fair comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.elementwise_systems import (
    EXPRESSION,
    FORMATS,
    SYSTEM_NAMES,
    Dataset,
    System,
    expression,
    make_system,
    read_rows,
)
from benchmarks.harness import (
    RESULTS_DIRECTORY,
    Check,
    Result,
    add_common_arguments,
    add_plot_arguments,
    conclude,
    describe_run,
    format_pool_counters,
    format_ratios,
    format_results,
    median_of,
    names_option,
    prepare_and_warm,
    prepare_inputs,
    ratio,
    results_directory,
    run_measured,
    run_systems,
    say,
    spread_indices,
    workdir,
    write_report,
)
from benchmarks.outputs import refuse_tracked
from ooarray.config import parse_bytes
from ooarray.errors import format_bytes

__all__ = ["run_elementwise", "add_arguments", "run_from_args", "shape_for", "input_chunks",
           "prepare_dataset", "OPERATIONS"]

DEFAULT_SIZE = "2GiB"
DEFAULT_MEMORY = "1GB"
#: Where the figures go by default (git ignores it); ``--plots docs/figures --overwrite``
#: redraws the ones on the docs' performance page.
DEFAULT_PLOTS = str(RESULTS_DIRECTORY / "elementwise")

#: Columns of every input; rows follow from ``--size``.
COLUMNS = 4096

#: The inputs are float64.
DTYPE = np.dtype(np.float64)

#: Seed of the generator that makes ``a, b, c`` (the same data in every format).
SEED = 1

#: Chunk size the inputs are generated and stored with (rows of whole width), at most.
INPUT_CHUNK_BYTES = 32 * 2**20

#: Chunks of the inputs are at most this fraction of the memory limit: the largest task (the
#: chain, or a reduction with its scratch) holds about six of them.
CHUNKS_PER_BUDGET = 8

#: Chunks even small inputs are split into, so that every system's chunk loop is exercised.
MIN_INPUT_CHUNKS = 4

#: Operations, in the order they run.
OPERATIONS = ("elementwise", "sum", "std")

#: Rows of each elementwise output compared with NumPy on the same rows of the inputs.
SAMPLE_ROWS = 32

#: Agreement of scalar results (relative) and of sampled output rows (absolute, values O(1)).
VALUE_RTOL = 1e-9
SAMPLE_ATOL = 1e-12

#: The system whose answers the others are checked against, when it ran.
REFERENCE_SYSTEM = "numpy"

#: Peers whose wall time and peak RSS ooarray's are divided by.
RATIO_PEERS = ("dask", "memmap")


def shape_for(size: int) -> tuple[int, int]:
    """Return the input shape ``(rows, 4096)`` of about ``size`` bytes of float64.

    Examples
    --------
    >>> shape_for(2 * 2**30)
    (65536, 4096)
    """
    return max(MIN_INPUT_CHUNKS, size // (COLUMNS * DTYPE.itemsize)), COLUMNS


def input_chunks(shape: tuple[int, int], memory_limit: int) -> tuple[int, int]:
    """Return the chunk shape the inputs are generated and stored with: at most 32 MiB and
    an eighth of ``memory_limit``, and at least four chunks per input.

    Examples
    --------
    >>> input_chunks((65536, 4096), 10**9), input_chunks((128, 4096), 10**9)
    ((1024, 4096), (32, 4096))
    >>> input_chunks((8192, 4096), 64 * 10**6)  # 8 MB chunks for a 64 MB budget
    (244, 4096)
    """
    rows, columns = shape
    chunk_bytes = min(INPUT_CHUNK_BYTES, memory_limit // CHUNKS_PER_BUDGET)
    by_size = max(1, chunk_bytes // (columns * DTYPE.itemsize))
    return max(1, min(by_size, -(-rows // MIN_INPUT_CHUNKS))), columns


def prepare_dataset(dataset: Dataset, memory_limit: int) -> list[str]:
    """Write the inputs of ``dataset`` that are missing or of another shape or chunking.

    Returns
    -------
    list of str
        The names of the inputs written (the others were reused).
    """
    return prepare_inputs(dataset.inputs, dataset.fmt, dataset.shape,
                          input_chunks(dataset.shape, memory_limit), memory_limit, SEED)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _run_once(system: System, dataset: Dataset, rows: np.ndarray,
              keep: bool) -> tuple[list[Result], np.ndarray | None]:
    system.reset()
    out = dataset.output_path(system.name)
    results = [run_measured(system.name, dataset.fmt, "elementwise",
                            lambda: system.elementwise(dataset, out))]
    results[-1].extra = dict(system.extra)
    sample = read_rows(out, dataset.fmt, rows) if results[-1].ok else None
    if not keep:
        _remove(out)
    for operation in OPERATIONS[1:]:
        results.append(run_measured(system.name, dataset.fmt, operation,
                                    lambda op=operation: getattr(system, op)(dataset)))
        results[-1].extra = dict(system.extra)
    return results, sample


def run_system(system: System, dataset: Dataset, rows: np.ndarray, keep: bool,
               repeat: int = 1) -> tuple[list[Result], np.ndarray | None]:
    """Run the three operations of ``system`` on ``dataset``, ``repeat`` times.

    Each repetition starts from :meth:`System.reset` (ooarray's pool empty, as in a new
    process) and runs the operations in order.

    Returns
    -------
    results : list of Result
        One row per operation: the repetition with the median wall time.
    sample : ndarray or None
        The ``rows`` of the first elementwise output (None if it failed). The output itself is
        removed unless ``keep``, so the next system finds the same free disk and page cache.
    """
    rounds = [_run_once(system, dataset, rows, keep) for _ in range(repeat)]
    results = [median_of([done[i] for done, _ in rounds]) for i in range(len(OPERATIONS))]
    return results, rounds[0][1]


def check_scalars(results: Sequence[Result]) -> list[Check]:
    """Check every finished reduction against the reference system's (or the first one's)."""
    checks = []
    for fmt in FORMATS:
        for operation in OPERATIONS[1:]:
            done = [r for r in results if r.format == fmt and r.operation == operation and r.ok]
            if not done:
                continue
            reference = next((r for r in done if r.system == REFERENCE_SYSTEM), done[0])
            assert reference.value is not None
            for result in done:
                if result is reference:
                    continue
                assert result.value is not None
                deviation = abs(result.value - reference.value) / abs(reference.value)
                checks.append(Check(result.system, fmt, operation, reference.system,
                                    deviation, VALUE_RTOL))
    return checks


def check_samples(samples: dict[tuple[str, str], np.ndarray],
                  expected: dict[str, np.ndarray]) -> list[Check]:
    """Check each system's sampled output rows against NumPy on the same input rows."""
    checks = []
    for (system, fmt), sample in samples.items():
        reference = expected[fmt]
        deviation = float(np.max(np.abs(sample - reference))) if sample.shape == \
            reference.shape else float("inf")
        checks.append(Check(system, fmt, "elementwise",
                            f"NumPy on {len(reference)} sampled rows", deviation, SAMPLE_ATOL))
    return checks


def _expected_sample(dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    return expression(*(read_rows(path, dataset.fmt, rows) for path in dataset.inputs))


def run_format(fmt: str, systems: Sequence[System], directory: Path, shape: tuple[int, int],
               memory_limit: int, keep: bool, repeat: int = 1) -> tuple[list[Result], list[Check]]:
    """Prepare and warm one format's inputs, run every system on them and check the outputs."""
    dataset = Dataset(fmt, directory, shape)
    say("")
    prepare_and_warm(dataset.inputs, lambda: prepare_dataset(dataset, memory_limit), directory,
                     prefix=f"[{fmt}] ")
    rows = spread_indices(shape[0], SAMPLE_ROWS)
    samples: dict[tuple[str, str], np.ndarray] = {}

    def run(system: System) -> list[Result]:
        done, sample = run_system(system, dataset, rows, keep, repeat)
        if sample is not None:
            samples[(system.name, fmt)] = sample
        return done

    results = run_systems(systems, dataset, fmt, OPERATIONS, run, prefix=f"[{fmt}] ")
    checks = check_samples(samples, {fmt: _expected_sample(dataset, rows)})
    return results, checks


def run_elementwise(size: int | str = DEFAULT_SIZE, memory: int | str = DEFAULT_MEMORY,
                    directory: str | os.PathLike | None = None,
                    systems: Sequence[str] = SYSTEM_NAMES, formats: Sequence[str] = FORMATS,
                    keep: bool = False, json_path: str | os.PathLike | None = None,
                    repeat: int = 1, plots: str | os.PathLike | None = None,
                    overwrite: bool = False) -> int:
    """Run the benchmark, print its tables and optionally write them as JSON.

    Parameters
    ----------
    size : int or str
        Bytes of each of the three inputs, e.g. ``"2GiB"``.
    memory : int or str
        ooarray's ``memory_limit``.
    directory : path-like, optional
        Where the inputs are (reused if present with the right shape) or are made. By default a
        temporary directory, removed at the end unless ``keep``.
    systems, formats : sequence of str
        Which of :data:`SYSTEM_NAMES` and :data:`FORMATS` to run; systems always run in that
        order (NumPy in memory last).
    keep : bool
        Keep the temporary directory and every system's output.
    json_path : path-like, optional
        Where to write the results, checks, ratios and the machine's description as JSON.
    repeat : int
        How many times each system runs its three operations; the table shows the run with
        the median wall time (and the range).
    plots : path-like, optional
        Where to draw ``elementwise-time`` and ``elementwise-memory`` (PNG and SVG; needs
        matplotlib). None draws nothing.
    overwrite : bool
        Write over figures git tracks (refused otherwise).

    Returns
    -------
    int
        0 if every run finished (or was not applicable) and all systems agree, else 1.

    Raises
    ------
    ValueError
        If a system or format is not known.
    benchmarks.outputs.TrackedFileError
        If ``json_path`` is a file git tracks.
    """
    unknown = sorted(set(systems) - set(SYSTEM_NAMES)) + sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"systems must be among {', '.join(SYSTEM_NAMES)} and formats among "
                         f"{', '.join(FORMATS)}; got {', '.join(unknown)}")
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1; got {repeat}")
    figures = [] if plots is None else [Path(plots) / f"elementwise-{name}.{suffix}"
                                        for name in ("time", "memory")
                                        for suffix in ("png", "svg")]
    refuse_tracked(figures, overwrite)
    if json_path is not None:
        refuse_tracked([json_path])
    nbytes, limit = parse_bytes(size), parse_bytes(memory)
    shape = shape_for(nbytes)
    chosen = [make_system(name, limit) for name in SYSTEM_NAMES if name in systems]
    array_bytes = shape[0] * shape[1] * DTYPE.itemsize
    say(f"elementwise benchmark: 3 float64 arrays of shape {shape} "
        f"({format_bytes(array_bytes)} each, chunks {input_chunks(shape, limit)}), ooarray "
        f"memory_limit {format_bytes(limit)}; formats {', '.join(formats)}")
    say(describe_run(chosen, repeat))
    say("warm page cache; ooarray's pool starts empty in each repetition; ooarray writes "
        "Zarr results larger than memory_limit through to disk (fdatasync per chunk, inside "
        "its timing; config write_through), other outputs are not fsynced inside the timing "
        "(os.sync() runs between runs)")
    results: list[Result] = []
    checks: list[Check] = []
    with workdir(directory, keep, "ooarray-bench-") as where:
        for fmt in (f for f in FORMATS if f in formats):
            done, sampled = run_format(fmt, chosen, where, shape, limit, keep, repeat)
            results += done
            checks += sampled
    results.sort(key=_table_order)
    checks = sorted(check_scalars(results) + checks, key=_table_order)
    say("\nResults (warm page cache; cpu = CPU s per wall s; +RSS = peak above the run's "
        "starting RSS)\n")
    say(format_results(results))
    say("\nRatios of ooarray to its peers (below 1: ooarray faster / smaller peak RSS)\n")
    say(format_ratios(results, "ooarray", RATIO_PEERS))
    if any(r.system == "ooarray-nosync" and r.ok for r in results):
        say("\nThe same without flushing ooarray's Zarr results (ooarray-nosync: "
            "write_through=False, as the peers write)\n")
        say(format_ratios([r for r in results if r.format == "zarr"], "ooarray-nosync",
                          ("dask",)))
    say("\nooarray's buffer pool\n")
    say(format_pool_counters(results))
    ok = conclude(results, checks)
    if plots is not None:
        _plot(Path(plots), results, limit, f"3 x {format_bytes(array_bytes)} float64, "
              f"ooarray memory_limit {format_bytes(limit)}, warm page cache")
    if json_path is not None:
        write_report(json_path, "elementwise", results, checks, ok, expression=EXPRESSION,
                     shape=shape, dtype=str(DTYPE), array_bytes=array_bytes,
                     input_chunks=input_chunks(shape, limit), memory_limit=limit,
                     page_cache="warm", directory=where, repeat=repeat,
                     ratios=_ratios_document(results))
    return 0 if ok else 1


def _plot(directory: Path, results: Sequence[Result], limit: int, heading: str) -> list[str]:
    """Draw the time and memory figures, one panel per (format, operation)."""
    from benchmarks.compare_plots import plot_time_memory

    panels = [dataclasses.replace(r, operation=f"{r.operation} ({r.format})")
              for r in results if r.status != "n/a"]
    ratios = {}
    for row in results:
        found = ratio(results, row.system, "ooarray", row.format, row.operation)
        if found is not None:
            ratios[(f"{row.operation} ({row.format})", row.system)] = found
    return plot_time_memory(results_directory(directory), "elementwise", panels, ratios,
                            limit, heading)


def _table_order(row: Result | Check) -> tuple[int, int, int]:
    """Sort key: by format, then operation, then system, so peers sit side by side."""
    return (FORMATS.index(row.format), OPERATIONS.index(row.operation),
            SYSTEM_NAMES.index(row.system))


def _ratios_document(results: Sequence[Result]) -> list[dict[str, object]]:
    rows = []
    for fmt in FORMATS:
        for operation in OPERATIONS:
            for subject, peer in [("ooarray", p) for p in RATIO_PEERS] + \
                    [("ooarray-nosync", "dask")]:
                found = ratio(results, subject, peer, fmt, operation)
                if found is not None:
                    rows.append({"format": fmt, "operation": operation, "subject": subject,
                                 "peer": peer, "wall": found["wall"],
                                 "peak_rss": found["peak_rss"]})
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the elementwise benchmark to ``parser``."""
    parser.add_argument("--size", default=DEFAULT_SIZE,
                        help=f"size of each of the three inputs (default {DEFAULT_SIZE})")
    add_common_arguments(parser, SYSTEM_NAMES, DEFAULT_MEMORY)
    parser.add_argument("--formats", type=names_option(FORMATS, "--formats"),
                        default=list(FORMATS),
                        help=f"comma-separated (default {','.join(FORMATS)})")
    add_plot_arguments(parser, DEFAULT_PLOTS)


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark with the options parsed by :func:`add_arguments`."""
    return run_elementwise(args.size, args.memory, args.dir, args.systems, args.formats,
                           args.keep, args.json, args.repeat, args.plots or None,
                           args.overwrite)
