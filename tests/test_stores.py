"""Stores: round trips through Zarr, .npy, memmaps and memory; writes that fail leave nothing."""

import os
import subprocess
import sys

import numpy as np
import pytest
import zarr

import ooarray as oa
from ooarray.store.memmap import NpyStore
from ooarray.store.memory import MemoryStore
from ooarray.store.spill import SpillStore
from ooarray.store.zarr import ZarrStore

DTYPES = [np.bool_, np.int8, np.uint16, np.int64, np.float32, np.float64, np.complex128]
SHAPES_AND_CHUNKS = [((), None), ((0,), None), ((7,), 3), ((5, 6), (2, 4)), ((4, 3, 5), (3, 2, 2)),
                     ((2, 3, 4, 5), (1, 2, 3, 4))]


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) * 50
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return np.asarray(values).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, chunks", SHAPES_AND_CHUNKS)
def test_zarr_round_trip(tmp_path, shape, chunks, dtype):
    values = _values(shape, dtype)
    stored = oa.asarray(values, chunks=chunks).to_zarr(tmp_path / "x.zarr")
    assert isinstance(stored, oa.OOArray)
    reopened = oa.open(tmp_path / "x.zarr")
    assert reopened.dtype == values.dtype and reopened.shape == values.shape
    np.testing.assert_array_equal(reopened.compute(), values)
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "x.zarr"))[...], values)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, chunks", SHAPES_AND_CHUNKS)
def test_npy_round_trip(tmp_path, shape, chunks, dtype):
    values = _values(shape, dtype)
    oa.save(tmp_path / "x.npy", oa.asarray(values, chunks=chunks))
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), values)
    np.testing.assert_array_equal(oa.open(tmp_path / "x.npy").compute(), values)


@pytest.mark.parametrize("chunks", [(2, 3, 4), (1, 6, 2), (5, 1, 1), "auto"])
def test_npy_read_any_chunking_including_non_contiguous(tmp_path, chunks):
    values = _values((5, 6, 7), np.float64)
    np.save(tmp_path / "x.npy", values)
    array = oa.open(tmp_path / "x.npy", chunks=chunks)
    np.testing.assert_array_equal(array.compute(), values)
    np.testing.assert_array_equal(np.asarray(array[1:4, ::2, 3]), values[1:4, ::2, 3])


def test_npy_fortran_order_file(tmp_path):
    values = np.asfortranarray(_values((6, 5), np.float32))
    np.save(tmp_path / "f.npy", values)
    array = oa.open(tmp_path / "f.npy")
    np.testing.assert_array_equal(array.compute(), values)


def test_npy_non_contiguous_chunks_write(tmp_path):
    values = _values((6, 8), np.int32)
    store = NpyStore.create(tmp_path / "w.npy", (6, 8), np.int32, ((3, 3), (4, 4)))
    for i in range(2):
        for j in range(2):
            store.write_chunk((i, j), values[3 * i:3 * i + 3, 4 * j:4 * j + 4])
    store.commit()
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), values)


def test_asarray_memmap_reads_the_file_per_chunk(tmp_path):
    values = _values((40, 10), np.float64)
    np.save(tmp_path / "m.npy", values)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    array = oa.asarray(mapped[5:], chunks=(7, 10))
    assert "npy" in repr(array)
    np.testing.assert_array_equal(array.compute(), values[5:])


def test_asarray_zarr_array(tmp_path):
    values = _values((9, 4), np.float32)
    z = zarr.create_array(str(tmp_path / "z.zarr"), shape=values.shape, chunks=(4, 4),
                          dtype=values.dtype)
    z[...] = values
    array = oa.asarray(z)
    assert array.chunks == ((4, 4, 1), (4,))
    np.testing.assert_array_equal((array * 2).compute(), values * 2)


@pytest.mark.parametrize("compressor", [None, "default", zarr.codecs.ZstdCodec(level=1)])
def test_zarr_direct_read_matches_zarr_api(tmp_path, compressor):
    values = _values((10, 6), np.float64)
    z = zarr.create_array(str(tmp_path / "z.zarr"), shape=values.shape, chunks=(4, 6),
                          dtype=values.dtype,
                          compressors=(compressor,) if compressor not in (None, "default")
                          else (None if compressor is None else "auto"))
    z[...] = values
    store = ZarrStore.open(tmp_path / "z.zarr")
    for index in [(0, 0), (1, 0), (2, 0)]:
        out = np.empty(store.chunk_shape(index))
        store.read_chunk(index, out)
        np.testing.assert_array_equal(out, values[4 * index[0]:4 * index[0] + 4])


