"""Checkpoints: shared and deep region nodes are computed once and settled before a plan runs."""

from __future__ import annotations

import gc
import glob
import os

import numpy as np
import pytest
from helpers import assert_like_numpy

import ooarray as oa
from ooarray.plan import checkpoint
from ooarray.plan.fuse import MAX_INPUTS, FusedExpression
from ooarray.plan.graph import ConstantNode, SourceNode, topological_order


def test_a_diamond_chain_checkpoints_its_shared_levels():
    x = oa.asarray(np.arange(60.0), chunks=8)
    levels = []
    for _ in range(12):
        x = x[1:] + x[:-1]
        levels.append(x.node)
    chosen = checkpoint.checkpoints(x.node)
    assert chosen and x.node not in chosen
    assert all(not node.is_view for node in chosen)
    # no node is evaluated more than MAX_EVALUATIONS times once the checkpoints are stored
    assert len(chosen) >= (len(levels) - 1) // 4


def test_a_long_chain_is_cut_every_max_depth_costly_nodes():
    x = oa.asarray(np.ones(10), chunks=5)
    for _ in range(100):
        x = x * 1.5
    chosen = checkpoint.checkpoints(x.node)
    assert len(chosen) == 100 // (checkpoint.MAX_DEPTH + 1)
    views = oa.asarray(np.ones(10), chunks=5)
    for _ in range(250):
        views = views[::-1]
    assert len(checkpoint.checkpoints(views.node)) == 250 // (checkpoint.MAX_VIEW_DEPTH + 1)


def test_a_loop_that_never_asks_for_a_value_keeps_a_bounded_plan():
    values = np.linspace(0, 1, 12)
    x, expected = oa.asarray(values, chunks=5), values
    depths = []
    for _ in range(2000):
        x, expected = x * 0.999 + 0.001, expected * 0.999 + 0.001
        depths.append(x.node.depth)
    assert max(depths) <= checkpoint.MAX_PENDING_DEPTH + 1
    assert len(topological_order(x.node)) <= checkpoint.MAX_PENDING_DEPTH + 2
    assert_like_numpy(x, expected)


def test_shared_work_is_computed_once(monkeypatch):
    computed = []
    original = FusedExpression.compute

    def counting(self, arrays, region, ctx):
        computed.append(int(np.prod([s.stop - s.start for s in region])))
        return original(self, arrays, region, ctx)

    monkeypatch.setattr(FusedExpression, "compute", counting)
    values = np.linspace(0, 1, 60)
    x, expected = oa.asarray(values, chunks=8), values
    for _ in range(40):  # 2**40 evaluations of the first level if computed as a tree
        x, expected = x[1:] + x[:-1], expected[1:] + expected[:-1]
    assert_like_numpy(x, expected)
    levels = sum(60 - k for k in range(1, 41))
    assert sum(computed) <= 4 * levels


def test_checkpoints_are_settled_and_reused():
    values = np.linspace(0, 1, 40)
    x = oa.asarray(values, chunks=8)
    for _ in range(6):
        x = x[1:] + x[:-1] + x[1:] * x[:-1]
    chosen = checkpoint.checkpoints(x.node)
    assert chosen
    first = x.sum()
    float(first)
    for node in chosen:  # each now stands for its values and holds no inputs
        assert isinstance(node, ConstantNode) and node.inputs == ()
    assert checkpoint.checkpoints(x.node) == []
    expected = values
    for _ in range(6):
        expected = expected[1:] + expected[:-1] + expected[1:] * expected[:-1]
    assert_like_numpy(x, expected)


def test_a_large_checkpoint_goes_to_a_file_that_is_removed_with_it(tmp_path):
    with oa.config.set(memory_limit="160KB", spill_dir=str(tmp_path)):
        values = np.linspace(0, 1, 4000)  # 32 KB: over the in-memory share of 160 KB
        x = oa.asarray(values, chunks=500)
        expected = values
        for _ in range(5):
            x = x[2:] + x[:-2] + x[1:-1]
            expected = expected[2:] + expected[:-2] + expected[1:-1]
        assert_like_numpy(x, expected)
        files = glob.glob(os.path.join(tmp_path, "ooarray-checkpoint-*"))
        assert files
        del x
        gc.collect()
        assert not glob.glob(os.path.join(tmp_path, "ooarray-checkpoint-*"))


