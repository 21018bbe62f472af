"""ooarray and its peers side by side on every workload: ``bench all``.

Run it from a checkout of the repository: ``python -m ooarray bench all`` (or
``python -m benchmarks all``, the same command).

Every system runs, in a process of its own (so that its peak RSS is its own) and on the
same values stored once per format:

- elementwise: ``2*a*b + c**2 - a/(b+1)`` on three float64 arrays of ``--size`` each, written
  back to disk;
- reduction: ``a.sum()`` and ``a.std()``;
- matmul: ``A @ B`` for two n x n float64 matrices of about a quarter of ``--size`` each,
  written back to disk;
- sort: a float64 vector of a quarter of ``--size``, sorted and written back to disk;
- small: ``float((a * 2 + 1).sum())`` on a 1000-element array, 100 times (the cost of a
  call).

The systems are ooarray (under ``--memory``), NumPy in memory, ``numpy.memmap`` (row blocks
of at most an eighth of the budget), Dask (threaded scheduler), Cubed (``allowed_mem`` the
budget) and Blosc2. ooarray, NumPy, Dask and Cubed read Zarr, memmap ``.npy`` and Blosc2
``.b2nd`` (Blosc LZ4 with shuffle, as ooarray's Zarr); every input is stored in chunks of at
most an eighth of the budget, so the benchmark runs at any budget. A peer that is not
installed is skipped with a message; a workload a peer has no function for is ``n/a``.

It prints each run's wall time, peak RSS and the RSS it added, each system's time and peak
RSS over ooarray's, ooarray's buffer pool counters and whether all systems agree, and writes
into ``--out`` (a new folder under ``bench-results/`` by default, which git ignores):
``all.json``, ``all.md`` (the tables, for the documentation) and the figures
``all-time``, ``all-memory`` and ``all-ratios`` as PNG and SVG. It never writes over a file
that git tracks unless ``--overwrite`` is given. The page cache is warmed before the timed
runs, so the numbers are of a warm cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import elementwise, matmul
from benchmarks.compare_inputs import Inputs, prepare, read_index, sizes, vector_chunks
from benchmarks.compare_report import check, markdown, matrix, ratio_to, sample_index, side_by_side
from benchmarks.compare_systems import OPERATIONS, SYSTEM_NAMES, Peer, make_peers
from benchmarks.harness import (
    FAILED,
    NOT_APPLICABLE,
    SKIPPED,
    Result,
    conclude,
    describe_run,
    format_pool_counters,
    format_table,
    median_of,
    names_option,
    prepare_and_warm,
    results_directory,
    row_line,
    run_measured,
    say,
    workdir,
    worker_environment,
    write_report,
)
from benchmarks.outputs import new_results_directory, refuse_tracked
from ooarray.config import parse_bytes
from ooarray.errors import format_bytes

__all__ = ["run_all", "run_worker", "run_peer", "add_arguments", "run_from_args",
           "WORKLOADS", "SMALL_CALLS"]

DEFAULT_SIZE = "256MiB"
DEFAULT_MEMORY = "64MB"

#: Each workload of the command line and the operations it runs.
WORKLOADS = {"elementwise": ("elementwise",), "reduction": ("sum", "std"),
             "matmul": ("matmul",), "sort": ("sort",), "small": ("small",)}

#: Calls of the small-array workload.
SMALL_CALLS = 100

#: Files written into ``--out`` besides the figures.
REPORT_NAMES = ("all.json", "all.md")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _call(peer: Peer, operation: str, inputs: Inputs, out: Path, scratch: Path) -> Any:
    """Run ``operation`` with ``peer``; return its scalar, if it has one."""
    if operation == "elementwise":
        return peer.elementwise(inputs.elementwise(peer.fmt), out)
    if operation in ("sum", "std"):
        return getattr(peer, operation)(inputs.elementwise(peer.fmt))
    if operation == "small":
        return peer.small(scratch, SMALL_CALLS)
    return getattr(peer, operation)(inputs, out)


def run_peer(peer: Peer, inputs: Inputs, operations: Sequence[str], scratch: Path,
             keep: bool = False, repeat: int = 1) -> tuple[list[Result], dict[str, np.ndarray]]:
    """Run ``operations`` with ``peer``, each ``repeat`` times from an empty pool.

    Returns
    -------
    results : list of Result
        One row per operation: the repetition with the median wall time, or why it did
        not run.
    samples : dict of str to ndarray
        The sampled output of the first repetition of each operation that writes one.
    """
    results, samples = [], {}
    for operation in operations:
        reason = peer.not_applicable.get(operation)
        if reason is not None:
            results.append(Result(peer.name, peer.fmt, operation, status=NOT_APPLICABLE,
                                  note=reason))
            continue
        index = sample_index(inputs, operation)
        rounds = []
        for _ in range(repeat):
            peer.reset()
            out = inputs.output(peer.name, operation, peer.fmt)
            result = run_measured(peer.name, "-" if operation == "small" else peer.fmt,
                                  operation,
                                  lambda op=operation, out=out: _call(peer, op, inputs, out,
                                                                      scratch))
            peer.reset()
            result.extra = dict(peer.extra)
            if result.ok and index is not None and operation not in samples:
                samples[operation] = read_index(out, index)
            if not keep:
                _remove(out)
            rounds.append(result)
        chosen = median_of(rounds)
        if operation == "small" and chosen.ok and chosen.measurement is not None:
            chosen.note = f"{chosen.measurement.wall / SMALL_CALLS * 1e6:.1f} us per call"
        results.append(chosen)
    return results, samples


def _versions(peers: Sequence[Peer]) -> dict[str, str]:
    """The versions of the peers' libraries that ran."""
    import importlib

    return {peer.name: getattr(importlib.import_module(peer.name), "__version__", "?")
            for peer in peers if peer.name in ("dask", "cubed", "blosc2")}


