"""``python -m ooarray bench matmul``: ooarray against its peers on compute-bound work.

In one process, on two n x n float64 Zarr arrays A and B (random, chunks of 1024 x 1024),
every system writes ``C = A @ B`` as Zarr:

- ooarray with the Belady policy and with LRU, under ``--memory``;
- Dask (``da.from_zarr`` with 4096 x 4096 blocks, ``@``, ``da.to_zarr``, threaded scheduler);
- NumPy in memory (load both, multiply, save); its multiply alone is the compute limit.

For each run it reports wall time, peak RSS, CPU utilisation, bytes read and written through
system calls, and for ooarray its buffer pool (hit rate, misses, evictions) and tile plan
(tm, tn, tk, counted input traffic against the Hong-Kung lower bound). It prints the BLAS
kernel threadpoolctl finds, checks sampled rows and columns of every C against NumPy, prints
the ratios the project aims at, and draws figures into ``--plots``. The page cache is warmed
first, so the numbers are of a warm cache.

BLAS picks its kernel from the CPU unless ``OPENBLAS_CORETYPE`` forces one; run the
benchmark with both variables unset for that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m ooarray bench matmul --n 16384
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from ooarray.bench.matmul_systems import (
    DASK_CHUNK,
    SYSTEM_NAMES,
    MatmulDataset,
    MatmulSystem,
    NumpyMatmul,
    make_systems,
    read_sample,
)
from ooarray.bench.report import (
    FAILED,
    SKIPPED,
    Check,
    Result,
    format_checks,
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
from ooarray.diagnostics.memory import RSSSampler
from ooarray.errors import format_bytes

__all__ = ["run_matmul", "add_arguments", "run_from_args", "input_chunks", "blas_info",
           "BLAS_VARIABLES"]

DEFAULT_N = 16384
DEFAULT_MEMORY = "1GB"
DEFAULT_PLOTS = "docs/figures"

DTYPE = np.dtype(np.float64)
SEED = 1

#: Side of the square chunks A and B are stored in: 8 MiB, so the tile planner can align
#: tiles of any multiple of 1024 (4096 at 1 GB for n = 16384) with no chunk pinned for a sliver,
#: and both A's row panels and B's column panels are read without touching other chunks.
INPUT_CHUNK = 1024
#: Chunks per side even small inputs are split into, so tiles and k-steps are exercised.
MIN_CHUNKS_PER_SIDE = 4

#: Rows and columns of each C compared with NumPy.
SAMPLE_LINES = 16
#: Agreement of sampled entries of C, relative (the entries are about n / 4).
SAMPLE_RTOL = 1e-10

#: Seconds between RSS samples of the memory-over-time figure.
MEMORY_SAMPLE_SECONDS = 0.05

#: Variables that force OpenBLAS's kernel and cache size; a BLAS benchmark runs without them.
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

#: Operation and format of every row (there is one of each).
OPERATION, FORMAT = "matmul", "zarr"

#: Targets at n = 16384: ooarray end to end within 10 % of NumPy's multiply alone, and at
#: least 1.5 times as fast as Dask.
TARGET_VS_MULTIPLY = 1.10
TARGET_VS_DASK = 1 / 1.5

#: The row name of NumPy's multiply alone.
MULTIPLY_ONLY = "numpy (multiply only)"


def say(*parts: object) -> None:
    """Print a line of the report at once (the benchmark runs for minutes)."""
    print(*parts, flush=True)


def input_chunks(n: int) -> tuple[int, int]:
    """Return the chunk shape of A and B.

    Examples
    --------
    >>> input_chunks(16384), input_chunks(256)
    ((1024, 1024), (64, 64))
    """
    side = max(1, min(INPUT_CHUNK, n // MIN_CHUNKS_PER_SIDE))
    return side, side


def blas_info() -> list[dict[str, Any]]:
    """Return the BLAS libraries NumPy loaded, as threadpoolctl describes them.

    Each entry has ``internal_api`` (e.g. ``"openblas"``), ``version``, ``architecture`` (the
    kernel, e.g. ``"SkylakeX"``; MKL and BLIS call it otherwise) and ``num_threads``. Empty
    when threadpoolctl is not installed.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    np.ones((2, 2)) @ np.ones((2, 2))  # load BLAS
    keys = ("internal_api", "version", "architecture", "corename", "num_threads", "filepath")
    return [{k: entry[k] for k in keys if k in entry}
            for entry in threadpool_info() if entry.get("user_api") == "blas"]


