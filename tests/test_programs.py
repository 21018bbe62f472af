"""Programs: small NumPy programs run on ooarray give what the same program gives on NumPy.

Each test writes a program once, runs it on ndarrays and on OOArrays, and compares the result
(values, dtype, shape) with ``assert_like_numpy``. Every test runs in two engine modes (the
``mode`` fixture): ``eager_bytes=0``, which forces the lazy plan engine even for small arrays
and uses small chunks so the multi-chunk paths run, and the default configuration.

What they cover: value semantics (an ndarray captured by a lazy operation and mutated after
the call must not change the result: NumPy computes at the moment of the call), loops of
in-place updates (stencils, gradient descent, convergence loops), deep plans, expressions with
more operands than numexpr takes, shared subexpressions, and the memory and time of a stencil
loop over an array larger than the budget (in a subprocess, marked slow).
"""

from __future__ import annotations

import functools
import json
import operator
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from helpers import assert_like_numpy, quiet

import ooarray as oa

#: Chunk length per axis in the lazy mode: several chunks per axis on every input here.
CHUNK = 8

#: Wall time any one test may take (a SIGALRM deadline): a plan that recomputes shared work
#: grows exponentially with the loop's length and would otherwise hang the file.
TEST_SECONDS = 20


#: The engine modes: ``eager_bytes=0`` forces the plan engine; ``"default"`` is the default
#: configuration (tests/conftest.py sets ``eager_bytes=0`` for every test, so the default mode
#: sets the default value back explicitly).
LAZY, DEFAULT = 0, "default"


def engine(eager_bytes):
    """The configuration of an engine mode, as a context manager."""
    if eager_bytes == DEFAULT:
        eager_bytes = oa.config.Config().eager_bytes
    return oa.config.set(eager_bytes=eager_bytes)


class Mode:
    """An engine mode, and how the tests make OOArrays in it."""

    def __init__(self, eager_bytes):
        self.eager_bytes = eager_bytes
        self.lazy = eager_bytes == LAZY

    def asarray(self, x, chunks=CHUNK):
        """``oa.asarray(x)``, in small chunks in the lazy mode."""
        return oa.asarray(x, chunks=chunks) if self.lazy else oa.asarray(x)


@pytest.fixture(params=[LAZY, DEFAULT], ids=["lazy", "default"])
def mode(request):
    """Each engine mode: ``eager_bytes=0`` (the lazy plan engine, small chunks), and the
    default configuration."""
    with engine(request.param):
        setting = oa.config.get().eager_bytes
        assert (setting == 0) == (request.param == LAZY), f"eager_bytes={setting}"
        yield Mode(request.param)


class DeadlineExceeded(BaseException):
    """A test ran past ``TEST_SECONDS`` (a BaseException: the engine's handlers let it by)."""


