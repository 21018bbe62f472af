"""Executors: sync and threads give the same answers; library threads are restored; progress."""

import numexpr
import numpy as np
import pytest

import ooarray as oa


@pytest.mark.parametrize("policy", ["belady", "lru"])
def test_sync_and_threads_agree_with_numpy(policy):
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((300, 70)), rng.standard_normal((70,))
    expected = (np.sqrt(np.abs(x * y)) + x).std(axis=0)
    results = []
    for executor in ("sync", "threads"):
        with oa.config.set(executor=executor, policy=policy, memory_limit="2MB"):
            a = oa.asarray(x, chunks=(37, 16))
            results.append(np.std(np.sqrt(np.abs(a * y)) + a, axis=0).compute())
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_numexpr_threads_restored_after_compute():
    before = numexpr.get_num_threads()
    with oa.config.set(num_threads=2):
        float((oa.ones(1000, chunks=100) * 2).sum())
    assert numexpr.get_num_threads() == before


def test_progress_bar_shows_tasks(capsys):
    pytest.importorskip("tqdm")
    with oa.config.set(progress=True):
        float(oa.ones(1000, chunks=100).sum())
    assert "task" in capsys.readouterr().err


def test_stats_accumulate_and_scope():
    oa.reset_stats()
    with oa.collect_stats(trace=True) as scoped:
        float(oa.arange(100.0, chunks=10).sum())
    total = oa.stats()
    assert scoped.tasks == total.tasks > 0
    assert scoped.misses == 10 and scoped.bytes_read == 800
    assert [event for event, _ in scoped.trace].count("miss") == 10
    assert set(scoped.as_dict()) >= {"hits", "misses", "hit_rate", "evictions", "bytes_read",
                                      "bytes_written", "bytes_spilled", "peak_bytes"}
    assert "hit_rate" in repr(scoped)


def test_to_zarr_counts_bytes_written(tmp_path):
    with oa.collect_stats() as stats:
        oa.ones((50, 4), chunks=(10, 4)).to_zarr(tmp_path / "x.zarr")
    assert stats.bytes_written == 50 * 4 * 8


def test_an_empty_scope_does_not_drop_the_process_totals():
    oa.reset_stats()
    with oa.collect_stats():
        pass  # equal counters to the (empty) totals: it must still remove itself only
    float(oa.ones(10, chunks=5).sum())
    assert oa.stats().tasks > 0
