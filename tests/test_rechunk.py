"""Rechunking: the same values on any grid, and a plan that stays within the budget."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import assert_like_numpy, chunked_arrays, chunkings, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.plan.graph import region_footprint
from ooarray.plan.lower import Plan
from ooarray.algorithms.rechunk import (
    DIRECT_SHARE,
    RechunkNode,
    RechunkStageNode,
    direct_bytes,
    intersection_chunks,
    plan_rechunk,
    staged_bytes,
)

MiB = 2**20

#: (shape, source chunks, target chunks): alike grids, rows to columns, ragged, one chunk,
#: length-1 chunks, 0-d and empty arrays.
GRIDS = [
    ((), (), ()),
    ((0,), 2, 3),
    ((3, 0), (2, 1), (1, 1)),
    ((7,), 7, 1),
    ((7,), 1, 7),
    ((10,), ((3, 5, 2),), ((4, 4, 2),)),
    ((12, 10), (3, 10), (12, 2)),
    ((12, 10), (12, 1), (1, 10)),
    ((5, 6), (2, 4), ((1, 4), (3, 3))),
    ((4, 3, 5), (3, 2, 2), (1, 3, 5)),
    ((2, 3, 4, 5), (1, 2, 3, 2), (2, 1, 4, 1)),
]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("budget", ["64MB", "200B"], ids=["direct", "staged"])
@pytest.mark.parametrize("shape, source, target", GRIDS, ids=str)
def test_rechunk_keeps_values_on_every_grid(shape, source, target, budget, dtype):
    data = sample(shape, dtype, np.random.default_rng(3))
    with oa.config.set(memory_limit="64MB"):
        array = oa.asarray(data, chunks=source)
    with oa.config.set(memory_limit=budget):
        result = array.rechunk(target)
    expected_grid = oa.asarray(data, chunks=target).chunks
    assert result.chunks == expected_grid
    if budget == "200B" and (source, target) == ((3, 10), (12, 2)):
        assert isinstance(result.node.inputs[0], RechunkStageNode)
    assert_like_numpy(result, data, exact=True)


@given(chunked_arrays(max_dims=3), st.data(), st.sampled_from(["64MB", "200B"]))
def test_rechunk_hypothesis(pair, data, budget):
    values, chunks = pair
    target = data.draw(chunkings(values.shape))
    array = oa.asarray(values, chunks=chunks)
    with oa.config.set(memory_limit=budget):
        result = array.rechunk(target)
    assert_like_numpy(result, values, exact=True)
    assert_like_numpy(result.rechunk(chunks), values, exact=True)


def test_rechunk_of_a_computed_source_and_slices(rng):
    data = rng.standard_normal((40, 30))
    with oa.config.set(memory_limit="8KB"):
        array = oa.asarray(data, chunks=(2, 30))
        result = np.sqrt(array * array + 1).rechunk((40, 3))
        assert isinstance(result.node.inputs[0], RechunkStageNode)
    assert_like_numpy(result, np.sqrt(data * data + 1))
    assert_like_numpy(result[5:33:2, ::-4], np.sqrt(data * data + 1)[5:33:2, ::-4])
    assert_like_numpy(result.sum(axis=0), np.sqrt(data * data + 1).sum(axis=0))


def test_intersection_grid_is_inside_one_chunk_of_each_grid():
    assert intersection_chunks(((4, 4), (6,)), ((8,), (2, 2, 2))) == ((4, 4), (2, 2, 2))
    assert intersection_chunks(((3, 4, 3),), ((5, 5),)) == ((3, 2, 2, 3),)
    assert intersection_chunks(((0,),), ((0,),)) == ((0,),)


def test_rows_to_columns_goes_through_a_stage_whose_tasks_fit_the_budget():
    budget = 4 * MiB
    with oa.config.set(memory_limit=budget):
        array = oa.random.default_rng(0).random((1024, 1024), chunks=(64, 1024))  # 8 MiB
        target = ((1024,), (64,) * 16)
        direct = RechunkNode(array.node, target)
        assert direct_bytes(array.node, target) > 8 * MiB
        assert max(sum(region_footprint(direct, (slice(0, 1024), slice(c, c + 64))))
                   for c in range(0, 1024, 64)) > 8 * MiB
        staged = array.rechunk(target)
    stage = staged.node.inputs[0]
    assert isinstance(stage, RechunkStageNode)
    assert stage.chunks == ((64,) * 16, (64,) * 16)
    plan = Plan(staged.node, staged.chunks)
    assert plan.max_task_bytes <= budget // 2
    assert plan.max_task_bytes < Plan(direct, target).max_task_bytes // 4


@pytest.mark.usefixtures("sync_executor")
def test_stage_merges_small_intersection_chunks_within_the_budget(rng):
    data = rng.standard_normal((200, 200))
    with oa.config.set(memory_limit="500KB"):
        array = oa.asarray(data, chunks=(1, 200))
        result = array.rechunk((200, 1))  # the intersection grid has one element per chunk
    stage = result.node.inputs[0]
    assert isinstance(stage, RechunkStageNode)
    blocks = len(stage.chunks[0]) * len(stage.chunks[1])
    assert 1 < blocks <= 200 * 200 // 100
    assert staged_bytes(array.node, result.chunks, stage.chunks) <= 500_000 * DIRECT_SHARE
    assert_like_numpy(result, data)


def test_alike_grids_stay_direct_and_rechunks_collapse():
    with oa.config.set(memory_limit="1MB"):
        array = oa.zeros((1000, 100), chunks=(100, 100))
        finer = array.rechunk((50, 100))
        assert isinstance(finer.node, RechunkNode) and finer.node.inputs[0] is array.node
        back = finer.rechunk((100, 100))
        assert back.node is array.node
        # 250-row chunks read 300 rows directly; a stage would save too little to pay
        assert plan_rechunk(finer.node, ((250,) * 4, (100,)), 10**6).inputs[0] is array.node
        assert isinstance(plan_rechunk(array.node, ((1000,), (1,) * 100), 10**6).inputs[0],
                          RechunkStageNode)
    same = array.rechunk(array.chunks)
    assert same.node is array.node and same is not array  # a new array: copy-on-write


def test_rechunk_errors_are_value_errors():
    array = oa.zeros((6, 4), chunks=2)
    for bad in [(2,), ((3, 2), 2), (0, 2), "bad"]:
        with pytest.raises(ValueError):
            array.rechunk(bad)


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget, columns = sys.argv[1], sys.argv[2], int(sys.argv[3])
    oa.config.set(memory_limit=budget)
    a = oa.open(f"{directory}/rows.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        # raw chunks: zarr's Blosc encoder holds memory of its own (see docs/selection.md)
        a.rechunk((a.shape[0], columns)).to_zarr(f"{directory}/columns.zarr", overwrite=True,
                                                 compressor=None)
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak, "pool_peak": stats.peak_bytes,
                      "read": stats.bytes_read, "spilled": stats.bytes_spilled}))
""")


@pytest.mark.slow
def test_rows_to_columns_of_an_array_4x_the_budget_stays_within_it(tmp_path):
    rows, columns, budget = 2048, 2048, 8 * MiB  # 32 MiB of float64, 4x the budget
    with oa.config.set(memory_limit="64MB"):
        source = oa.random.default_rng(11).standard_normal((rows, columns), chunks=(64, columns))
        source.to_zarr(tmp_path / "rows.zarr")  # row chunks of 1 MiB
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(budget), "64"],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    written = zarr.open_array(str(tmp_path / "columns.zarr"))
    assert written.chunks == (rows, 64)  # column chunks of 1 MiB
    np.testing.assert_array_equal(written[...], zarr.open_array(str(tmp_path / "rows.zarr"))[...])
    assert measured["read"] >= rows * columns * 8  # every source chunk went through the pool
    assert measured["spilled"] > 0  # the intermediate stage did not fit: it went to disk
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * budget + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 8 MiB"