@pytest.fixture(autouse=True)
def deadline(request):
    """Fail a test that runs longer than ``TEST_SECONDS`` instead of hanging the suite (the
    slow test bounds its subprocesses itself)."""
    if request.node.get_closest_marker("slow"):
        yield
        return

    def expire(signum, frame):
        raise DeadlineExceeded(f"the test ran longer than {TEST_SECONDS} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_both(program, mode, *inputs, chunks=CHUNK, rtol=None, atol=None):
    """Run ``program`` on copies of ``inputs`` as ndarrays and as OOArrays; compare."""
    with quiet():
        expected = program(*(x.copy() for x in inputs))
        result = program(*(mode.asarray(x.copy(), chunks) for x in inputs))
    return assert_like_numpy(result, expected, rtol=rtol, atol=atol)


# -- 1. value semantics: ndarrays captured by a lazy operation ------------------------------
@pytest.mark.parametrize("op", [
    lambda x, a: x + a,
    lambda x, a: a - x,
    lambda x, a: np.arctan2(x, a),
    lambda x, a: np.sqrt(np.abs(x * a)) + np.exp(-a),
], ids=["x+a", "a-x", "arctan2", "chain"])
def test_ufunc_operand_mutated_after_the_call(mode, rng, op):
    x, a = rng.standard_normal((2, 5, 12))
    expected = op(x, a)
    result = op(mode.asarray(x, 4), a)
    a[...] = 100.0
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("op", [lambda x, s: x * s, lambda x, s: s - x, lambda x, s: x ** s],
                         ids=["x*s", "s-x", "x**s"])
def test_zero_d_ndarray_operand_mutated_after_the_call(mode, rng, op):
    x = rng.uniform(0.5, 2.0, 20)
    s = np.array(2.0)
    expected = op(x, s)
    result = op(mode.asarray(x), s)
    s[()] = 5.0
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("axis", [0, 1])
def test_integer_array_index_mutated_after_the_call(mode, rng, axis):
    x = rng.standard_normal((12, 10))
    idx = np.array([3, 0, 9, 3, -1, 7])
    index = (idx,) if axis == 0 else (slice(None), idx)
    expected = x[index]
    result = mode.asarray(x, 4)[index]
    idx[:] = 1
    assert_like_numpy(result, expected)


def test_boolean_mask_mutated_after_the_call(mode, rng):
    x = rng.standard_normal((9, 7))
    mask = x > 0.3
    expected = x[mask]
    result = mode.asarray(x, 4)[mask]
    mask[...] = ~mask  # another count, other positions
    assert_like_numpy(result, expected)


def _assignment_operands(rng):
    x = rng.standard_normal(20)
    return x, {
        "v": np.array([7.0, 8.0]), "idx": np.array([4, 0, 13]), "vi": np.array([1.0, 2.0, 3.0]),
        "mask": x > 0, "w": np.arange(float((x > 0).sum())), "s": np.array(9.5),
        "full": rng.standard_normal(20),
    }


@pytest.mark.parametrize("statement, mutation", [
    ("a[1:3] = v", "v[:] = -1"),
    ("a[idx] = vi", "idx[:] = 5; vi[:] = -1"),
    ("a[idx] = 7.0", "idx[:] = 5"),
    ("a[mask] = 0.5", "mask[:] = True"),
    ("a[mask] = w", "mask[:] = ~mask; w[:] = -1"),
    ("a[...] = s", "s[()] = -3.0"),
    ("a[2:] = full[:-2]", "full[:] = 0"),
    ("np.copyto(a, full)", "full[:] = 0"),
    ("np.multiply(a, full, out=a)", "full[:] = 0"),
    ("a += full", "full[:] = 0"),
])
def test_assignment_operand_mutated_after_the_statement(mode, rng, statement, mutation):
    x, operands = _assignment_operands(rng)
    namespace = {"np": np, "a": x.copy(), **{k: v.copy() for k, v in operands.items()}}
    exec(statement, namespace)
    expected = namespace["a"]
    namespace = {"np": np, "a": mode.asarray(x), **{k: v.copy() for k, v in operands.items()}}
    exec(statement, namespace)
    exec(mutation, namespace)
    assert_like_numpy(namespace["a"], expected)


@pytest.mark.parametrize("form", [
    "np.matmul(X, m)", "X @ m", "m2 @ X", "X @ v", "np.dot(X, m)", "np.dot(m2, X)",
    "np.dot(X, v)", "np.einsum('ij,jk->ik', X, m)", "np.tensordot(X, m, 1)",
])
def test_linear_algebra_operand_mutated_after_the_call(mode, rng, form):
    x = rng.standard_normal((12, 10))
    operands = {"m": rng.standard_normal((10, 6)), "m2": rng.standard_normal((6, 12)),
                "v": rng.standard_normal(10)}
    expected = eval(form, {"np": np, "X": x, **operands})
    result = eval(form, {"np": np, "X": mode.asarray(x, 4), **operands})
    for operand in operands.values():
        operand[...] = 0.0
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("form", [
    "np.concatenate([X, a])", "np.concatenate([a, X, a], axis=1)", "np.stack([X, a])",
    "np.where(cond, X, a)", "np.where(cond, a, X + 1)", "np.clip(X, a, a + 1)",
])
def test_joining_and_selection_operands_mutated_after_the_call(mode, rng, form):
    x, a = rng.standard_normal((2, 6, 9))
    operands = {"a": a, "cond": rng.standard_normal((6, 9)) > 0}
    expected = eval(form, {"np": np, "X": x, **operands})
    result = eval(form, {"np": np, "X": mode.asarray(x, 4), **operands})
    operands["a"][...] = 1e3
    operands["cond"][...] = ~operands["cond"]
    assert_like_numpy(result, expected)


def test_asarray_snapshots_a_writable_ndarray(mode, rng):
    # Like np.array (not np.asarray): oa.asarray of a writable ndarray takes the values it
    # has now; writing to the ndarray afterwards does not change the OOArray or its results.
    x = rng.standard_normal((10, 10))
    a = x.copy()
    oo = mode.asarray(a, 4)
    doubled = oo * 2
    a[...] = -1.0
    assert_like_numpy(oo, x)
    assert_like_numpy(doubled, x * 2)


def test_writable_memmap_operand_mutated_and_flushed_after_the_call(mode, rng, tmp_path):
    x, values = rng.standard_normal((2, 24))
    mm = np.memmap(tmp_path / "operand.dat", dtype=np.float64, mode="w+", shape=(24,))
    mm[:] = values
    mm.flush()
    expected = x * values + values
    result = mode.asarray(x) * mm + mm
    mm[:] = -7.0
    mm.flush()
    assert_like_numpy(result, expected)
    del mm


def test_read_only_operands_give_numpys_result(mode, rng):
    x, a = rng.standard_normal((2, 6, 10))
    idx = np.array([5, 0, 2])
    mask = a > 0
    for array in (x, a, idx, mask):
        array.setflags(write=False)
    oo = mode.asarray(x, 4)
    assert_like_numpy(oo * 2 + a, x * 2 + a)
    assert_like_numpy(oo[idx], x[idx])
    assert_like_numpy(oo[mask], x[mask])
    assert_like_numpy(oo @ a.T, x @ a.T)
    target = mode.asarray(a, 4)
    target[1:3] = x[1:3]
    expected = a.copy()
    expected[1:3] = x[1:3]
    assert_like_numpy(target, expected)


# -- 2. npbench vadv: a column used, then overwritten -----------------------------------------
@pytest.mark.parametrize("c_kind", ["ooarray", "ndarray"])
def test_vadv_column_overwritten_after_use(mode, rng, c_kind):
    d, a, c = rng.standard_normal((3, 10, 12))
    k = 5
    expected = d[:, k] - a[:, k] - c[:, k]
    C = mode.asarray(c.copy(), 4) if c_kind == "ooarray" else c
    b = mode.asarray(d, 4)[:, k] - mode.asarray(a, 4)[:, k] - C[:, k]
    C[:, k] = 0.0
    C[:, k + 1] = b * 3  # later columns written from b, as vadv's forward sweep does
    assert_like_numpy(b, expected)


def _tridiagonal_sweeps(a, b, c, d):
    """vadv's shape: a forward sweep that writes columns from the previous ones, then back."""
    n = a.shape[1]
    ccol, dcol, out = np.zeros_like(a), np.zeros_like(a), np.zeros_like(a)
    ccol[:, 0] = c[:, 0] / b[:, 0]
    dcol[:, 0] = d[:, 0] / b[:, 0]
    for k in range(1, n):
        divided = 1.0 / (b[:, k] - a[:, k] * ccol[:, k - 1])
        ccol[:, k] = c[:, k] * divided
        dcol[:, k] = (d[:, k] - a[:, k] * dcol[:, k - 1]) * divided
    out[:, n - 1] = dcol[:, n - 1]
    for k in range(n - 2, -1, -1):
        out[:, k] = dcol[:, k] - ccol[:, k] * out[:, k + 1]
    return out


def test_vadv_tridiagonal_sweeps(mode, rng):
    a, c, d = rng.uniform(-1, 1, (3, 9, 14))
    b = rng.uniform(3, 4, (9, 14))  # diagonally dominant: the sweeps are stable
    run_both(_tridiagonal_sweeps, mode, a, b, c, d, chunks=4, rtol=1e-9)


# -- 3. loops of in-place updates ---------------------------------------------------------------
def _jacobi_2d(A, B, steps=50):
    for _ in range(steps):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                               + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                               + B[:-2, 1:-1])
    return A


