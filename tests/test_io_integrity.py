"""Never a wrong answer from I/O: short reads and writes, full disks and damaged chunks are
errors naming the file, never data (faults injected at the file layer)."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

import ooarray as oa
from ooarray.store import fileio
from ooarray.store.chunkfile import ChunkFile
from ooarray.store.spill import SpillStore


@pytest.fixture
def short_transfers(monkeypatch):
    """Every write and read moves at most 1000 bytes per call (as after a signal)."""
    write, pwrite, preadv = os.write, os.pwrite, os.preadv
    monkeypatch.setattr(fileio.os, "write", lambda fd, data: write(fd, data[:1000]))
    monkeypatch.setattr(fileio.os, "pwrite",
                        lambda fd, data, offset: pwrite(fd, data[:1000], offset))
    monkeypatch.setattr(fileio.os, "preadv",
                        lambda fd, views, offset: preadv(fd, [views[0][:1000]], offset))


@pytest.fixture
def full_disk(monkeypatch):
    """Writes stop after 20,000 bytes: the next one writes nothing, then ENOSPC."""
    written = {"bytes": 0}
    write, pwrite = os.write, os.pwrite

    def limited(call):
        def attempt(fd, data, *offset):
            room = 20_000 - written["bytes"]
            if room <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            done = call(fd, memoryview(data)[:room], *offset)
            written["bytes"] += done
            return done
        return attempt

    monkeypatch.setattr(fileio.os, "write", limited(write))
    monkeypatch.setattr(fileio.os, "pwrite", limited(pwrite))


def sample(n: int = 6000) -> np.ndarray:
    return np.random.default_rng(5).standard_normal(n)


@pytest.mark.parametrize("compressor", [None, "default"])
def test_short_transfers_are_completed_in_every_store(short_transfers, tmp_path, compressor):
    values = sample()
    with oa.config.set(memory_limit="64KB"):
        stored = oa.asarray(values, chunks=1000).to_zarr(tmp_path / "a.zarr",
                                                        compressor=compressor)
        np.testing.assert_array_equal(np.asarray(stored), values)
        npy = oa.asarray(values, chunks=1000).to_npy(tmp_path / "a.npy")
        np.testing.assert_array_equal(np.asarray(npy), values)
    spill = SpillStore(str(tmp_path))
    spill.write("k", values)
    back = np.empty_like(values)
    spill.read("k", back)
    np.testing.assert_array_equal(back, values)
    spill.close()
    chunks = ChunkFile(values.shape, values.dtype, ((3000, 3000),), str(tmp_path))
    chunks.write_chunk((1,), values[3000:])
    chunks.read_chunk((1,), back[:3000])
    np.testing.assert_array_equal(back[:3000], values[3000:])
    chunks.remove()


@pytest.mark.parametrize("suffix", [".npy", ".zarr"])
def test_a_full_disk_is_an_oserror_naming_the_file_and_leaves_nothing(full_disk, tmp_path,
                                                                       suffix):
    values = sample()  # 48,000 bytes: more than the 20,000 the disk takes
    with oa.config.set(memory_limit="64KB"):
        a = oa.asarray(values, chunks=1000)
        with pytest.raises(OSError) as caught:
            a.to_npy(tmp_path / "out.npy") if suffix == ".npy" else \
                a.to_zarr(tmp_path / "out.zarr", compressor=None)
    assert caught.value.errno == errno.ENOSPC
    assert "out" in str(caught.value) and "bytes" in str(caught.value)
    assert os.listdir(tmp_path) == []  # no result, no partial


def test_a_spill_write_on_a_full_disk_keeps_no_chunk(full_disk, tmp_path):
    spill = SpillStore(str(tmp_path))
    spill.write("small", np.ones(100))
    with pytest.raises(OSError) as caught:
        spill.write("large", np.ones(10_000))
    assert caught.value.errno == errno.ENOSPC and spill.directory in str(caught.value)
    assert "large" not in spill
    spill.close()
    assert os.listdir(tmp_path) == []


def test_truncated_files_are_errors_not_data(tmp_path):
    values = sample()
    with oa.config.set(memory_limit="64KB"):
        oa.asarray(values, chunks=1000).to_npy(tmp_path / "a.npy")
        a = oa.open(tmp_path / "a.npy")
        os.truncate(tmp_path / "a.npy", os.path.getsize(tmp_path / "a.npy") - 16)
        with pytest.raises(OSError, match="too short"):  # truncated after it was opened
            float(a.sum())
        with pytest.raises(ValueError, match="truncated or damaged"):  # found at open
            oa.open(tmp_path / "a.npy")
    chunks = ChunkFile(values.shape, values.dtype, ((3000, 3000),), str(tmp_path))
    chunks.write_chunk((0,), values[:3000])
    chunks.write_chunk((1,), values[3000:])
    os.truncate(chunks.path, 30_000)
    with pytest.raises(OSError, match="too short"):
        chunks.read_chunk((1,), np.empty(3000))
    chunks.remove()
    spill = SpillStore(str(tmp_path))
    spill.write("k", values)
    os.truncate(spill._names["k"], 100)
    with pytest.raises(OSError, match="too short"):
        spill.read("k", np.empty_like(values))
    spill.close()


@pytest.mark.parametrize("compressor", [None, "default"])
@pytest.mark.parametrize("damage", ["truncated", "emptied", "garbage"])
def test_damaged_zarr_chunks_raise_naming_the_file_and_chunk(tmp_path, compressor, damage):
    values = sample()
    with oa.config.set(memory_limit="64KB"):
        oa.asarray(values, chunks=1000).to_zarr(tmp_path / "a.zarr", compressor=compressor)
        chunk = tmp_path / "a.zarr" / "c" / "2"
        size = os.path.getsize(chunk)
        if damage == "truncated":
            os.truncate(chunk, size // 2)
        elif damage == "emptied":
            os.truncate(chunk, 0)
        else:
            chunk.write_bytes(np.random.default_rng(1).bytes(size))
        if damage == "garbage" and compressor is None:
            return  # raw bytes of the right length are indistinguishable from data
        with pytest.raises(oa.DamagedChunkError, match=r"c/2.*chunk \(2,\)"):
            float(oa.open(tmp_path / "a.zarr").sum())


def test_a_missing_zarr_chunk_is_its_fill_value(tmp_path):
    values = sample()
    with oa.config.set(memory_limit="64KB"):
        oa.asarray(values, chunks=1000).to_zarr(tmp_path / "a.zarr")
        os.remove(tmp_path / "a.zarr" / "c" / "3")
        expected = values.copy()
        expected[3000:4000] = 0
        np.testing.assert_array_equal(np.asarray(oa.open(tmp_path / "a.zarr")), expected)


def test_absurd_inputs_are_refused_in_milliseconds(tmp_path):
    import time

    started = time.perf_counter()
    with pytest.raises(ValueError, match="1,000,000,000 chunks"):
        oa.zeros(10**9, chunks=(1,))
    with pytest.raises(ValueError, match="100,000,000 chunks"):
        oa.ones((10**5, 10**5), chunks=(10, 10))
    import zarr

    zarr.create_array(str(tmp_path / "huge.zarr"), shape=(10**15,), chunks=(10**6,),
                      dtype="f8")
    with pytest.raises(ValueError, match="1,000,000,000 chunks"):
        oa.open(tmp_path / "huge.zarr")
    path = tmp_path / "lies.npy"
    np.save(path, np.arange(10.0))
    header = path.read_bytes()
    path.write_bytes(header.replace(b"(10,)", b"(10000000000000,)"))  # lies about its shape
    with pytest.raises(ValueError, match="truncated or damaged"):
        oa.open(path)
    assert time.perf_counter() - started < 1.0


TERMINATED = """
import sys, numpy as np, ooarray as oa
out, spill = sys.argv[1], sys.argv[2]
oa.config.set(memory_limit="4MB", spill_dir=spill)
x = oa.random.default_rng(0).standard_normal((1500, 1500), chunks=(25, 1500))
print("started", flush=True)
for _ in range(100_000):  # stopped while it runs: its checkpoints are in spill files
    x = x[::-1] * 0.5 + x