def _worker_file(directory: Path, name: str) -> Path:
    return directory / f"worker-{name}.json"


def run_worker(name: str, size: int | str, memory: int | str, directory: str | os.PathLike,
               operations: Sequence[str], keep: bool = False, repeat: int = 1) -> int:
    """Run one system on inputs already prepared in ``directory`` (the worker process of
    :func:`run_all`); write its rows and samples to ``worker-NAME.json`` there."""
    where, nbytes, limit = Path(directory), parse_bytes(size), parse_bytes(memory)
    peer = make_peers([name], limit)[0]
    rows, samples = _run_one(peer, Inputs(where, *sizes(nbytes)), nbytes, limit, operations,
                             keep, repeat, in_process=True)
    _worker_file(where, name).write_text(json.dumps(
        {"results": [row.as_dict() for row in rows],
         "samples": {op: sample.tolist() for op, sample in samples.items()}}))
    return 0


def _run_in_worker(peer: Peer, size: int, limit: int, where: Path,
                   operations: Sequence[str], keep: bool, repeat: int
                   ) -> tuple[list[Result], dict[str, np.ndarray]]:
    """Run ``peer`` in a process of its own (its peak RSS is its own); its lines go to this
    process's output."""
    report = _worker_file(where, peer.name)
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks", "all", "--worker", peer.name,
               "--dir", os.fspath(where.resolve()), "--size", str(size), "--memory",
               str(limit), "--operations", ",".join(operations), "--repeat", str(repeat)]
    # Started from the repository, so that no other "benchmarks" folder is found first.
    done = subprocess.run(command + (["--keep"] if keep else []), env=worker_environment(),
                          cwd=Path(__file__).resolve().parents[1], check=False)
    if done.returncode != 0 or not report.exists():
        note = f"its process exited with status {done.returncode} (see above)"
        return [Result(peer.name, peer.fmt, op, status=FAILED, note=note)
                for op in operations], {}
    document = json.loads(report.read_text())
    report.unlink()
    return ([Result.from_dict(row) for row in document["results"]],
            {op: np.asarray(sample) for op, sample in document["samples"].items()})


