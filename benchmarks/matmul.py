"""The matmul benchmark: ooarray against its peers on compute-bound work.

Run it from a checkout of the repository: ``python -m benchmarks matmul`` (or
``python -m ooarray bench matmul``, the same command).

In one process, on two n x n float64 Zarr arrays A and B (random, in chunks of 1024 x 1024,
smaller under a budget below 64 MiB), every system writes ``C = A @ B`` as Zarr:

- ooarray with the Belady policy and with LRU, under ``--memory``;
- Dask (``da.from_zarr`` with 4096 x 4096 blocks, ``@``, ``da.to_zarr``, threaded scheduler);
- NumPy in memory (load both, multiply, save); its multiply alone is the compute limit.

For each run it reports wall time, peak RSS, CPU utilisation, bytes read and written through
system calls, and for ooarray its buffer pool (hit rate, misses, evictions) and tile plan
(tm, tn, tk, counted input traffic against the Hong-Kung lower bound). It prints the BLAS
kernel threadpoolctl finds, checks sampled rows and columns of every C against NumPy, prints
the ratios the project aims at, and draws figures into ``--plots`` (by default
``bench-results/matmul``, which git ignores; a figure git tracks is replaced only with
``--overwrite``, so ``--plots docs/figures --overwrite`` redraws the documented ones). The
page cache is warmed first, so the numbers are of a warm cache.

BLAS picks its kernel from the CPU unless ``OPENBLAS_CORETYPE`` forces one; run the
benchmark with both variables unset for that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks matmul --n 16384
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import (
    RESULTS_DIRECTORY,
    Check,
    Result,
    add_common_arguments,
    conclude,
    describe_run,
    format_results,
    median_of,
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
from benchmarks.matmul_systems import (
    DASK_CHUNK,
    SYSTEM_NAMES,
    MatmulDataset,
    MatmulSystem,
    NumpyMatmul,
    make_systems,
    read_sample,
)
from benchmarks.outputs import refuse_tracked
from ooarray.config import parse_bytes
from ooarray.errors import format_bytes

__all__ = ["run_matmul", "add_arguments", "run_from_args", "input_chunks", "prepare_dataset",
           "blas_info", "BLAS_VARIABLES"]

DEFAULT_N = 16384
DEFAULT_MEMORY = "1GB"
#: Where the figures go by default (git ignores it); ``--plots docs/figures --overwrite``
#: redraws the figures of docs/matmul.md.
DEFAULT_PLOTS = str(RESULTS_DIRECTORY / "matmul")

DTYPE = np.dtype(np.float64)
SEED = 1

#: Side of the square chunks A and B are stored in: 8 MiB, so the tile planner can align
#: tiles of any multiple of 1024 (4096 at 1 GB for n = 16384) with no chunk pinned for a sliver,
#: and both A's row panels and B's column panels are read without touching other chunks.
INPUT_CHUNK = 1024
#: Chunks per side even small inputs are split into, so tiles and k-steps are exercised.
MIN_CHUNKS_PER_SIDE = 4
#: A chunk is at most this fraction of the memory limit (the smallest task of the tile plan
#: holds about seven), so that a small budget gets smaller chunks rather than a BudgetError.
CHUNKS_PER_BUDGET = 8

#: Rows and columns of each C compared with NumPy.
SAMPLE_LINES = 16
#: Agreement of sampled entries of C, relative (the entries are about n / 4).
SAMPLE_RTOL = 1e-10

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


def input_chunks(n: int, memory_limit: int) -> tuple[int, int]:
    """Return the chunk shape of A and B: 1024 x 1024, or the largest power of two whose
    square chunk is at most an eighth of ``memory_limit``, and at least four chunks per side.

    Examples
    --------
    >>> input_chunks(16384, 10**9), input_chunks(256, 10**9), input_chunks(4096, 16 * 10**6)
    ((1024, 1024), (64, 64), (256, 256))
    """
    fits = math.isqrt(max(1, memory_limit // (CHUNKS_PER_BUDGET * DTYPE.itemsize)))
    side = max(1, min(INPUT_CHUNK, n // MIN_CHUNKS_PER_SIDE, 1 << (fits.bit_length() - 1)))
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


def prepare_dataset(dataset: MatmulDataset, memory_limit: int) -> list[str]:
    """Write A and B unless they are already there with the right shape and chunks.

    Returns
    -------
    list of str
        The names of the inputs written.
    """
    return prepare_inputs(dataset.inputs, FORMAT, (dataset.n, dataset.n),
                          input_chunks(dataset.n, memory_limit), memory_limit, SEED)


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


def _run_once(system: MatmulSystem, dataset: MatmulDataset, lines: np.ndarray,
              keep: bool) -> dict[str, Any]:
    system.reset()
    system.phases = {}
    out = dataset.output_path(system.name)
    result = run_measured(system.name, FORMAT, OPERATION, lambda: system.matmul(dataset, out))
    # ooarray's pool keeps its buffers; release them so the next system starts from the RSS
    # this one started from, and its peak RSS does not include ooarray's memory.
    system.reset()
    result.extra = dict(system.extra)
    sample = read_sample(out, lines, lines) if result.ok else None
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    memory = result.measurement.rss_samples if result.measurement is not None else []
    return {"result": result, "sample": sample, "memory": memory,
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
        if not r.ok or r.measurement is None or r.system == MULTIPLY_ONLY:
            continue
        x, cost = r.extra, r.measurement
        line = (f"  {r.system:22} {format_bytes(cost.read_chars):>15} "
                f"{format_bytes(cost.write_chars):>10}")
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
            f"python -m benchmarks matmul ...")
    return found


def run_matmul(n: int = DEFAULT_N, memory: int | str = DEFAULT_MEMORY,
               directory: str | os.PathLike | None = None,
               systems: Sequence[str] = SYSTEM_NAMES, keep: bool = False,
               json_path: str | os.PathLike | None = None, repeat: int = 1,
               plots: str | os.PathLike | None = DEFAULT_PLOTS,
               dask_chunk: int = DASK_CHUNK, overwrite: bool = False) -> int:
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
    overwrite : bool
        Write over figures (and the JSON) that git tracks; refused otherwise.

    Returns
    -------
    int
        0 if every run finished, all systems agree and Belady read no more than LRU, else 1.

    Raises
    ------
    ValueError
        If a system is not known, or ``n`` or ``repeat`` is below 1.
    benchmarks.outputs.TrackedFileError
        If a figure or the JSON would replace a file git tracks, and not ``overwrite``.
    """
    if n < 1 or repeat < 1:
        raise ValueError(f"n and repeat must be at least 1; got n={n}, repeat={repeat}")
    from benchmarks.plots import FIGURE_NAMES

    figure_paths = [] if plots is None else [Path(plots) / f"{name}.{suffix}"
                                             for name in FIGURE_NAMES for suffix in ("png", "svg")]
    refuse_tracked(figure_paths + ([json_path] if json_path is not None else []), overwrite)
    limit = parse_bytes(memory)
    chosen = make_systems(list(systems), limit, dask_chunk)
    array_bytes = n * n * DTYPE.itemsize
    blas = blas_info()
    load = os.getloadavg()
    say(f"matmul benchmark: C = A @ B, float64 n = {n} ({format_bytes(array_bytes)} per "
        f"array), input chunks {input_chunks(n, limit)}, ooarray memory_limit "
        f"{format_bytes(limit)}")
    say(describe_run(chosen, repeat))
    say(f"BLAS: {_describe_blas(blas)}")
    forced = _warn_blas_variables()
    lines = spread_indices(n, SAMPLE_LINES)
    runs: dict[str, dict[str, Any]] = {}
    with workdir(directory, keep, "ooarray-bench-matmul-") as where:
        dataset = MatmulDataset(where, n)
        prepare_and_warm(dataset.inputs, lambda: prepare_dataset(dataset, limit), where)
        say("ooarray writes results larger than memory_limit through to disk (fdatasync per "
            "chunk, inside its timing; config write_through), the others leave their output "
            "to the kernel's write-back")

        def run(system: MatmulSystem) -> list[Result]:
            done = run_system(system, dataset, lines, keep, repeat)
            for row in done["rows"]:
                _flops_note(row, n)
            runs[system.name] = done
            return done["rows"]

        results = run_systems(chosen, dataset, FORMAT, (OPERATION,), run)
        say("checking sampled rows and columns of every C against NumPy ...")
        expected = expected_sample(dataset, lines)
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
    problems = ["Belady read more than LRU"] if any(r.get("bytes_read", 0) > 1 for r in ratios) \
        else []
    ok = conclude(results, checks, "Agreement (largest relative difference)", problems)
    figures: list[str] = []
    if plots is not None:
        from benchmarks.plots import plot_matmul

        figures = plot_matmul(results_directory(plots), results, runs, limit, n)
    if json_path is not None:
        write_report(json_path, "matmul", results, checks, ok, n=n, dtype=str(DTYPE),
                     array_bytes=array_bytes, input_chunks=input_chunks(n, limit),
                     memory_limit=limit,
                     page_cache="warm", directory=where, repeat=repeat,
                     load_average_start=load, load_average_end=os.getloadavg(), blas=blas,
                     blas_variables_set={name: os.environ[name] for name in forced},
                     ratios=ratios, figures=figures)
    return 0 if ok else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the matmul benchmark to ``parser``."""
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help=f"side of the square matrices (default {DEFAULT_N})")
    add_common_arguments(parser, SYSTEM_NAMES, DEFAULT_MEMORY,
                         "; ooarray runs with the belady and the lru policy")
    parser.add_argument("--dask-chunks", type=int, default=DASK_CHUNK, metavar="SIDE",
                        help=f"side of Dask's blocks (default {DASK_CHUNK}, at most n/2)")
    parser.add_argument("--plots", default=DEFAULT_PLOTS, metavar="DIR",
                        help=f"directory for the PNG and SVG figures (default {DEFAULT_PLOTS}, "
                             "which git ignores; '' for none)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write over figures git tracks (--plots docs/figures --overwrite "
                             "redraws the documented ones); refused otherwise")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark with the options parsed by :func:`add_arguments`."""
    return run_matmul(args.n, args.memory, args.dir, args.systems, args.keep, args.json,
                      args.repeat, args.plots or None, args.dask_chunks, args.overwrite)
