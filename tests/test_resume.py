"""Crash-safe, resumable writes: a ``to_zarr``/``to_npy`` killed with SIGKILL leaves a partial
that nobody mistakes for an array, and ``resume=True`` finishes it, writing only what is
missing (chunks verified against the journal's CRC-32 first)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import zarr

import ooarray as oa
from ooarray.store.journal import read_journal
from ooarray.store.leftovers import journal_path
from ooarray.store.memmap import NpyStore
from ooarray.store.zarr import ZarrStore

N, CHUNK = 64_000, 1000  # 64 chunks
NCHUNKS = N // CHUNK

#: The child writes the test's computation, one chunk every few milliseconds (a slow disk).
WRITER = """
import sys, time, numpy as np, ooarray as oa
from ooarray.store.memmap import NpyStore
from ooarray.store.zarr import ZarrStore
fmt, out, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
oa.config.set(memory_limit="4MB", eager_bytes=0)
store = ZarrStore if fmt == "zarr" else NpyStore
write = store.write_chunk
def slow(self, index, data, borrow=None):
    time.sleep(pause)
    write(self, index, data, borrow)
store.write_chunk = slow
a = oa.arange(N, chunks=CHUNK, dtype=np.float64)
z = np.sqrt(a) * 2 + 1
(z.to_zarr if fmt == "zarr" else z.to_npy)(out)
""".replace("N,", f"{N},").replace("CHUNK,", f"{CHUNK},")


def computation(dtype=np.float64, offset: float = 1) -> oa.OOArray:
    a = oa.arange(N, chunks=CHUNK, dtype=np.float64)
    return (np.sqrt(a) * 2 + offset).astype(dtype, copy=False)


def expected() -> np.ndarray:
    return np.sqrt(np.arange(N, dtype=np.float64)) * 2 + 1


def target(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / ("out.zarr" if fmt == "zarr" else "out.npy")


def partials(tmp_path: Path, fmt: str) -> list[Path]:
    name = target(tmp_path, fmt).name
    return [p for p in tmp_path.iterdir()
            if p.name.startswith(f".{name}.partial-") and not p.name.endswith(".journal")]


def listed(partial: Path) -> dict:
    found = read_journal(journal_path(partial))
    return {} if found is None else found[1]


def start_writer(tmp_path: Path, fmt: str, pause: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, fmt, str(target(tmp_path, fmt)),
                             str(pause)])


def kill_after(tmp_path: Path, fmt: str, chunks: int, pause: float = 0.02) -> Path:
    """Start a writer, SIGKILL it once its journal lists ``chunks`` chunks (at a moment that
    also falls inside a chunk's write), and return its partial."""
    process = start_writer(tmp_path, fmt, pause)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            found = partials(tmp_path, fmt)
            if found and len(listed(found[0])) >= chunks:
                break
            time.sleep(0.002)
        else:
            raise AssertionError("the writer did not get that far")
        time.sleep(pause * np.random.default_rng(chunks).random())  # somewhere in a chunk
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert not target(tmp_path, fmt).exists()
    (partial,) = partials(tmp_path, fmt)
    assert f".partial-{process.pid}-" in partial.name
    return partial


class Writes:
    """Counts the chunks a store writes (the resumed run's work)."""

    def __init__(self, monkeypatch, fmt: str) -> None:
        self.indices: list[tuple[int, ...]] = []
        store = ZarrStore if fmt == "zarr" else NpyStore
        write = store.write_chunk

        def counted(this, index, data, borrow=None):
            self.indices.append(tuple(index))
            write(this, index, data, borrow)

        monkeypatch.setattr(store, "write_chunk", counted)


def write(array: oa.OOArray, path: Path, fmt: str, **kwargs) -> oa.OOArray:
    return array.to_zarr(path, **kwargs) if fmt == "zarr" else array.to_npy(path, **kwargs)


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
@pytest.mark.parametrize("kill_at", [5, 37])
def test_a_killed_write_is_refused_then_resumed_writing_only_the_missing_chunks(
        tmp_path, monkeypatch, fmt, kill_at):
    partial = kill_after(tmp_path, fmt, kill_at)
    with pytest.raises(ValueError, match=r"incomplete: \d+ of 64 chunks; resume with") as info:
        oa.open(partial)
    assert f"to_{fmt}(" in str(info.value) and "resume=True" in str(info.value)
    done = int(re.search(r"incomplete: (\d+) of", str(info.value))[1])
    assert kill_at <= done < NCHUNKS
    with pytest.raises(ValueError, match="incomplete"):
        oa.open(journal_path(partial))
    if fmt == "zarr":  # zarr-python finds no array in a partial
        with pytest.raises(Exception, match="No array found"):
            zarr.open_array(str(partial), mode="r")
    else:  # nor NumPy a .npy
        with pytest.raises(ValueError):
            np.load(partial)
    before = set(listed(partial))
    assert len(before) == done
    writes = Writes(monkeypatch, fmt)
    with oa.collect_stats() as stats:
        result = write(computation(), target(tmp_path, fmt), fmt, resume=True)
    np.testing.assert_array_equal(np.asarray(result), expected())
    assert len(writes.indices) == NCHUNKS - done  # only the missing chunks
    assert set(writes.indices).isdisjoint(before)
    assert stats.tasks == NCHUNKS - done  # and only they were computed
    assert sorted(p.name for p in tmp_path.iterdir()) == [target(tmp_path, fmt).name]
    if fmt == "zarr":
        np.testing.assert_array_equal(zarr.open_array(str(target(tmp_path, fmt)))[:],
                                      expected())
    else:
        np.testing.assert_array_equal(np.load(target(tmp_path, fmt)), expected())


def _corrupt(partial: Path, fmt: str, index: tuple[int, ...]) -> None:
    if fmt == "zarr":
        chunk = partial / "c" / str(index[0])
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0xFF  # same length: only the checksum can tell
        chunk.write_bytes(bytes(data))
    else:
        with open(partial, "r+b") as handle:
            handle.seek(128 + index[0] * CHUNK * 8 + 100)
            handle.write(b"\x7f" * 8)


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_a_corrupted_done_chunk_is_detected_and_written_again(tmp_path, monkeypatch, fmt):
    partial = kill_after(tmp_path, fmt, 12)
    _resumes_rewriting_the_damaged_chunk(tmp_path, monkeypatch, fmt, partial, listed(partial),
                                         3)


def _resumes_rewriting_the_damaged_chunk(tmp_path, monkeypatch, fmt, partial, done, which):
    """Damage the ``which``-th done chunk, resume, and check that only it and the chunks not
    done were written again."""
    damaged = sorted(done)[which]
    _corrupt(partial, fmt, damaged)
    writes = Writes(monkeypatch, fmt)
    result = write(computation(), target(tmp_path, fmt), fmt, resume=True)
    np.testing.assert_array_equal(np.asarray(result), expected())
    assert damaged in writes.indices
    assert len(writes.indices) == NCHUNKS - len(done) + 1


def _as_version_1(partial: Path, fmt: str) -> dict:
    """Rewrite the partial's journal as a journal of version 1 (before CRC-32C) would be:
    its magic words, and zlib's CRC-32 of each listed chunk's bytes."""
    lines = journal_path(partial).read_text().split("\n")
    assert lines[0].startswith("ooarray-journal 2 ")
    out = ["ooarray-journal 1 " + lines[0][len("ooarray-journal 2 "):]]
    done = {}
    for line in lines[1:]:
        if not line:
            continue
        index, _, nbytes = json.loads(line)
        if fmt == "zarr":
            data = (partial / "c" / str(index[0])).read_bytes()
        else:
            with open(partial, "rb") as handle:
                handle.seek(128 + index[0] * CHUNK * 8)
                data = handle.read(nbytes)
        done[tuple(index)] = zlib.crc32(data)
        out.append(json.dumps([index, done[tuple(index)], nbytes]))
    journal_path(partial).write_text("\n".join(out) + "\n")
    return done


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_a_partial_journalled_with_crc32_before_crc32c_still_resumes(tmp_path, monkeypatch,
                                                                      fmt):
    partial = kill_after(tmp_path, fmt, 12)
    done = _as_version_1(partial, fmt)
    assert listed(partial) and set(listed(partial)) == set(done)
    # the chunks whose CRC-32 matches are kept; the damaged one is written again
    _resumes_rewriting_the_damaged_chunk(tmp_path, monkeypatch, fmt, partial, done, 2)


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_a_partial_of_another_computation_is_not_used(tmp_path, monkeypatch, fmt):
    partial = kill_after(tmp_path, fmt, 8)
    path = target(tmp_path, fmt)
    writes = Writes(monkeypatch, fmt)
    other_dtype = write(computation(np.float32), path, fmt, resume=True)  # another dtype
    assert len(writes.indices) == NCHUNKS and partial.exists()
    np.testing.assert_array_equal(np.asarray(other_dtype), expected().astype(np.float32))
    writes.indices.clear()
    other_values = write(computation(offset=2), path, fmt, resume=True, overwrite=True)
    assert len(writes.indices) == NCHUNKS and partial.exists()  # same metadata, other plan
    np.testing.assert_array_equal(np.asarray(other_values), expected() + 1)
    writes.indices.clear()
    a = oa.arange(N // 2, chunks=CHUNK, dtype=np.float64)  # another shape
    write(np.sqrt(a) * 2 + 1, path, fmt, resume=True, overwrite=True)
    assert len(writes.indices) == NCHUNKS // 2 and partial.exists()
    # The same computation does take it, even after other writes of the target.
    writes.indices.clear()
    same = write(computation(), path, fmt, resume=True, overwrite=True)
    assert len(writes.indices) < NCHUNKS and not partial.exists()
    np.testing.assert_array_equal(np.asarray(same), expected())


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_resume_without_a_partial_writes_everything(tmp_path, monkeypatch, fmt):
    writes = Writes(monkeypatch, fmt)
    result = write(computation(), target(tmp_path, fmt), fmt, resume=True)
    np.testing.assert_array_equal(np.asarray(result), expected())
    assert len(writes.indices) == NCHUNKS
    assert sorted(p.name for p in tmp_path.iterdir()) == [target(tmp_path, fmt).name]
    with pytest.raises(FileExistsError):  # a committed output is not resumed
        write(computation(), target(tmp_path, fmt), fmt, resume=True)


def test_the_partial_of_a_running_process_is_never_taken(tmp_path, monkeypatch):
    process = start_writer(tmp_path, "zarr", 0.2)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = partials(tmp_path, "zarr")
            if found and listed(found[0]):
                break
            time.sleep(0.005)
        else:
            raise AssertionError("the writer did not start")
        writes = Writes(monkeypatch, "zarr")
        with oa.config.set(memory_limit="4MB"):
            result = computation().to_zarr(tmp_path / "out.zarr", resume=True)
        assert len(writes.indices) == NCHUNKS
        np.testing.assert_array_equal(np.asarray(result), expected())
        assert found[0].exists() and process.poll() is None  # still the writer's
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def test_a_plan_that_cannot_be_fingerprinted_is_written_afresh_with_a_warning(tmp_path):
    import threading

    from ooarray.plan.fingerprint import fingerprint

    z = computation()
    assert fingerprint(z._node) is not None
    z._node.lock = threading.Lock()  # something with no process-independent description
    assert fingerprint(z._node) is None
    with pytest.warns(UserWarning, match="cannot be fingerprinted"):
        result = z.to_zarr(tmp_path / "out.zarr", resume=True)
    np.testing.assert_array_equal(np.asarray(result), expected())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        computation().to_npy(tmp_path / "out.npy")  # no resume: no warning


def test_fingerprints_are_the_same_in_another_process_and_differ_with_the_plan(tmp_path):
    from ooarray.plan.fingerprint import fingerprint

    values = np.random.default_rng(1).random((40, 30))
    np.save(tmp_path / "in.npy", values)
    oa.asarray(values, chunks=(10, 10)).to_zarr(tmp_path / "in.zarr")
    script = f"""
import numpy as np, ooarray as oa
from ooarray.plan.fingerprint import fingerprint
oa.config.set(eager_bytes=0)
a, b = oa.open({str(tmp_path / "in.zarr")!r}), oa.open({str(tmp_path / "in.npy")!r})
plans = [np.sqrt(a * a + 1) / (b + 2), a @ b.T, np.sort(a, axis=0), a[a > 0.5],
         np.cumsum(a, axis=1), a.std(axis=0, ddof=1), oa.random.default_rng(3).random(99),
         oa.asarray(np.arange(10.0)) + 1]
print(" ".join(str(fingerprint(p._node)) for p in plans))
"""
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0] == runs[1] and "None" not in runs[0] and len(set(runs[0])) == 8
    a = oa.open(tmp_path / "in.zarr")
    assert fingerprint((a + 1)._node) != fingerprint((a + 2)._node)
    assert fingerprint(a.std(ddof=1)._node) != fingerprint(a.std()._node)
    rng = oa.random.default_rng
    assert fingerprint(rng(1).random(9)._node) != fingerprint(rng(2).random(9)._node)
    before = fingerprint((a + 1)._node)
    time.sleep(0.01)
    oa.asarray(values + 1, chunks=(10, 10)).to_zarr(tmp_path / "in.zarr", overwrite=True)
    assert fingerprint((oa.open(tmp_path / "in.zarr") + 1)._node) != before  # rewritten
    np.save(tmp_path / "in.npy", values)
    b = oa.open(tmp_path / "in.npy")
    before = fingerprint((b + 1)._node)
    time.sleep(0.01)
    np.save(tmp_path / "in.npy", values + 1)
    assert fingerprint((b + 1)._node) != before


def _dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)


