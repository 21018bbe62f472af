"""Real xarray workflows over ``xr.open_zarr(..., chunked_array_type="ooarray")``: each keeps
its data an OOArray until computed, runs within ``memory_limit`` (a budget smaller than the
dataset) without the in-memory fallback, and agrees with xarray over NumPy (the same store
loaded). Two of them also run in a fresh process over a dataset 4x the budget, with the pool
peak and the RSS growth measured (as tests/test_memory.py)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ooarray as oa

xr = pytest.importorskip("xarray")
pd = pytest.importorskip("pandas")

from ooarray.interop.xarray import ensure_registered  # noqa: E402

ensure_registered()  # a source checkout has no installed entry point

ROOT = pathlib.Path(__file__).resolve().parents[1]
STEPS, NX, NY, TIME_CHUNK = 2920, 8, 6, 200  # two years, 6-hourly: 1.1 MB of float64
BUDGET = 512_000  # under half the dataset


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A Zarr store with a datetime ``time`` axis, two spatial dims, an integer label
    coordinate along time and area weights over (x, y)."""
    rng = np.random.default_rng(16)
    time = pd.date_range("2001-01-01", periods=STEPS, freq="6h")
    seasonal = np.sin(2 * np.pi * np.arange(STEPS) / 1460)[:, None, None]
    ds = xr.Dataset(
        {"v": (("time", "x", "y"), seasonal + rng.standard_normal((STEPS, NX, NY))),
         "area": (("x", "y"), rng.uniform(0.5, 2.0, (NX, NY)))},
        coords={"time": time, "x": np.arange(NX) * 1.5, "y": np.arange(NY) * 2.0,
                "label": ("time", np.arange(STEPS) % 7)})
    path = tmp_path_factory.mktemp("workflows") / "data.zarr"
    ds.to_zarr(path, consolidated=False,
               encoding={"v": {"chunks": (TIME_CHUNK, NX, NY)},
                         "label": {"chunks": (TIME_CHUNK,)}})
    return path


@pytest.fixture(scope="module")
def loaded(store):
    """xarray over NumPy: the same store, loaded."""
    return xr.open_zarr(store, consolidated=False, chunks=None).load()


@pytest.fixture
def opened(store):
    ds = xr.open_zarr(store, consolidated=False, chunked_array_type="ooarray",
                      chunks={"time": TIME_CHUNK})
    assert isinstance(ds.v.data, oa.OOArray)
    assert ds.v.data.nbytes > 2 * BUDGET
    return ds


def _in_memory_label(ds):
    """Grouping by a chunked coordinate needs its labels up front (xarray asks for
    ``UniqueGrouper(labels=...)`` and then flox, as with Dask): load the small coordinate."""
    return ds.assign_coords(label=ds.label.compute())


WORKFLOWS = [
    ("rolling", lambda ds: ds.v.rolling(time=8).mean()),
    ("rolling-center", lambda ds: ds.v.rolling(time=5, center=True).sum()),
    ("coarsen", lambda ds: ds.v.coarsen(time=4).mean()),
    ("groupby-month", lambda ds: ds.v.groupby("time.month").mean()),
    ("resample", lambda ds: ds.v.resample(time="1D").mean()),
    ("weighted", lambda ds: ds.v.weighted(ds.area).mean(("x", "y"))),
    # whole along time, as with Dask: the rechunk is staged through the pool
    ("quantile", lambda ds: ds.v.chunk(
        time=-1, x=1, chunked_array_type="ooarray").quantile([0.1, 0.5, 0.9], dim="time")),
    ("cumsum", lambda ds: ds.v.cumsum("time")),
    ("diff", lambda ds: ds.v.diff("time")),
    ("shift", lambda ds: ds.v.shift(time=3)),
    ("anomaly", lambda ds: ds.v.groupby("time.month") - ds.v.groupby("time.month").mean()),
]


def _materialise(result, path):
    """Compute ``result``: in memory when it fits the budget, else (as a real workflow must)
    written to Zarr chunk by chunk through the chunk manager and read back with NumPy."""
    if result.nbytes <= BUDGET // 8:
        computed = result.compute()
        assert type(computed.data) is np.ndarray
        return computed
    # Zarr wants uniform chunks (rolling and diff shift the chunk edges), as with Dask
    uniform = result.drop_encoding().chunk({d: TIME_CHUNK for d in result.dims if d == "time"},
                                           chunked_array_type="ooarray")
    assert type(uniform.data) is oa.OOArray
    uniform.to_dataset(name="result").to_zarr(path, consolidated=False)
    return xr.open_zarr(path, consolidated=False, chunks=None).result.load()


@pytest.mark.parametrize("workflow", [f for _, f in WORKFLOWS], ids=[n for n, _ in WORKFLOWS])
def test_workflow_stays_ooarray_runs_within_budget_and_agrees_with_numpy(
        opened, loaded, workflow, tmp_path):
    with oa.config.set(memory_limit=BUDGET), warnings.catch_warnings():
        warnings.simplefilter("error")  # an InMemoryFallbackWarning (or any other) fails
        result = workflow(opened)
        assert type(result.data) is oa.OOArray, f"escaped to {type(result.data).__name__}"
        with oa.collect_stats() as stats:
            computed = _materialise(result, tmp_path / "result.zarr")
    assert 0 < stats.peak_bytes <= BUDGET
    xr.testing.assert_allclose(computed, workflow(loaded))


