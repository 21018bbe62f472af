"""Mapped chunks: a committed ``.npy``'s contiguous chunks are read-only views on memory maps
of the file, counted in the pool's budget while the pool holds them and unmapped when they
leave it; never a free buffer, never written, and the same values as a copy."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ooarray as oa
from ooarray.buffer.manager import BufferManager, _pools
from ooarray.buffer.policies import BeladyPolicy, LRUPolicy
from ooarray.store import memmap
from ooarray.store.memmap import NpyStore

MiB = 2**20


@pytest.fixture
def map_small(monkeypatch):
    """Map chunks of any size (small test files), and count the chunks mapped."""
    monkeypatch.setattr(memmap, "MAP_MIN_BYTES", 0)
    monkeypatch.setattr(memmap, "MAP_CHUNKS", True)
    mapped = []
    original = NpyStore.map_chunk

    def counting(self, index):
        mapped.append(index)
        return original(self, index)

    monkeypatch.setattr(NpyStore, "map_chunk", counting)
    return mapped


def _store(tmp_path, values, chunks):
    np.save(tmp_path / "a.npy", values)
    store, _ = NpyStore.open(tmp_path / "a.npy", chunks=chunks)
    return store


def _pin(pool, store, index):
    index = (index[0], 0)
    mapper = (store.mapped_bytes(index), lambda: store.map_chunk(index))
    assert mapper[0] is not None
    return pool.pin(("a", index[:1]), store.chunk_shape(index), store.dtype,
                    lambda out: store.read_chunk(index, out), mapper=mapper)[0]


def test_a_mapped_chunk_is_counted_read_only_and_unmapped_when_evicted(tmp_path, map_small):
    values = np.arange(4 * 8192, dtype=np.float64).reshape(4, 8192)  # 64 KiB per row
    store = _store(tmp_path, values, (1, 8192))
    pool = BufferManager(3 * store.mapped_bytes((0, 0)), LRUPolicy())
    pool.set_reservation_ceiling(0)  # no task reserves: the mappings' page rounding fits
    chunk = _pin(pool, store, (0,))
    frame = pool._frames[("a", (0,))]
    assert frame.raw is None and frame.mapping is not None  # a mapping, not a buffer
    np.testing.assert_array_equal(chunk, values[0])
    assert pool.held_bytes == store.mapped_bytes((0, 0)) >= chunk.nbytes
    with pytest.raises(ValueError, match="read-only"):
        chunk[0] = 1.0  # an in-place write raises instead of changing the input
    mapping = frame.mapping
    del chunk
    pool.unpin(("a", (0,)))
    for index in [(1,), (2,), (3,)]:  # the budget holds three: (0,) is evicted for (3,)
        _pin(pool, store, index)
        pool.unpin(("a", index))
    assert ("a", (0,)) not in pool._frames and mapping.closed
    assert pool.held_bytes == len(pool._frames) * store.mapped_bytes((0, 0)) <= pool.limit
    assert pool.stats.peak_bytes <= pool.limit and pool.overshoot_bytes == 0
    assert pool._free == []  # mappings never go to the free list
    pool.finish()
    assert pool.held_bytes == 0 and pool._free == [] and pool._lingering == []


def test_a_freed_mapped_chunk_is_unmapped_and_never_reused_as_a_buffer(tmp_path, map_small):
    values = np.random.default_rng(0).standard_normal((2, 8192))
    store = _store(tmp_path, values, (1, 8192))
    pool = BufferManager(1 * MiB, BeladyPolicy())
    pool.set_reservation_ceiling(0)  # no task reserves: the mappings' page rounding fits
    pool.set_trace([("a", (0,)), ("a", (1,))], {})
    chunk = _pin(pool, store, (0,))
    mapping = pool._frames[("a", (0,))].mapping
    address = chunk.__array_interface__["data"][0]
    del chunk
    pool.unpin(("a", (0,)))  # not used again: freed
    assert mapping.closed and pool.held_bytes == 0 and pool._free == []
    scratch = pool.allocate((8192,), np.float64)
    scratch[...] = 7.0
    assert scratch.flags.writeable and scratch.__array_interface__["data"][0] != address
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), values)  # the file is intact
    pool.release(scratch)


def test_a_view_alive_after_its_chunk_left_keeps_the_mapping_counted(tmp_path, map_small):
    values = np.random.default_rng(1).standard_normal((2, 8192))
    store = _store(tmp_path, values, (1, 8192))
    pool = BufferManager(1 * MiB, BeladyPolicy())
    pool.set_reservation_ceiling(0)  # no task reserves: the mappings' page rounding fits
    pool.set_trace([("a", (0,))], {})
    kept = _pin(pool, store, (0,))[10:20]
    pool.unpin(("a", (0,)))
    assert pool.held_bytes == store.mapped_bytes((0, 0))  # still mapped: still counted
    np.testing.assert_array_equal(kept, values[0, 10:20])
    del kept
    pool.release_memory()
    assert pool.held_bytes == 0 and pool._lingering == []


def test_a_failed_mapping_leaves_nothing_counted(tmp_path, map_small):
    values = np.random.default_rng(2).standard_normal((2, 8192))
    store = _store(tmp_path, values, (1, 8192))
    os.truncate(tmp_path / "a.npy", os.path.getsize(tmp_path / "a.npy") - 16)
    pool = BufferManager(1 * MiB, LRUPolicy())
    pool.set_reservation_ceiling(0)  # no task reserves: the mappings' page rounding fits
    with pytest.raises(OSError, match="too short"):
        _pin(pool, store, (1,))
    assert pool.held_bytes == 0 and pool._frames == {}


def test_truncated_file_is_an_error_on_the_mapped_path(tmp_path, map_small):
    values = np.random.default_rng(3).standard_normal((64, 512))
    with oa.config.set(memory_limit="1MB"):
        oa.asarray(values, chunks=(8, 512)).to_npy(tmp_path / "a.npy")
        a = oa.open(tmp_path / "a.npy", chunks=(8, 512))
        np.testing.assert_allclose(float(a.sum()), values.sum())
        assert map_small  # it was mapped
        os.truncate(tmp_path / "a.npy", os.path.getsize(tmp_path / "a.npy") - 16)
        with pytest.raises(OSError, match="too short"):
            float(a.sum())


def test_files_being_written_and_small_chunks_are_copied(tmp_path, monkeypatch):
    values = np.random.default_rng(4).standard_normal((64, 512))
    np.save(tmp_path / "a.npy", values)
    store, _ = NpyStore.open(tmp_path / "a.npy", chunks=(8, 512))
    assert store.mapped_bytes((0, 0)) is None  # 32 KiB: below MAP_MIN_BYTES
    monkeypatch.setattr(memmap, "MAP_MIN_BYTES", 0)
    assert store.mapped_bytes((0, 0)) is not None
    monkeypatch.setattr(memmap, "MAP_CHUNKS", False)
    assert store.mapped_bytes((0, 0)) is None  # switched off
    monkeypatch.setattr(memmap, "MAP_CHUNKS", True)
    split, _ = NpyStore.open(tmp_path / "a.npy", chunks=(8, 256))
    assert split.mapped_bytes((0, 0)) is None  # not one contiguous range
    written = NpyStore.create(tmp_path / "b.npy", values.shape, values.dtype,
                              ((8,) * 8, (512,)))
    assert written.mapped_bytes((0, 0)) is None  # being written
    written.abort()


CHUNKINGS = [(8, 512), (5, 512), (1, 512), (64, 512), (7, 100), (64, 1), (3, 511)]


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_values_equal_numpy_over_many_chunkings(tmp_path, map_small, chunks):
    rng = np.random.default_rng(5)
    a_, b_, c_ = (rng.standard_normal((64, 512)) for _ in range(3))
    for name, values in zip("abc", (a_, b_, c_), strict=True):
        np.save(tmp_path / f"{name}.npy", values)
    with oa.config.set(memory_limit="2MB"):
        a, b, c = (oa.open(tmp_path / f"{name}.npy", chunks=chunks) for name in "abc")
        np.testing.assert_allclose(float(a.sum()), a_.sum(), rtol=1e-12)
        np.testing.assert_allclose(float(a.std()), a_.std(), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(a.sum(axis=0)), a_.sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(a.max(axis=1)), a_.max(axis=1))
        (2 * a * b + c**2 - a / (b + 1)).to_npy(tmp_path / "out.npy")
        np.testing.assert_allclose(np.load(tmp_path / "out.npy"),
                                   2 * a_ * b_ + c_**2 - a_ / (b_ + 1), rtol=1e-12)
        np.testing.assert_array_equal(np.asarray(a[3:50:3, 7:300:5]), a_[3:50:3, 7:300:5])
        np.testing.assert_array_equal(np.asarray(a[10:12]), a_[10:12])
        np.testing.assert_array_equal(np.asarray(a[[5, 1, 40]]), a_[[5, 1, 40]])
        np.testing.assert_array_equal(np.asarray(np.sort(a, axis=1)), np.sort(a_, axis=1))
    if chunks[1] == 512 or chunks[0] == 1:
        assert map_small
    # Other chunks keep the copy path (a one-row edge chunk is one contiguous range).
    rows = a.chunks[0]
    for index in map_small:
        assert chunks[1] == 512 or rows[index[0]] == 1
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), a_)  # inputs never written
    assert all(pool._lingering == [] for pool in _pools)  # no view outlived its chunk


def test_three_dimensional_and_fortran_files(tmp_path, map_small):
    values = np.random.default_rng(6).standard_normal((6, 10, 30))
    np.save(tmp_path / "c.npy", values)
    np.save(tmp_path / "f.npy", np.asfortranarray(values))
    with oa.config.set(memory_limit="1MB"):
        for name in "cf":
            for chunks in [(1, 10, 30), (2, 10, 30), (3, 5, 30), (6, 10, 7)]:
                a = oa.open(tmp_path / f"{name}.npy", chunks=chunks if name == "c"
                            else tuple(reversed(chunks)))
                np.testing.assert_allclose(float(a.std()), values.std(), rtol=1e-12)
                np.testing.assert_array_equal(np.asarray(a[1:5, 2:9:2, ::7]),
                                              values[1:5, 2:9:2, ::7])
                np.testing.assert_allclose(np.asarray((a * 2).sum(axis=1)),
                                           (values * 2).sum(axis=1), rtol=1e-12)
    assert map_small
    assert all(pool._lingering == [] for pool in _pools)


RSS = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    from ooarray.store.memmap import NpyStore
    mapped = []
    original = NpyStore.map_chunk
    def counting(self, index):
        mapped.append(index)
        return original(self, index)
    NpyStore.map_chunk = counting
    directory = sys.argv[1]
    oa.config.set(memory_limit="64MB")
    a, b = oa.open(f"{directory}/a.npy"), oa.open(f"{directory}/b.npy")
    gc.collect()
    with RSSSampler(interval=0.002) as rss, oa.collect_stats() as stats:
        total = float(a.sum())
        spread = float(a.std())
        (2 * a * b - a / (b + 1)).to_npy(f"{directory}/out.npy", overwrite=True)
    print(json.dumps({"total": total, "std": spread, "baseline": rss.baseline,
                      "peak": rss.peak, "pool_peak": stats.peak_bytes,
                      "read": stats.bytes_read, "mapped": len(mapped)}))
""")


@pytest.mark.slow
def test_mapped_reads_of_a_file_4x_the_budget_keep_rss_near_it(tmp_path):
    rows = 256 * MiB // (8 * 4096)
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(8)
        for name in "ab":
            rng.standard_normal((rows, 4096)).to_npy(tmp_path / f"{name}.npy")
    run = subprocess.run([sys.executable, "-c", RSS, str(tmp_path)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    a_ = np.load(tmp_path / "a.npy", mmap_mode="r")
    np.testing.assert_allclose(measured["total"], a_.sum(), rtol=1e-10)
    np.testing.assert_allclose(measured["std"], a_.std(), rtol=1e-10)
    assert measured["mapped"] > 0  # the mapped path ran
    assert measured["read"] >= 4 * 256 * MiB
    assert measured["pool_peak"] <= 64_000_000
    growth = measured["peak"] - measured["baseline"]
    assert growth < 128 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over a 64 MB budget"
