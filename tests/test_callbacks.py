"""Callbacks: every executor tells them when a computation starts, after each task, and when
it ends (also when it fails); the progress bar and the statistics are callbacks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import ooarray as oa


class Recorder(oa.Callback):
    def __init__(self) -> None:
        self.events: list[tuple] = []
        self._guard = threading.Lock()

    def on_plan_start(self, plan) -> None:
        self.events.append(("start", len(plan.tasks)))

    def on_task_end(self, task, stats) -> None:
        # Calls never overlap, even from several task threads.
        assert self._guard.acquire(blocking=False), "on_task_end calls overlapped"
        try:
            self.events.append(("task", task.index))
        finally:
            self._guard.release()

    def on_plan_end(self, plan, stats) -> None:
        self.events.append(("end", stats.tasks))


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_callbacks_see_start_every_task_and_end_in_order(executor, tmp_path):
    data = np.arange(4000.0).reshape(40, 100)
    with oa.config.set(executor=executor, num_threads=2), Recorder() as recorder:
        a = oa.asarray(data, chunks=(10, 25))
        np.testing.assert_array_equal((a * 2 + 1).compute(), data * 2 + 1)
        stored = (a - 1).to_zarr(tmp_path / "out.zarr")  # a store sink: writing behind
    np.testing.assert_array_equal(stored.compute(), data - 1)
    runs, current = [], None
    for event in recorder.events:
        if event[0] == "start":
            assert current is None, "a computation started inside another"
            current = [event[1], 0]
        elif event[0] == "task":
            assert current is not None, "a task ended outside a computation"
            current[1] += 1
        else:
            assert current is not None
            planned, ended = current
            assert ended == planned == event[1]
            runs.append(planned)
            current = None
    assert current is None
    assert runs == [16, 16]  # compute and to_zarr: one task per block of 10 x 25


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_callbacks_end_a_failed_computation_and_the_block_scopes_them(executor):
    class Failing(Exception):
        pass

    def explode(block):
        if block.ravel()[0] >= 10:  # the third block of five fails, the first two end
            raise Failing
        return block

    from ooarray.interop.gufunc import apply_gufunc

    recorder = Recorder()
    with recorder, oa.config.set(executor=executor, num_threads=2):
        a = oa.asarray(np.arange(25.0), chunks=5)
        with pytest.raises(Failing):
            apply_gufunc(explode, "()->()", a, output_dtypes=float).compute()
    kinds = [event[0] for event in recorder.events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("start") == kinds.count("end") == 1  # the end came once, after all
    assert 0 < kinds.count("task") < recorder.events[0][1]  # some tasks ended, not all
    count = len(recorder.events)
    float(oa.asarray(np.arange(10.0), chunks=5).sum())  # outside the block: not seen
    assert len(recorder.events) == count


def test_a_registered_callback_sees_every_thread_until_unregistered():
    def planned_sum():
        with oa.config.set(eager_bytes=0):
            float(oa.asarray(np.arange(10.0), chunks=5).sum())

    def in_a_thread():
        thread = threading.Thread(target=planned_sum)
        thread.start()
        thread.join()

    recorder = Recorder().register()
    try:
        in_a_thread()
        seen = len(recorder.events)
    finally:
        recorder.unregister()
    in_a_thread()
    assert seen > 0 and recorder.events[0][0] == "start"
    assert len(recorder.events) == seen


def test_progress_bar_is_a_callback(capsys):
    pytest.importorskip("tqdm")
    with oa.config.set(progress=True):
        float(oa.asarray(np.arange(1000.0), chunks=100).sum())
    assert "task" in capsys.readouterr().err
