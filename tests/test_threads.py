"""Threads: settings per thread, computations that run at once and share the process budget,
and plans that other threads settle while they are made."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import ooarray as oa
from ooarray.buffer.manager import BufferManager
from ooarray.execute.admission import ProcessBudget, Share, process_budget
from ooarray.interop.gufunc import apply_gufunc

TIMEOUT = 60


def _run_threads(*targets) -> list:
    """Run each target in a thread; return their results; re-raise the first failure."""
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def call(position, target):
        try:
            results[position] = target()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)

    threads = [threading.Thread(target=call, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a thread did not finish: computations hang"
    if errors:
        raise errors[0]
    return results


def test_interleaved_with_blocks_stay_in_their_threads_and_restore_exactly():
    before = oa.config.get()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with oa.config.set(memory_limit="16MB"):
            a_in.set()
            assert b_in.wait(TIMEOUT)
            seen["a inside, b inside"] = oa.config.get().memory_limit
        a_out.set()
        seen["a after"] = oa.config.get()

    def thread_b():
        assert a_in.wait(TIMEOUT)
        seen["b before, a inside"] = oa.config.get().memory_limit
        with oa.config.set(memory_limit="32MB", policy="lru"):
            b_in.set()
            assert a_out.wait(TIMEOUT)
            seen["b inside, a left"] = (oa.config.get().memory_limit, oa.config.get().policy)
        seen["b after"] = oa.config.get()

    _run_threads(thread_a, thread_b)
    assert seen["a inside, b inside"] == 16 * 10**6
    assert seen["b before, a inside"] == before.memory_limit != 16 * 10**6
    assert seen["b inside, a left"] == (32 * 10**6, "lru")
    # A thread starts from the process defaults; each left its block as it found it.
    assert seen["a after"].memory_limit == seen["b after"].memory_limit
    assert oa.config.get() == before


def test_a_statement_sets_the_process_defaults_for_other_threads():
    script = """
import threading, ooarray as oa
oa.config.set(memory_limit="48MB")
seen = []
thread = threading.Thread(target=lambda: seen.append(oa.config.get().memory_limit))
thread.start(); thread.join()
with oa.config.set(memory_limit="8MB"):
    inside = []
    other = threading.Thread(target=lambda: inside.append(oa.config.get().memory_limit))
    other.start(); other.join()
    oa.config.set(policy="lru")  # inside a block: the block's settings only
    assert oa.config.get().policy == "lru"
print(seen[0], inside[0], oa.config.get().memory_limit, oa.config.get().policy)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["48000000", "48000000", "48000000", "belady"]


def _rendezvous_double(barrier: threading.Barrier, seen: list):
    def double(block: np.ndarray) -> np.ndarray:
        seen.append(oa.config.get().memory_limit)
        barrier.wait(TIMEOUT / 2)  # both computations' tasks are running at once
        return block * 2

    return double


@pytest.mark.parametrize("executor", ["threads", "sync"])
def test_two_threads_compute_at_once_with_their_own_settings(executor):
    barrier = threading.Barrier(2)
    seen_a, seen_b = [], []
    data = np.arange(1000.0)

    def compute(limit: str, seen: list):
        def target():
            with oa.config.set(memory_limit=limit, executor=executor, eager_bytes=0):
                a = oa.asarray(data, chunks=1000)
                return apply_gufunc(_rendezvous_double(barrier, seen), "()->()", a,
                                    output_dtypes=float).compute()
        return target

    result_a, result_b = _run_threads(compute("24MB", seen_a), compute("40MB", seen_b))
    np.testing.assert_array_equal(result_a, data * 2)
    np.testing.assert_array_equal(result_b, data * 2)
    # The task threads saw the settings of the computation they worked for.
    assert seen_a == [24 * 10**6] and seen_b == [40 * 10**6]


def _watch_pools(stop: threading.Event, peaks: list) -> None:
    budget = process_budget()
    while not stop.is_set():
        shares = list(budget._running)
        peaks.append((len(shares), sum(s.pool.held_bytes + s.resident for s in shares)))
        time.sleep(0.0005)


def test_computations_at_once_share_one_budget(tmp_path):
    limit = 8 * 2**20
    rng = np.random.default_rng(7)
    data = rng.standard_normal(2 * 2**20)  # 16 MiB, twice the budget
    np.save(tmp_path / "x.npy", data)
    barrier = threading.Barrier(2)
    stop, peaks = threading.Event(), []
    watcher = threading.Thread(target=_watch_pools, args=(stop, peaks))
    watcher.start()

    def compute(which: int):
        def target():
            with oa.config.set(memory_limit=limit, eager_bytes=0):
                x = oa.open(tmp_path / "x.npy", chunks=2**16)
                start = apply_gufunc(_rendezvous_double(barrier, []), "()->()", x[:10],
                                     output_dtypes=float)
                if which:
                    return float(start.sum()), np.sort(x)[::4096].compute()
                return float(start.sum()), float((x * 2 + 1).std())
        return target

    try:
        (first, std), (second, sorted_part) = _run_threads(compute(0), compute(1))
    finally:
        stop.set()
        watcher.join()
    assert first == second == pytest.approx(data[:10].sum() * 2)
    assert std == pytest.approx((data * 2 + 1).std(), rel=1e-12)
    np.testing.assert_array_equal(sorted_part, np.sort(data)[::4096])
    together = [held for running, held in peaks if running == 2]
    assert together, "the two computations never ran at once"
    assert max(held for _, held in peaks) <= limit


