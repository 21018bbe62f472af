"""The ``dask`` executor on a LocalCluster of two worker processes: the local executor's
answers for every family, a budget per worker, workers killed mid-way, clear errors."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import ooarray as oa
from ooarray.errors import BudgetError

distributed = pytest.importorskip("distributed")

#: Each worker's buffer pool in the family tests (on a cluster every intermediate is written
#: to the work store, whatever the budget, and read back by the worker that needs it).
BUDGET = 16 * 10**6


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, memory_limit="2GiB")
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


@pytest.fixture
def on_cluster(client, tmp_path):
    with oa.config.set(executor=client, memory_limit=BUDGET, spill_dir=tmp_path):
        yield client


def _both(program, *args):
    """``program``'s answer on the cluster and with the local threads executor."""
    remote = program(*args)
    with oa.config.set(executor="threads"):
        local = program(*args)
    return remote, local


def _same(remote, local, exact=False):
    remote = remote if isinstance(remote, tuple) else (remote,)
    local = local if isinstance(local, tuple) else (local,)
    assert len(remote) == len(local)
    for got, want in zip(remote, local, strict=True):
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(15)
    return rng.standard_normal((600, 400))


def test_elementwise_chains_and_reductions(on_cluster, data):
    def program():
        a = oa.asarray(data, chunks=(100, 80))
        chain = np.sqrt(a * a + 1) / (np.abs(a) + 2) - np.exp(-a * a)
        return (chain.compute(), chain.sum(axis=0).compute(), float(chain.std()),
                np.argmax(chain, axis=1).compute(), bool(np.all(chain < 1e9)),
                np.cumsum(a, axis=0).compute())
    _same(*_both(program))


def test_matmul_and_decompositions(on_cluster, data):
    def program():
        a = oa.asarray(data, chunks=(100, 80))
        product = (a.T @ a).compute()
        q, r = np.linalg.qr(a)
        tall = oa.asarray(data[:, :40], chunks=(100, 40))
        return product, np.abs(q.compute()), np.abs(r.compute()), \
            np.linalg.cholesky(oa.asarray(product + 600 * np.eye(400))).compute(), \
            np.linalg.svd(tall, compute_uv=False).compute()
    _same(*_both(program))


def test_sort_unique_median_and_quantiles(on_cluster, data):
    def program():
        a = oa.asarray(data, chunks=(100, 80))
        flat = oa.asarray(np.round(data * 3).reshape(-1), chunks=24_000)
        return (np.sort(a, axis=0).compute(), np.sort(flat).compute(),
                np.unique(flat).compute(), float(np.median(a)),
                np.quantile(a, [0.1, 0.9], axis=1).compute())
    _same(*_both(program))


def test_indexing_assignment_and_rechunk(on_cluster, data):
    def program():
        a = oa.asarray(data, chunks=(100, 80))
        rows = np.random.default_rng(3).integers(0, 600, 500)
        picked = a[rows][:, [5, 1, 399]].compute()
        masked = a[a > 1.5].compute()
        b = oa.asarray(data, chunks=(100, 80))
        b[b < -1] = 0
        b[::7, 3] = np.arange(86.0)
        return picked, masked, b.compute(), a.rechunk((7, 400)).compute()
    _same(*_both(program), exact=True)


def test_to_zarr_and_to_npy_commit_what_the_workers_wrote(on_cluster, data, tmp_path):
    def program(name):
        a = oa.asarray(data, chunks=(100, 80))
        (a * 2 + 1).to_zarr(tmp_path / f"{name}.zarr")
        oa.save(tmp_path / f"{name}.npy", np.sort(a, axis=1))
        return (oa.open(tmp_path / f"{name}.zarr").compute(),
                np.load(tmp_path / f"{name}.npy"))
    remote = program("remote")
    with oa.config.set(executor="threads"):
        local = program("local")
    _same(remote, local, exact=True)
    assert not [p for p in os.listdir(tmp_path) if ".partial" in p or "ooarray-work" in p]


def test_a_loop_of_in_place_updates_converges_as_locally(on_cluster):
    def program():
        x = oa.asarray(np.linspace(0, 1, 20_000), chunks=2_500)
        for _ in range(4):
            x = x - 0.5 * (x * x - 0.25)
            x[x > 0.6] = 0.6
        return x.compute()
    _same(*_both(program))


def test_stats_callbacks_and_progress_come_from_the_workers(on_cluster, data):
    events = []

    class Recorder(oa.Callback):
        def on_plan_start(self, plan):
            events.append("start")

        def on_task_end(self, task, stats):
            events.append("task")

        def on_plan_end(self, plan, stats):
            events.append(("end", stats))

    a = oa.asarray(data, chunks=(100, 80))
    with Recorder():
        total = float(np.sqrt(a * a + 1).sum())
    assert total == pytest.approx(np.sqrt(data * data + 1).sum(), rel=1e-12)
    assert events[0] == "start" and events[-1][0] == "end"
    stats = events[-1][1]
    assert events.count("task") == stats.tasks > 1
    assert stats.workers and set(stats.workers) <= set(on_cluster.scheduler_info()["workers"])
    assert sum(w.tasks for w in stats.workers.values()) >= stats.tasks - 1
    assert stats.bytes_read == sum(w.bytes_read for w in stats.workers.values())
    # chunks freed after their last use on the workers are counted too (not evictions)
    assert stats.freed == sum(w.freed for w in stats.workers.values()) > 0
    assert all(0 < w.peak_bytes <= BUDGET for w in stats.workers.values() if w.tasks)