def test_jacobi_2d_stencil_loop(mode, rng):
    A, B = rng.uniform(0, 1, (2, 30, 30))
    run_both(_jacobi_2d, mode, A, B, rtol=1e-9)


def _jacobi_1d(A, B, steps=100):
    for _ in range(steps):
        B[1:-1] = (A[:-2] + A[1:-1] + A[2:]) / 3.0
        A[1:-1] = (B[:-2] + B[1:-1] + B[2:]) / 3.0
    return A


def test_jacobi_1d_stencil_loop(mode, rng):
    A, B = rng.uniform(0, 1, (2, 40))
    run_both(_jacobi_1d, mode, A, B, rtol=1e-9)


def _gradient_descent(Q, b, x, steps=100, lr=0.1):
    for _ in range(steps):
        x = x - lr * (Q @ x - b)  # the gradient of 0.5 x'Qx - b'x
    return x


def test_gradient_descent_on_a_quadratic(mode, rng):
    n = 20
    m = rng.standard_normal((n, n)) / np.sqrt(n)
    Q = m.T @ m + np.eye(n)  # symmetric positive definite, eigenvalues in [1, ~5]
    b, x0 = rng.standard_normal((2, n))
    value = run_both(_gradient_descent, mode, Q, b, x0, rtol=1e-9)
    assert not np.allclose(value, x0)  # the loop really moved x