print("finished", flush=True)
"""


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_termination_removes_spill_and_checkpoint_files(tmp_path, signal_name):
    import signal
    import subprocess
    import sys
    import time

    spill = tmp_path / "spill"
    spill.mkdir()
    number = getattr(signal, signal_name)

    def default_disposition() -> None:
        # As a program started from a terminal: a runner under nohup would hand the child
        # SIGHUP ignored, and ooarray rightly leaves an ignored signal ignored.
        signal.signal(number, signal.SIG_DFL)

    process = subprocess.Popen([sys.executable, "-c", TERMINATED, str(tmp_path / "out.zarr"),
                                str(spill)], stdout=subprocess.PIPE, text=True,
                               preexec_fn=default_disposition)
    assert process.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 20
    while not os.listdir(spill) and time.monotonic() < deadline:  # files in use
        time.sleep(0.02)
    assert os.listdir(spill), "the program made no temporary file to clean up"
    process.send_signal(number)
    assert process.wait(timeout=60) == 128 + number
    assert os.listdir(spill) == []


KILLED = """
import sys, ooarray as oa
oa.config.set(memory_limit="4MB", spill_dir=sys.argv[2])
x = oa.random.default_rng(0).standard_normal((1500, 1500), chunks=(25, 1500))
for _ in range(300):
    x = x[::-1] * 0.5 + x
