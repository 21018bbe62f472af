"""``gemm_accumulate``: C += A @ B in place, through NumPy's BLAS or the fallback."""

from __future__ import annotations

import numpy as np
import pytest

from ooarray.algorithms import blas
from ooarray.algorithms.blas import gemm_accumulate

DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int64, np.int32]


def _values(shape, dtype, rng):
    values = rng.standard_normal(shape) * 3
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


@pytest.fixture(params=["direct", "fallback"])
def path(request, monkeypatch):
    if request.param == "fallback":
        monkeypatch.setattr(blas, "_gemm", lambda dtype: None)
    return request.param


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, k, n", [(7, 5, 9), (1, 1, 1), (1, 6, 4), (5, 1, 3), (4, 3, 1)])
@pytest.mark.parametrize("overwrite", [False, True])
def test_matches_numpy_on_views(m, k, n, dtype, overwrite, path):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = _values((m, k), dtype, rng)
    b_t = _values((n, k), dtype, rng)
    b = b_t.T  # column-major view: BLAS reads it transposed
    tile = _values((m + 3, n + 4), dtype, rng)
    before = tile.copy()
    target = tile[1:m + 1, 2:n + 2]
    expected = a @ b + (0 if overwrite else before[1:m + 1, 2:n + 2])
    scratch = np.empty((m, n), dtype)
    gemm_accumulate(a, b, target, scratch, overwrite=overwrite)
    rtol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12
    np.testing.assert_allclose(target, expected, rtol=rtol, atol=rtol)
    outside = np.ones(tile.shape, bool)
    outside[1:m + 1, 2:n + 2] = False
    np.testing.assert_array_equal(tile[outside], before[outside])  # nothing else written


def test_empty_depth_adds_nothing(path):
    c = np.arange(6.0).reshape(2, 3)
    gemm_accumulate(np.empty((2, 0)), np.empty((0, 3)), c)
    np.testing.assert_array_equal(c, np.arange(6.0).reshape(2, 3))
    gemm_accumulate(np.empty((2, 0)), np.empty((0, 3)), c, overwrite=True)
    np.testing.assert_array_equal(c, np.zeros((2, 3)))


def test_numpy_wheel_blas_is_found():
    """The wheels NumPy ships carry OpenBLAS with CBLAS: the direct path is what runs here."""
    assert blas.blas_gemm_available(np.float64) == bool(blas._library_candidates())
    assert not blas.blas_gemm_available(np.int64)


@pytest.mark.parametrize("bands, threads", [(1, 1), (2, 2), (6, 2), (5, 3)])
def test_bands_run_their_steps_in_order_on_any_thread(bands, threads):
    """Every step is queued before the last one ends; each band still sees its steps in
    order (the first overwrites), whichever thread takes it."""
    rng = np.random.default_rng(bands)
    a = [rng.standard_normal((60, 40)) for _ in range(4)]
    b = [rng.standard_normal((40, 50)) for _ in range(4)]
    c = np.full((60 * bands, 50), np.nan)
    run = blas.BandedGemm(bands, threads)
    started = []
    for step in range(4):
        started += run.start([[(a[step], b[step], c[60 * band:60 * band + 60], step == 0)]
                              for band in range(bands)])
    blas.finish_lanes(started)
    expected = sum(x @ y for x, y in zip(a, b))
    for band in range(bands):
        np.testing.assert_allclose(c[60 * band:60 * band + 60], expected, rtol=1e-12)


def test_a_failing_band_raises_after_every_band_ends():
    c = np.zeros((4, 4))
    good = [(np.ones((2, 3)), np.ones((3, 4)), c[:2], True)]
    bad = [(None, np.ones((3, 4)), c[2:], True)]
    run = blas.BandedGemm(2, 2)
    with pytest.raises(AttributeError):
        blas.finish_lanes(run.start([good, bad]) + run.start([good, []]))
    np.testing.assert_array_equal(c[:2], 3.0)  # band 0 ran both of its steps
    with pytest.raises(ValueError, match="expected 2 bands"):
        run.start([good])
