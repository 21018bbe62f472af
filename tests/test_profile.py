"""``ooarray.profile()``: time per operation, CPU, memory over time against the budget, the
buffer pool's access trace, the report and the figures; and the pool's counters that tell
chunks freed after their last use from evictions."""

from __future__ import annotations

import collections
import pickle
import time

import numpy as np
import pytest

import ooarray as oa
from ooarray.diagnostics.profile import COUNTERS, Profile, _Timed, operation_of
from ooarray.interop.gufunc import apply_gufunc

SLEEP = 0.02
BLOCKS = 6


def slow_block(block: np.ndarray) -> np.ndarray:
    time.sleep(SLEEP)
    return block * 2


class Labels(oa.Callback):
    """The operation of every task that ends, as the plan names it."""

    def __init__(self) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        self.plans: list = []

    def on_plan_start(self, plan) -> None:
        self.plans.append(plan)

    def on_task_end(self, task, stats) -> None:
        self.seen[task.node.label] += 1


def streamed_sum(limit: int | str, executor: str = "sync") -> tuple[float, oa.Profile]:
    """A sum of a generated input (its chunks go through the pool), read twice."""
    with oa.config.set(memory_limit=limit, executor=executor, num_threads=2), \
            oa.profile() as p:
        a = oa.random.default_rng(3).random(20_000, chunks=1_000)
        total = float((a + a[::-1]).sum())
    return total, p


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_profile_records_each_operations_task_time(executor):
    labels = Labels()
    with oa.config.set(executor=executor, num_threads=2), oa.profile() as p, labels:
        a = oa.asarray(np.arange(10.0 * BLOCKS), chunks=10)
        total = float(apply_gufunc(slow_block, "()->()", a, output_dtypes=float).sum())
    assert total == 2 * np.arange(10.0 * BLOCKS).sum()
    assert isinstance(p, oa.Callback) and isinstance(p, Profile)
    operations = p.operations
    # Every task, by the label its plan node has.
    assert {name: op.tasks for name, op in operations.items()} == dict(labels.seen)
    slow = operations["slow_block"]
    assert slow.tasks == BLOCKS
    assert slow.seconds >= BLOCKS * SLEEP and slow.longest >= SLEEP
    assert list(operations)[0] == "slow_block"  # the longest first
    assert all(record.measured for record in p.tasks)
    # The plans have their own methods back.
    assert all("run_task" not in vars(plan) for plan in labels.plans)
    assert len(p.computations) == 1 and p.computations[0].end is not None
    assert p.computations[0].tasks == len(p.tasks) == p.stats.tasks
    assert p.seconds >= BLOCKS * SLEEP / 2  # threads sleep two at a time
    assert 0 <= p.cpu_utilisation < 0.5  # the tasks sleep


def test_cpu_time_of_the_block_against_its_cores():
    with oa.profile() as p:
        spin = time.perf_counter() + 0.3
        while time.perf_counter() < spin:
            pass
    assert p.seconds >= 0.3 and p.cpu_seconds > 0.05
    assert p.cpu_utilisation == pytest.approx(p.cpu_seconds / (p.seconds * p.cores))
    assert max(u for _t, u in p.cpu) > 0


def test_memory_is_sampled_against_the_budget():
    _total, p = streamed_sum(200_000)
    samples = p.memory
    assert len(samples) >= 2
    assert [s.time for s in samples] == sorted(s.time for s in samples)
    assert all(s.rss > 0 for s in samples)
    assert p.computations[0].memory_limit == 200_000
    assert 0 < p.stats.peak_bytes <= 200_000
    assert samples[-1].time <= p.seconds + 0.01
    assert all(0 <= u <= 1.5 for _t, u in p.cpu)


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_the_trace_over_time_agrees_with_the_counters(executor):
    _total, p = streamed_sum(40_000, executor)
    stats, counts = p.stats, p.trace_counts()
    assert counts.get("hit", 0) == stats.hits and counts["miss"] == stats.misses
    assert counts.get("evict", 0) == stats.evictions > 0
    assert counts.get("free", 0) == stats.freed > 0
    last = p.counters[-1]
    assert [getattr(last, name) for name in COUNTERS] == [getattr(stats, name)
                                                            for name in COUNTERS]
    for name in COUNTERS:  # cumulative: never down
        values = [getattr(point, name) for point in p.counters]
        assert values == sorted(values), name
    assert [point.time for point in p.counters] == sorted(point.time for point in p.counters)


def test_frees_are_not_evictions():
    # Streaming under a large budget: every chunk is dropped after its last use, none evicted.
    with oa.config.set(memory_limit="8MB", executor="sync"), oa.collect_stats() as large:
        float(np.sqrt(oa.random.default_rng(0).random(20_000, chunks=1_000) + 1).sum())
    assert large.evictions == 0 and large.freed >= 20 and large.misses == 20
    assert "evictions=0, freed=" in repr(large)
    # Read twice under a tiny budget: chunks still to be read must make room.
    _total, p = streamed_sum(40_000)
    assert p.stats.evictions > 0 and p.stats.freed > 0
    process = oa.stats()
    assert process.freed >= large.freed  # the process totals count frees as well