def test_plans_ten_thousand_nodes_deep_build_and_compute():
    values = np.linspace(0, 1, 16)
    x, expected = oa.asarray(values, chunks=16), values
    for _ in range(5000):
        x, expected = x * 1.0001 + 1e-6, expected * 1.0001 + 1e-6
    assert_like_numpy(x, expected)


def test_loop_budget_estimates_stay_near_the_data():
    # A stencil loop on kilobytes of data runs in a budget of a few chunks: its checkpoints
    # keep every task's tree shallow, so no estimate sums a deep tree's temporaries.
    n = 24
    a = np.fromfunction(lambda i, j: i * (j + 2) / n, (n, n))
    b = np.fromfunction(lambda i, j: i * (j + 3) / n, (n, n))
    with oa.config.set(memory_limit="200KB"):
        A, B = oa.asarray(a, chunks=8), oa.asarray(b, chunks=8)
        for _ in range(30):
            B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                                   + A[:-2, 1:-1])
            A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                                   + B[:-2, 1:-1])
            b[1:-1, 1:-1] = 0.2 * (a[1:-1, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] + a[2:, 1:-1]
                                   + a[:-2, 1:-1])
            a[1:-1, 1:-1] = 0.2 * (b[1:-1, 1:-1] + b[1:-1, :-2] + b[1:-1, 2:] + b[2:, 1:-1]
                                   + b[:-2, 1:-1])
        assert_like_numpy(A, a)
        assert_like_numpy(B, b)


@pytest.mark.parametrize("count", [40, 300])
def test_fused_expressions_stay_within_numexpr_inputs(count, monkeypatch):
    seen = []
    original = FusedExpression.compute

    def recording(self, arrays, region, ctx):
        seen.append(len(self.names) + len(self.constants))
        return original(self, arrays, region, ctx)

    monkeypatch.setattr(FusedExpression, "compute", recording)
    rng = np.random.default_rng(0)
    arrays = [rng.random(20) for _ in range(count)]
    total, expected = oa.asarray(arrays[0], chunks=7), arrays[0]
    for i, values in enumerate(arrays[1:]):
        total = total + oa.asarray(values, chunks=7) * (i % 3)
        expected = expected + values * (i % 3)
    assert_like_numpy(total, expected)
    assert seen and max(seen) <= MAX_INPUTS


def test_a_writable_memmap_operand_is_snapshotted_to_a_file(tmp_path):
    path = tmp_path / "m.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=(200, 50))
    mm[:] = 1.0
    with oa.config.set(memory_limit="64KB", spill_dir=str(tmp_path)):
        x = oa.asarray(mm)  # 80 KB: more than a quarter of the budget, so to a file
        assert isinstance(x.node, SourceNode)
        y = x + mm
        mm[:] = 5.0
        mm.flush()
        assert float(y.sum()) == 2.0 * mm.size
        assert float(x.sum()) == mm.size
        assert glob.glob(os.path.join(tmp_path, "ooarray-snapshot-*"))
        del x, y
        gc.collect()
        assert not glob.glob(os.path.join(tmp_path, "ooarray-snapshot-*"))
    read_only = np.memmap(path, dtype=np.float64, mode="r", shape=(200, 50))
    assert oa.asarray(read_only).node.store.path == str(path)  # frozen: read in place


def test_a_task_too_large_for_the_budget_gets_smaller_trees(monkeypatch):
    # Thirty planes assigned one after another: a task that evaluates the chain holds one
    # region buffer per assignment, more than the budget; cutting the chain fits it.
    from ooarray import compute as runner

    def program():
        values = np.zeros((40, 10, 16))
        a = oa.asarray(values, chunks=(5, 10, 16))
        for k in range(30):
            plane = np.full((40, 10), float(k))
            a[:, :, k % 16] = plane * (k + 1)
            values[:, :, k % 16] = plane * (k + 1)
        return a, values

    with oa.config.set(memory_limit="120KB"):
        monkeypatch.setattr(runner, "SMALLER_TASKS", ())
        a, values = program()
        with pytest.raises(oa.BudgetError):
            float(a.sum())
        monkeypatch.undo()
        a, values = program()
        assert float(a.sum()) == values.sum()
        assert_like_numpy(a[::7], values[::7])
