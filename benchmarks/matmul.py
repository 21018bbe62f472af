"""The matmul benchmark: ooarray against its peers on compute-bound work.

Run it from a checkout of the repository: ``python -m benchmarks matmul`` (or
``python -m ooarray bench matmul``, the same command).

In one process, on two n x n Zarr arrays A and B of ``--dtype`` (float64 by default, or
float32; random, in chunks of 1024 x 1024, smaller under a budget below 64 MiB), every system
writes ``C = A @ B`` as Zarr of that dtype:

- ooarray with the Belady policy and with LRU, under ``--memory``;
- Dask (``da.from_zarr`` with 4096 x 4096 blocks, ``@``, ``da.to_zarr``, threaded scheduler);
- NumPy in memory (load both, multiply, save); its multiply alone is the compute limit.

``--limit-n M`` measures that limit at side M instead, when A, B and C do not fit in RAM:
NumPy multiplies its own random M x M arrays of the same dtype, made in memory, and the limit
the ratios use is its time times (n / M) ** 3. NumPy end to end is then skipped (it would load
all of A and B), and the row ``numpy (multiply only)`` says M and the scaled time.

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

Beyond RAM, float64 n = 32768 (24 GiB for A, B and C) under 2 GB against NumPy's multiply
at n = 16384 times 8, and float32 at n = 16384 against NumPy's::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m ooarray bench matmul --n 32768 \\
        --memory 2GB --limit-n 16384 --systems ooarray,numpy --dir DIR --json out.json
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m ooarray bench matmul \\
        --dtype float32 --n 16384 --memory 1GB --dir DIR32 --json out32.json
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
from numpy.typing import DTypeLike

from benchmarks.harness import (
    FAILED,
    RESULTS_DIRECTORY,
    Check,
    Result,
    add_common_arguments,
    add_plot_arguments,
    conclude,
    describe_run,
    format_results,
    median_of,
    prepare_and_warm,
    prepare_inputs,
    ratio,
    results_directory,
    row_line,
    run_measured,
    run_systems,
    say,
    spread_indices,
    workdir,
    write_report,
)
from benchmarks.matmul_systems import (
    DASK_CHUNK,
    DTYPES,
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
           "blas_info", "BLAS_VARIABLES", "expected_sample", "sample_rtol", "measure_limit",
           "limit_side"]

DEFAULT_N = 16384
DEFAULT_MEMORY = "1GB"
#: Where the figures go by default (git ignores it); ``--plots docs/figures --overwrite``
#: redraws the figures of docs/matmul.md.
DEFAULT_PLOTS = str(RESULTS_DIRECTORY / "matmul")

DTYPE = np.dtype(DTYPES[0])
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
#: Agreement of sampled entries of C per dtype, relative to the largest entry of the row or
#: column they are in (the entries are about n / 4); the reference is computed in float64.
SAMPLE_RTOL = {"float64": 1e-10, "float32": 1e-4}

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


def input_chunks(n: int, memory_limit: int, dtype: DTypeLike = DTYPE
                 ) -> tuple[int, int]:
    """Return the chunk shape of A and B: 1024 x 1024, or the largest power of two whose
    square chunk of ``dtype`` is at most an eighth of ``memory_limit``, and at least four
    chunks per side.

    Examples
    --------
    >>> input_chunks(16384, 10**9), input_chunks(256, 10**9), input_chunks(4096, 16 * 10**6)
    ((1024, 1024), (64, 64), (256, 256))
    >>> input_chunks(32768, 2 * 10**9), input_chunks(4096, 16 * 10**6, "float32")
    ((1024, 1024), (512, 512))
    """
    itemsize = np.dtype(dtype).itemsize
    fits = math.isqrt(max(1, memory_limit // (CHUNKS_PER_BUDGET * itemsize)))
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
    """Write A and B unless they are already there with the right shape, chunks and dtype.

    Returns
    -------
    list of str
        The names of the inputs written.
    """
    return prepare_inputs(dataset.inputs, FORMAT, (dataset.n, dataset.n),
                          input_chunks(dataset.n, memory_limit, dataset.dtype), memory_limit,
                          SEED, dataset.dtype)


def sample_rtol(dtype: DTypeLike) -> float:
    """Return the tolerance of the agreement check for C of ``dtype``.

    Examples
    --------
    >>> sample_rtol("float64"), sample_rtol(np.float32)
    (1e-10, 0.0001)
    """
    return SAMPLE_RTOL[np.dtype(dtype).name]


def expected_sample(dataset: MatmulDataset, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``C[lines, :]`` and ``C[:, lines]`` computed in float64 with NumPy from the
    stored inputs.

    Only the sampled rows of A and columns of B are held whole; A and B are streamed in row
    panels of one chunk (one pass over each, a panel in memory at a time), so this works for
    inputs far larger than RAM. Float32 panels are widened to float64, so the reference is
    more precise than any system's float32 product.
    """
    import zarr

    a, b = (zarr.open_array(os.fspath(path), mode="r") for path in dataset.inputs)
    step = a.chunks[0]
    a_rows = a.get_orthogonal_selection((lines, slice(None))).astype(np.float64, copy=False)
    b_cols = b.get_orthogonal_selection((slice(None), lines)).astype(np.float64, copy=False)
    rows = np.zeros((len(lines), dataset.n), np.float64)
    cols = np.empty((dataset.n, len(lines)), np.float64)
    for start in range(0, dataset.n, step):
        panel = slice(start, min(start + step, dataset.n))
        rows += a_rows[:, panel] @ b[panel, :].astype(np.float64, copy=False)
        cols[panel] = a[panel, :].astype(np.float64, copy=False) @ b_cols
    return rows, cols