def test_the_report_names_the_operations_and_says_why_nothing_was_evicted():
    with oa.config.set(executor="sync"), oa.profile() as p:
        a = oa.asarray(np.arange(10.0 * BLOCKS), chunks=10)
        float(apply_gufunc(slow_block, "()->()", a, output_dtypes=float).sum())
        float(oa.random.default_rng(0).random(5_000, chunks=1_000).max())
    text = p.report()
    assert isinstance(text, str)
    for name in p.operations:
        assert name in text
    table = text[text.index("operation"):].splitlines()
    assert table[2].split()[:2] == ["slow_block", str(BLOCKS)]  # the longest first
    assert "2 computations" in text and "memory_limit" in text and "CPU" in text
    assert f"{p.stats.freed} chunks freed after their last use" in text
    assert "no chunk was evicted" in text
    _total, tight = streamed_sum(40_000)
    assert f"{tight.stats.evictions} chunks were evicted" in tight.report()


def test_an_empty_block_reports_no_computation():
    with oa.profile() as p:
        pass
    assert "no computation ran" in p.report()


def test_plot_draws_memory_against_the_budget_the_io_trace_and_time_per_operation(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    limit = 200_000
    with oa.config.set(memory_limit=limit, executor="sync"), oa.profile() as p:
        a = oa.random.default_rng(3).random(20_000, chunks=1_000)
        float((a + a[::-1]).sum())
        float(apply_gufunc(slow_block, "()->()", a[:3000], output_dtypes=float).sum())
    figures = p.plot(tmp_path / "figures")
    assert list(figures) == ["memory", "io", "operations"]

    memory, cpu = figures["memory"].axes
    lines = {line.get_label().split(" (")[0]: line for line in memory.get_lines()}
    assert set(lines) == {"buffer pools", "RSS above the start", "memory_limit"}
    assert set(lines["memory_limit"].get_ydata()) == {limit}  # the budget line
    assert len(lines["buffer pools"].get_xdata()) == len(p.memory)
    assert cpu.get_lines() and cpu.get_ylabel() == "CPU %"

    counts, volumes = figures["io"].axes
    steps = {line.get_label().split(" (")[0]: line for line in counts.get_lines()}
    assert set(steps) == {"hits", "misses", "evictions", "freed"}
    for name, event in (("hits", "hits"), ("misses", "misses"), ("evictions", "evictions"),
                        ("freed", "freed")):
        assert steps[name].get_ydata()[-1] == getattr(p.stats, event), name
    assert {line.get_label().split(" (")[0] for line in volumes.get_lines()} == {
        "bytes read", "bytes written", "bytes spilled"}

    (bars,) = figures["operations"].axes
    names = [label.get_text() for label in bars.get_yticklabels()]
    assert sorted(names) == sorted(p.operations) and names[-1] == "slow_block"
    widths = [patch.get_width() for patch in bars.patches]
    assert widths[-1] == pytest.approx(p.operations["slow_block"].seconds)

    for name in figures:
        written = tmp_path / "figures" / f"profile-{name}.png"
        assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figures["memory"].savefig(tmp_path / "again.png")
    assert (tmp_path / "again.png").stat().st_size > 1000


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    import sys

    with oa.profile() as p:
        pass
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        p.plot()


def test_two_profiles_at_once_and_a_plan_shipped_elsewhere():
    class Ship(oa.Callback):
        def on_plan_start(self, plan):
            # A plan pickled while it is timed (as the dask executor ships it to the
            # workers) unpickles with its own methods.
            assert isinstance(vars(plan)["run_task"], _Timed)
            shipped = pickle.loads(pickle.dumps(plan))
            self.methods = [getattr(shipped, name) for name in ("run_task", "make_chunk")]

    ship = Ship()
    with oa.config.set(executor="sync"), oa.profile() as outer, oa.profile() as inner, ship:
        a = oa.asarray(np.arange(10.0 * BLOCKS), chunks=10)
        float(apply_gufunc(slow_block, "()->()", a, output_dtypes=float).sum())
    assert not any(isinstance(method, _Timed) for method in ship.methods)
    for p in (outer, inner):
        assert p.operations["slow_block"].seconds >= BLOCKS * SLEEP
    assert outer.stats.tasks == inner.stats.tasks > BLOCKS


def test_operation_of_names_a_task_by_its_node():
    class Node:
        label = "add"

    class Task:
        node = Node()

    assert operation_of(Task()) == "add"
    assert operation_of(object()) == "NoneType"