def _describe_blas(entries: Sequence[dict[str, Any]]) -> str:
    if not entries:
        return "unknown (pip install threadpoolctl)"
    return "; ".join(f"{e.get('internal_api')} {e.get('version')} kernel "
                     f"{e.get('architecture', e.get('corename', '?'))}, "
                     f"{e.get('num_threads')} threads" for e in entries)


def _stored_matches(path: Path, n: int, chunks: tuple[int, int]) -> bool:
    import zarr

    if not path.exists():
        return False
    try:
        stored = zarr.open_array(os.fspath(path), mode="r")
    except (OSError, ValueError, KeyError):
        return False
    return (tuple(stored.shape) == (n, n) and np.dtype(stored.dtype) == DTYPE
            and tuple(stored.chunks) == chunks)


def prepare_inputs(dataset: MatmulDataset, memory_limit: int) -> list[str]:
    """Write A and B unless they are already there with the right shape and chunks.

    Returns
    -------
    list of str
        The names of the inputs written.
    """
    import ooarray as oa

    chunks = input_chunks(dataset.n)
    written = []
    with oa.config.set(memory_limit=memory_limit):
        rng = oa.random.default_rng(SEED)
        for path in dataset.inputs:
            # Draw even when reused, so that B is the same data whether or not A was there.
            array = rng.random((dataset.n, dataset.n), chunks=chunks)
            if _stored_matches(path, dataset.n, chunks):
                continue
            array.to_zarr(path, overwrite=True)
            written.append(path.stem)
    return written


def sample_lines(n: int) -> np.ndarray:
    """Return the rows (and columns) of C that are checked, first and last included.

    Examples
    --------
    >>> sample_lines(4).tolist(), sample_lines(16384)[[0, -1]].tolist()
    ([0, 1, 2, 3], [0, 16383])
    """
    return spread_indices(n, SAMPLE_LINES)


