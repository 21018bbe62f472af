"""Matrix multiplication against NumPy, the tile planner, and the pool on a matmul trace."""

import math

import numpy as np
import pytest

import ooarray as oa
from ooarray.algorithms.matmul import MatmulNode, plan_tiles
from tests.helpers import assert_like_numpy

SHAPES = [
    ((5, 7), (7, 3)), ((1, 1), (1, 1)), ((9, 4), (4,)), ((4,), (4, 6)), ((6,), (6,)),
    ((2, 5, 3), (3, 4)), ((3, 4), (2, 4, 2)), ((2, 1, 4, 3), (5, 3, 2)), ((0, 3), (3, 4)),
    ((4, 0), (0, 5)), ((33, 17), (17, 29)),
]
DTYPES = [np.float64, np.float32, np.complex128, np.int64, np.int32, np.bool_]


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) > 0.5
    values = rng.standard_normal(shape) * 4
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_matmul_matches_numpy(shape_a, shape_b, dtype, sync_executor):
    x, y = _values(shape_a, dtype, 1), _values(shape_b, dtype, 2)
    a, b = oa.asarray(x, chunks=3), oa.asarray(y, chunks=2)
    assert_like_numpy(a @ b, x @ y)
    assert_like_numpy(np.matmul(a, y), np.matmul(x, y))


@pytest.mark.parametrize("budget", ["12KB", "40KB", "1MB"])
def test_tiles_and_k_steps_from_a_small_budget(budget, tmp_path):
    # The 16 KB result does not fit the small budgets: it goes to a store tile by tile.
    x, y = _values((40, 70), np.float64, 3), _values((70, 50), np.float64, 4)
    with oa.config.set(memory_limit=budget):
        product = oa.asarray(x, chunks=(4, 7)) @ oa.asarray(y, chunks=(7, 5))
        node = product.node
        assert isinstance(node, MatmulNode)
        if budget == "12KB":
            assert len(node.steps) > 1 and node.chunks[0][0] < 40
        stored = product.to_npy(tmp_path / "c.npy")
    np.testing.assert_allclose(np.load(tmp_path / "c.npy"), x @ y, rtol=1e-12)
    assert stored.dtype == np.float64


def test_mixed_dtypes_and_transposed_and_fused_operands():
    x, y = _values((12, 8), np.float32, 5), _values((12, 6), np.int32, 6)
    a, b = oa.asarray(x, chunks=5), oa.asarray(y, chunks=4)
    assert_like_numpy(a.T @ b, x.T @ y)
    assert_like_numpy((a * 2 + 1).T @ np.sqrt(np.abs(b)), (x * 2 + 1).T @ np.sqrt(np.abs(y)))


def test_dot_and_errors():
    x, y = _values((6, 4), np.float64, 7), _values((4,), np.float64, 8)
    a = oa.asarray(x, chunks=2)
    assert_like_numpy(np.dot(a, y), np.dot(x, y))
    assert_like_numpy(np.dot(a, 2.0), np.dot(x, 2.0))
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        a @ oa.ones((5, 2))
    with pytest.raises(ValueError):
        a @ 3.0
    with pytest.raises(ValueError):
        oa.ones((2, 3, 4)) @ oa.ones((5, 4, 2))


def test_tile_plan_fits_budget_and_counts_io_against_the_bound():
    budget = 10**9
    tiles = plan_tiles(16384, 16384, 16384, 8, budget)
    assert tiles.task_bytes <= budget
    assert tiles.tm % 256 == 0 and tiles.tn % 256 == 0
    # Counted traffic: every tile reads k (tm + tn) elements (less at ragged edges): each
    # row of tiles reads B, each column A.
    rows, columns = math.ceil(16384 / tiles.tm), math.ceil(16384 / tiles.tn)
    assert tiles.io_bytes == 16384 * (columns * 16384 + rows * 16384) * 8
    bound = 2 * 16384**3 / math.sqrt(budget / 8) * 8
    assert tiles.lower_bound_bytes == pytest.approx(bound, rel=1e-6)
    assert 1 <= tiles.io_ratio < 6
    # Reuse of A's row panel only lowers the expected reads, never below reading B once
    # per row of tiles and A once.
    assert (rows + 1) * 16384**2 * 8 <= tiles.expected_read_bytes <= tiles.io_bytes
    thin = plan_tiles(10**6, 64, 8, 8, 10**8)
    assert thin.tn == 8 and thin.tk == 64 and thin.task_bytes <= 10**8
    empty = plan_tiles(10**5, 0, 10**5, 8, 10**6)  # C is zeros, still made tile by tile
    assert empty.io_bytes == 0 and 0 < empty.tm * empty.tn * 8 * 2 <= 10**6