def test_the_progress_bar_advances_with_the_workers_tasks(on_cluster, data, capsys):
    pytest.importorskip("tqdm")
    a = oa.asarray(data, chunks=(100, 80))
    with oa.config.set(progress=True), oa.collect_stats() as stats:
        (a * 2).sum(axis=1).compute()
    shown = capsys.readouterr().err
    assert f"{stats.tasks}/{stats.tasks}" in shown and "ooarray" in shown


def test_a_task_too_large_for_a_worker_fails_before_work_starts(on_cluster, data,
                                                               monkeypatch, tmp_path):
    # memory_limit (16 MB) holds the task; each worker's pool is also bounded by a share of
    # its Dask memory_limit (2 GiB), here a share so small that the pool is 2.1 MB.
    from ooarray.execute import cluster
    monkeypatch.setattr(cluster, "WORKER_MEMORY_SHARE", 0.001)
    with oa.config.set(executor="sync"):
        oa.asarray(data, chunks=(600, 400)).to_zarr(tmp_path / "one.zarr")
    a = oa.open(tmp_path / "one.zarr")  # a task reads its one 1.9 MB chunk
    with pytest.raises(BudgetError, match="each worker's buffer pool has 2.0 MiB"):
        (a * 2).sum(axis=0).compute()


def test_no_client_and_an_unreachable_scheduler_say_what_to_do(monkeypatch):
    from ooarray.execute import cluster
    a = oa.asarray(np.arange(10.0), chunks=5)
    monkeypatch.setattr(distributed, "get_client",
                        lambda: (_ for _ in ()).throw(ValueError("No clients found")))
    with oa.config.set(executor="dask"), pytest.raises(ValueError, match="none has been"):
        (a + 1).compute()
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    started = time.perf_counter()
    with oa.config.set(executor="tcp://127.0.0.1:9"), \
            pytest.raises(OSError, match="cannot reach the dask scheduler at tcp://127.0.0.1:9"):
        (a + 1).compute()
    assert time.perf_counter() - started < 30


def test_a_failing_task_leaves_no_store(on_cluster, tmp_path, data):
    a = oa.asarray(data, chunks=(100, 80))
    bad = oa.asarray(np.zeros((600, 400), np.int64), chunks=(100, 80))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(oa.asarray(-np.eye(400), chunks=100)).to_zarr(tmp_path / "c.zarr")
    assert not (tmp_path / "c.zarr").exists()
    assert not [p for p in os.listdir(tmp_path) if ".partial" in p]
    np.testing.assert_array_equal((a[:3, :3] + bad[:3, :3]).compute(), data[:3, :3])


def test_a_worker_killed_mid_computation_is_replaced_and_the_answer_is_right(client,
                                                                             tmp_path):
    rng = np.random.default_rng(21)
    x = rng.standard_normal((2000, 500))
    with oa.config.set(executor=client, memory_limit=4 * 10**6, spill_dir=tmp_path):
        a = oa.asarray(x, chunks=(100, 100))
        pids = client.run(os.getpid)
        victim = sorted(pids.items())[0][1]
        started = threading.Event()

        class KillAfterTasks(oa.Callback):
            count = 0

            def on_task_end(self, task, stats):
                self.count += 1
                if self.count == 30:
                    os.kill(victim, signal.SIGKILL)
                    started.set()

        with KillAfterTasks():
            got = (np.cumsum(a * 2, axis=0) @ np.ones(500)).compute()  # 125 tasks
        assert started.is_set()
    np.testing.assert_allclose(got, np.cumsum(x * 2, axis=0) @ np.ones(500), rtol=1e-10)
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()


def test_each_workers_memory_stays_within_its_budget_on_an_input_four_times_larger(
        client, tmp_path):
    budget, mib = 32 * 10**6, 2**20
    rng = np.random.default_rng(8)
    with oa.config.set(executor="sync", memory_limit=budget):
        source = oa.asarray(rng.standard_normal((4096, 4096)), chunks=(512, 1024))  # 128 MiB
        source.to_zarr(tmp_path / "x.zarr")

    def start(dask_worker=None):
        import gc

        from ooarray.diagnostics.memory import RSSSampler
        gc.collect()
        dask_worker.ooarray_rss = RSSSampler(interval=0.005).__enter__()

    def stop(dask_worker=None):
        sampler = dask_worker.ooarray_rss
        sampler.__exit__(None, None, None)
        return sampler.baseline, sampler.peak

    client.run(start)
    with oa.config.set(executor=client, memory_limit=budget, spill_dir=tmp_path), \
            oa.collect_stats() as stats:
        a = oa.open(tmp_path / "x.zarr")
        total = float((np.sqrt(a * a + 1) - a).sum())
        column_means = np.mean(a, axis=0).compute()
    measured = client.run(stop)
    import zarr
    values = zarr.open_array(str(tmp_path / "x.zarr"))[...]
    np.testing.assert_allclose(total, (np.sqrt(values * values + 1) - values).sum(),
                               rtol=1e-10)
    np.testing.assert_allclose(column_means, values.mean(axis=0), rtol=1e-10)
    assert stats.bytes_read >= 2 * values.nbytes  # both passes read the data on the workers
    for address, (baseline, peak) in measured.items():
        worker = stats.workers[address]
        assert worker.tasks and worker.peak_bytes <= budget
        growth = peak - baseline
        print(f"{address}: RSS {baseline / mib:.0f} -> {peak / mib:.0f} MiB, pool peak "
              f"{worker.peak_bytes / mib:.1f} MiB, {worker.tasks} tasks")
        assert growth < 2 * budget, \
            f"{address}: RSS grew by {growth / mib:.1f} MiB over a {budget / 1e6:.0f} MB budget"