def expected_sample(dataset: MatmulDataset, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``C[lines, :]`` and ``C[:, lines]`` computed with NumPy from the stored inputs,
    streaming A and B in row panels (one pass over each, a panel in memory at a time)."""
    import zarr

    a, b = (zarr.open_array(os.fspath(path), mode="r") for path in dataset.inputs)
    step = a.chunks[0]
    a_rows = a.get_orthogonal_selection((lines, slice(None)))
    b_cols = b.get_orthogonal_selection((slice(None), lines))
    rows = np.zeros((len(lines), dataset.n), DTYPE)
    cols = np.empty((dataset.n, len(lines)), DTYPE)
    for start in range(0, dataset.n, step):
        panel = slice(start, min(start + step, dataset.n))
        rows += a_rows[:, panel] @ b[panel, :]
        cols[panel] = a[panel, :] @ b_cols
    return rows, cols


def _deviation(sample: tuple[np.ndarray, np.ndarray],
               expected: tuple[np.ndarray, np.ndarray]) -> float:
    worst = 0.0
    for got, want in zip(sample, expected, strict=True):
        if got.shape != want.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(got - want) / np.abs(want))))
    return worst


def _io_chars() -> tuple[int, int]:
    counters = psutil.Process().io_counters()
    # read_chars / write_chars count bytes through read() and write() whether or not the
    # page cache served them; read_bytes would be about zero with a warm cache.
    return getattr(counters, "read_chars", counters.read_bytes), \
        getattr(counters, "write_chars", counters.write_bytes)


def _run_once(system: MatmulSystem, dataset: MatmulDataset, lines: np.ndarray,
              keep: bool) -> dict[str, Any]:
    system.reset()
    system.phases = {}
    out = dataset.output_path(system.name)
    settle()
    io_before = _io_chars()
    with RSSSampler(interval=MEMORY_SAMPLE_SECONDS) as memory:
        result = run_measured(system.name, FORMAT, OPERATION,
                              lambda: system.matmul(dataset, out))
    io_after = _io_chars()
    # ooarray's pool keeps its buffers; release them so the next system starts from the RSS
    # this one started from, and its peak RSS does not include ooarray's memory.
    system.reset()
    result.extra = {**system.extra, "read_chars": io_after[0] - io_before[0],
                    "write_chars": io_after[1] - io_before[1]}
    sample = read_sample(out, lines, lines) if result.ok else None
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return {"result": result, "sample": sample, "memory": list(memory.samples),
            "trace": list(getattr(system, "trace", [])), "phases": dict(system.phases)}


def run_system(system: MatmulSystem, dataset: MatmulDataset, lines: np.ndarray, keep: bool,
               repeat: int = 1) -> dict[str, Any]:
    """Run ``system`` ``repeat`` times; return the median run's result, sample, RSS samples,
    access trace (ooarray) and phases (NumPy's multiply alone), and a row per phase."""
    rounds = [_run_once(system, dataset, lines, keep) for _ in range(repeat)]
    chosen = median_of([r["result"] for r in rounds])
    done = next(r for r in rounds if r["result"].measurement is chosen.measurement) \
        if chosen.ok else rounds[0]
    done["result"] = chosen
    done["rows"] = [chosen]
    if isinstance(system, NumpyMatmul) and chosen.ok:
        multiply = median_of([Result(MULTIPLY_ONLY, FORMAT, OPERATION,
                                     measurement=r["phases"]["multiply"]) for r in rounds])
        multiply.note = "A @ B on arrays in RAM: the compute limit"
        done["rows"].append(multiply)
    return done


def _flops_note(result: Result, n: int) -> None:
    if result.ok and result.measurement is not None:
        rate = 2 * n ** 3 / result.measurement.wall / 1e9
        result.note = " ".join(p for p in (result.note, f"{rate:.0f} GFLOP/s") if p)


def _ratio_rows(results: Sequence[Result]) -> list[dict[str, Any]]:
    pairs = [("ooarray-belady", MULTIPLY_ONLY, TARGET_VS_MULTIPLY),
             ("ooarray-belady", "numpy", None),
             ("ooarray-belady", "dask", TARGET_VS_DASK),
             ("ooarray-lru", "ooarray-belady", None),
             ("dask", MULTIPLY_ONLY, None)]
    rows = []
    for subject, peer, target in pairs:
        found = ratio(results, subject, peer, FORMAT, OPERATION)
        if found is not None:
            rows.append({"subject": subject, "peer": peer, "wall": found["wall"],
                         "peak_rss": found["peak_rss"], "target_wall": target})
    by_name = {r.system: r for r in results if r.ok}
    belady, lru = by_name.get("ooarray-belady"), by_name.get("ooarray-lru")
    if belady is not None and lru is not None and lru.extra.get("bytes_read"):
        rows.append({"subject": "ooarray-belady", "peer": "ooarray-lru",
                     "bytes_read": belady.extra["bytes_read"] / lru.extra["bytes_read"],
                     "target_bytes_read": 1.0})
    return rows


def _format_ratios(rows: Sequence[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        if "bytes_read" in row:
            verdict = "OK" if row["bytes_read"] < row["target_bytes_read"] else "MISSED"
            lines.append(f"  Belady bytes read / LRU bytes read     {row['bytes_read']:6.3f}"
                         f"   (target < 1: {verdict})")
            continue
        target = row["target_wall"]
        verdict = "" if target is None else \
            f"   (target <= {target:.2f}: {'OK' if row['wall'] <= target else 'MISSED'})"
        lines.append(f"  {row['subject'] + ' / ' + row['peer']:38} wall {row['wall']:6.2f}  "
                     f"peak RSS {row['peak_rss']:5.2f}{verdict}")
    return "\n".join(lines)


def _format_counters(results: Sequence[Result], limit: int) -> str:
    lines = [f"  {'system':22} {'read (syscalls)':>15} {'written':>10}   ooarray pool"]
    for r in results:
        if not r.ok or "read_chars" not in r.extra:
            continue
        x = r.extra
        line = (f"  {r.system:22} {format_bytes(x['read_chars']):>15} "
                f"{format_bytes(x['write_chars']):>10}")
        if "tiles" in x:
            t = x["tiles"]
            line += (f"   read {format_bytes(x['bytes_read'])}, written "
                     f"{format_bytes(x['bytes_written'])}, hit rate {x['hit_rate']:.0%}, "
                     f"misses {x['misses']}, evictions {x['evictions']}, pool peak "
                     f"{format_bytes(x['peak_bytes'])} of {format_bytes(limit)}")
            line += (f"\n  {'':22} tiles tm={t['tm']} tn={t['tn']} tk={t['tk']}, task "
                     f"{format_bytes(t['task_bytes'])}; planned input "
                     f"{format_bytes(t['io_bytes'])} = {t['io_ratio']:.2f} x the Hong-Kung "
                     f"bound {format_bytes(t['lower_bound_bytes'])}, expected with reuse "
                     f"{format_bytes(t['expected_read_bytes'])}; read "
                     f"{x['bytes_read'] / t['lower_bound_bytes']:.2f} x the bound")
        lines.append(line)
    return "\n".join(lines)


def _warn_blas_variables() -> list[str]:
    found = [name for name in BLAS_VARIABLES if name in os.environ]
    if found:
        settings = ", ".join(f"{name}={os.environ[name]}" for name in found)
        say(f"WARNING: {settings} is set: OpenBLAS may not use this CPU's best kernel. For a "
            f"BLAS benchmark run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
            f"python -m ooarray bench matmul ...")
    return found


def run_matmul(n: int = DEFAULT_N, memory: int | str = DEFAULT_MEMORY,
               directory: str | os.PathLike | None = None,
               systems: Sequence[str] = SYSTEM_NAMES, keep: bool = False,
               json_path: str | os.PathLike | None = None, repeat: int = 1,
               plots: str | os.PathLike | None = DEFAULT_PLOTS,
               dask_chunk: int = DASK_CHUNK) -> int:
    """Run the benchmark, print its tables, draw its figures and optionally write JSON.

    Parameters
    ----------
    n : int
        Side of A, B and C.
    memory : int or str
        ooarray's ``memory_limit``.
    directory : path-like, optional
        Where A and B are (reused if present with the same shape and chunks) or are made. By
        default a temporary directory, removed at the end unless ``keep``.
    systems : sequence of str
        Which of :data:`SYSTEM_NAMES` run (``"ooarray"`` runs once per policy).
    keep : bool
        Keep the temporary directory and every system's C.
    json_path : path-like, optional
        Where to write the results, checks, ratios, BLAS and machine description as JSON.
    repeat : int
        Runs per system; the table shows the median and the range.
    plots : path-like or None
        Directory for the figures (PNG and SVG); None draws none.
    dask_chunk : int
        Side of Dask's blocks.

    Returns
    -------
    int
        0 if every run finished, all systems agree and Belady read no more than LRU, else 1.

    Raises
    ------
    ValueError
        If a system is not known, or ``n`` or ``repeat`` is below 1.
    """
    if n < 1 or repeat < 1:
        raise ValueError(f"n and repeat must be at least 1; got n={n}, repeat={repeat}")
    limit = parse_bytes(memory)
    chosen = make_systems(list(systems), limit, dask_chunk)
    workdir = Path(directory) if directory is not None else \
        Path(tempfile.mkdtemp(prefix="ooarray-bench-matmul-"))
    workdir.mkdir(parents=True, exist_ok=True)
    dataset = MatmulDataset(workdir, n)
    array_bytes = n * n * DTYPE.itemsize
    blas = blas_info()
    load = os.getloadavg()
    say(f"ooarray bench matmul: C = A @ B, float64 n = {n} ({format_bytes(array_bytes)} per "
        f"array), input chunks {input_chunks(n)}, ooarray memory_limit {format_bytes(limit)}")
    say(f"systems {', '.join(s.name for s in chosen)}; {os.cpu_count()} CPUs (load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start); {repeat} repetition(s)")
    say(f"BLAS: {_describe_blas(blas)}")
    forced = _warn_blas_variables()
    lines = sample_lines(n)
    runs: dict[str, dict[str, Any]] = {}
    results: list[Result] = []
    try:
        started = time.perf_counter()
        written = prepare_inputs(dataset, limit)
        say("inputs: " + (f"wrote {', '.join(written)} in {time.perf_counter() - started:.1f} s"
                          if written else "reused a, b") + f" in {workdir}")
        settle()
        started = time.perf_counter()
        warmed = warm_page_cache(dataset.inputs)
        seconds = time.perf_counter() - started
        say(f"page cache warmed: read {format_bytes(warmed)} in {seconds:.1f} s; every timed "
            "run below reads a warm cache; ooarray writes results larger than memory_limit "
            "through to disk (fdatasync per chunk, inside its timing; config write_through), "
            "the others leave their output to the kernel's write-back")
        for system in chosen:
            reason = system.missing()
            if reason is not None:
                say(f"{system.name}: skipped: {reason}")
                results.append(Result(system.name, FORMAT, OPERATION, status=SKIPPED,
                                      note=reason))
                continue
            say(f"{system.name}: {system.describe(dataset)}")
            done = run_system(system, dataset, lines, keep, repeat)
            for row in done["rows"]:
                _flops_note(row, n)
                cost = row.measurement
                say(f"  {row.system:22} " + (
                    f"{cost.wall:8.2f} s  peak RSS {format_bytes(cost.peak_rss)}  "
                    f"cpu {cost.cpu_utilisation:.1f}" if cost is not None
                    else f"{row.status}: {row.note}"))
            results += done["rows"]
            runs[system.name] = done
        say("checking sampled rows and columns of every C against NumPy ...")
        expected = expected_sample(dataset, lines)
    finally:
        if directory is None and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    checks = [Check(name, FORMAT, OPERATION, f"NumPy on {len(lines)} rows and columns",
                    _deviation(done["sample"], expected), SAMPLE_RTOL)
              for name, done in runs.items() if done["sample"] is not None]
    ratios = _ratio_rows(results)
    say(f"\nResults (n = {n}, warm page cache, load average {load[0]:.2f} at the start, "
        f"BLAS {_describe_blas(blas)}; cpu = CPU s per wall s)\n")
    say(format_results(results))
    say("\nBytes through read()/write() system calls, and ooarray's buffer pool\n")
    say(_format_counters(results, limit))
    say("\nRatios (targets at n = 16384)\n")
    say(_format_ratios(ratios))
    say("\nAgreement (largest relative difference)\n")
    say(format_checks(checks))
    failed = [r for r in results if r.status == FAILED]
    belady_worse = any(r.get("bytes_read", 0) > 1 for r in ratios)
    ok = not failed and all(c.ok for c in checks) and not belady_worse
    say(f"\n{'all systems agree' if ok else 'PROBLEMS: see the errors and checks above'}")
    figures: list[str] = []
    if plots is not None:
        from ooarray.bench.plots import plot_matmul

        figures = plot_matmul(Path(plots), results, runs, limit, n)
    if json_path is not None:
        write_json(json_path, {
            "benchmark": "matmul", "n": n, "dtype": str(DTYPE), "array_bytes": array_bytes,
            "input_chunks": input_chunks(n), "memory_limit": limit, "page_cache": "warm",
            "directory": workdir, "repeat": repeat, "load_average_start": load,
            "load_average_end": os.getloadavg(), "blas": blas,
            "blas_variables_set": {name: os.environ[name] for name in forced},
            "machine": machine_description(), "ok": ok,
            "results": [r.as_dict() for r in results],
            "checks": [c.as_dict() for c in checks], "ratios": ratios, "figures": figures,
        })
        say(f"wrote {json_path}")
    return 0 if ok else 1


def _systems(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SYSTEM_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--systems must be a comma-separated list of {', '.join(SYSTEM_NAMES)}; "
            f"got {value!r}")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bench matmul`` to ``parser``."""
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help=f"side of the square matrices (default {DEFAULT_N})")
    parser.add_argument("--memory", default=DEFAULT_MEMORY,
                        help=f"ooarray's memory_limit (default {DEFAULT_MEMORY})")
    parser.add_argument("--dir", default=None,
                        help="where A and B are made or reused (default: a temporary "
                             "directory, removed at the end unless --keep)")
    parser.add_argument("--systems", type=_systems, default=list(SYSTEM_NAMES),
                        help=f"comma-separated (default {','.join(SYSTEM_NAMES)}; ooarray "
                             "runs with the belady and the lru policy)")
    parser.add_argument("--dask-chunks", type=int, default=DASK_CHUNK, metavar="SIDE",
                        help=f"side of Dask's blocks (default {DASK_CHUNK}, at most n/2)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory and every system's C")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each system N times and show the median (default 1)")
    parser.add_argument("--plots", default=DEFAULT_PLOTS, metavar="DIR",
                        help=f"directory for the PNG and SVG figures (default {DEFAULT_PLOTS}; "
                             "'' for none)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark with the options parsed by :func:`add_arguments`."""
    return run_matmul(args.n, args.memory, args.dir, args.systems, args.keep, args.json,
                      args.repeat, args.plots or None, args.dask_chunks)
