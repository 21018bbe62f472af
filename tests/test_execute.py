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


# -- writing behind: a store chunk is written while the next task computes ------------------

def _stored_matmul(rng, n=48, chunk=8):
    from ooarray.plan.graph import SourceNode
    from ooarray.store.memory import MemoryStore

    x, y = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    grid = ((chunk,) * (n // chunk),) * 2
    a, b = (oa.OOArray(SourceNode(MemoryStore(v.shape, v.dtype, grid, v))) for v in (x, y))
    return x, y, a @ b


def test_matmul_tiles_are_written_behind_and_match_numpy(tmp_path, rng):
    import threading

    from ooarray.store.zarr import ZarrStore

    writers = set()
    original = ZarrStore.write_chunk

    def recording(self, index, data, borrow=None):
        writers.add(threading.current_thread().name)
        return original(self, index, data, borrow)

    with oa.config.set(memory_limit="32KB"), oa.collect_stats() as stats, \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(ZarrStore, "write_chunk", recording)
        x, y, product = _stored_matmul(rng)  # tiles planned for this budget
        assert product.npartitions > 2  # several C tiles, so several writes overlap tasks
        result = product.to_zarr(tmp_path / "c.zarr")
    np.testing.assert_allclose(result.compute(), x @ y, rtol=1e-12)
    assert all(name.startswith("ooarray-write") for name in writers)
    assert stats.peak_bytes <= 32_000


def test_a_failed_write_behind_stops_the_run_and_leaves_no_store(tmp_path, rng):
    from ooarray.store.zarr import ZarrStore

    calls = []
    original = ZarrStore.write_chunk

    def failing(self, index, data, borrow=None):
        calls.append(index)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, index, data, borrow)

    with oa.config.set(memory_limit="32KB"), pytest.MonkeyPatch.context() as patch:
        patch.setattr(ZarrStore, "write_chunk", failing)
        _, _, product = _stored_matmul(rng)
        assert product.npartitions > 2
        with pytest.raises(OSError, match="disk full"):
            product.to_zarr(tmp_path / "c.zarr")
    assert list(tmp_path.iterdir()) == []
    # it stopped: no chunk was written after the failure, not even the rest of its tile
    assert len(calls) == 2
