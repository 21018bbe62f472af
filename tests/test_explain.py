"""explain(): the plan read before it runs, the repr's operation, and the notebook HTML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import ooarray as oa
from ooarray.diagnostics.plan_facts import gather
from ooarray.errors import format_bytes
from ooarray.plan.graph import topological_order
from ooarray.plan.lower import Plan
from ooarray.store.zarr import ZarrStore

LIMIT = 4_000_000


@pytest.fixture
def arrays(tmp_path, rng):
    """Three stored arrays: a and b (1000 x 800, 16 chunks of 250 x 200), c (800 x 1000)."""
    stored = []
    for name, shape, chunks in (("a", (1000, 800), (250, 200)), ("b", (1000, 800), (250, 200)),
                                ("c", (800, 1000), (200, 250))):
        values = rng.random(shape)
        stored.append(oa.asarray(values, chunks=chunks).to_zarr(tmp_path / f"{name}.zarr"))
    with oa.config.set(memory_limit=LIMIT, executor="sync", progress=False):
        yield stored


@pytest.fixture
def reads(monkeypatch):
    """Counts the chunks read from Zarr stores."""
    count = {"chunks": 0}
    original = ZarrStore.read_chunk

    def counting(self, *args, **kwargs):
        count["chunks"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ZarrStore, "read_chunk", counting)
    return count


def test_a_fused_chain_names_its_expression_and_its_leaves(arrays):
    a, b, _ = arrays
    x = np.sqrt(a * a + b * b)
    text = str(x.explain())
    fused = x.node.id
    assert f"f{fused} = sqrt(((a0 * a0) + (a1 * a1)))" in text
    assert f"a0 = #{a.node.id} {a.node.label}, a1 = #{b.node.id} {b.node.label}" in text
    members = [n for n in topological_order(x.node) if not n.materialized]
    assert [n.label for n in members] == ["multiply", "multiply", "add", "sqrt"]
    assert "stands for " + ", ".join(f"#{n.id} {n.label}" for n in
                                     sorted(members, key=lambda n: n.id)) in text
    # before optimisation: each elementwise node says where it went
    for node in members:
        assert re.search(rf"#{node.id}\s+{node.label}\s.*fused into f{fused}", text)
    # after optimisation: one numexpr node reads the two stores
    plan = gather(x)
    (expression,) = [f for f in plan.after if f.kind == "numexpr"]
    assert expression.leaves == {"a0": f"#{a.node.id}", "a1": f"#{b.node.id}"}
    assert [f.operation for f in plan.after if f.kind == "elementwise"] == []


def test_a_reduction_counts_the_tasks_and_bytes_a_run_makes(arrays):
    a, b, _ = arrays
    y = np.sqrt(a * a + b * b).sum()
    explained = y.explain()
    text = str(explained)
    (plan,) = explained.plans
    assert repr(y).endswith(", sum>") and text.startswith("sum () float64 (8 B) -> compute()")
    assert "After optimisation: 18 tasks in 3 stages" in text  # 16 partials, combine, sink
    partial = next(f for f in plan.after if f.operation == "sum-partial")
    assert (partial.stage, partial.tasks, partial.bytes_read) == (1, 16, 2 * a.nbytes)
    assert re.search(rf"1\s+#{partial.key[1:]}\s+sum-partial\s+\(4, 4\)\s+record\(v\)\s+"
                     rf"16 x \(1, 1\)\s+16\s+1\s+{re.escape(format_bytes(partial.largest_task))}"
                     rf"\s+12.2 MiB\s+128 B", text)
    assert "read from stores  12.2 MiB in 32 chunk loads" in text
    assert "12800000" not in text  # sizes in human units
    with oa.collect_stats() as stats:
        value = float(y)
    with oa.config.set(memory_limit="64MB"):
        assert np.isclose(value, np.sqrt(np.asarray(a) ** 2 + np.asarray(b) ** 2).sum())
    assert stats.tasks == plan.tasks == 18
    assert stats.bytes_read == plan.io.store_bytes
    assert (stats.hits, stats.misses, stats.evictions) == \
        (plan.io.hits, plan.io.misses, plan.io.evictions)


@pytest.mark.parametrize("policy", ["belady", "lru"])
def test_the_expected_reads_follow_the_policy(arrays, policy):
    # A scan read at a stride and summed: the pool must evict, and re-reads depend on the
    # policy (the estimate replays the schedule through the policy itself).
    a, _, _ = arrays
    with oa.config.set(policy=policy):
        y = np.cumsum(a, axis=0)[::7].sum()
        plan = gather(y)
        with oa.collect_stats() as stats:
            float(y)
        assert f"Expected I/O under policy {policy!r}" in str(y.explain())
    assert plan.io.policy == policy and plan.io.evictions > 0
    assert stats.bytes_read == plan.io.store_bytes
    assert (stats.hits, stats.misses, stats.evictions) == \
        (plan.io.hits, plan.io.misses, plan.io.evictions)


@pytest.mark.parametrize("limit", [16_000_000, 12_000_000])
def test_a_matmul_shows_its_peak_against_the_budget(arrays, limit):
    a, _, c = arrays
    with oa.config.set(memory_limit=limit):
        z = a @ c
        text = str(z.explain(optimized=True))
        lowered = Plan(z.node, z.chunks)
        assert "Before optimisation" not in text
        assert repr(z).endswith(", matmul>")
        assert "matmul (1000, 1000) float64 (7.6 MiB) -> compute()" in text
        assert f"{len(lowered.tasks)} tasks in 1 stage" in text
        assert re.search(rf"1\s+#{z.node.id}\s+matmul\s+\(1000, 1000\)\s+float64\s+"
                         rf"{z.npartitions} x \({z.chunksize[0]}, {z.chunksize[1]}\)\s+"
                         rf"{len(lowered.tasks)}\s+1\s+", text)
        largest = format_bytes(lowered.max_task_bytes)
        assert f"largest task      {largest} (matmul #{z.node.id})" in text
        # one task at a time (BLAS takes every core), beside the 7.6 MiB result
        assert "up to 1 task at once" in text
        peak = lowered.max_task_bytes + z.nbytes
        assert f"projected peak    {format_bytes(peak)} of working sets and result = " \
            f"{peak / limit:.0%} of memory_limit {format_bytes(limit)}: " in text
        fits = peak <= limit
        assert ("DOES NOT FIT" not in text) == fits
        if fits:  # the verdict is the run's
            with oa.collect_stats() as stats:
                z.compute()
            assert stats.tasks == len(lowered.tasks)
        else:
            with pytest.raises(oa.BudgetError):
                z.compute()


def test_a_plan_that_does_not_fit_is_explained_not_refused(arrays):
    a, _, _ = arrays
    with oa.config.set(memory_limit=300_000):  # a 400 kB chunk
        y = a.sum()
        text = str(y.explain())
        assert "DOES NOT FIT" in text
        with pytest.raises(oa.BudgetError):
            float(y)


def test_a_result_larger_than_the_budget_is_explained_as_a_write(arrays):
    a, b, _ = arrays
    with oa.config.set(memory_limit=2_000_000):
        text = str((a + b).explain())
    assert "-> to_zarr()" in text and "compute() would refuse it" in text


def test_explain_and_visualize_compute_nothing(arrays, reads):
    a, b, c = arrays
    deep = a
    for _ in range(40):  # deeper than a task evaluates: the planner takes checkpoints
        deep = deep * 1.0001 + b
    nodes = topological_order(deep.node)
    kinds = [type(node) for node in nodes]
    with oa.collect_stats() as stats:
        texts = [str(oa.explain(np.sqrt(a * a + b * b).sum(), a @ c, deep.sum(), a[3:9]))]
        for form in ("svg", "mermaid", "dot"):
            texts.append(oa.visualize(deep.mean(axis=1), a @ c, format=form))
        texts.append(a.sum()._repr_html_())
    assert (stats.tasks, stats.bytes_read, stats.hits + stats.misses) == (0, 0, 0)
    assert reads["chunks"] == 0
    assert [type(node) for node in nodes] == kinds  # no checkpoint was settled
    assert "checkpoints: " in texts[0]
    float(a[0, 0])
    assert reads["chunks"] == 1  # the counter counts


def test_several_arrays_are_explained_one_after_another(arrays):
    a, b, _ = arrays
    explained = oa.explain(a.sum(axis=0), b[::2].max())
    assert [plan.title.split()[0] for plan in explained.plans] == ["sum", "max"]
    text = str(explained)
    assert text.index("sum (800,)") < text.index("max () float64")
    with pytest.raises(TypeError, match="OOArrays"):
        oa.explain(np.ones(3))


@pytest.mark.parametrize("make, operation", [
    (lambda a, c: a.sum(), "sum"),
    (lambda a, c: a.mean(axis=0), "mean"),
    (lambda a, c: np.std(a, axis=1), "std"),
    (lambda a, c: a.argmax(), "argmax"),
    (lambda a, c: a.sum(axis=0, keepdims=True), "sum"),
    (lambda a, c: a[10:20, ::3], "slice"),
    (lambda a, c: a[3], "slice"),
    (lambda a, c: a @ c, "matmul"),
    (lambda a, c: np.expand_dims(a, 0), "expand_dims"),
    (lambda a, c: a * 2, "multiply"),
    (lambda a, c: np.median(a, axis=0), "median"),
    (lambda a, c: np.where(a > 0.5, a, 0), "where"),
    (lambda a, c: np.clip(a, 0.1, 0.2), "clip"),
])
def test_the_repr_names_the_operation(arrays, make, operation):
    a, _, c = arrays
    assert repr(make(a, c)).endswith(f", {operation}>")


def test_a_reduction_ends_in_a_squeeze_not_a_slice(arrays):
    a, _, _ = arrays
    assert a.sum().node.label == "squeeze"
    assert a[5:7].node.label == "slice"


def _check_html(text: str) -> ET.Element:
    root = ET.fromstring(text)  # well-formed
    assert root.tag == "div"
    return root


@pytest.mark.parametrize("shape, chunks, grid_lines", [
    ((), (), None), ((1000,), 100, 9), ((30, 40), (10, 20), 2 + 1),
    ((3, 40, 100), (1, 10, 60), 3 + 1),
])
def test_the_notebook_html_is_a_table_and_a_chunk_grid(shape, chunks, grid_lines):
    x = oa.asarray(np.ones(shape), chunks=chunks) + 1
    root = _check_html(x._repr_html_())
    text = "".join(root.itertext())
    for fact in (str(x.shape), str(x.dtype), str(x.chunksize), format_bytes(x.nbytes),
                 "add", f"{x.npartitions} chunk"):
        assert fact in text
    svg = root.find(".//{http://www.w3.org/2000/svg}svg")
    if grid_lines is None:
        assert svg is None
        return
    assert len(svg.findall("{http://www.w3.org/2000/svg}line")) == grid_lines
    if len(shape) > 2:
        assert "(3,) (leading axes)" in text


def test_a_dense_grid_is_shaded_not_lined():
    x = oa.asarray(np.ones((10, 1000)), chunks=(10, 10))
    svg = _check_html(x._repr_html_()).find(".//{http://www.w3.org/2000/svg}svg")
    assert svg.findall("{http://www.w3.org/2000/svg}line") == []


def test_the_explanation_html_is_well_formed(arrays):
    a, b, _ = arrays
    root = _check_html(oa.explain(np.sqrt(a * a + b * b).sum(), a[1:3])._repr_html_())
    text = "".join(root.itertext())
    assert "sqrt(((a0 * a0) + (a1 * a1)))" in text and "projected peak" in text