def interrupted(monkeypatch, array: oa.OOArray, path: Path, fmt: str, share: float) -> Path:
    """Write ``array`` to ``path`` but stop after ``share`` of its chunks (at least one),
    leaving the partial as a SIGKILL would (no abort), named as the partial of a process that
    has stopped."""
    store = ZarrStore if fmt == "zarr" else NpyStore
    written = []
    original = store.write_chunk

    def stopping(this, index=None, data=None, borrow=None):
        if index is None or len(written) >= max(1, int(share * read_total(this))):
            raise RuntimeError("stopped")
        written.append(index)
        original(this, index, data, borrow)

    with monkeypatch.context() as patch:
        patch.setattr(store, "write_chunk", stopping)
        patch.setattr(store, "abort", lambda this: None)
        patch.setattr(store, "commit", stopping)  # all written: killed before the rename
        with oa.config.set(executor="sync"), pytest.raises(RuntimeError, match="stopped"):
            write(array, path, fmt)
    (partial,) = partials(path.parent, fmt)
    dead = partial.parent / partial.name.replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
    os.rename(journal_path(partial), journal_path(dead))
    os.rename(partial, dead)
    assert len(listed(dead)) == len(written)
    return dead


def _plans() -> dict:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((65, 45))
    x = oa.asarray(a, chunks=(10, 10))
    # Tiles of 100 x 60 delivered to store chunks of 20 x 30: a tile is skipped only when
    # all its chunks are done, and then only its missing chunks are written.
    c, d = rng.standard_normal((200, 90)), rng.standard_normal((90, 150))
    u, v = oa.asarray(c, chunks=(20, 30)), oa.asarray(d, chunks=(30, 30))
    return {  # (ooarray, NumPy): a materialised root (delivered to the sink) or region nodes
        "matmul": (lambda: u @ v, c @ d),
        "sum": (lambda: x.sum(axis=1, keepdims=True) * x, a.sum(axis=1, keepdims=True) * a),
        "sort": (lambda: np.sort(x, axis=0), np.sort(a, axis=0)),
        "rechunk": (lambda: x.T.rechunk((7, 13)) + 1, a.T + 1),
        "edges": (lambda: np.sin(x)[3:, ::2].rechunk((10, 5)), np.sin(a)[3:, ::2]),
    }


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
@pytest.mark.parametrize("kind", list(_plans()))
def test_every_kind_of_plan_resumes_to_numpys_answer(tmp_path, monkeypatch, fmt, kind):
    make, answer = _plans()[kind]
    path = target(tmp_path, fmt)
    with oa.config.set(memory_limit="256KB"):
        partial = interrupted(monkeypatch, make(), path, fmt, 0.45)
        done = set(listed(partial))
        writes = Writes(monkeypatch, fmt)
        result = write(make(), path, fmt, resume=True)
    np.testing.assert_allclose(np.asarray(result), answer, rtol=1e-12, atol=1e-12)
    assert set(writes.indices).isdisjoint(done) and writes.indices
    total = read_total(result)
    assert len(writes.indices) == total - len(done)
    assert not partial.exists() and not journal_path(partial).exists()