def _deviation(sample: tuple[np.ndarray, np.ndarray],
               expected: tuple[np.ndarray, np.ndarray]) -> float:
    """The largest difference of sampled rows (then columns) from the expected ones, each
    relative to the largest magnitude in its row (column)."""
    worst = 0.0
    for axis, (got, want) in enumerate(zip(sample, expected, strict=True)):
        if got.shape != want.shape:
            return float("inf")
        scale = np.max(np.abs(want), axis=1 - axis, keepdims=True)
        error = np.abs(got.astype(np.float64) - want) / np.where(scale > 0, scale, 1.0)
        largest = float(np.max(error, initial=0.0))
        if math.isnan(largest):
            return largest  # fails the check (max() would drop it)
        worst = max(worst, largest)
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
        _mark_limit(multiply, dataset.n, dataset.n)
        done["rows"].append(multiply)
    return done


def limit_side(n: int, limit_n: int | None, systems: Sequence[str]) -> int | None:
    """Return the side at which :func:`measure_limit` measures the compute limit on inputs of
    its own, or None when the ``numpy`` system measures it (at n, on A and B) or nothing does.

    Examples
    --------
    >>> limit_side(32768, 16384, ["ooarray", "numpy"]), limit_side(256, None, ["numpy"])
    (16384, None)
    >>> limit_side(256, 256, ["numpy"]), limit_side(256, 256, ["ooarray"])
    (None, 256)
    """
    if limit_n is None or (limit_n == n and "numpy" in systems):
        return None
    return limit_n


def limit_operands(m: int, dtype: DTypeLike) -> tuple[np.ndarray, np.ndarray]:
    """Return two random ``m x m`` arrays of ``dtype``, uniform in [0, 1), made in memory."""
    rng = np.random.default_rng(SEED)
    return rng.random((m, m), dtype=dtype), rng.random((m, m), dtype=dtype)


def _multiply_in_memory(a: np.ndarray, b: np.ndarray) -> Result:
    products: list[np.ndarray] = []
    # The product is kept until the run is measured, so freeing it is not timed.
    result = run_measured(MULTIPLY_ONLY, FORMAT, OPERATION, lambda: products.append(a @ b))
    products.clear()
    return result


