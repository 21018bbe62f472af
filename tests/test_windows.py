"""Sliding windows against NumPy: shapes, chunkings that split windows, axes, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy

import ooarray as oa
from ooarray.algorithms.windows import WindowNode

swv = np.lib.stride_tricks.sliding_window_view

CASES = [
    ((6,), 4, 3, None), ((6,), 1, 6, None), ((6,), 5, 1, None), ((9,), 2, 4, 0),
    ((7, 9), (3, 4), (2, 3), None), ((7, 9), (3, 4), 3, 1), ((7, 9), (7, 1), 5, -1),
    ((10, 5), (4, 5), (2, 3), (0, 0)), ((8, 6, 5), (3, 2, 5), (3, 2), (2, 0)),
    ((8, 6, 5), (1, 6, 2), (2, 2, 2), None), ((0, 4), (1, 2), 2, 1), ((5, 0), 2, 1, 0),
]


@pytest.mark.parametrize("shape, chunks, window, axis", CASES)
def test_windows_like_numpy(shape, chunks, window, axis):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    a = oa.asarray(x, chunks=chunks)
    result = swv(a, window, axis)
    assert isinstance(result.node, WindowNode)
    expected = swv(x, window, axis)
    assert_like_numpy(result, expected, exact=True)
    if expected.size:  # regions that split the windows themselves read the right halo
        assert_like_numpy(result[..., 1:], expected[..., 1:], exact=True)
        assert_like_numpy(result[1:, ...], expected[1:, ...], exact=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_dtype(dtype):
    x = (np.arange(40).reshape(8, 5) % 7).astype(dtype)
    a = oa.asarray(x, chunks=(3, 2))
    assert_like_numpy(swv(a, (3, 2)), swv(x, (3, 2)), exact=True)


def test_a_moving_average_fuses_and_matches_numpy():
    x = np.random.default_rng(4).standard_normal(1000)
    a = oa.asarray(x, chunks=64)
    assert_like_numpy(swv(a, 25).mean(axis=-1) * 2 + 1, swv(x, 25).mean(axis=-1) * 2 + 1)


def test_errors_are_numpys():
    x = np.arange(12.0).reshape(3, 4)
    a = oa.asarray(x, chunks=2)
    for window, axis in [(5, 1), (-1, 0), ((2, 2), 0), ((2, 2, 2), None), (2, 3)]:
        try:
            swv(x, window, axis)
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            with pytest.raises(type(error)):
                swv(a, window, axis)
        else:
            raise AssertionError(f"NumPy accepted {window}, {axis}")
    with pytest.raises(TypeError, match="writeable=True"):
        swv(a, 2, writeable=True)


def test_long_windows_keep_chunks_within_the_target_and_the_budget():
    # A window as long as half the array multiplies its size: the output's chunks shrink
    # along the sliding axis so each stays near the chunk target, and the sum runs within
    # a budget far smaller than the windows' total.
    x = np.random.default_rng(5).standard_normal(4000)
    with oa.config.set(memory_limit="1MB"), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=1000)
        windows = swv(a, 2000)
        largest = max(windows.chunks[0]) * 2000 * 8
        assert largest <= oa.chunks.target_chunk_bytes(10**6)
        total = float(windows.sum())
    assert windows.nbytes > 10 * 10**6
    assert total == pytest.approx(swv(x, 2000).sum(), rel=1e-10)
    assert stats.peak_bytes <= 10**6