@pytest.mark.parametrize("panel", [False, True])
@pytest.mark.parametrize("n, chunk", [(16384, 1024), (8192, 1024), (6000, 750), (3000, 512)])
def test_tile_plans_cover_whole_chunks_and_read_less_with_more_budget(n, chunk, panel):
    align = (chunk, chunk, chunk)
    budgets = [2**k * 10**6 for k in range(8, 14)]
    plans = [plan_tiles(n, n, n, 8, budget, align, product_buffer=False, panel=panel)
             for budget in budgets]
    for budget, tiles in zip(budgets, plans):
        assert tiles.task_bytes <= 0.9 * budget
        # tiles and steps of whole chunks (or the whole axis), never thinner than 1:2 ...
        for length in (tiles.tm, tiles.tn, tiles.tk):
            assert length == n or length % chunk == 0, (budget, tiles)
        assert max(tiles.tm, tiles.tn) <= 2 * min(tiles.tm, tiles.tn)
        # ... and only as many bytes counted as the tiles read
        assert tiles.lower_bound_bytes <= tiles.expected_read_bytes <= tiles.io_bytes
    reads = [tiles.expected_read_bytes for tiles in plans]
    assert reads == sorted(reads, reverse=True), reads  # more budget never reads more
    assert reads[-1] < reads[0] or reads[0] == 2 * n * n * 8  # (each read once already)


@pytest.mark.parametrize("policy", ["belady", "lru"])
def test_a_scheduled_matmul_pins_what_the_plan_counts_and_reads_less(policy, tmp_path):
    """The schedule's trace pins k (tm + tn) elements per tile (the plan's ``io_bytes``) when
    tiles cover whole chunks; the pool reads each input at least once and at most that."""
    from ooarray.plan.lower import Plan
    from ooarray.plan.schedule import schedule

    x, y = _values((96, 80), np.float64, 18), _values((80, 112), np.float64, 19)
    with oa.config.set(memory_limit="50KB", policy=policy), oa.collect_stats() as stats:
        a, b = _stored(x, grid=((8,) * 12, (16,) * 5)), _stored(y, grid=((16,) * 5, (8,) * 14))
        product = a @ b
        node, tiles = product.node, product.node.tiles
        assert len(node.chunks[0]) * len(node.chunks[1]) > 4 and len(node.steps) > 1
        sizes = {}
        for operand in (a.node, b.node):
            for index in np.ndindex(*(len(axis) for axis in operand.chunks)):
                block = [axis[i] for axis, i in zip(operand.chunks, index)]
                sizes[operand.chunk_key(index)] = math.prod(block) * 8
        trace = schedule(Plan(node, node.chunks)).trace
        assert sum(sizes.get(key, 0) for key in trace) == tiles.io_bytes
        product.to_npy(tmp_path / "c.npy")
    np.testing.assert_allclose(np.load(tmp_path / "c.npy"), x @ y, rtol=1e-10, atol=1e-10)
    assert x.nbytes + y.nbytes <= stats.bytes_read <= tiles.io_bytes


def test_a_product_is_stored_in_its_operands_chunks_and_tiles_run_in_snake_order(tmp_path):
    """Tiles are sized for the budget; C goes to Zarr in A's row chunks and B's column chunks
    (each written whole as its tile ends), and every other row of tiles runs right to left so
    that a row starts on the B panel the one before ended with."""
    from ooarray.plan.lower import Plan
    from ooarray.plan.schedule import schedule

    x, y = _values((96, 80), np.float64, 16), _values((80, 112), np.float64, 17)
    with oa.config.set(memory_limit="50KB"):
        product = _stored(x, grid=((8,) * 12, (16,) * 5)) @ \
            _stored(y, grid=((16,) * 5, (8,) * 14))
        node = product.node
        rows, columns = len(node.chunks[0]), len(node.chunks[1])
        assert rows > 2 and columns > 1 and max(node.chunks[0]) > 8
        order = [task.index for task in schedule(Plan(node, node.chunks)).tasks]
        assert sorted(order) == [(i, j) for i in range(rows) for j in range(columns)]
        assert [index[1] for index in order[:2 * columns]] == \
            list(range(columns)) + list(reversed(range(columns)))
        stored = product.to_zarr(tmp_path / "c.zarr")
        assert oa.execute.pool().overshoot_bytes == 0
    assert stored.chunks == ((8,) * 12, (8,) * 14)
    assert_like_numpy(stored, x @ y)