def measure_limit(m: int, n: int, dtype: DTypeLike, repeat: int = 1) -> Result:
    """Measure NumPy's in-memory ``A @ B`` at side ``m`` on inputs of its own, ``repeat``
    times; return the median as the ``numpy (multiply only)`` row, its time scaled to side
    ``n`` by ``(n / m) ** 3`` in ``extra["scaled_wall"]`` (see :func:`_mark_limit`)."""
    try:
        a, b = limit_operands(m, dtype)
    except MemoryError as error:
        return Result(MULTIPLY_ONLY, FORMAT, OPERATION, status=FAILED,
                      note=f"MemoryError making the inputs in RAM: {error}")
    row = median_of([_multiply_in_memory(a, b) for _ in range(repeat)])
    _mark_limit(row, m, n)
    if row.ok:
        rate = 2 * m ** 3 / max(row.extra["raw_wall"], 1e-9) / 1e9
        scaled = "" if m == n else \
            f"; x{row.extra['scale']:g} -> {row.extra['scaled_wall']:.1f} s"
        row.note = f"n={m} in RAM, {rate:.0f} GFLOP/s{scaled}: the compute limit at n={n}"
    return row


def _mark_limit(row: Result, m: int, n: int) -> None:
    """Record in ``row.extra`` that it is the compute limit measured at side ``m``: its wall
    time (``raw_wall``), the factor ``(n / m) ** 3`` and the limit at ``n``
    (``scaled_wall``)."""
    if not row.ok or row.measurement is None:
        return
    scale = (n / m) ** 3
    row.extra.update(limit_n=m, scale=scale, raw_wall=row.measurement.wall,
                     scaled_wall=row.measurement.wall * scale)


def _limit_wall(row: Result) -> float:
    """The wall time a ratio uses: the scaled one for the compute limit."""
    assert row.measurement is not None
    return float(row.extra.get("scaled_wall", row.measurement.wall))


def _flops_note(result: Result, n: int) -> None:
    if result.ok and result.measurement is not None:
        rate = 2 * n ** 3 / result.measurement.wall / 1e9
        result.note = " ".join(p for p in (result.note, f"{rate:.0f} GFLOP/s") if p)


def _ratio(results: Sequence[Result], subject: str, peer: str) -> dict[str, Any] | None:
    """``subject``'s wall time and peak RSS over ``peer``'s; over the compute limit, the wall
    time is over the limit scaled to n, and the peak RSS (of another n) is left out."""
    found = ratio(results, subject, peer, FORMAT, OPERATION)
    if found is None or peer != MULTIPLY_ONLY:
        return found
    rows = {r.system: r for r in results}
    limit, mine = rows[peer], rows[subject]
    scale = limit.extra.get("scale", 1.0)
    assert mine.measurement is not None
    return {"wall": mine.measurement.wall / _limit_wall(limit),
            "peak_rss": found["peak_rss"] if scale == 1.0 else None,
            "limit_n": limit.extra.get("limit_n"), "peer_scale": scale}


def _ratio_rows(results: Sequence[Result]) -> list[dict[str, Any]]:
    pairs = [("ooarray-belady", MULTIPLY_ONLY, TARGET_VS_MULTIPLY),
             ("ooarray-belady", "numpy", None),
             ("ooarray-belady", "dask", TARGET_VS_DASK),
             ("ooarray-lru", "ooarray-belady", None),
             ("dask", MULTIPLY_ONLY, None)]
    rows = []
    for subject, peer, target in pairs:
        found = _ratio(results, subject, peer)
        if found is not None:
            rows.append({"subject": subject, "peer": peer, **found, "target_wall": target})
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
        rss = "  n/a" if row["peak_rss"] is None else f"{row['peak_rss']:5.2f}"
        lines.append(f"  {row['subject'] + ' / ' + _peer_label(row):38} wall "
                     f"{row['wall']:6.2f}  peak RSS {rss}{verdict}")
    return "\n".join(lines)