def _jacobi_solve(R, d, b, tol=1e-10, cap=200):
    """Solve (diag(d) + R) x = b by Jacobi iteration until the step is below ``tol``."""
    x = np.zeros_like(b)
    err, iterations = np.inf, 0
    while err > tol and iterations < cap:
        x_new = (b - R @ x) / d
        err = float(np.abs(x_new - x).max())
        x = x_new
        iterations += 1
    return x, iterations


def test_convergence_loop_takes_numpys_number_of_iterations(mode, rng):
    n = 24
    R = rng.uniform(-1, 1, (n, n))
    np.fill_diagonal(R, 0.0)
    d = np.full(n, float(n))
    b = rng.standard_normal(n)
    expected, expected_iterations = _jacobi_solve(R, d, b)
    assert 10 < expected_iterations < 200
    result, iterations = _jacobi_solve(mode.asarray(R), mode.asarray(d), mode.asarray(b))
    assert iterations == expected_iterations
    assert_like_numpy(result, expected, rtol=1e-9)


def _row_updates(C, A):
    for i in range(C.shape[0]):
        C[i, :] = C[i, :] * 2 + A[i, :]
    return C


def test_per_row_assignment_loop(mode, rng):
    C, A = rng.standard_normal((2, 20, 12))
    run_both(_row_updates, mode, C, A)


@pytest.mark.parametrize("term", ["np.tanh(a[i, i])", "np.sum(np.tanh(a[i, i]))",
                                  "np.sum(np.tanh(a[i, :]))"])
def test_go_fast_scalar_accumulation_loop(mode, rng, term):
    def go_fast(a):
        trace = 0.0
        for i in range(a.shape[0]):
            trace += eval(term, {"np": np, "a": a, "i": i})
        return a + trace
    x = rng.standard_normal((300, 300))
    run_both(go_fast, mode, x, chunks=16, rtol=1e-9)


def test_in_place_increment_loop(mode):
    def increments(x):
        for _ in range(500):
            x += 1
        return x
    run_both(increments, mode, np.arange(10, dtype=np.int64), chunks=4)


# -- 4. deep plans -------------------------------------------------------------------------------
def test_ten_thousand_chained_elementwise_operations(mode, rng):
    def chain(y):
        for _ in range(10_000):
            y = y * 1.0001 + 1e-6
        return y
    run_both(chain, mode, rng.uniform(0, 1, 30), rtol=1e-9)


@pytest.mark.parametrize("statement", ["a[i % n] = i", "a[i % n] += i"])
def test_three_thousand_element_assignments(mode, statement):
    def assignments(a):
        n = a.shape[0]
        for i in range(3000):
            exec(statement, {"a": a, "i": i, "n": n})
        return a
    run_both(assignments, mode, np.zeros(50, np.int64))