def test_groupby_over_a_label_coordinate(opened, loaded):
    """xarray groups a label that is not contiguous with ``isel(time=<integer indices>)``:
    a gather over the Zarr source. Its tasks now reserve the loads of the chunks they stream
    (the chunk and its compressed copy, once each) and the pool no longer counts that copy
    twice; the pool peaked at 433,920-510,720 B under 400,000 B before, 392,800 B now."""
    budget = 400_000
    workflow = lambda ds: _in_memory_label(ds).v.groupby("label").mean()  # noqa: E731
    with oa.config.set(memory_limit=budget), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = workflow(opened)
        assert type(result.data) is oa.OOArray, f"escaped to {type(result.data).__name__}"
        with oa.collect_stats() as stats:
            computed = result.compute()
    xr.testing.assert_allclose(computed, workflow(loaded))
    assert stats.peak_bytes <= budget, f"pool peak {stats.peak_bytes} B"


def test_quantile_on_the_stored_time_chunks(opened, loaded):
    # Stored time chunks span x and y: the lanes along time are moved onto blocks one task
    # can read (through the pool) before NumPy reduces them; every block read every stored
    # chunk whole before (one 1.2 MiB task, refused under 500 KiB).
    with oa.config.set(memory_limit=BUDGET), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = opened.v.quantile([0.1, 0.5, 0.9], dim="time")
        assert type(result.data) is oa.OOArray
        with oa.collect_stats() as stats:
            computed = result.compute()
    xr.testing.assert_allclose(computed, loaded.v.quantile([0.1, 0.5, 0.9], dim="time"))
    assert 0 < stats.peak_bytes <= BUDGET


def test_interp_along_a_dimension(opened, loaded, tmp_path):
    # xarray's interp asks SciPy for its interpolators, over NumPy too (the test extras
    # install it).
    points = [0.3, 2.0, 5.1, 9.9]
    with oa.config.set(memory_limit=BUDGET), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = opened.v.interp(x=points)
        # the node is built (output_sizes gives the new "x" its length) before SciPy is needed
        assert type(result.data) is oa.OOArray, f"escaped to {type(result.data).__name__}"
        assert result.shape == (STEPS, len(points), NY)
        with oa.collect_stats() as stats:
            computed = _materialise(result, tmp_path / "result.zarr")
    assert 0 < stats.peak_bytes <= BUDGET
    xr.testing.assert_allclose(computed, loaded.v.interp(x=points))


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import xarray as xr
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    from ooarray.interop.xarray import ensure_registered
    ensure_registered()
    path, workflow = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit="16MB")
    ds = xr.open_zarr(path, chunked_array_type="ooarray", chunks={"time": 64},
                      consolidated=False)
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        if workflow == "rolling":
            result = ds.v.rolling(time=24).mean().isel(time=slice(23, None)).mean(("x", "y"))
        else:
            result = ds.v.groupby("time.month").mean().mean("y")
        kind = type(result.data).__name__
        values = result.values
    print(json.dumps({"kind": kind, "sum": float(values.sum()), "first": float(values.flat[0]),
                      "shape": list(values.shape), "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """64 MiB of float64 over (time, x, y), 4x a 16 MB budget, with 6-hourly times."""
    import zarr

    steps, nx, ny = 2048, 64, 64
    path = tmp_path_factory.mktemp("big") / "big.zarr"
    times = pd.date_range("2001-01-01", periods=steps, freq="6h")
    xr.Dataset(coords={"time": times, "x": np.arange(nx), "y": np.arange(ny)}).to_zarr(
        path, consolidated=False)
    group = zarr.open_group(path, mode="a")
    array = group.create_array("v", shape=(steps, nx, ny), chunks=(64, nx, ny), dtype="f8",
                               dimension_names=("time", "x", "y"), compressors=None)
    for start in range(0, steps, 256):
        array[start:start + 256] = np.random.default_rng(start).standard_normal((256, nx, ny))
    return path, steps, nx, ny, times


@pytest.mark.slow
@pytest.mark.parametrize("workflow", ["rolling", "groupby"])
def test_workflow_over_4x_the_budget_stays_within_it(big_store, workflow):
    import zarr

    path, steps, nx, ny, times = big_store
    run = subprocess.run([sys.executable, "-c", MEASURE, str(path), workflow],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    print(workflow, {k: (v / 2**20 if k in ("baseline", "peak", "pool_peak", "read") else v)
                     for k, v in measured.items()})
    v = zarr.open_array(str(path / "v"))[...]
    if workflow == "rolling":
        window = np.lib.stride_tricks.sliding_window_view(v, 24, axis=0).mean(-1)
        expected = window.mean((1, 2))
    else:
        months = times.month.to_numpy()
        expected = np.stack([v[months == m].mean(0) for m in np.unique(months)]).mean(-1)
    assert measured["kind"] == "OOArray"
    assert measured["shape"] == list(expected.shape)
    np.testing.assert_allclose(measured["sum"], expected.sum(), rtol=1e-9)
    np.testing.assert_allclose(measured["first"], expected.flat[0], rtol=1e-9)
    assert measured["read"] >= v.nbytes  # it read the data through the pool
    assert measured["pool_peak"] <= 16_000_000
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * 16 * 2**20 + 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"