def test_belady_reads_fewer_bytes_than_lru_on_matmul(tmp_path):
    x, y = _values((96, 96), np.float64, 9), _values((96, 96), np.float64, 10)
    read = {}
    for policy in ("belady", "lru"):
        # A budget of about two tasks: the cache cannot hold every chunk that is reused.
        with oa.config.set(memory_limit="64KB", policy=policy), oa.collect_stats() as stats:
            (_stored(x) @ _stored(y)).to_npy(tmp_path / f"{policy}.npy")
        np.testing.assert_allclose(np.load(tmp_path / f"{policy}.npy"), x @ y, rtol=1e-12)
        read[policy] = stats.bytes_read
    assert read["belady"] < read["lru"]


def _stored(values, grid=((16,) * 6, (16,) * 6)):
    """An operand behind a store, so every tile read goes through the pool."""
    from ooarray.plan.graph import SourceNode
    from ooarray.store.memory import MemoryStore

    return oa.OOArray(SourceNode(MemoryStore(values.shape, values.dtype, grid, values)))


def test_tiles_divide_chunks_coarser_than_the_budget_allows():
    # 750-wide chunks under 40 MB: tiles straddling two chunks would pin both (46 MB per
    # task); tiles dividing the chunk length fit.
    from ooarray.plan.lower import Plan

    with oa.config.set(memory_limit="40MB"):
        a = oa.random.default_rng(0).random((3000, 3000), chunks=750)
        product = a @ a
        tiles = product.node.tiles
        assert 750 % tiles.tm == 0 and 750 % tiles.tn == 0
        assert Plan(product.node, product.chunks).max_task_bytes <= 40_000_000


@pytest.mark.parametrize("policy", ["belady", "lru"])
def test_an_intermediate_operand_read_in_several_k_steps(policy):
    """A k-step streams part of an intermediate chunk that later steps read again: each
    step's pin is in the trace, so the chunk stays until its last step (it used to be freed
    after the first)."""
    x = _values((60, 400), np.float64, 11)
    with oa.config.set(memory_limit="40KB", policy=policy), oa.collect_stats() as stats:
        a = oa.asarray(x)
        centred = a - a.mean(axis=1, keepdims=True)
        product = centred @ a.T
        assert len(product.node.steps) > 1  # several k-steps over the same stored chunks
        result = product.compute()
    np.testing.assert_allclose(result, (x - x.mean(axis=1, keepdims=True)) @ x.T, rtol=1e-10)
    assert stats.peak_bytes <= 40_000