def _peer_label(row: dict[str, Any]) -> str:
    """The peer of a ratio row as the table names it: the compute limit measured at another
    side is called the BLAS limit, with that side and its factor."""
    if row.get("peer_scale", 1.0) == 1.0:
        return row["peer"]
    return f"BLAS limit (numpy multiply only, n={row['limit_n']}, x{row['peer_scale']:g})"


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
               dask_chunk: int = DASK_CHUNK, overwrite: bool = False,
               dtype: DTypeLike = DTYPE, limit_n: int | None = None) -> int:
    """Run the benchmark, print its tables, draw its figures and optionally write JSON.

    Parameters
    ----------
    n : int
        Side of A, B and C.
    memory : int or str
        ooarray's ``memory_limit``.
    directory : path-like, optional
        Where A and B are (reused if present with the same shape, chunks and dtype) or are
        made. By default a temporary directory, removed at the end unless ``keep``.
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
    dtype : dtype-like
        The dtype of A, B and C for every system: float64 or float32.
    limit_n : int, optional
        Measure the compute limit (NumPy's multiply alone) at this side, on random inputs
        made in memory, and scale its time by ``(n / limit_n) ** 3``; when it differs from
        ``n``, NumPy end to end is skipped. By default the ``numpy`` system measures it at n.

    Returns
    -------
    int
        0 if every run finished, all systems agree and Belady read no more than LRU, else 1.

    Raises
    ------
    ValueError
        If a system or the dtype is not known, or ``n``, ``repeat`` or ``limit_n`` is below 1.
    benchmarks.outputs.TrackedFileError
        If a figure or the JSON would replace a file git tracks, and not ``overwrite``.
    """
    dtype = _check_arguments(n, repeat, dtype, limit_n)
    from benchmarks.plots import FIGURE_NAMES

    figure_paths = [] if plots is None else [Path(plots) / f"{name}.{suffix}"
                                             for name in FIGURE_NAMES for suffix in ("png", "svg")]
    refuse_tracked(figure_paths + ([json_path] if json_path is not None else []), overwrite)
    limit = parse_bytes(memory)
    systems, skipped = _skip_numpy(n, limit_n, systems)
    side = limit_side(n, limit_n, systems)
    chosen = make_systems(list(systems), limit, dask_chunk)
    array_bytes = n * n * dtype.itemsize
    chunks = input_chunks(n, limit, dtype)
    blas = blas_info()
    load = os.getloadavg()
    say(f"matmul benchmark: C = A @ B, {dtype} n = {n} ({format_bytes(array_bytes)} per "
        f"array), input chunks {chunks}, ooarray memory_limit {format_bytes(limit)}")
    say(describe_run(chosen, repeat))
    for name, reason in skipped.items():
        say(f"{name}: skipped: {reason}")
    if side is not None:
        say(f"compute limit: NumPy's multiply of {side} x {side} {dtype} arrays in RAM, "
            f"x (n / {side}) ** 3 = {(n / side) ** 3:g}")
    say(f"BLAS: {_describe_blas(blas)}")
    forced = _warn_blas_variables()
    lines = spread_indices(n, SAMPLE_LINES)
    runs: dict[str, dict[str, Any]] = {}
    with workdir(directory, keep, "ooarray-bench-matmul-") as where:
        dataset = MatmulDataset(where, n, dtype)
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
        if side is not None:
            results.append(_run_limit(side, n, dtype, repeat))
        say("checking sampled rows and columns of every C against NumPy ...")
        expected = expected_sample(dataset, lines)
    checks = [Check(name, FORMAT, OPERATION,
                    f"NumPy (float64) on {len(lines)} rows and columns",
                    _deviation(done["sample"], expected), sample_rtol(dtype))
              for name, done in runs.items() if done["sample"] is not None]
    ratios = _ratio_rows(results)
    say(f"\nResults ({dtype} n = {n}, warm page cache, load average {load[0]:.2f} at the "
        f"start, BLAS {_describe_blas(blas)}; cpu = CPU s per wall s)\n")
    say(format_results(results))
    say("\nBytes through read()/write() system calls, and ooarray's buffer pool\n")
    say(_format_counters(results, limit))
    say("\nRatios and the project's targets\n")
    say(_format_ratios(ratios))
    problems = ["Belady read more than LRU"] if any(r.get("bytes_read", 0) > 1 for r in ratios) \
        else []
    ok = conclude(results, checks, "Agreement (largest difference relative to the row or "
                                   "column)", problems)
    figures: list[str] = []
    if plots is not None:
        from benchmarks.plots import plot_matmul

        figures = plot_matmul(results_directory(plots), results, runs, limit, n)
    if json_path is not None:
        compute_limit = _limit_record(results)
        write_report(json_path, "matmul", results, checks, ok, n=n, dtype=str(dtype),
                     array_bytes=array_bytes, input_chunks=chunks, memory_limit=limit,
                     limit_n=compute_limit["limit_n"] if compute_limit else limit_n,
                     compute_limit=compute_limit, skipped_systems=skipped,
                     page_cache="warm", directory=where, repeat=repeat,
                     load_average_start=load, load_average_end=os.getloadavg(), blas=blas,
                     blas_variables_set={name: os.environ[name] for name in forced},
                     ratios=ratios, figures=figures)
    return 0 if ok else 1


