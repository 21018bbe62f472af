"""A matmul whose BLAS cannot map its working buffers raises MemoryError in the caller.

OpenBLAS maps a 32 MiB buffer the first time a GEMM finds none free; when the map fails (an
address-space limit) it retries ten times and calls ``exit(1)`` from the BLAS thread: the
process ended with status 1, segfaulted (the exit freed buffers another lane still used) or
hung in OpenBLAS's shutdown, instead of raising. ``ooarray.algorithms.blas.blas_room`` checks the
room first. The child runs under ``RLIMIT_AS`` (set in ``preexec_fn``, as ``prlimit --as``
does) just above what it maps before its first GEMM: room for everything but the buffers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or
                                not os.path.exists("/proc/self/statm"),
                                reason="address-space limits as Linux applies them")

CHILD = textwrap.dedent("""
    import contextlib, faulthandler, os, sys
    faulthandler.dump_traceback_later(50, exit=True)  # a hang shows where it is
    import numexpr
    import numpy as np
    import ooarray as oa
    from ooarray.chunks import normalize_chunks
    from ooarray.algorithms import blas
    from ooarray.plan.graph import SourceNode
    from ooarray.store.memory import MemoryStore

    # numexpr keeps its thread count through the matmul stage: restoring it would create
    # threads, and numexpr ends the process itself when it cannot (a separate matter).
    numexpr.set_num_threads(1)

    def mapped():
        return int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")

    if os.environ.get("CALIBRATE"):  # report what is mapped when the first GEMM starts
        original, seen = blas.blas_room, []

        @contextlib.contextmanager
        def recording(*args, **kwargs):
            if not seen:
                seen.append(mapped())
                print("MAPPED", seen[0], flush=True)
            with original(*args, **kwargs):
                yield

        blas.blas_room = recording

    def stored(values):
        grid = normalize_chunks(128, values.shape, values.itemsize)
        return oa.OOArray(SourceNode(MemoryStore(values.shape, values.dtype, grid, values)))

    x = np.random.default_rng(0).random((512, 512))
    with oa.config.set(memory_limit="16MB"):
        product = stored(x) @ stored(x)
        try:
            result = product.compute()
        except MemoryError as error:
            print("MEMORYERROR", error, flush=True)
            sys.exit(3)
    print("OK", float(abs(result - x @ x).max()), flush=True)
""")

#: Room the limit leaves above what the child maps before its first GEMM: less than one
#: BLAS buffer (32 MiB), more than the scratch of the rest of the run.
HEADROOM = 24 << 20


def _run(limit: int | None, timeout: float = 90) -> subprocess.CompletedProcess:
    env = dict(os.environ, MALLOC_ARENA_MAX="1")  # no per-thread malloc arenas to map
    if limit is None:
        env["CALIBRATE"] = "1"

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-c", CHILD], env=env, preexec_fn=limited,
                          capture_output=True, text=True, timeout=timeout)


def test_a_blas_buffer_that_cannot_be_mapped_raises_memory_error():
    calibration = _run(None)
    assert calibration.returncode == 0, calibration.stderr
    assert "OK" in calibration.stdout
    mapped = int(calibration.stdout.split("MAPPED ")[1].split()[0])
    try:
        limited = _run(mapped + HEADROOM)
    except subprocess.TimeoutExpired as expired:  # the hang this test is about
        pytest.fail(f"the matmul hung under an address-space limit: {expired.stderr!r}")
    assert limited.returncode == 3, (limited.returncode, limited.stdout, limited.stderr)
    assert "MEMORYERROR BLAS needs" in limited.stdout
    assert "OpenBLAS error" not in limited.stderr


def test_the_room_check_runs_only_while_more_calls_run_at_once_than_ever(monkeypatch):
    from ooarray.algorithms import blas

    checks = []
    monkeypatch.setattr(blas, "_LEDGER", blas._BufferLedger())
    monkeypatch.setattr(blas, "_check_address_space",
                        lambda nbytes, buffers: checks.append(buffers))
    with blas.blas_room(2):
        with blas.blas_room(1):
            pass
    assert checks == [2, 3]  # two buffers, then three (the first two may not be mapped yet)
    with blas.blas_room(2):
        with blas.blas_room(1):
            pass
    assert checks == [2, 3]  # all three are mapped now
    with blas.blas_room(4, mnk=10):  # a small call may map nothing: not counted after
        pass
    with blas.blas_room(4):
        pass
    assert checks == [2, 3, 1, 1]

    def refusing(nbytes, buffers):
        raise MemoryError("no room")

    monkeypatch.setattr(blas, "_check_address_space", refusing)
    with pytest.raises(MemoryError, match="no room"), blas.blas_room(5):
        pass
    assert blas._LEDGER.running == 0  # a refused call leaves nothing counted


def test_lane_threads_that_cannot_start_raise_before_any_band_is_queued(monkeypatch):
    """A GEMM thread that cannot start (no room for its stack) raises in the task, and the
    threads that did start are let go, instead of a band queued with no future to wait on."""
    import threading

    from ooarray.algorithms import blas

    original = threading.Thread.start
    started = []

    def start(self):
        if self.name.startswith("ooarray-gemm"):
            if started:
                raise RuntimeError("can't start new thread")
            started.append(self)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        blas._lane_threads(7)
    started[0].join(timeout=10)
    assert not started[0].is_alive()  # released and gone with its pool
    monkeypatch.setattr(threading.Thread, "start", original)
    pool = blas._lane_threads(7)  # the next call tries again
    assert len(pool._threads) == 7
    blas._lane_threads.cache_clear()
    pool.shutdown()


def test_threads_fit_asks_for_their_stacks_only_under_a_limit(monkeypatch):
    from ooarray.buffer import address_space

    asked = []

    def can_map(nbytes):
        asked.append(nbytes)
        return OSError(12, "Cannot allocate memory") if nbytes > 100 << 20 else None

    monkeypatch.setattr(address_space, "can_map", can_map)
    monkeypatch.setattr(address_space, "address_space_limited", lambda: False)
    assert address_space.threads_fit(64) and asked == []
    monkeypatch.setattr(address_space, "address_space_limited", lambda: True)
    assert address_space.threads_fit(2) and len(asked) == 1
    assert not address_space.threads_fit(1000)
