"""The npbench runner, on a toy npbench tree (npbench itself is not installed in CI)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

#: The benchmarks are in the repository, not in the installed package: import them from the
#: checkout these tests are in.
REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.append(str(REPOSITORY))

from benchmarks.npbench import _agree, summary  # noqa: E402

INFO = {"benchmark": {
    "name": "toy stencil", "short_name": "toy", "relative_path": "toy", "module_name": "toy",
    "func_name": "kernel", "parameters": {"S": {"N": 40, "T": 6}},
    "init": {"func_name": "initialize", "input_args": ["N"], "output_args": ["A", "B"]},
    "input_args": ["T", "A", "B"], "array_args": ["A", "B"], "output_args": ["A"]}}

INITIALIZE = """
import numpy as np

def initialize(N):
    return np.fromfunction(lambda i: i / N, (N,)), np.ones(N)
"""

KERNEL = """
def kernel(T, A, B):
    for _ in range(T):
        B[1:-1] = (A[:-2] + A[1:-1] + A[2:]) / 3
        A[1:-1] = (B[:-2] + B[1:-1] + B[2:]) / 3
    return B.sum()
"""


def test_the_runner_runs_a_kernel_both_ways_and_compares(tmp_path):
    (tmp_path / "bench_info").mkdir()
    (tmp_path / "bench_info" / "toy.json").write_text(json.dumps(INFO))
    package = tmp_path / "npbench" / "benchmarks" / "toy"
    package.mkdir(parents=True)
    (package / "toy.py").write_text(textwrap.dedent(INITIALIZE))
    (package / "toy_numpy.py").write_text(textwrap.dedent(KERNEL))
    table = tmp_path / "table.md"
    for eager in ("0", "1000000"):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks", "npbench", "--npbench", str(tmp_path),
             "--eager-bytes", eager, "--markdown", str(table)],
            capture_output=True, text=True, timeout=120, check=True, cwd=REPOSITORY)
        assert "| toy | right |" in done.stdout, done.stdout + done.stderr
        assert "1 kernels: 1 right, 0 wrong, 0 error, 0 timeout" in table.read_text()


def test_outputs_agree_only_when_values_dtypes_and_shapes_do():
    info: dict = {}
    x = np.linspace(0, 1, 10)
    assert _agree(x, x + 1e-12, info) is None
    assert "relative error" in _agree(x, x + 0.1, info)
    assert "float32" in _agree(x, x.astype(np.float32), info)
    assert _agree(np.arange(3), np.array([0, 1, 3]), info) == "values differ"
    records = [{"status": "right", "ratio": 2.0}, {"status": "right", "ratio": 30.0},
               {"status": "timeout"}]
    assert summary(records) == ("3 kernels: 2 right, 0 wrong, 0 error, 1 timeout; "
                                "median ooarray/NumPy 16.0x; over 20x: 1")