def test_zarr_missing_chunks_read_as_fill_value(tmp_path):
    zarr.create_array(str(tmp_path / "z.zarr"), shape=(8,), chunks=(4,), dtype="f8",
                          fill_value=3.5, compressors=None)
    np.testing.assert_array_equal(oa.open(tmp_path / "z.zarr").compute(), np.full(8, 3.5))


def test_memory_store_round_trip():
    values = _values((5, 4), np.int64)
    store = MemoryStore(values.shape, values.dtype, ((3, 2), (4,)), values)
    assert store.to_numpy().tolist() == values.tolist()


def test_open_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Zarr array"):
        oa.open(tmp_path / "nothing.zarr")


def test_to_zarr_refuses_to_overwrite_unless_asked(tmp_path):
    oa.ones(4).to_zarr(tmp_path / "x.zarr")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        oa.zeros(4).to_zarr(tmp_path / "x.zarr")
    oa.zeros(4).to_zarr(tmp_path / "x.zarr", overwrite=True)
    assert oa.open(tmp_path / "x.zarr").compute().tolist() == [0, 0, 0, 0]


def test_overwrite_a_store_with_an_expression_of_itself(tmp_path):
    oa.arange(10.0, chunks=3).to_zarr(tmp_path / "x.zarr")
    a = oa.open(tmp_path / "x.zarr")
    (a * 2).to_zarr(tmp_path / "x.zarr", overwrite=True)
    assert oa.open(tmp_path / "x.zarr").compute().tolist() == [2.0 * i for i in range(10)]


class Boom(RuntimeError):
    pass


def _failing_array(fail_at_block):
    from ooarray.plan.graph import SourceNode
    from ooarray.store.generated import GeneratedStore

    def fill(index, region, out):
        if index[0] == fail_at_block:
            raise Boom("disk on fire")
        out.fill(1.0)

    store = GeneratedStore((40,), np.float64, ((4,) * 10,), fill, "failing")
    return oa.OOArray(SourceNode(store))


@pytest.mark.parametrize("fmt", ["x.zarr", "x.npy"])
@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_failed_write_leaves_no_store_that_looks_complete(tmp_path, fmt, executor):
    with oa.config.set(executor=executor), pytest.raises(Boom):
        oa.save(tmp_path / fmt, _failing_array(fail_at_block=6) + 1)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_store(tmp_path):
    oa.arange(40.0, chunks=4).to_zarr(tmp_path / "x.zarr")
    with pytest.raises(Boom):
        (_failing_array(fail_at_block=3) * 2).to_zarr(tmp_path / "x.zarr", overwrite=True)
    assert oa.open(tmp_path / "x.zarr").compute().tolist() == list(np.arange(40.0))
    assert [p.name for p in tmp_path.iterdir()] == ["x.zarr"]


def test_interrupted_write_leaves_no_store(tmp_path):
    """A KeyboardInterrupt in the middle of a write (Ctrl-C) cleans up like an error."""
    from ooarray.plan.graph import SourceNode
    from ooarray.store.generated import GeneratedStore

    def fill(index, region, out):
        if index[0] == 5:
            raise KeyboardInterrupt
        out.fill(2.0)

    array = oa.OOArray(SourceNode(GeneratedStore((40,), np.float64, ((4,) * 10,), fill, "x")))
    with pytest.raises(KeyboardInterrupt):
        array.to_zarr(tmp_path / "x.zarr")
    assert list(tmp_path.iterdir()) == []


def _partials_that_spill(tmp_path):
    # sum(axis=0) over 64 row-chunks: 64 partial rows of 4096 values (2 MiB) cannot all stay
    # in a 1 MB pool before the combine stage reads them back.
    rng = np.random.default_rng(3)
    values = rng.standard_normal((64, 4096))
    return values, oa.asarray(values, chunks=(1, 512))


def test_intermediates_spill_and_are_removed_after_compute(tmp_path):
    values, array = _partials_that_spill(tmp_path)
    spill_dir = tmp_path / "spill"
    with oa.config.set(memory_limit="1MB", spill_dir=str(spill_dir)), \
            oa.collect_stats() as stats:
        result = array.sum(axis=0).compute()
    np.testing.assert_allclose(result, values.sum(axis=0), rtol=1e-12)
    assert stats.bytes_spilled > 0
    assert not any(spill_dir.rglob("*"))