@pytest.mark.parametrize("cores", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int64])
def test_stored_operands_multiply_in_bands_over_the_cores(cores, dtype, monkeypatch, tmp_path):
    """Stored operands multiply chunk by chunk, the tile's rows cut into one band of
    single-threaded BLAS per core; bands cut chunks (5 cores over 16-row chunks) and
    ragged tiles."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    x, y = _values((90, 70), dtype, 12), _values((70, 85), dtype, 13)
    with oa.config.set(memory_limit="96KB"):
        product = _stored(x[:, :70], grid=((16,) * 5 + (10,), (16,) * 4 + (6,))) @ \
            _stored(y, grid=((16,) * 4 + (6,), (16,) * 5 + (5,)))
        assert product.node._piecewise
        direct = dtype != np.int64  # integers go through np.matmul and a product buffer
        assert product.node.library_threads == (1 if direct else None)
        assert len(product.node.steps) > 1 or not direct
        stored = product.to_npy(tmp_path / "c.npy")
    expected = x @ y
    assert stored.dtype == expected.dtype and stored.shape == expected.shape
    if expected.dtype.kind == "i":
        np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), expected)
    else:  # sums in another order: cancellation leaves ~1e-14 absolute differences
        np.testing.assert_allclose(np.load(tmp_path / "c.npy"), expected, rtol=1e-10,
                                   atol=1e-10)


def test_each_tile_prefetches_the_next_tiles_first_step(tmp_path, monkeypatch):
    """While a tile multiplies its last k-step, the I/O thread reads the next tile's first
    step (the executor hands the reads over); the pool never goes over the budget, and the
    ragged last step leaves room for the next tile's full first step."""
    from ooarray.execute.context import TaskContext

    started = []
    original = TaskContext.prefetch_upcoming

    def counting(self, max_bytes):
        original(self, max_bytes)
        started.append(len(self.handoff))

    monkeypatch.setattr(TaskContext, "prefetch_upcoming", counting)
    x, y = _values((96, 80), np.float64, 14), _values((80, 96), np.float64, 15)
    with oa.config.set(memory_limit="50KB"):  # tiles of whole chunks, so each needs new ones
        # B's chunks are as deep as a step, so steps read views (no copy of B whose freed
        # buffers the pool would hand to chunks half their size, a slack of its own)
        product = _stored(x, grid=((16,) * 6, (16,) * 5)) @ \
            _stored(y, grid=((32, 32, 16), (16,) * 6))
        node = product.node
        assert len(node.steps) > 1 and node.steps[-1].stop - node.steps[-1].start < \
            node.steps[0].stop - node.steps[0].start  # a ragged last step
        product.to_zarr(tmp_path / "c.zarr", chunks=16)
        assert oa.execute.pool().overshoot_bytes == 0
    tiles = len(node.chunks[0]) * len(node.chunks[1])
    assert len(started) == tiles and all(count > 0 for count in started[:-1])
    assert started[-1] == 0  # the last tile has no next one
    np.testing.assert_allclose(oa.open(tmp_path / "c.zarr").compute(), x @ y, rtol=1e-10,
                               atol=1e-10)


def test_a_tiles_last_step_ends_on_the_writer_and_its_errors_fail_the_write(tmp_path,
                                                                            monkeypatch):
    """A tile's task returns while BLAS still runs its last step (the writer waits for it
    before writing the tile); an error there fails the run, and no store appears."""
    from ooarray.execute.context import TaskContext
    from ooarray.algorithms import blas

    deferred = []
    original = TaskContext.finish_later

    def counting(self, finish, nbytes):
        taken = original(self, finish, nbytes)
        deferred.append(taken)
        return taken

    monkeypatch.setattr(TaskContext, "finish_later", counting)
    x, y = _values((64, 48), np.float64, 16), _values((48, 64), np.float64, 17)
    with oa.config.set(memory_limit="40KB"):
        product = _stored(x, grid=((16,) * 4, (16,) * 3)) @ \
            _stored(y, grid=((16,) * 3, (16,) * 4))
        product.to_zarr(tmp_path / "c.zarr", chunks=16)
        assert oa.execute.pool().overshoot_bytes == 0
        tiles = len(product.node.chunks[0]) * len(product.node.chunks[1])
        assert tiles > 1 and deferred == [True] * tiles
        np.testing.assert_allclose(oa.open(tmp_path / "c.zarr").compute(), x @ y,
                                   rtol=1e-10, atol=1e-10)
    with oa.config.set(memory_limit="1MB"):  # room for the result in memory
        (_stored(x, grid=((16,) * 4, (16,) * 3)) @ _stored(y, grid=((16,) * 3, (16,) * 4))
         ).compute()  # a task that delivers to memory finishes its own steps
    assert len(deferred) > tiles and not any(deferred[tiles:])
    with oa.config.set(memory_limit="40KB"):

        calls = []
        gemm = blas.gemm_accumulate
        fail_at = [None]

        def failing(a, b, c, scratch=None, overwrite=False):
            calls.append(1)
            if len(calls) == fail_at[0]:
                raise FloatingPointError("lane failed")
            gemm(a, b, c, scratch, overwrite)

        monkeypatch.setattr(blas, "gemm_accumulate", failing)
        product.to_zarr(tmp_path / "counted.zarr", chunks=16)
        fail_at[0] = len(calls) // tiles  # the first tile's last call: in its last step
        calls.clear()
        with pytest.raises(FloatingPointError, match="lane failed"):
            product.to_zarr(tmp_path / "d.zarr", chunks=16)
    assert not (tmp_path / "d.zarr").exists()