# -- 5. more operands than numexpr takes in one expression ---------------------------------------
@pytest.mark.parametrize("count", [40, 300])
@pytest.mark.parametrize("form", ["sum", "products", "ndarray-operands"])
def test_expression_with_many_distinct_operands(mode, rng, count, form):
    values = list(rng.standard_normal((count, 16)))
    oo = [mode.asarray(v) for v in values]

    def expression(arrays, first):
        if form == "sum":
            return functools.reduce(operator.add, arrays)
        if form == "products":
            return functools.reduce(operator.add, (arrays[i] * arrays[i + 1]
                                                   for i in range(0, len(arrays), 2)))
        return functools.reduce(operator.add, arrays, first)  # ndarrays onto one OOArray

    x = rng.standard_normal(16)
    expected = expression(values, x)
    result = expression(values if form == "ndarray-operands" else oo, mode.asarray(x))
    assert_like_numpy(result, expected, rtol=1e-9)


# -- 6. shared subexpressions -------------------------------------------------------------------
@pytest.mark.parametrize("step", [lambda x: x[1:] + x[:-1], lambda x: np.sin(x) + np.cos(x)],
                         ids=["shifted-sum", "sin+cos"])
def test_diamond_chain_does_not_recompute_shared_work(mode, rng, step):
    # Each step uses the previous result twice: recomputing it per use takes 2**40 steps.
    x = rng.uniform(0, 1, 60)
    expected = x.copy()
    for _ in range(40):
        expected = step(expected)
    start = time.perf_counter()
    result = mode.asarray(x)
    for _ in range(40):
        result = step(result)
    assert_like_numpy(result, expected, rtol=1e-9)
    seconds = time.perf_counter() - start
    assert seconds < 10, f"40 diamond steps took {seconds:.1f} s"


# -- 7. a stencil loop over an array larger than the budget -----------------------------------
STENCIL = textwrap.dedent("""
    import gc, json, sys, time
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, steps, budget = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    oa.config.set(memory_limit=budget)
    A = oa.open(f"{directory}/A.npy", chunks=(100, 100))
    B = oa.open(f"{directory}/B.npy", chunks=(100, 100))
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        start = time.perf_counter()
        for _ in range(steps):
            B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                                   + A[:-2, 1:-1])
            A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                                   + B[:-2, 1:-1])
        A.to_npy(f"{directory}/out{steps}.npy")
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes}))
""")


@pytest.mark.slow
def test_stencil_loop_over_four_times_the_budget_keeps_flat_memory_and_linear_time(tmp_path):
    # 500 x 500 float64 (2 MB per array, 4 MB in all) under a 1 MB budget, in chunks of
    # 100 x 100 (80 KB): every step's arrays are checkpoints written to chunk files, and a
    # loop that never asks for a value settles its pending plan as it goes.
    budget, MiB = 1_000_000, 2**20
    rng = np.random.default_rng(3)
    A, B = rng.uniform(0, 1, (2, 500, 500))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", B)
    measured = {}
    for steps in (100, 200):
        run = subprocess.run([sys.executable, "-c", STENCIL, str(tmp_path), str(steps),
                              str(budget)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        measured[steps] = json.loads(run.stdout.strip().splitlines()[-1])
    expected = {100: _jacobi_2d(A, B, 100).copy()}
    expected[200] = _jacobi_2d(A, B, 100)  # A and B held 100 steps: now 200
    growth = {}
    for steps in (100, 200):
        np.testing.assert_allclose(np.load(tmp_path / f"out{steps}.npy"), expected[steps],
                                   rtol=1e-10)
        growth[steps] = measured[steps]["peak"] - measured[steps]["baseline"]
        assert measured[steps]["pool_peak"] <= budget
        # the interpreter's own allocations on top of the pool (thread stacks, plans)
        assert growth[steps] < 2 * budget + 8 * MiB, \
            f"{steps} steps: RSS grew by {growth[steps] / MiB:.1f} MiB over a 1 MB budget"
    assert growth[200] - growth[100] < 2 * MiB, \
        f"RSS is not flat: {growth[100] / MiB:.1f} MiB after 100 steps, " \
        f"{growth[200] / MiB:.1f} after 200"
    ratio = measured[200]["seconds"] / measured[100]["seconds"]
    assert ratio < 3, (f"200 steps took {ratio:.1f}x as long as 100 "
                       f"({measured[200]['seconds']:.1f} s vs {measured[100]['seconds']:.1f} s)")