def _check_arguments(n: int, repeat: int, dtype: DTypeLike, limit_n: int | None) -> np.dtype:
    """Raise ValueError for an n, repeat or limit_n below 1 or a dtype not in
    :data:`DTYPES`; return the dtype."""
    if n < 1 or repeat < 1 or (limit_n is not None and limit_n < 1):
        raise ValueError(f"n, repeat and limit_n must be at least 1; got n={n}, "
                         f"repeat={repeat}, limit_n={limit_n}")
    dtype = np.dtype(dtype)
    if dtype.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype}")
    return dtype


def _skip_numpy(n: int, limit_n: int | None,
                systems: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Return ``systems`` without ``numpy`` when the limit is measured at another side than
    n (NumPy end to end holds A, B and C: it cannot run where that side is needed), and
    why it was left out.

    Examples
    --------
    >>> _skip_numpy(32768, 16384, ["ooarray", "numpy"])[0], _skip_numpy(256, 256, ["numpy"])
    (['ooarray'], (['numpy'], {}))
    """
    if limit_n is None or limit_n == n or "numpy" not in systems:
        return list(systems), {}
    reason = (f"NumPy end to end is not run with --limit-n {limit_n} (n = {n}); its multiply "
              f"alone is measured at n = {limit_n} instead")
    return [name for name in systems if name != "numpy"], {"numpy": reason}


def _run_limit(side: int, n: int, dtype: np.dtype, repeat: int) -> Result:
    """Measure the compute limit at ``side`` (:func:`measure_limit`) and say its row."""
    say(f"{MULTIPLY_ONLY}: A @ B of two {side} x {side} arrays made in RAM "
        f"({format_bytes(3 * side * side * dtype.itemsize)} for A, B, C)")
    row = measure_limit(side, n, dtype, repeat)
    say(f"  {row_line(row)}")
    return row


def _limit_record(results: Sequence[Result]) -> dict[str, Any] | None:
    """The compute limit for the JSON: the side it was measured at, its wall time there, the
    factor to n and the scaled time; None when it was not measured."""
    row = next((r for r in results if r.system == MULTIPLY_ONLY and r.ok), None)
    if row is None:
        return None
    return {key: row.extra[key] for key in ("limit_n", "raw_wall", "scale", "scaled_wall")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the matmul benchmark to ``parser``."""
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help=f"side of the square matrices (default {DEFAULT_N})")
    parser.add_argument("--dtype", choices=DTYPES, default=DTYPES[0],
                        help=f"dtype of A, B and C for every system (default {DTYPES[0]}); "
                             "inputs in --dir are reused only if of this dtype")
    parser.add_argument("--limit-n", type=int, default=None, metavar="M",
                        help="measure the compute limit (NumPy's multiply alone) at side M "
                             "on random M x M inputs made in RAM, and use its time x "
                             "(n/M)**3; NumPy end to end is skipped when M differs from n "
                             "(default: n, measured by the numpy system)")
    add_common_arguments(parser, SYSTEM_NAMES, DEFAULT_MEMORY,
                         "; ooarray runs with the belady and the lru policy")
    parser.add_argument("--dask-chunks", type=int, default=DASK_CHUNK, metavar="SIDE",
                        help=f"side of Dask's blocks (default {DASK_CHUNK}, at most n/2)")
    add_plot_arguments(parser, DEFAULT_PLOTS)


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark with the options parsed by :func:`add_arguments`."""
    return run_matmul(args.n, args.memory, args.dir, args.systems, args.keep, args.json,
                      args.repeat, args.plots or None, args.dask_chunks, args.overwrite,
                      dtype=args.dtype, limit_n=args.limit_n)