x.to_zarr(sys.argv[1])
"""


def test_a_killed_write_leaves_a_partial_that_open_refuses_and_clean_removes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    spill = tmp_path / "spill"
    spill.mkdir()
    process = subprocess.Popen([sys.executable, "-c", KILLED, str(tmp_path / "out.zarr"),
                                str(spill)])
    deadline = time.monotonic() + 30
    partials: list[str] = []
    while not partials and time.monotonic() < deadline:
        partials = [n for n in os.listdir(tmp_path) if n.startswith(".out.zarr.partial-")]
        time.sleep(0.01)
    assert partials, "the write never started"
    process.send_signal(signal.SIGKILL)  # nothing of the process's own cleanup runs
    process.wait(timeout=30)
    assert f".partial-{process.pid}-" in partials[0]
    assert not os.path.exists(tmp_path / "out.zarr")
    with pytest.raises(ValueError, match="incomplete output.*stopped before committing"):
        oa.open(tmp_path / partials[0])
    listed = subprocess.run([sys.executable, "-m", "ooarray", "clean", str(tmp_path),
                             str(spill), "--dry-run"], capture_output=True, text=True,
                            check=True)
    assert partials[0] in listed.stdout and os.path.exists(tmp_path / partials[0])
    subprocess.run([sys.executable, "-m", "ooarray", "clean", str(tmp_path), str(spill)],
                   check=True, capture_output=True)
    assert os.listdir(spill) == [] and os.listdir(tmp_path) == ["spill"]


@pytest.mark.parametrize("chunks", [(7, 5), (40, 3), (1, 50), (13, 50)])
def test_npy_chunks_that_are_not_one_run_are_read_and_written_run_by_run(tmp_path, chunks,
                                                                          short_transfers):
    values = np.random.default_rng(2).standard_normal((40, 50))
    with oa.config.set(memory_limit="256KB"):
        written = oa.asarray(values, chunks=chunks).to_npy(tmp_path / "a.npy")
        np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), values)
        np.testing.assert_array_equal(np.asarray(written), values)
        np.testing.assert_array_equal(np.asarray(oa.open(tmp_path / "a.npy", chunks=chunks)),
                                      values)


def test_column_chunks_on_a_full_disk_raise_enospc_not_sigbus(tmp_path, full_disk):
    values = np.random.default_rng(2).standard_normal((100, 100))  # 80,000 bytes
    with oa.config.set(memory_limit="256KB"), pytest.raises(OSError) as caught:
        oa.asarray(values, chunks=(100, 10)).to_npy(tmp_path / "a.npy")
    assert caught.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_planning_cost_is_linear_in_the_number_of_chunks():
    import time

    from ooarray.plan.lower import Plan

    def plan_seconds(n: int) -> float:
        with oa.config.set(eager_bytes=0, memory_limit="256MB"):
            total = (oa.random.default_rng(0).random(n * 10, chunks=10) * 2 + 1).sum()
            started = time.perf_counter()
            Plan(total.node, ())
            return time.perf_counter() - started

    small, large = plan_seconds(2000), plan_seconds(16000)
    assert large < 16 * small + 0.5, f"8x the chunks took {large / small:.1f}x as long"


def test_a_signal_inside_a_finalizer_or_a_thread_start_is_delivered_again(monkeypatch):
    # SystemExit raised there is lost (a finalizer drops it) or hangs the exit (a worker
    # thread started but not yet registered is never told to stop): seen as a SIGHUP that
    # left a loop running, and as a process stuck in threading._shutdown.
    import concurrent.futures
    import signal
    import sys
    import threading

    from ooarray.store import termination

    sent = []
    delivered = threading.Event()

    def kill(pid, number):
        sent.append(number)
        delivered.set()

    monkeypatch.setattr(termination.os, "kill", kill)

    class Finalized:
        def __del__(self):
            termination._exit(signal.SIGTERM, sys._getframe())

    Finalized()  # dropped at once: its __del__ runs, and must not raise
    assert delivered.wait(5) and sent == [signal.SIGTERM]

    frames = []

    def starting(*args, **kwargs):
        frames.append(sys._getframe(1))
        return original_start(*args, **kwargs)

    original_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", starting)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(int).result()
    monkeypatch.undo()
    assert termination._unsafe_to_raise(frames[0])  # inside submit
    with pytest.raises(SystemExit) as caught:  # anywhere else: raised at once
        termination._exit(signal.SIGTERM, sys._getframe())
    assert caught.value.code == 128 + signal.SIGTERM


def test_a_npy_larger_than_the_free_space_is_refused_before_work(tmp_path, monkeypatch):
    import shutil

    from ooarray.store import fileio

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(fileio.shutil, "disk_usage",
                        lambda path: usage._replace(free=50_000))
    with pytest.raises(OSError) as caught:
        oa.asarray(np.zeros(10_000)).to_npy(tmp_path / "a.npy")  # 80,128 bytes
    assert caught.value.errno == errno.ENOSPC
    message = str(caught.value)
    assert "80,128 bytes" in message and "50,000 free" in message and str(tmp_path) in message
    assert os.listdir(tmp_path) == []


def test_a_full_disk_names_the_directory_and_its_free_space(full_disk, tmp_path):
    with oa.config.set(memory_limit="256KB"), pytest.raises(OSError) as caught:
        oa.asarray(np.random.default_rng(0).standard_normal(10_000),
                   chunks=1000).to_zarr(tmp_path / "a.zarr", compressor=None)
    assert caught.value.errno == errno.ENOSPC
    assert f"no space left in {tmp_path}" in str(caught.value)
    assert "bytes free" in str(caught.value)
