"""The matmul tile planner is bounded: any shape, chunking and budget gives a plan or a
BudgetError at once, and tiles are cut finer than the operands' chunks only when the
budget forces it."""

import math
import time

import numpy as np
import pytest

import ooarray as oa
from ooarray.chunks import MAX_CHUNKS
from ooarray.errors import BudgetError
from ooarray.plan.lower import Plan
from ooarray.algorithms.matmul import MAX_PLANNED_PINS, MIN_TILE, MatmulNode, plan_tiles

#: CPU seconds (not wall: a loaded CI machine took 2.006 s of wall time once). The slowest
#: case planned in 0.75 s when this was written, and in 1.4-1.6 s on 2026-12-04, nearly all
#: of it in lowering the plan's chunk reads (``Plan``), the search itself in under 0.06 s.
SECONDS = 2.0

# (A's shape, A's chunks, B's shape, B's chunks)
CASES = [
    ((4096, 4096), (122, 4096), (4096, 4096), (122, 4096)),  # the issue's: 15.5 s at 64 MB
    ((4096, 4096), (4096, 122), (4096, 4096), (4096, 122)),
    ((10**6, 64), (10**4, 64), (64, 64), (64, 64)),  # tall-skinny
    ((64, 10**6), (64, 10**4), (10**6, 64), (10**4, 64)),  # a long k
    ((4096, 4096), (1, 4096), (4096, 4096), (4096, 1)),  # one-row and one-column chunks
    ((120, 100), (1, 1), (100, 90), (1, 1)),  # one-element chunks
    ((4099, 4093), (97, 89), (4093, 1021), (89, 101)),  # primes everywhere
    ((10007, 13), (1, 13), (13, 10009), (13, 1)),
    ((2, 4096, 512), (1, 128, 512), (512, 4096), (512, 128)),  # a batch
    ((16384, 16384), (1024, 1024), (16384, 16384), (1024, 1024)),
]
BUDGETS = ["1MB", "64MB", "200MB"]


def _grid_blocks(chunks):
    return math.prod(len(axis) for axis in chunks)


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("shape_a, chunks_a, shape_b, chunks_b", CASES, ids=str)
def test_planning_is_bounded_and_keeps_the_operands_chunking(shape_a, chunks_a, shape_b,
                                                             chunks_b, budget):
    with oa.config.set(memory_limit=budget):
        rng = oa.random.default_rng(0)  # generated: nothing is made while planning
        a, b = rng.random(shape_a, chunks=chunks_a), rng.random(shape_b, chunks=chunks_b)
        limit = oa.config.get().memory_limit
        started = time.process_time()
        try:
            product = a @ b
            plan = Plan(product.node, product.chunks)  # lowered, as compute() would
        except BudgetError as error:
            elapsed = time.process_time() - started
            assert error.needed > limit and error.limit == limit
            assert "needs" in str(error)
            assert elapsed < SECONDS, elapsed
            return
        elapsed = time.process_time() - started
    assert elapsed < SECONDS, elapsed
    node = product.node
    assert isinstance(node, MatmulNode)
    assert plan.max_task_bytes <= limit
    assert _grid_blocks(node.chunks) <= MAX_CHUNKS
    # Output chunks are never more than the operands' (A's rows by B's columns) unless the
    # budget forces tiles finer than a chunk, and then not below MIN_TILE (or the axis).
    rows, cols = len(node.chunks[-2]), len(node.chunks[-1])
    m, n = node.shape[-2:]
    for tiles, chunks, length, axis in ((rows, a.chunks[-2], node.tiles.tm, m),
                                        (cols, b.chunks[-1], node.tiles.tn, n)):
        if tiles > len(chunks):
            assert length >= min(MIN_TILE, axis) and length < max(chunks)
            assert max(chunks) % length == 0  # a divisor: no tile straddles two chunks


