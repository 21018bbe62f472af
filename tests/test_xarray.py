"""xarray over OOArrays: DataArrays wrap them without converting, xarray operations keep them
OOArrays and agree with xarray over NumPy; the chunk manager (``chunked_array_type="ooarray"``)
opens, chunks, computes and writes; and xarray's own duck-array suite runs against ooarray."""

from __future__ import annotations

import configparser
import json
import pathlib
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from helpers import assert_like_numpy, sample

import ooarray as oa

xr = pytest.importorskip("xarray")

from ooarray.interop.xarray import OOArrayChunkManager, ensure_registered  # noqa: E402
from ooarray.interop.xarray_testing import duck_array_test_classes  # noqa: E402

ensure_registered()  # a source checkout has no installed entry point

# xarray's suite (xarray.tests.test_duck_array_wrapping), configured for ooarray alone; the
# failures it expects are listed in ooarray.interop.xarray_testing.XFAILS and docs/xarray.md.
TestXarrayDuckArrayTopLevel, TestXarrayDuckArrayDataArray = duck_array_test_classes()

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def pair(rng):
    x = sample((6, 5), np.float64, rng, special=False)
    coords = {"t": np.arange(6) * 10, "c": list("abcde")}
    plain = xr.DataArray(x, dims=("t", "c"), coords=coords, name="v")
    wrapped = xr.DataArray(oa.asarray(x, chunks=(4, 2)), dims=("t", "c"), coords=coords,
                           name="v")
    return plain, wrapped


def _same(result, expected):
    assert isinstance(result.data, oa.OOArray), f"escaped to {type(result.data).__name__}"
    assert result.dims == expected.dims
    assert_like_numpy(result.data, np.asarray(expected.data))


def test_a_dataarray_wraps_an_ooarray_without_converting_it():
    a = oa.arange(12, chunks=5)
    wrapped = xr.DataArray(a, dims="x")
    assert wrapped.data is a
    assert wrapped.chunks == ((5, 5, 2),)
    assert xr.Variable("x", a).data is a


OPERATIONS = [
    ("add", lambda d: d * 2 + 1),
    ("ufunc", lambda d: np.sqrt(np.abs(d))),
    ("sum", lambda d: d.sum("t")),
    ("mean", lambda d: d.mean()),
    ("std", lambda d: d.std("c")),
    ("max", lambda d: d.max("t")),
    ("isel", lambda d: d.isel(t=slice(1, 5), c=2)),
    ("sel", lambda d: d.sel(t=slice(10, 40))),
    ("sel-label", lambda d: d.sel(c="b")),
    ("where", lambda d: d.where(d > 0)),
    ("where-other", lambda d: d.where(d > 0, -1.0)),
    ("xr.where", lambda d: xr.where(d > 0, d, 0.0)),
    ("transpose", lambda d: d.T),
    ("concat", lambda d: xr.concat([d, d * 2], dim="t")),
    ("astype", lambda d: d.astype(np.float32)),
    ("clip", lambda d: d.clip(-1, 1)),
    ("apply_ufunc", lambda d: xr.apply_ufunc(np.sin, d, dask="parallelized")),
    ("apply_ufunc-core", lambda d: xr.apply_ufunc(
        lambda x: np.cumsum(x, axis=-1), d, input_core_dims=[["c"]],
        output_core_dims=[["c"]], dask="parallelized", output_dtypes=[d.dtype],
        dask_gufunc_kwargs={"allow_rechunk": True})),
    ("apply_ufunc-reduce", lambda d: xr.apply_ufunc(
        lambda x: x.max(-1), d, input_core_dims=[["c"]], dask="parallelized",
        dask_gufunc_kwargs={"allow_rechunk": True})),
    ("map_blocks", lambda d: d.map_blocks(lambda block: block + 1)),
]


@pytest.mark.parametrize("operation", [f for _, f in OPERATIONS], ids=[n for n, _ in OPERATIONS])
def test_operations_keep_ooarrays_and_agree_with_xarray_over_numpy(pair, operation):
    plain, wrapped = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # in-memory fallbacks of other families, if any
        result = operation(wrapped)
    _same(result, operation(plain))


def test_the_chunk_manager_is_the_one_xarray_picks_for_ooarrays(pair):
    from xarray.namedarray.parallelcompat import get_chunked_array_type

    _, wrapped = pair
    assert isinstance(get_chunked_array_type(wrapped.data), OOArrayChunkManager)
    assert wrapped.chunks == ((4, 2), (2, 2, 1))
    computed = wrapped.compute()
    assert type(computed.data) is np.ndarray


def test_dataset_chunk_with_chunked_array_type_ooarray(rng):
    x = sample((8, 3), np.int32, rng)
    ds = xr.Dataset({"v": (("a", "b"), x)})
    chunked = ds.chunk({"a": 3}, chunked_array_type="ooarray")
    assert isinstance(chunked.v.data, oa.OOArray)
    assert chunked.v.data.chunks == ((3, 3, 2), (3,))
    _same(chunked.v.sum("a"), ds.v.sum("a"))


