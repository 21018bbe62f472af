"""The npbench benchmark: real NumPy programs, unchanged, on ooarray.

Run it from a checkout of the repository: ``python -m benchmarks npbench --npbench DIR`` (or
``python -m ooarray bench npbench --npbench DIR``, the same command).

`spcl/npbench <https://github.com/spcl/npbench>`_ holds 54 kernels written as ordinary NumPy
code (stencils, solvers, per-row loops, deep-learning layers). This benchmark runs each one,
in a process of its own with a time limit, as a new user would:

1. the inputs of a preset (``S``, ``M``, ``L``) are made by the kernel's own ``initialize``;
2. the NumPy kernel runs on copies of them (best of 3 when a run takes under a second);
3. the same kernel runs with every array argument swapped for ``ooarray.asarray(copy)``,
   under ``memory_limit``; the time includes computing every output (the kernel's return
   values and the arguments it writes into): ``np.asarray``, or for an output larger than
   half the budget ``to_npy`` and a mapped read;
4. the outputs are compared with NumPy's: shapes, dtypes, and values (exact for integers;
   ``allclose`` or npbench's relative error for floats, with a kernel's own tolerances).

npbench itself is not part of ooarray: clone it anywhere and pass ``--npbench DIR``. The
report is one line per kernel (right, wrong, error, timeout; NumPy's and ooarray's seconds
and their ratio) and a summary: counts, the median ratio of the right kernels, and how many
are over 20x.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import worker_environment

__all__ = ["add_arguments", "run_from_args", "run_kernel", "kernel_names"]

#: Runs under this many seconds are repeated, and the fastest of REPEATS is kept.
REPEAT_UNDER_SECONDS = 1.0
REPEATS = 3
#: Float outputs agree when allclose holds or ||ref - value|| / ||ref|| is below this.
NORM_ERROR = 1e-5


def kernel_names(npbench: str | os.PathLike) -> list[str]:
    """The kernels described in ``npbench/bench_info``."""
    return sorted(path.stem for path in Path(npbench, "bench_info").glob("*.json"))


def _info(npbench: str | os.PathLike, name: str) -> dict[str, Any]:
    with open(Path(npbench, "bench_info", f"{name}.json"), encoding="utf-8") as file:
        return json.load(file)["benchmark"]


def _module(info: dict[str, Any], suffix: str = ""):
    package = "npbench.benchmarks." + info["relative_path"].replace("/", ".")
    return importlib.import_module(f"{package}.{info['module_name']}{suffix}")


def _inputs(info: dict[str, Any], preset: str) -> dict[str, Any]:
    values = dict(info["parameters"][preset])
    init = info.get("init")
    if init:
        made = getattr(_module(info), init["func_name"])(*[values[a] for a in init["input_args"]])
        names = init["output_args"]
        values.update(zip(names, made if len(names) > 1 else (made,), strict=True))
    return values


def _best(run_once) -> tuple[float, list]:
    times, outputs = [], []
    while True:
        seconds, outputs = run_once()
        times.append(seconds)
        if times[0] >= REPEAT_UNDER_SECONDS or len(times) >= REPEATS:
            return min(times), outputs


def _outputs(returned: Any, passed: dict[str, Any], info: dict[str, Any]) -> list[Any]:
    values = [] if returned is None else \
        list(returned) if isinstance(returned, (tuple, list)) else [returned]
    names = info.get("output_args") or ([] if values else info["array_args"])
    return values + [passed[name] for name in names]


def _agree(expected: Any, got: Any, info: dict[str, Any]) -> str | None:
    """None if ``got`` is NumPy's ``expected``, else what differs."""
    expected, got = np.asarray(expected), np.asarray(got)
    if expected.shape != got.shape or expected.dtype != got.dtype:
        return f"{got.shape} {got.dtype} where NumPy gave {expected.shape} {expected.dtype}"
    if expected.dtype.kind not in "fc":
        return None if np.array_equal(expected, got) else "values differ"
    if np.allclose(got, expected, rtol=info.get("rtol", 1e-5), atol=info.get("atol", 1e-8),
                   equal_nan=True):
        return None
    norm = float(np.linalg.norm(expected))
    error = float(np.linalg.norm(expected - got)) / (norm or 1.0)
    return None if error < info.get("norm_error", NORM_ERROR) else f"relative error {error:.2e}"


