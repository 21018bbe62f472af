"""ooarray's own Zarr chunk path: Blosc chunks encoded into buffers borrowed from the pool are
the bytes numcodecs (and so zarr) writes, chunk files are decoded from read-only mappings, and
both stay inside the budget and give NumPy's values."""

import mmap
import os
import threading
import time

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec

import ooarray as oa
from ooarray.store import blosc_into, memmap
from ooarray.store.blosc_into import compressed_bound, compressor_into
from ooarray.store.zarr import ZarrStore, _ChunkFiles


@pytest.fixture
def map_small(monkeypatch):
    """Decode Zarr chunk files of any size from mappings; list the chunks decoded so."""
    monkeypatch.setattr(memmap, "MAP_MIN_BYTES", 0)
    monkeypatch.setattr(memmap, "MAP_CHUNKS", True)
    mapped = []
    original = _ChunkFiles._decode

    def counting(self, name, index, encoded, out):
        if isinstance(encoded, mmap.mmap):
            mapped.append(tuple(index))
        return original(self, name, index, encoded, out)

    monkeypatch.setattr(_ChunkFiles, "_decode", counting)
    return mapped


@pytest.mark.parametrize("dtype", ["f8", "f4", "i2", "u1", "c16"])
@pytest.mark.parametrize("n", [1, 100, 12_345, 1 << 18])
@pytest.mark.parametrize("cname, clevel, shuffle", [("lz4", 5, 1), ("zstd", 3, 2),
                                                    ("blosclz", 9, 0), ("lz4hc", 1, 1)])
def test_compressing_into_a_buffer_writes_numcodecs_bytes(dtype, n, cname, clevel, shuffle):
    rng = np.random.default_rng(n)
    values = (rng.standard_normal(n) * 100).astype(dtype)
    expected = numcodecs.Blosc(cname=cname, clevel=clevel, shuffle=shuffle,
                               typesize=values.itemsize).encode(values)
    compress = compressor_into(cname, clevel, shuffle, values.itemsize)
    assert compress is not None
    dest = np.full(compressed_bound(values.nbytes), 0xAB, np.uint8)
    written = compress(values, dest)
    assert bytes(dest[:written]) == bytes(expected)


def test_a_destination_below_blosc_bound_is_refused():
    values = np.arange(1000.0)
    compress = compressor_into("lz4", 5, 1, 8)
    with pytest.raises(ValueError, match="smaller than Blosc's bound"):
        compress(values, np.empty(values.nbytes, np.uint8))
    with pytest.raises(ValueError, match="contiguous"):
        compress(np.arange(2000.0)[::2], np.empty(compressed_bound(8000), np.uint8))


def _chunk_files(path):
    root = os.path.join(path, "c")
    return {os.path.relpath(os.path.join(d, f), root): open(os.path.join(d, f), "rb").read()
            for d, _, files in os.walk(root) for f in files}


@pytest.mark.parametrize("shape, chunks", [((4000,), 1000), ((300, 200), (100, 50)),
                                           ((64, 64, 8), (16, 64, 8))])
def test_written_chunk_files_are_the_ones_zarr_writes(tmp_path, shape, chunks, monkeypatch):
    values = np.random.default_rng(2).standard_normal(shape).round(2)
    with oa.config.set(memory_limit="4MB"):
        (oa.asarray(values, chunks=chunks) * 2 + 1).to_zarr(tmp_path / "ours.zarr")
    chunk_shape = chunks if isinstance(chunks, tuple) else (chunks,)
    reference = zarr.create_array(str(tmp_path / "zarr.zarr"), shape=shape, dtype="f8",
                                  chunks=chunk_shape, fill_value=0,
                                  compressors=(BloscCodec(cname="lz4", clevel=5,
                                                          shuffle="shuffle", typesize=8),),
                                  config={"write_empty_chunks": True})
    reference[...] = values * 2 + 1
    ours = _chunk_files(tmp_path / "ours.zarr")
    assert ours == _chunk_files(tmp_path / "zarr.zarr")
    # numcodecs' encoder, when the c-blosc symbol is not found, writes the same files
    monkeypatch.setattr(blosc_into, "_blosc_compress_ctx", lambda: None)
    with oa.config.set(memory_limit="4MB"):
        (oa.asarray(values, chunks=chunks) * 2 + 1).to_zarr(tmp_path / "fallback.zarr")
    assert _chunk_files(tmp_path / "fallback.zarr") == ours


