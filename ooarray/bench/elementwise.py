"""``python -m ooarray bench elementwise``: ooarray against its peers on bandwidth-bound work.

In one process, on three float64 arrays ``a, b, c`` of ``--size`` each (shape ``(rows,
4096)``), stored once per format (Zarr and ``.npy``), every system

1. writes ``2*a*b + c**2 - a/(b+1)`` in the inputs' format,
2. returns ``a.sum()``,
3. returns ``a.std()``,

and the benchmark reports wall time, user and system CPU time and peak RSS of each run, the
ratios of ooarray to Dask and to memmap + numexpr, and whether all systems agree. The page
cache is warmed before the timed runs, so the numbers are of a warm cache. NumPy in memory
runs last in each format because it leaves the process's RSS grown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ooarray.bench.elementwise_systems import (
    EXPRESSION,
    FORMATS,
    SYSTEM_NAMES,
    Dataset,
    System,
    expression,
    make_system,
    read_rows,
)
from ooarray.bench.report import (
    FAILED,
    NOT_APPLICABLE,
    SKIPPED,
    Check,
    Result,
    format_checks,
    format_ratios,
    format_results,
    machine_description,
    median_of,
    ratio,
    run_measured,
    settle,
    spread_indices,
    warm_page_cache,
    write_json,
)
from ooarray.config import parse_bytes
from ooarray.errors import format_bytes

__all__ = ["run_elementwise", "add_arguments", "run_from_args", "shape_for", "OPERATIONS"]

DEFAULT_SIZE = "2GiB"
DEFAULT_MEMORY = "1GB"

#: Columns of every input; rows follow from ``--size``.
COLUMNS = 4096

#: The inputs are float64.
DTYPE = np.dtype(np.float64)

#: Seed of the generator that makes ``a, b, c`` (the same data in every format).
SEED = 1

#: Chunk size the inputs are generated and stored with (rows of whole width).
INPUT_CHUNK_BYTES = 32 * 2**20

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


def say(*parts: object) -> None:
    """Print a line of the report at once (the benchmark runs for minutes)."""
    print(*parts, flush=True)


def shape_for(size: int) -> tuple[int, int]:
    """Return the input shape ``(rows, 4096)`` of about ``size`` bytes of float64.

    Examples
    --------
    >>> shape_for(2 * 2**30)
    (65536, 4096)
    """
    return max(MIN_INPUT_CHUNKS, size // (COLUMNS * DTYPE.itemsize)), COLUMNS


def input_chunks(shape: tuple[int, int]) -> tuple[int, int]:
    """Return the chunk shape the inputs are generated and stored with.

    Examples
    --------
    >>> input_chunks((65536, 4096)), input_chunks((128, 4096))
    ((1024, 4096), (32, 4096))
    """
    rows, columns = shape
    by_size = max(1, INPUT_CHUNK_BYTES // (columns * DTYPE.itemsize))
    return max(1, min(by_size, -(-rows // MIN_INPUT_CHUNKS))), columns


def stored_shape(path: Path, fmt: str) -> tuple[int, ...] | None:
    """Return the shape of the float64 array stored at ``path``, or None if there is none."""
    if not path.exists():
        return None
    try:
        if fmt == "zarr":
            import zarr

            stored = zarr.open_array(os.fspath(path), mode="r")
        else:
            stored = np.load(path, mmap_mode="r")
    except (OSError, ValueError, KeyError):
        return None
    return tuple(stored.shape) if np.dtype(stored.dtype) == DTYPE else None


def prepare_inputs(dataset: Dataset, memory_limit: int) -> list[str]:
    """Write the inputs of ``dataset`` that are missing or of the wrong shape.

    Returns
    -------
    list of str
        The names of the inputs written (the others were reused).
    """
    import ooarray as oa

    written = []
    with oa.config.set(memory_limit=memory_limit):
        rng = oa.random.default_rng(SEED)
        for path in dataset.inputs:
            # Every input draws from the generator even when reused, so that b and c are the
            # same data whichever inputs are already there.
            array = rng.random(dataset.shape, chunks=input_chunks(dataset.shape))
            if stored_shape(path, dataset.fmt) == dataset.shape:
                continue
            writer = array.to_zarr if dataset.fmt == "zarr" else array.to_npy
            writer(path, overwrite=True)
            written.append(path.stem)
    return written


def sample_rows(rows: int) -> np.ndarray:
    """Return the row indices whose output is checked: spread evenly, first and last included.

    Examples
    --------
    >>> sample_rows(4).tolist(), sample_rows(1000)[[0, -1]].tolist()
    ([0, 1, 2, 3], [0, 999])
    """
    return spread_indices(rows, SAMPLE_ROWS)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _placeholders(system: str, fmt: str, status: str, note: str) -> list[Result]:
    return [Result(system, fmt, operation, status=status, note=note) for operation in OPERATIONS]


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


def _ooarray_counters(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        if r.system == "ooarray" and r.ok and r.extra:
            x = r.extra
            lines.append(f"  {r.format:4} {r.operation:11} tasks {x['tasks']:5}  "
                         f"read {format_bytes(x['bytes_read']):>9}  "
                         f"written {format_bytes(x['bytes_written']):>9}  "
                         f"hit rate {x['hit_rate']:.0%}  evictions {x['evictions']}  "
                         f"pool peak {format_bytes(x['peak_bytes'])}")
    return "\n".join(lines)


def run_format(fmt: str, systems: Sequence[System], directory: Path, shape: tuple[int, int],
               memory_limit: int, keep: bool, repeat: int = 1) -> tuple[list[Result], list[Check]]:
    """Prepare and warm one format's inputs, run every system on them and check the outputs."""
    dataset = Dataset(fmt, directory, shape)
    started = time.perf_counter()
    written = prepare_inputs(dataset, memory_limit)
    say(f"\n[{fmt}] inputs: " + (f"wrote {', '.join(written)} in "
                                f"{time.perf_counter() - started:.1f} s" if written
                                else "reused a, b, c") + f" in {directory}")
    settle()
    started = time.perf_counter()
    warmed = warm_page_cache(dataset.inputs)
    seconds = time.perf_counter() - started
    say(f"[{fmt}] page cache warmed: read {format_bytes(warmed)} in {seconds:.1f} s "
        f"({warmed / seconds / 1e9:.1f} GB/s); every timed run below reads a warm cache")
    rows = sample_rows(shape[0])
    results: list[Result] = []
    samples: dict[tuple[str, str], np.ndarray] = {}
    for system in systems:
        reason = system.missing()
        if reason is not None:
            say(f"[{fmt}] {system.name}: skipped: {reason}")
            results += _placeholders(system.name, fmt, SKIPPED, reason)
            continue
        reason = system.unsupported(fmt)
        if reason is not None:
            say(f"[{fmt}] {system.name}: n/a: {reason}")
            results += _placeholders(system.name, fmt, NOT_APPLICABLE, reason)
            continue
        say(f"[{fmt}] {system.name}: {system.describe(dataset)}")
        done, sample = run_system(system, dataset, rows, keep, repeat)
        for result in done:
            cost = result.measurement
            say(f"[{fmt}]   {result.operation:11} " + (
                f"{cost.wall:7.2f} s  peak RSS {format_bytes(cost.peak_rss)}"
                if cost is not None else f"{result.status}: {result.note}"))
        results += done
        if sample is not None:
            samples[(system.name, fmt)] = sample
    checks = check_samples(samples, {fmt: _expected_sample(dataset, rows)})
    return results, checks


