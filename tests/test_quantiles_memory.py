"""Quantiles along an axis whose stored chunks span the other axes (a Zarr array stored in
time chunks, each holding every x and y): the lanes are moved onto blocks one task can read,
through the pool, instead of each block reading every stored chunk whole."""

from __future__ import annotations

import numpy as np
import pytest

import ooarray as oa

BUDGET = 500_000


@pytest.mark.parametrize("func, kwargs", [
    (np.quantile, {"q": [0.1, 0.5, 0.9]}), (np.median, {}),
    (np.nanpercentile, {"q": 75, "method": "nearest"}), (np.quantile, {"q": 0.3, "keepdims": True}),
], ids=["quantile", "median", "nanpercentile", "quantile-keepdims"])
@pytest.mark.parametrize("shape", [(2000, 10, 10), (2000, 100)], ids=str)
@pytest.mark.parametrize("time_chunk", [200, 125])
def test_quantiles_along_time_of_time_chunks_stay_in_budget(func, kwargs, shape, time_chunk,
                                                            tmp_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)  # 1.6 MB: each stored chunk spans every other axis
    x[rng.random(x.shape) < 0.01] = np.nan if func is np.nanpercentile else 0.0
    axis = 0
    oa.asarray(x, chunks=(time_chunk,) + shape[1:]).to_zarr(tmp_path / "x.zarr")
    with oa.config.set(memory_limit=BUDGET), oa.collect_stats() as stats:
        a = oa.open(tmp_path / "x.zarr")
        assert a.chunks[0][0] == time_chunk
        result = func(a, axis=axis, **kwargs)
        got = result.compute()
    expected = func(x, axis=axis, **kwargs)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert 0 < stats.peak_bytes <= BUDGET