def test_spill_removed_when_compute_fails(tmp_path):
    spill_dir = tmp_path / "spill"
    values, array = _partials_that_spill(tmp_path)
    bad = array.sum(axis=0) + _failing_array(fail_at_block=9).sum()
    with oa.config.set(memory_limit="1MB", spill_dir=str(spill_dir)), pytest.raises(Boom):
        bad.compute()
    assert not any(spill_dir.rglob("*"))


def test_spill_store_removed_at_interpreter_exit(tmp_path):
    code = (
        "import numpy as np, sys\n"
        "from ooarray.store.spill import SpillStore\n"
        f"s = SpillStore({str(tmp_path)!r})\n"
        "s.write('k', np.ones(10))\n"
        "sys.exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert list(tmp_path.iterdir()) == []


def test_spill_store_round_trip_and_delete(tmp_path):
    store = SpillStore(str(tmp_path))
    data = np.arange(12, dtype=np.int16).reshape(3, 4)
    store.write(("k", 1), data)
    out = np.empty_like(data)
    store.read(("k", 1), out)
    np.testing.assert_array_equal(out, data)
    store.delete(("k", 1))
    assert os.listdir(store.directory) == []
    store.close()
    assert not os.path.exists(store.directory)


def test_spill_store_never_reuses_a_live_chunk_s_file(tmp_path):
    store = SpillStore(str(tmp_path))
    store.write("a", np.zeros(1))
    store.write("b", np.ones(1))
    store.delete("a")
    store.write("c", np.full(1, 2.0))
    out = np.empty(1)
    store.read("b", out)
    assert out[0] == 1.0
    store.read("c", out)
    assert out[0] == 2.0


@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.complex128, np.bool_])
@pytest.mark.parametrize("compressor", [None, "default", zarr.codecs.ZstdCodec(level=1),
                                        zarr.codecs.BloscCodec(cname="zstd", clevel=3,
                                                               shuffle="bitshuffle")])
def test_zarr_direct_write_makes_the_files_zarr_makes(tmp_path, compressor, dtype):
    """ooarray encodes whole chunks itself; the files are byte for byte zarr's own, and
    edge chunks (stored padded) go through zarr."""
    values = _values((10, 6), dtype)
    grid = ((4, 4, 2), (6,))
    ours = ZarrStore.create(tmp_path / "ours.zarr", values.shape, values.dtype, (4, 6),
                            compressor=compressor)
    assert ours._direct is not None
    for i, rows in enumerate([slice(0, 4), slice(4, 8), slice(8, 10)]):
        ours.write_chunk((i, 0), values[rows])
    ours.commit()
    theirs = zarr.create_array(str(tmp_path / "theirs.zarr"), shape=values.shape,
                               chunks=(4, 6), dtype=values.dtype, fill_value=0,
                               compressors=ours.array.metadata.codecs[1:] or None,
                               config={"write_empty_chunks": True})
    theirs[...] = values
    for index in ["0/0", "1/0", "2/0"]:
        assert (tmp_path / "ours.zarr" / "c" / index).read_bytes() == \
            (tmp_path / "theirs.zarr" / "c" / index).read_bytes()
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "ours.zarr"))[...], values)
    assert oa.open(tmp_path / "ours.zarr").chunks == grid


@pytest.mark.parametrize("store_chunks, direct", [((4, 3), True), ((2, 6), True),
                                                   ((3, 4), False)])
def test_tasks_write_several_store_chunks_each(tmp_path, store_chunks, direct):
    """A matmul tile goes straight to a store whose chunks divide it (no stage of sink
    tasks); other store chunkings are written by sink tasks."""
    from ooarray.plan.lower import Plan

    left, right = _values((16, 5), np.float64), _values((5, 12), np.float64, seed=1)
    with oa.config.set(memory_limit="4KB"):
        array = oa.asarray(left, chunks=(4, 5)) @ oa.asarray(right, chunks=(5, 3))
        assert array.node.chunks == ((8, 8), (6, 6))  # 8 x 6 tiles
        plan = Plan(array.node, oa.asarray(np.empty((16, 12)), chunks=store_chunks).chunks)
        assert all(task.direct for task in plan.tasks if task.sink) == direct
    stored = array.to_zarr(tmp_path / "s.zarr", chunks=store_chunks)
    assert stored.chunksize == store_chunks
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "s.zarr"))[...], left @ right,
                               rtol=1e-12)


@pytest.mark.parametrize("write_through, budget, expected", [
    (True, "1GB", 4), (False, "3MB", 0), (None, "1GB", 0), (None, "3MB", 4)])