def test_the_issue_case_plans_whole_chunk_tiles_and_refuses_one_megabyte():
    """4096² operands in (122, 4096) chunks: 15.5 s to plan at 64 MB, (2, 4) tiles at
    200 MB (2,097,152 output chunks), and over 12 minutes at 1 MB, before."""
    rng = oa.random.default_rng(1)
    for budget, rows in (("64MB", 34), ("200MB", 5)):
        with oa.config.set(memory_limit=budget):
            a = rng.random((4096, 4096), chunks=(122, 4096))
            product = a @ a
            assert len(product.chunks[0]) == rows and len(product.chunks[1]) == 1
            assert product.node.tiles.tm % 122 == 0 and product.node.tiles.tn == 4096
    with oa.config.set(memory_limit="1MB"):
        a = rng.random((4096, 4096), chunks=(122, 4096))
        with pytest.raises(BudgetError, match="needs") as raised:
            a @ a
    # one task pins at least a 122 x 4096 chunk of each operand (3.8 MiB each)
    assert raised.value.needed > 2 * 122 * 4096 * 8


@pytest.mark.parametrize("budget", ["12KB", "64KB", "1MB"])
@pytest.mark.parametrize("shape_a, chunks_a, shape_b, chunks_b", [
    ((37, 41), (5, 7), (41, 29), (7, 3)),
    ((13, 11), (1, 1), (11, 17), (1, 1)),
    ((97, 89), (97, 1), (89, 7), (1, 7)),
    ((200, 6), (13, 6), (6, 5), (6, 5)),
    ((5, 300), (5, 61), (300, 4), (59, 4)),
    ((1, 1), (1, 1), (1, 1), (1, 1)),
    ((3, 0), (3, 1), (0, 4), (1, 4)),
], ids=str)
def test_small_awkward_products_match_numpy(shape_a, chunks_a, shape_b, chunks_b, budget,
                                            tmp_path):
    rng = np.random.default_rng(sum(shape_a) + sum(shape_b))
    x, y = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    with oa.config.set(memory_limit=budget, executor="sync"):
        a, b = _stored(x, chunks_a), _stored(y, chunks_b)
        started = time.perf_counter()
        try:
            product = a @ b
            Plan(product.node, product.chunks)
            assert time.perf_counter() - started < SECONDS
            node = product.node
            assert len(node.chunks[0]) <= len(a.chunks[0]) or \
                node.tiles.tm >= min(MIN_TILE, shape_a[0])
            assert len(node.chunks[1]) <= len(b.chunks[1]) or \
                node.tiles.tn >= min(MIN_TILE, shape_b[1])
            product.to_npy(tmp_path / "c.npy")  # C need not fit the budget
        except BudgetError as error:  # when planned, or before any work
            assert time.perf_counter() - started < SECONDS
            assert error.needed > oa.config.get().memory_limit
            return
    np.testing.assert_allclose(np.load(tmp_path / "c.npy"), x @ y, rtol=1e-10, atol=1e-10)


def test_plans_with_too_many_tiles_or_reads_are_refused():
    # 10^7 x 10^7 in one-element chunks: even one tile would read 2 x 10^7 chunks
    with pytest.raises(ValueError, match="chunk reads whatever the budget"):
        plan_tiles(10**7, 10, 10**7, 8, 10**6, (1, 1, 10), chunks=(1, 10, 10, 1))
    for budget in (10**3, 10**5, 10**7, 10**9, 10**11):
        for shape in ((1, 1, 1), (10**6, 1, 10**6), (7919, 7907, 7901), (2, 10**7, 3)):
            for chunk in (1, 2, 97, 4096):
                started = time.perf_counter()
                try:
                    tiles = plan_tiles(*shape, 8, budget, (chunk,) * 3,
                                       chunks=(chunk,) * 4)
                except BudgetError as error:
                    assert error.needed > budget
                    continue
                except ValueError as error:
                    assert "whatever the budget" in str(error)
                    continue
                finally:
                    assert time.perf_counter() - started < SECONDS
                m, k, n = shape
                count = math.ceil(m / tiles.tm) * math.ceil(n / tiles.tn)
                assert count <= MAX_CHUNKS
                assert count * math.ceil(k / tiles.tk) <= MAX_PLANNED_PINS
                assert tiles.task_bytes <= budget


def _stored(values, chunks):
    """An operand behind a store, so every read goes through the pool."""
    from ooarray.chunks import normalize_chunks
    from ooarray.plan.graph import SourceNode
    from ooarray.store.memory import MemoryStore

    grid = normalize_chunks(chunks, values.shape, values.itemsize)
    return oa.OOArray(SourceNode(MemoryStore(values.shape, values.dtype, grid, values)))