@pytest.mark.parametrize("shape, chunks", [((6000,), 1000), ((6000,), 1700),
                                           ((120, 90), (40, 30)), ((120, 90), (7, 90)),
                                           ((30, 20, 10), (10, 20, 5))])
@pytest.mark.parametrize("dtype", ["f8", "f4", "i4"])
def test_a_chain_over_mapped_zarr_chunks_equals_numpy_within_the_budget(tmp_path, map_small,
                                                                         shape, chunks, dtype):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(shape) * 50).astype(dtype)
    b = (rng.standard_normal(shape) * 50).astype(dtype)
    limit = 200_000
    with oa.config.set(memory_limit=limit):
        x = oa.asarray(a, chunks=chunks).to_zarr(tmp_path / "a.zarr")
        y = oa.asarray(b, chunks=chunks).to_zarr(tmp_path / "b.zarr")
        map_small.clear()
        with oa.collect_stats() as stats:
            out = (2 * x * y + x ** 2 - x // (abs(y) + 1)).to_zarr(tmp_path / "c.zarr")
            total = oa.open(tmp_path / "c.zarr").sum()
        expected = 2 * a * b + a ** 2 - a // (abs(b) + 1)
        np.testing.assert_array_equal(np.asarray(out), expected)
        assert float(total) == pytest.approx(float(expected.sum()), rel=1e-6)
    assert map_small, "no chunk was decoded from a mapping"
    assert stats.peak_bytes <= limit


@pytest.mark.parametrize("damage", ["truncated", "garbage", "grown"])
def test_damaged_chunks_on_the_mapped_path_raise_naming_the_chunk(tmp_path, map_small, damage):
    values = np.random.default_rng(5).standard_normal(6000)
    with oa.config.set(memory_limit="64KB"):
        oa.asarray(values, chunks=1000).to_zarr(tmp_path / "a.zarr")
        chunk = tmp_path / "a.zarr" / "c" / "2"
        size = os.path.getsize(chunk)
        if damage == "truncated":
            os.truncate(chunk, size // 2)
        elif damage == "grown":
            with open(chunk, "ab") as handle:
                handle.write(b"\0" * 100)
        else:
            chunk.write_bytes(np.random.default_rng(1).bytes(size))
        map_small.clear()
        with pytest.raises(oa.DamagedChunkError, match=r"c/2.*chunk \(2,\)"):
            float(oa.open(tmp_path / "a.zarr").sum())
    assert map_small


def test_mapping_can_be_switched_off(tmp_path, map_small, monkeypatch):
    values = np.arange(6000.0)
    with oa.config.set(memory_limit="64KB"):
        stored = oa.asarray(values, chunks=1000).to_zarr(tmp_path / "a.zarr")
        monkeypatch.setattr(memmap, "MAP_CHUNKS", False)
        map_small.clear()
        assert float(stored.sum()) == values.sum()
    assert map_small == []


def test_an_encode_buffer_is_borrowed_inside_the_writes_charge(tmp_path, monkeypatch):
    """The encoded chunk is a pool buffer counted in the write's scratch charge, and given
    back: one chunk of 400 KB, its encoded copy and the task's inputs fit 1.6 MB."""
    borrowed = []
    original = ZarrStore.write_chunk

    def watching(self, index, data, borrow=None):
        assert borrow is not None
        def counting(nbytes):
            borrowed.append(nbytes)
            return borrow(nbytes)
        return original(self, index, data, counting)

    monkeypatch.setattr(ZarrStore, "write_chunk", watching)
    values = np.random.default_rng(7).standard_normal((400, 1000))
    limit = 1_600_000
    with oa.config.set(memory_limit=limit), oa.collect_stats() as stats:
        out = (oa.asarray(values, chunks=(50, 1000)) + 1).to_zarr(tmp_path / "a.zarr")
    assert stats.peak_bytes <= limit
    assert borrowed == [compressed_bound(50 * 1000 * 8)] * 8
    np.testing.assert_array_equal(np.asarray(out), values + 1)


@pytest.fixture
def flushes(monkeypatch):
    """Write every chunk through (any size), and log the flushes and renames in order."""
    from ooarray.store import flusher
    from ooarray.store import zarr as zarr_store
    monkeypatch.setattr(zarr_store, "WRITE_THROUGH_MIN_BYTES", 0)
    events = []
    fdatasync, replace = os.fdatasync, os.replace

    def flushing(fd):
        events.append(("flush", threading.current_thread().name))
        time.sleep(0.002)  # a disk slower than the computation
        return fdatasync(fd)

    def replacing(src, dst):
        events.append(("replace", str(dst)))
        return replace(src, dst)

    monkeypatch.setattr(flusher.os, "fdatasync", flushing)
    monkeypatch.setattr(zarr_store.os, "replace", replacing)
    return events


def test_written_through_chunks_are_flushed_off_the_task_threads_before_the_commit(
        tmp_path, flushes):
    values = np.random.default_rng(9).standard_normal((64, 500))
    with oa.config.set(memory_limit="1MB", write_through=True):
        out = (oa.asarray(values, chunks=(4, 500)) * 3).to_zarr(tmp_path / "a.zarr")
    np.testing.assert_array_equal(np.asarray(out), values * 3)
    flushed = [name for event, name in flushes if event == "flush"]
    assert len(flushed) == 16  # every chunk
    assert all(name.startswith("ooarray-flush") for name in flushed)
    final = [i for i, (event, name) in enumerate(flushes)
             if event == "replace" and name == str(tmp_path / "a.zarr")]
    assert final and final[0] > max(i for i, (e, _) in enumerate(flushes) if e == "flush")


def test_a_flush_that_fails_fails_the_write_and_leaves_no_store(tmp_path, flushes,
                                                                 monkeypatch):
    import errno

    from ooarray.store import flusher
    calls = []

    def failing(fd):
        calls.append(fd)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(flusher.os, "fdatasync", failing)
    values = np.arange(64 * 500.0).reshape(64, 500)
    with oa.config.set(memory_limit="1MB", write_through=True):
        with pytest.raises(OSError, match=r"cannot flush .*a\.zarr.*No space left"):
            (oa.asarray(values, chunks=(4, 500)) + 1).to_zarr(tmp_path / "a.zarr")
    assert os.listdir(tmp_path) == []  # no store, no partial, no journal
    assert not [t for t in threading.enumerate() if t.name.startswith("ooarray-flush")]


def test_at_most_two_chunks_wait_for_the_flusher(tmp_path, monkeypatch):
    from ooarray.store import flusher
    from ooarray.store import zarr as zarr_store
    monkeypatch.setattr(zarr_store, "WRITE_THROUGH_MIN_BYTES", 0)
    waiting, most = [0], [0]
    submit, flush = flusher.Flusher.submit, flusher._flush

    def counting_submit(self, fd, name):
        submit(self, fd, name)
        waiting[0] += 1
        most[0] = max(most[0], waiting[0])

    def slow_flush(fd, name):
        time.sleep(0.01)
        waiting[0] -= 1
        return flush(fd, name)

    monkeypatch.setattr(flusher.Flusher, "submit", counting_submit)
    monkeypatch.setattr(flusher, "_flush", slow_flush)
    values = np.arange(64 * 500.0).reshape(64, 500)
    with oa.config.set(memory_limit="1MB", write_through=True):
        out = (oa.asarray(values, chunks=(4, 500)) - 1).to_zarr(tmp_path / "a.zarr")
    np.testing.assert_array_equal(np.asarray(out), values - 1)
    assert 1 <= most[0] <= 3  # two waiting, and one just handed over