def test_write_through_flushes_and_drops_large_chunks_only(tmp_path, monkeypatch,
                                                           write_through, budget, expected):
    """With write_through, chunks of 1 MiB or more are flushed to disk and dropped from the
    page cache as they are written, smaller ones are left to the kernel; by default only
    results larger than the budget are written through."""
    from ooarray.store import zarr as zarr_store

    dropped = []
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, length, advice: dropped.append(advice))
    rows = zarr_store.WRITE_THROUGH_MIN_BYTES // (8 * 64)
    values = _values((4 * rows, 64), np.float64)  # 4 MiB
    with oa.config.set(write_through=write_through, memory_limit=budget):
        oa.asarray(values, chunks=(rows, 64)).to_zarr(tmp_path / "big.zarr", compressor=None)
        oa.asarray(values, chunks=(rows // 2, 64)).to_zarr(tmp_path / "small.zarr",
                                                           compressor=None)
    assert dropped == [os.POSIX_FADV_DONTNEED] * expected
    for name in ("big", "small"):
        np.testing.assert_array_equal(zarr.open_array(str(tmp_path / f"{name}.zarr"))[...],
                                      values)


# -- stores sent to another process (a plan pickled for a cluster's worker) ------------------
COPY_WRITES = """
import pickle, sys
import numpy as np
store = pickle.loads(sys.stdin.buffer.read())
for index in [(1,), (3,)]:
    store.write_chunk(index, np.full(store.chunk_shape(index), 7 + index[0], store.dtype))
read = np.empty(store.chunk_shape((0,)), store.dtype)
store.read_chunk((0,), read)
sys.stdout.buffer.write(pickle.dumps((store.take_written(), store.take_written(), read)))
"""


def _in_another_process(store):
    cloudpickle = pytest.importorskip("cloudpickle")
    done = subprocess.run([sys.executable, "-c", COPY_WRITES], input=cloudpickle.dumps(store),
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    import pickle
    return pickle.loads(done.stdout)


@pytest.mark.parametrize("kind", ["npy", "zarr", "chunkfile"])
def test_a_store_being_written_writes_from_another_process_for_its_owner(tmp_path, kind):
    # The copy opens the file again (a descriptor means nothing in another process), writes
    # into the same partial, and hands what it wrote to the owner, which journals it: the
    # committed store holds both processes' chunks, and a resume would trust them.
    from ooarray.store.chunkfile import ChunkFile
    grid = ((4, 4, 4, 4),)
    if kind == "npy":
        store = NpyStore.create(tmp_path / "out.npy", (16,), np.float64, grid)
    elif kind == "zarr":
        store = ZarrStore.create(tmp_path / "out.zarr", (16,), np.float64, (4,))
    else:
        store = ChunkFile((16,), np.float64, grid, str(tmp_path))
    store.write_chunk((0,), np.arange(4.0))
    written, again, read = _in_another_process(store)
    np.testing.assert_array_equal(read, np.arange(4.0))  # the copy reads the owner's chunk
    assert len(written) == 2 and again == []
    store.record_written(written)
    store.write_chunk((2,), np.full(4, 9.0))
    expected = np.concatenate([np.arange(4.0), np.full(4, 8.0), np.full(4, 9.0),
                               np.full(4, 10.0)])
    if kind == "chunkfile":
        out = np.empty(4)
        for index in range(4):
            store.read_chunk((index,), out)  # every chunk is known written by the owner
            np.testing.assert_array_equal(out, expected[4 * index:4 * index + 4])
        store.remove()
        return
    from ooarray.store.journal import read_journal
    _, entries = read_journal(store._journal.path)
    assert sorted(entries) == [(0,), (1,), (2,), (3,)]
    store.commit()
    np.testing.assert_array_equal(oa.open(tmp_path / f"out.{kind}").compute(), expected)


def test_a_pickled_npy_source_reads_its_file_in_another_process(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(20.0))
    store, _ = NpyStore.open(tmp_path / "a.npy", chunks=5)
    cloudpickle = pytest.importorskip("cloudpickle")
    code = ("import pickle, sys, numpy as np; s = pickle.loads(sys.stdin.buffer.read()); "
            "o = np.empty(5); s.read_chunk((2,), o); print(o.tolist())")
    done = subprocess.run([sys.executable, "-c", code], input=cloudpickle.dumps(store),
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == str(np.arange(10.0, 15.0).tolist())