def run_kernel(npbench: str | os.PathLike, name: str, preset: str, memory: str,
               eager_bytes: int | None = None) -> dict[str, Any]:
    """Run one kernel with NumPy and with ooarray (in this process); return its record."""
    import ooarray as oa

    sys.path.insert(0, os.fspath(npbench))
    info = _info(npbench, name)
    record: dict[str, Any] = {"kernel": name, "preset": preset, "memory": memory}
    kernel = getattr(_module(info, "_numpy"), info["func_name"])
    data = _inputs(info, preset)
    arrays = [a for a in info["array_args"] if isinstance(data.get(a), np.ndarray)]

    def with_numpy() -> tuple[float, list]:
        passed = {**data, **{a: copy.deepcopy(data[a]) for a in arrays}}
        started = time.perf_counter()
        returned = kernel(*[passed[a] for a in info["input_args"]])
        seconds = time.perf_counter() - started
        return seconds, [np.array(v) for v in _outputs(returned, passed, info)]

    scratch = tempfile.mkdtemp(prefix="ooarray-npbench-")

    def fetch(value: Any, number: int) -> Any:
        if isinstance(value, oa.OOArray) and value.nbytes > oa.config.get().memory_limit // 2:
            path = os.path.join(scratch, f"out{number}.npy")
            value.to_npy(path, overwrite=True)
            return np.load(path, mmap_mode="r")
        return np.asarray(value)

    def with_ooarray() -> tuple[float, list]:
        passed = {**data, **{a: oa.asarray(copy.deepcopy(data[a])) for a in arrays}}
        started = time.perf_counter()
        returned = kernel(*[passed[a] for a in info["input_args"]])
        outputs = [fetch(v, i) for i, v in enumerate(_outputs(returned, passed, info))]
        return time.perf_counter() - started, outputs

    try:
        record["numpy"], expected = _best(with_numpy)
        settings = {"memory_limit": memory}
        if eager_bytes is not None:
            settings["eager_bytes"] = eager_bytes
        with oa.config.set(**settings):
            record["ooarray"], got = _best(with_ooarray)
        problems = [p for p in (_agree(e, g, info) for e, g in zip(expected, got, strict=True))
                    if p]
        record["status"] = "wrong" if problems else "right"
        record["note"] = "; ".join(problems)
        record["ratio"] = record["ooarray"] / record["numpy"]
    except Exception as error:  # noqa: BLE001 - every failure is a row of the report
        record["status"] = "error"
        frame = traceback.extract_tb(error.__traceback__)[-1]
        record["note"] = f"{type(error).__name__}: {str(error)[:200]} " \
                         f"({os.path.basename(frame.filename)}:{frame.lineno})"
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return record


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command line of the npbench benchmark."""
    parser.add_argument("--npbench", required=True, help="a clone of spcl/npbench")
    parser.add_argument("--preset", default="S", help="S, M, L or paper (default S)")
    parser.add_argument("--kernels", default=None, help="comma-separated names (default all)")
    parser.add_argument("--memory", default="1GB", help="memory_limit (default 1GB)")
    parser.add_argument("--eager-bytes", type=int, default=None,
                        help="eager_bytes (0 runs everything through the plan engine)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds per kernel, NumPy and ooarray together (default 60)")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)


def _row(record: dict[str, Any]) -> str:
    def seconds(key: str) -> str:
        return f"{record[key]:.4f}" if key in record else "-"
    ratio = f"{record['ratio']:.1f}" if "ratio" in record else "-"
    return f"| {record['kernel']} | {record['status']} | {seconds('numpy')} | " \
           f"{seconds('ooarray')} | {ratio} | {record.get('note', '')} |"


def summary(records: list[dict[str, Any]]) -> str:
    """Counts by status, the median ratio of the right kernels, and how many are over 20x."""
    counts = {s: sum(r["status"] == s for r in records)
              for s in ("right", "wrong", "error", "timeout")}
    ratios = [r["ratio"] for r in records if r["status"] == "right"]
    median = statistics.median(ratios) if ratios else math.nan
    return (f"{len(records)} kernels: " + ", ".join(f"{n} {s}" for s, n in counts.items())
            + f"; median ooarray/NumPy {median:.1f}x; over 20x: "
            f"{sum(r > 20 for r in ratios)}")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the kernels, one process each, and print the table."""
    if args.worker:
        record = run_kernel(args.npbench, args.worker, args.preset, args.memory,
                            args.eager_bytes)
        print(json.dumps(record))
        return 0
    names = args.kernels.split(",") if args.kernels else kernel_names(args.npbench)
    lines = [f"npbench preset {args.preset}, memory_limit={args.memory}", "",
             "| kernel | result | NumPy s | ooarray s | ratio | note |",
             "|---|---|---:|---:|---:|---|"]
    print("\n".join(lines), flush=True)
    records = []
    for name in names:
        command = [sys.executable, "-m", "benchmarks", "npbench", "--worker", name,
                   "--npbench", args.npbench, "--preset", args.preset, "--memory", args.memory]
        if args.eager_bytes is not None:
            command += ["--eager-bytes", str(args.eager_bytes)]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=args.timeout, env=worker_environment())
            record = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 \
                else {"kernel": name, "status": "error", "note": done.stderr[-200:].strip()}
        except subprocess.TimeoutExpired:
            record = {"kernel": name, "status": "timeout", "note": f"over {args.timeout:g} s"}
        records.append(record)
        lines.append(_row(record))
        print(lines[-1], flush=True)
    lines += ["", summary(records)]
    print(lines[-1])
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0
