"""The memory budget: refused before any work, with the sizes, in NumPy's MemoryError family."""

import numpy as np
import pytest

import ooarray as oa
from ooarray.plan.graph import SourceNode
from ooarray.store.generated import GeneratedStore


def _counting_array(shape, chunks, calls):
    def fill(index, region, out):
        calls.append(index)
        out.fill(1.0)

    store = GeneratedStore(shape, np.float64, chunks, fill, "counted")
    return oa.OOArray(SourceNode(store))


def test_budget_too_small_for_one_task_fails_before_any_work():
    calls = []
    array = _counting_array((4096, 1024), ((1024,) * 4, (1024,)), calls)  # 8 MiB chunks
    with oa.config.set(memory_limit="4MB"), pytest.raises(oa.BudgetError) as caught:
        float((array * 2 + 1).sum())
    assert calls == []
    error = caught.value
    assert isinstance(error, MemoryError)
    assert error.needed > error.limit == 4_000_000
    assert "memory_limit=3.8 MiB" in str(error) and "chunks=" in str(error)


def test_compute_of_a_result_larger_than_the_budget_is_refused():
    with oa.config.set(memory_limit="1MB"), pytest.raises(oa.BudgetError) as caught:
        oa.ones((1000, 1000)).compute()
    message = str(caught.value)
    assert "7.6 MiB" in message and "976.6 KiB" in message and "to_zarr" in message
    with oa.config.set(memory_limit="1MB"), pytest.raises(oa.BudgetError):
        np.asarray(oa.ones((1000, 1000)))


def test_same_work_runs_when_budget_allows_and_stays_in_pool_budget():
    calls = []
    array = _counting_array((4096, 1024), ((256,) * 16, (1024,)), calls)  # 2 MiB chunks
    with oa.config.set(memory_limit="16MB"), oa.collect_stats() as stats:
        assert float((array * 2 + 1).sum()) == 3.0 * 4096 * 1024
    assert len(calls) == 16
    assert 0 < stats.peak_bytes <= 16_000_000
    assert oa.execute.pool().overshoot_bytes == 0


def test_concurrency_is_reduced_to_what_the_budget_holds():
    # A budget holding one task's working set still runs (one task at a time).
    calls = []
    array = _counting_array((1024, 1024), ((256,) * 4, (1024,)), calls)
    with oa.config.set(memory_limit="5MB", num_threads=2), oa.collect_stats() as stats:
        assert float(array.sum()) == 1024 * 1024
    assert stats.peak_bytes <= 5_000_000