def _run_one(peer: Peer, inputs: Inputs, size: int, limit: int, operations: Sequence[str],
             keep: bool, repeat: int, in_process: bool
             ) -> tuple[list[Result], dict[str, np.ndarray]]:
    """Run one system, here or in its own process, or say why it is skipped."""
    reason = peer.missing()
    if reason is not None:
        say(f"{peer.name}: skipped: {reason}")
        return [Result(peer.name, peer.fmt, op, status=SKIPPED, note=reason)
                for op in operations], {}
    if not in_process:
        return _run_in_worker(peer, size, limit, inputs.directory, operations, keep, repeat)
    say(f"{peer.name}: {peer.describe(inputs.elementwise(peer.fmt))}")
    scratch = inputs.directory / f"scratch-{peer.name}"
    scratch.mkdir(exist_ok=True)
    try:
        rows, samples = run_peer(peer, inputs, operations, scratch, keep, repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for row in rows:
        say(f"  {row_line(row)}")
    return rows, samples


def run_all(size: int | str = DEFAULT_SIZE, memory: int | str = DEFAULT_MEMORY,
            directory: str | os.PathLike | None = None, systems: Sequence[str] = SYSTEM_NAMES,
            workloads: Sequence[str] = tuple(WORKLOADS), out: str | os.PathLike | None = None,
            keep: bool = False, repeat: int = 1, overwrite: bool = False,
            plots: bool = True, in_process: bool = False) -> int:
    """Run every system on every workload, print the tables and write the report and figures.

    Parameters
    ----------
    size : int or str
        Bytes of each elementwise input; the matrices and the vector are each about a quarter
        of it.
    memory : int or str
        ooarray's ``memory_limit`` and Cubed's ``allowed_mem``.
    directory : path-like, optional
        Where the inputs are (reused when stored with the same shape and chunks) or are made;
        by default a temporary directory, removed at the end unless ``keep``.
    systems : sequence of str
        Which of :data:`SYSTEM_NAMES` run, always in that order (NumPy in memory last).
    workloads : sequence of str
        Which of :data:`WORKLOADS` run.
    out : path-like, optional
        Where the JSON, the Markdown tables and the figures go; by default a new folder under
        ``bench-results/`` of the current directory.
    keep : bool
        Keep the temporary directory and every output.
    repeat : int
        Runs of each operation per system; the median is shown.
    overwrite : bool
        Write over files in ``out`` that git tracks.
    plots : bool
        Draw the figures (needs matplotlib).
    in_process : bool
        Run every system in this process rather than each in a process of its own (faster to
        start; each run's peak RSS then includes what earlier runs left).

    Returns
    -------
    int
        0 if every run finished (or was not applicable or skipped) and all systems agree,
        else 1.

    Raises
    ------
    ValueError
        If a system or workload is not known, or ``repeat`` is below 1.
    benchmarks.outputs.TrackedFileError
        If ``out`` holds files git tracks that the report would replace, and not
        ``overwrite``.
    """
    unknown = sorted(set(workloads) - set(WORKLOADS))
    if unknown or repeat < 1:
        raise ValueError(f"workloads must be among {', '.join(WORKLOADS)} and repeat at least "
                         f"1; got {', '.join(unknown) or repeat}")
    from benchmarks.compare_plots import FIGURE_NAMES, plot_all

    nbytes, limit = parse_bytes(size), parse_bytes(memory)
    peers = make_peers(list(systems), limit)
    target = Path(out) if out is not None else None
    if target is not None:
        refuse_tracked([target / name for name in REPORT_NAMES]
                       + [target / f"{name}.{suffix}" for name in FIGURE_NAMES
                          for suffix in ("png", "svg")], overwrite)
    target = new_results_directory("all") if target is None else results_directory(target)
    operations = [op for op in OPERATIONS
                  if any(op in WORKLOADS[w] for w in workloads)]
    shape, n, length = sizes(nbytes)
    heading = (f"inputs: a, b, c {shape} float64 ({format_bytes(shape[0] * shape[1] * 8)} "
               f"each, chunks {elementwise.input_chunks(shape, limit)}); A, B {n} x {n} "
               f"({format_bytes(n * n * 8)} each, chunks {matmul.input_chunks(n, limit)}); "
               f"sorted vector {length} ({format_bytes(length * 8)}, chunks "
               f"{vector_chunks(length, limit)}); small: {SMALL_CALLS} calls on 1000 "
               f"elements. ooarray memory_limit and Cubed allowed_mem "
               f"{format_bytes(limit)}; warm page cache; {platform.machine()}, "
               f"{os.cpu_count()} CPUs")
    say(f"bench all: {heading}")
    say(describe_run(peers, repeat))
    available = [peer for peer in peers if peer.missing() is None]
    with workdir(directory, keep, "ooarray-bench-all-") as where:
        inputs = Inputs(where, shape, n, length)
        formats = sorted({peer.fmt for peer in available} | {"zarr"})
        paths = [p for fmt in formats for p in inputs.all_paths(fmt)]
        prepare_and_warm(paths, lambda: prepare(inputs, limit, formats), where,
                         names=f"every input ({', '.join(formats)})")
        results, samples = [], {}
        for peer in peers:
            rows, samples[peer.name] = _run_one(peer, inputs, nbytes, limit, operations, keep,
                                                repeat, in_process)
            results += rows
        say("checking every output against NumPy's ...")
        checks = check(results, samples, inputs)
    order = {name: i for i, name in enumerate(SYSTEM_NAMES)}
    results.sort(key=lambda r: (OPERATIONS.index(r.operation), order[r.system]))
    ratios = ratio_to(results)
    say("\nSide by side (warm page cache; / ooarray: the system's wall time or peak RSS over "
        "ooarray's, above 1 means ooarray faster or smaller; +RSS: peak above the run's "
        "starting RSS; cpu: CPU s per wall s)\n")
    say(format_table(*side_by_side(results, ratios)))
    for title, key, better in (("wall time", "wall", "faster"),
                               ("peak RSS", "peak_rss", "smaller")):
        say(f"\nEach system's {title} over ooarray's (above 1: ooarray {better})\n")
        say(format_table(*matrix(results, ratios, key)))
    if "ooarray" in systems:
        say("\nooarray's buffer pool\n")
        say(format_pool_counters(results))
    ok = conclude(results, checks)
    figures = plot_all(target, results, ratios, limit, heading) if plots else []
    (target / "all.md").write_text(markdown(results, ratios, heading), encoding="utf-8")
    write_report(target / "all.json", "all", results, checks, ok, heading=heading,
                 shape=shape, n=n, length=length, memory_limit=limit, page_cache="warm",
                 repeat=repeat, small_calls=SMALL_CALLS, versions=_versions(available),
                 ratios=[{"operation": op, "system": system, **found}
                         for (op, system), found in ratios.items()], figures=figures)
    say(f"wrote {target / 'all.md'}")
    return 0 if ok else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``bench all`` to ``parser``."""
    parser.add_argument("--size", default=DEFAULT_SIZE,
                        help=f"size of each elementwise input (default {DEFAULT_SIZE}); the "
                             f"matrices and the sorted vector are each about a quarter of it")
    parser.add_argument("--memory", default=DEFAULT_MEMORY,
                        help=f"ooarray's memory_limit and Cubed's allowed_mem (default "
                             f"{DEFAULT_MEMORY}); input chunks are at most an eighth of it")
    parser.add_argument("--systems", type=names_option(SYSTEM_NAMES, "--systems"),
                        default=list(SYSTEM_NAMES),
                        help=f"comma-separated (default {','.join(SYSTEM_NAMES)})")
    parser.add_argument("--workloads", type=names_option(tuple(WORKLOADS), "--workloads"),
                        default=list(WORKLOADS),
                        help=f"comma-separated (default {','.join(WORKLOADS)})")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="where the JSON, the Markdown tables and the figures go (default: "
                             "a new folder bench-results/all-DATE-TIME, which git ignores)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write over files in --out that git tracks (refused otherwise)")
    parser.add_argument("--no-plots", action="store_true", help="draw no figures")
    parser.add_argument("--dir", default=None,
                        help="where the inputs are made or reused (default: a temporary "
                             "directory, removed at the end unless --keep)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory and every system's output")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each operation N times and show the median (default 1)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every system in this process (default: each in a process "
                             "of its own, so that its peak RSS is its own)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--operations", type=names_option(OPERATIONS, "--operations"),
                        default=list(OPERATIONS), help=argparse.SUPPRESS)


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``bench all`` with the options parsed by :func:`add_arguments`."""
    if args.worker:
        return run_worker(args.worker, args.size, args.memory, args.dir, args.operations,
                          args.keep, args.repeat)
    return run_all(args.size, args.memory, args.dir, args.systems, args.workloads, args.out,
                   args.keep, args.repeat, args.overwrite, not args.no_plots,
                   args.in_process)