def test_a_pool_taken_with_free_buffers_is_cut_to_its_share_before_it_counts():
    # The pool a computation takes may keep the free buffers of the one that ran in it
    # before, up to that one's whole budget; with another computation running, they would
    # put the process over its budget. They are cut before the new share joins the running.
    budget, limit = ProcessBudget(), 8 * 2**20
    running = Share(limit, need=2**20, resident=0)
    budget.join(running, lambda: BufferManager(limit))
    running.pool.release(running.pool.allocate((3 * 2**20,), np.uint8))  # 3 MiB in use, free
    used = BufferManager(limit)
    used.release(used.allocate((7 * 2**20,), np.uint8))  # left by an earlier computation
    assert used.held_bytes == 7 * 2**20
    seen = []

    def take() -> BufferManager:
        seen.append(list(budget._running))
        return used

    joining = Share(limit, need=2**20, resident=0)
    budget.join(joining, take)
    assert seen == [[running]]
    assert joining.granted == running.granted == limit // 2
    assert used.held_bytes <= joining.granted
    assert running.pool.held_bytes + used.held_bytes <= limit
    budget.leave(joining)
    budget.leave(running)
    assert budget.running == 0


def test_a_computation_that_cannot_fit_beside_another_waits_for_it():
    # Each needs more than half the budget: the second runs after the first, and both are right.
    limit = 3 * 2**20
    data = np.arange(2**18, dtype=np.float64)  # 2 MiB, one chunk: a task of ~2 MiB or more

    def target():
        with oa.config.set(memory_limit=limit, eager_bytes=0):
            return (oa.asarray(data, chunks=2**18) + 1).sum().compute()

    for result in _run_threads(target, target, target):
        assert result == (data + 1).sum()


def test_threads_settling_a_shared_deep_plan_get_numpy_answers():
    # A plan deep enough to settle checkpoints, which the threads keep extending at once.
    with oa.config.set(memory_limit="16MB"):
        base_numpy = np.linspace(0.0, 1.0, 64)
        base = oa.asarray(base_numpy, chunks=16)
        for i in range(40):
            base = base * 0.99 + i / 1000
            base_numpy = base_numpy * 0.99 + i / 1000

    def extend(scale: float):
        def target():
            with oa.config.set(memory_limit="16MB", eager_bytes=0):
                x, expected = base, base_numpy
                for i in range(300):
                    x = x[::-1] * scale + x / 3
                    expected = expected[::-1] * scale + expected / 3
                    if i % 60 == 0:
                        np.testing.assert_allclose(float(x.sum()), expected.sum(),
                                                   rtol=1e-10)
                return x.compute(), expected
        return target

    for got, expected in _run_threads(extend(0.5), extend(0.25), extend(0.125)):
        np.testing.assert_allclose(got, expected, rtol=1e-10)


RSS_SCRIPT = """
import gc, json, sys, threading
import numpy as np
import ooarray as oa
from ooarray.diagnostics.memory import RSSSampler
directory, chunk = sys.argv[1], int(sys.argv[2])
oa.config.set(memory_limit="16MB", eager_bytes=0)
a, b = (oa.open(f"{directory}/{name}.npy", chunks=chunk) for name in "ab")
results = {}
def one(name, expr):
    results[name] = float(expr())
jobs = [("sum", lambda: (a * a + b).sum()), ("std", lambda: (a - b).std())]
gc.collect()
with RSSSampler(interval=0.001) as rss:
    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(json.dumps({**results, "growth": rss.peak - rss.baseline}))
"""


@pytest.mark.parametrize("chunk", [2**16, 2**18], ids=["side-by-side", "one-after-another"])
def test_computations_at_once_keep_the_process_within_the_budget(tmp_path, chunk):
    # 2**18 float64 chunks: each computation needs more than half of 16 MB, so the second
    # waits; it must not run in a pool of its own while the first one's free buffers stay
    # (the process grew to 41 MiB at a 30.5 MiB budget that way).
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(2**22), rng.standard_normal(2**22)  # 32 MiB each
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    done = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(tmp_path), str(chunk)],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["sum"] == pytest.approx((a * a + b).sum(), rel=1e-12)
    assert measured["std"] == pytest.approx((a - b).std(), rel=1e-12)
    assert measured["growth"] <= 16 * 10**6 + 2 * 2**20, \
        f"RSS grew by {measured['growth'] / 2**20:.1f} MiB over a 16 MB budget"


def test_collect_stats_counts_its_own_thread_only():
    started, counted = threading.Event(), threading.Event()

    def busy():
        assert started.wait(TIMEOUT)
        with oa.config.set(memory_limit="16MB", eager_bytes=0):
            oa.asarray(np.arange(4096.0), chunks=64).sum().compute()
        counted.set()

    def collecting():
        with oa.collect_stats() as own, oa.config.set(eager_bytes=0):
            started.set()
            assert counted.wait(TIMEOUT)
            float(oa.asarray(np.arange(100.0), chunks=50).sum())
        return own.tasks

    _, tasks = _run_threads(busy, collecting)
    # Its own sum only (two blocks and a combine): not the other thread's 64 blocks.
    assert 0 < tasks < 10