def test_open_zarr_with_chunked_array_type_ooarray_and_write_back(tmp_path, rng):
    x = sample((9, 4), np.float64, rng)
    ds = xr.Dataset({"v": (("a", "b"), x), "w": ("a", np.arange(9))},
                    coords={"a": np.arange(9) * 2})
    ds.to_zarr(tmp_path / "in.zarr", consolidated=False,
               encoding={"v": {"chunks": (4, 4)}, "w": {"chunks": (4,)}})
    opened = xr.open_zarr(tmp_path / "in.zarr", chunked_array_type="ooarray",
                          chunks={"a": 4}, consolidated=False)
    assert isinstance(opened.v.data, oa.OOArray)
    assert opened.v.data.chunks == ((4, 4, 1), (4,))
    _same(opened.v * 2 - opened.w, ds.v * 2 - ds.w)
    (opened * 3).to_zarr(tmp_path / "out.zarr", consolidated=False)
    written = xr.open_zarr(tmp_path / "out.zarr", consolidated=False).compute()
    np.testing.assert_array_equal(written.v.values, x * 3)
    np.testing.assert_array_equal(written.w.values, np.arange(9) * 3)


def test_a_lazily_indexed_variable_is_read_region_by_region(tmp_path, rng):
    x = sample((9, 4), np.float64, rng)
    xr.Dataset({"v": (("a", "b"), x)}).to_zarr(tmp_path / "in.zarr", consolidated=False)
    opened = xr.open_dataset(tmp_path / "in.zarr", engine="zarr", consolidated=False)
    part = opened.isel(a=slice(1, 7)).chunk({"a": 4}, chunked_array_type="ooarray")
    assert "read by region" in repr(part.v.data)  # a pending selection: read through xarray
    assert part.v.data.chunks == ((4, 2), (4,))
    _same(part.v + 1, xr.DataArray(x[1:7] + 1, dims=("a", "b")))


def test_chunk_manager_refuses_what_it_cannot_run(pair):
    _, wrapped = pair
    manager = OOArrayChunkManager()
    with pytest.raises(NotImplementedError, match="axes="):
        manager.apply_gufunc(np.sum, "(i)->()", wrapped.data, axes=[(0,)])
    with pytest.raises(NotImplementedError, match="one output"):
        manager.apply_gufunc(np.divmod, "(i)->(i),(i)", wrapped.data)
    with pytest.raises(NotImplementedError, match="drop_axis"):
        manager.map_blocks(np.sum, wrapped.data, drop_axis=0)


def test_the_entry_point_is_declared_and_loads_the_chunk_manager():
    from importlib.metadata import EntryPoint

    from xarray.namedarray.parallelcompat import ChunkManagerEntrypoint

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    lines = setup["options.entry_points"]["xarray.chunkmanagers"].strip().splitlines()
    name, value = (part.strip() for part in lines[0].split("="))
    loaded = EntryPoint(name=name, value=value, group="xarray.chunkmanagers").load()
    assert name == "ooarray" and loaded is OOArrayChunkManager
    assert issubclass(loaded, ChunkManagerEntrypoint)
    assert "xarray" in setup["options.extras_require"]["test"]


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import xarray as xr
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    from ooarray.interop.xarray import ensure_registered
    ensure_registered()
    oa.config.set(memory_limit="16MB")
    ds = xr.open_zarr(sys.argv[1], chunked_array_type="ooarray", chunks={"x": 64},
                      consolidated=False)
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        mean = float((ds.v * 2 + 1).mean())
        column = (ds.v - 1).sum("x").values
    print(json.dumps({"mean": mean, "column0": float(column[0]), "baseline": rss.baseline,
                      "peak": rss.peak, "pool_peak": stats.peak_bytes,
                      "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_open_zarr_over_4x_the_budget_stays_within_it(tmp_path):
    """xr.open_zarr(..., chunked_array_type="ooarray") then two passes over 64 MiB under a
    16 MB budget, in a fresh process (as tests/test_memory.py)."""
    import zarr

    rows, columns = 2048, 4096  # 64 MiB of float64, 4x a 16 MB budget, in 2 MiB chunks
    array = zarr.create_array(tmp_path / "big.zarr", name="v", shape=(rows, columns),
                              chunks=(64, columns), dtype="f8", dimension_names=("x", "y"),
                              compressors=None)
    block_sums, first_column = 0.0, 0.0
    for start in range(0, rows, 512):
        block = np.random.default_rng(start).standard_normal((512, columns))
        array[start:start + 512] = block
        block_sums += block.sum()
        first_column += block[:, 0].sum()
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "big.zarr")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(measured["mean"], 2 * block_sums / (rows * columns) + 1,
                               rtol=1e-10)
    np.testing.assert_allclose(measured["column0"], first_column - rows, rtol=1e-10)
    assert measured["read"] >= 2 * rows * columns * 8  # both passes read the data
    assert measured["pool_peak"] <= 16_000_000
    growth = measured["peak"] - measured["baseline"]
    assert growth < 32 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over a 16 MB budget"