def read_total(result) -> int:
    return int(np.prod([len(c) for c in result.chunks]))


def test_save_resumes_too(tmp_path, monkeypatch):
    path = tmp_path / "out.zarr"
    partial = interrupted(monkeypatch, computation(), path, "zarr", 10 / NCHUNKS)
    writes = Writes(monkeypatch, "zarr")
    np.testing.assert_array_equal(np.asarray(oa.save(path, computation(), resume=True)),
                                  expected())
    assert len(writes.indices) == NCHUNKS - 10 and not partial.exists()


SCALE = 2.0


def test_fingerprints_see_what_functions_capture_and_read():
    from ooarray.plan.fingerprint import fingerprint

    def with_attribute(value) -> str | None:
        z = computation()
        z._node.extra = value
        return fingerprint(z._node)

    def scaled(k):
        return lambda x: x * k

    assert with_attribute(scaled(2)) != with_attribute(scaled(3))  # closures by value
    assert with_attribute(scaled(2)) == with_attribute(scaled(2))
    assert with_attribute(lambda x: x * SCALE) == with_attribute(lambda x: x * SCALE)  # code
    reader = lambda x: x * SCALE  # noqa: E731
    before = with_attribute(reader)
    globals()["SCALE"] = 3.0
    try:
        assert with_attribute(reader) != before  # a global it reads, by value
    finally:
        globals()["SCALE"] = 2.0
    assert with_attribute(np.add.reduce) != with_attribute(np.multiply.reduce)
    assert with_attribute(np.sum) != with_attribute(np.prod)
    assert with_attribute(np.frompyfunc(abs, 1, 1)) is None  # its function is not visible
    assert with_attribute(np.random.default_rng(1)) is None  # C state
    assert with_attribute({"b": 1, "a": np.arange(3)}) == with_attribute(
        {"a": np.arange(3), "b": 1})
    assert with_attribute(np.arange(3)) != with_attribute(np.arange(3.0))


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_a_partial_killed_before_its_rename_commits_without_computing(tmp_path, monkeypatch,
                                                                      fmt):
    path = target(tmp_path, fmt)
    partial = interrupted(monkeypatch, computation(), path, fmt, 1.0)  # every chunk written
    assert len(listed(partial)) == NCHUNKS
    with open(journal_path(partial), "a") as journal:
        journal.write('[[3], 12')  # a line torn by the kill
    writes = Writes(monkeypatch, fmt)
    with oa.collect_stats() as stats:
        result = write(computation(), path, fmt, resume=True)
    assert writes.indices == [] and stats.tasks == 0
    np.testing.assert_array_equal(np.asarray(result), expected())
