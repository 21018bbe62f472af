"""ooarray on a dask.distributed LocalCluster, against ooarray's threads executor and against
dask.array on the same cluster, on the same Zarr data.

Two operations: the elementwise chain ``sqrt(a*a + b*b) / (c + 1)`` summed, on three
float64 arrays of ``--size`` each; and ``C = A @ B`` for n x n float64 (``--n``), written to
Zarr. Each system runs each operation ``--repeat`` times (the median is reported), with the
same per-worker budget: ``--memory`` is ooarray's ``memory_limit`` (each worker's pool on the
cluster, the whole process with threads) and each worker's Dask ``memory_limit`` is
``--worker-memory``. Besides the wall time, the bytes each worker process read through
``read()`` (``/proc/<pid>/io`` ``rchar``) show how much data moved, and ooarray's per-worker
counters how its pools reused what they held.

For the matmul, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
(``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks cluster``): the workers
inherit the environment. The BLAS that ran (threadpoolctl) is in the report.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from benchmarks.harness import machine_description, results_directory, say, workdir, write_json
from benchmarks.outputs import refuse_tracked
from ooarray.config import parse_bytes
from ooarray.errors import format_bytes

__all__ = ["add_arguments", "run_from_args", "SYSTEMS"]

SYSTEMS = ("ooarray-threads", "ooarray-dask", "dask.array")
OPERATIONS = ("elementwise", "matmul")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", default="256MiB", help="each elementwise input (256MiB)")
    parser.add_argument("--n", type=int, default=4096, help="matmul size (4096)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (2)")
    parser.add_argument("--memory", default="256MB",
                        help="ooarray's memory_limit: each worker's pool (256MB)")
    parser.add_argument("--worker-memory", default="2GiB",
                        help="each worker's Dask memory_limit (2GiB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (3; median)")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--dir", default=None, help="where the data goes (a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the data")
    parser.add_argument("--output", default="bench-results/cluster.json", metavar="PATH",
                        help="where the JSON report goes (default bench-results/cluster.json, "
                             "which git ignores; a file git tracks is refused)")


def _make_inputs(where: Path, rows: int, n: int, memory: int) -> dict[str, Path]:
    import ooarray as oa
    paths = {name: where / f"{name}.zarr" for name in ("a", "b", "c", "A", "B")}
    rng = np.random.default_rng(0)
    with oa.config.set(memory_limit=max(memory, 2**30), executor="threads"):
        for name in "abc":
            if not paths[name].exists():
                oa.asarray(rng.standard_normal((rows, 4096)), chunks=(256, 4096)).to_zarr(
                    paths[name])
        for name in "AB":
            if not paths[name].exists():
                oa.asarray(rng.standard_normal((n, n)), chunks=(1024, 1024)).to_zarr(
                    paths[name])
    return paths


def _read_chars(client) -> dict[str, int]:
    def chars() -> int:
        return psutil.Process().io_counters().read_chars
    return client.run(chars) if client is not None else {"local": chars()}


def _blas(client) -> Any:
    def described() -> list:
        try:
            from threadpoolctl import threadpool_info
        except ImportError:
            return []
        return [{k: info.get(k) for k in ("internal_api", "num_threads", "architecture",
                                          "version")}
                for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"client": described(), "workers": client.run(described)}


def _ooarray(paths: dict[str, Path], operation: str, out: Path, memory: int, executor: Any):
    import ooarray as oa
    with oa.config.set(memory_limit=memory, executor=executor), oa.collect_stats() as stats:
        if operation == "elementwise":
            a, b, c = (oa.open(paths[name]) for name in "abc")
            answer = float((np.sqrt(a * a + b * b) / (c + 1)).sum())
        else:
            (oa.open(paths["A"]) @ oa.open(paths["B"])).to_zarr(out, overwrite=True)
            answer = _sample(out)
    workers = {address: {"tasks": w.tasks, "bytes_read": w.bytes_read,
                         "bytes_spilled": w.bytes_spilled, "hit_rate": w.hit_rate,
                         "peak_bytes": w.peak_bytes}
               for address, w in (stats.workers or {}).items()}
    return answer, workers


def _dask_array(paths: dict[str, Path], operation: str, out: Path):
    import dask.array as da
    if operation == "elementwise":
        a, b, c = (da.from_zarr(str(paths[name])) for name in "abc")
        return float((da.sqrt(a * a + b * b) / (c + 1)).sum().compute()), {}
    product = da.from_zarr(str(paths["A"])) @ da.from_zarr(str(paths["B"]))
    product.to_zarr(str(out), overwrite=True)
    return _sample(out), {}


def _sample(path: Path) -> np.ndarray:
    import zarr
    array = zarr.open_array(str(path), mode="r")
    rows = np.linspace(0, array.shape[0] - 1, 5).astype(int)
    return np.stack([array[int(r), :64] for r in rows])


def run_from_args(args: argparse.Namespace) -> int:
    import distributed

    refuse_tracked([args.output])
    memory, worker_memory = parse_bytes(args.memory), parse_bytes(args.worker_memory)
    rows = max(1, parse_bytes(args.size) // (4096 * 8))
    systems = [s for s in args.systems.split(",") if s]
    results: list[dict[str, Any]] = []
    with workdir(args.dir, args.keep, "ooarray-cluster-bench-") as where:
        say(f"inputs: 3 x {rows} x 4096 float64 ({format_bytes(rows * 4096 * 8)} each), "
            f"A and B {args.n} x {args.n}, in {where}")
        paths = _make_inputs(where, rows, args.n, memory)
        cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           memory_limit=worker_memory)
        client = distributed.Client(cluster)
        try:
            blas = _blas(client)
            answers: dict[str, dict[str, Any]] = {op: {} for op in OPERATIONS}
            for operation in OPERATIONS:
                for system in systems:
                    runs, per_worker, moved = [], {}, {}
                    for _ in range(args.repeat):
                        on = None if system == "ooarray-threads" else client
                        before = _read_chars(on)
                        started = time.perf_counter()
                        out = where / f"C-{system}.zarr"
                        if system == "dask.array":
                            answer, per_worker = _dask_array(paths, operation, out)
                        else:
                            answer, per_worker = _ooarray(
                                paths, operation, out, memory,
                                "threads" if system == "ooarray-threads" else client)
                        runs.append(time.perf_counter() - started)
                        after = _read_chars(on)
                        moved = {k: after[k] - before.get(k, 0) for k in after}
                    answers[operation][system] = answer
                    row = {"system": system, "operation": operation,
                           "seconds": statistics.median(runs), "runs": runs,
                           "read_chars_per_process": moved, "ooarray_workers": per_worker}
                    results.append(row)
                    say(f"{operation:11s} {system:16s} {row['seconds']:7.2f} s  read "
                        + ", ".join(format_bytes(v) for v in moved.values()))
        finally:
            client.close()
            cluster.close()
    agreement = _agreement(answers)
    ratios = _ratios(results)
    for line in _table(results, ratios):
        print(line)
    print("agreement:", agreement)
    path = results_directory(Path(args.output).parent) / Path(args.output).name
    write_json(path, {"benchmark": "cluster", "size": args.size, "n": args.n,
                      "workers": args.workers, "memory": memory,
                      "worker_memory": worker_memory, "blas": blas,
                      "machine": machine_description(), "results": results,
                      "ratios": ratios, "agreement": agreement})
    say(f"wrote {path}")
    return 0 if all(agreement.values()) else 1


def _agreement(answers: dict[str, dict[str, Any]]) -> dict[str, bool]:
    agreed = {}
    for operation, found in answers.items():
        values = list(found.values())
        agreed[operation] = all(np.allclose(v, values[0], rtol=1e-9, atol=1e-9)
                                for v in values[1:])
    return agreed


def _ratios(results: list[dict[str, Any]]) -> dict[str, float]:
    times = {(r["system"], r["operation"]): r["seconds"] for r in results}
    found = {}
    for operation in OPERATIONS:
        for subject, peer in (("ooarray-dask", "ooarray-threads"),
                              ("ooarray-dask", "dask.array")):
            if (subject, operation) in times and (peer, operation) in times:
                found[f"{operation}: {subject} / {peer}"] = \
                    times[subject, operation] / times[peer, operation]
    return found


def _table(results: list[dict[str, Any]], ratios: dict[str, float]) -> list[str]:
    lines = ["", "| operation | system | seconds (median) | bytes read per process |",
             "| --- | --- | --- | --- |"]
    for row in results:
        moved = ", ".join(format_bytes(v) for v in row["read_chars_per_process"].values())
        lines.append(f"| {row['operation']} | {row['system']} | {row['seconds']:.2f} | "
                     f"{moved} |")
    lines += ["", "| ratio (wall time) | value |", "| --- | --- |"]
    lines += [f"| {name} | {value:.2f} |" for name, value in ratios.items()]
    return lines