def run_elementwise(size: int | str = DEFAULT_SIZE, memory: int | str = DEFAULT_MEMORY,
                    directory: str | os.PathLike | None = None,
                    systems: Sequence[str] = SYSTEM_NAMES, formats: Sequence[str] = FORMATS,
                    keep: bool = False, json_path: str | os.PathLike | None = None,
                    repeat: int = 1) -> int:
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

    Returns
    -------
    int
        0 if every run finished (or was not applicable) and all systems agree, else 1.

    Raises
    ------
    ValueError
        If a system or format is not known.
    """
    unknown = sorted(set(systems) - set(SYSTEM_NAMES)) + sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"systems must be among {', '.join(SYSTEM_NAMES)} and formats among "
                         f"{', '.join(FORMATS)}; got {', '.join(unknown)}")
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1; got {repeat}")
    nbytes, limit = parse_bytes(size), parse_bytes(memory)
    shape = shape_for(nbytes)
    chosen = [make_system(name, limit) for name in SYSTEM_NAMES if name in systems]
    workdir = Path(directory) if directory is not None else \
        Path(tempfile.mkdtemp(prefix="ooarray-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    array_bytes = shape[0] * shape[1] * DTYPE.itemsize
    say(f"ooarray bench elementwise: 3 float64 arrays of shape {shape} "
        f"({format_bytes(array_bytes)} each), ooarray memory_limit {format_bytes(limit)}")
    say(f"systems {', '.join(s.name for s in chosen)}; formats {', '.join(formats)}; "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start); "
        f"{repeat} repetition(s), median shown")
    say("warm page cache; ooarray's pool starts empty in each repetition; ooarray writes "
        "Zarr results larger than memory_limit through to disk (fdatasync per chunk, inside "
        "its timing; config write_through), other outputs are not fsynced inside the timing "
        "(os.sync() runs between runs)")
    results: list[Result] = []
    checks: list[Check] = []
    try:
        for fmt in (f for f in FORMATS if f in formats):
            done, sampled = run_format(fmt, chosen, workdir, shape, limit, keep, repeat)
            results += done
            checks += sampled
    finally:
        if directory is None and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results.sort(key=_table_order)
    checks = sorted(check_scalars(results) + checks, key=_table_order)
    say("\nResults (warm page cache; cpu = CPU s per wall s; +RSS = peak above the run's "
        "starting RSS)\n")
    say(format_results(results))
    say("\nRatios of ooarray to its peers (below 1: ooarray faster / smaller peak RSS)\n")
    say(format_ratios(results, "ooarray", RATIO_PEERS))
    say("\nooarray's buffer pool\n")
    say(_ooarray_counters(results))
    say("\nAgreement\n")
    say(format_checks(checks))
    failed = [r for r in results if r.status == FAILED]
    ok = not failed and all(check.ok for check in checks)
    say(f"\n{'all systems agree' if ok else 'PROBLEMS: see the errors and checks above'}")
    if json_path is not None:
        write_json(json_path, {
            "benchmark": "elementwise", "expression": EXPRESSION,
            "shape": shape, "dtype": str(DTYPE), "array_bytes": array_bytes,
            "memory_limit": limit, "page_cache": "warm", "directory": workdir,
            "repeat": repeat,
            "machine": machine_description(), "ok": ok,
            "results": [r.as_dict() for r in results],
            "checks": [c.as_dict() for c in checks],
            "ratios": _ratios_document(results),
        })
        say(f"wrote {json_path}")
    return 0 if ok else 1


def _table_order(row: Result | Check) -> tuple[int, int, int]:
    """Sort key: by format, then operation, then system, so peers sit side by side."""
    return (FORMATS.index(row.format), OPERATIONS.index(row.operation),
            SYSTEM_NAMES.index(row.system))


def _ratios_document(results: Sequence[Result]) -> list[dict[str, object]]:
    rows = []
    for fmt in FORMATS:
        for operation in OPERATIONS:
            for peer in RATIO_PEERS:
                found = ratio(results, "ooarray", peer, fmt, operation)
                if found is not None:
                    rows.append({"format": fmt, "operation": operation, "peer": peer,
                                 "wall": found["wall"], "peak_rss": found["peak_rss"]})
    return rows


def _choices(known: Sequence[str], what: str):
    def parse(value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"{what} must be a comma-separated list of {', '.join(known)}; got {value!r}")
        return names

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bench elementwise`` to ``parser``."""
    parser.add_argument("--size", default=DEFAULT_SIZE,
                        help=f"size of each of the three inputs (default {DEFAULT_SIZE})")
    parser.add_argument("--memory", default=DEFAULT_MEMORY,
                        help=f"ooarray's memory_limit (default {DEFAULT_MEMORY})")
    parser.add_argument("--dir", default=None,
                        help="where the inputs are made or reused (default: a temporary "
                             "directory, removed at the end unless --keep)")
    parser.add_argument("--systems", type=_choices(SYSTEM_NAMES, "--systems"),
                        default=list(SYSTEM_NAMES),
                        help=f"comma-separated (default {','.join(SYSTEM_NAMES)})")
    parser.add_argument("--formats", type=_choices(FORMATS, "--formats"),
                        default=list(FORMATS),
                        help=f"comma-separated (default {','.join(FORMATS)})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory and every system's output")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each system's operations N times and show the median "
                             "(default 1)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark with the options parsed by :func:`add_arguments`."""
    return run_elementwise(args.size, args.memory, args.dir, args.systems, args.formats,
                           args.keep, args.json, args.repeat)
