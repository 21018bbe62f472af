"""numpy.fft on OOArrays against NumPy: every transform, lengths, axes, norms, dtypes, errors,
and a 2-D transform of an array larger than the budget."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_like_numpy

import ooarray as oa
from ooarray.algorithms.fft import AxisTransformNode
from ooarray.errors import BudgetError

ONE_D = [np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.hfft, np.fft.ihfft]
N_D = [np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn, np.fft.fft2, np.fft.ifft2,
       np.fft.rfft2, np.fft.irfft2]
REAL_INPUT = {np.fft.rfft, np.fft.ihfft, np.fft.rfftn, np.fft.rfft2}


def _input(func, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    if func not in REAL_INPUT and np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@pytest.mark.parametrize("func", ONE_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape, chunks", [((16,), 5), ((9, 12), (4, 5)), ((5, 6, 7), (2, 6, 3)),
                                           ((1,), 1), ((3, 1), 1)])
@pytest.mark.parametrize("kwargs", [{}, {"n": 7}, {"n": 20, "axis": 0}, {"axis": 0},
                                    {"norm": "ortho"}, {"norm": "forward", "n": 4}],
                         ids=str)
def test_one_axis_transforms_like_numpy(func, shape, chunks, kwargs):
    dtype = np.float64 if func in REAL_INPUT else np.complex128
    x = _input(func, shape, dtype)
    a = oa.asarray(x, chunks=chunks)
    try:
        expected = func(x, **kwargs)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        with pytest.raises(type(error)):
            func(a, **kwargs)
        return
    assert_like_numpy(func(a, **kwargs), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.bool_, np.float32, np.float64,
                                   np.complex64, np.complex128], ids=str)
def test_dtypes_like_numpy(dtype):
    x = (np.arange(24).reshape(4, 6) % 5).astype(dtype)
    a = oa.asarray(x, chunks=(3, 4))
    for func in (np.fft.fft, np.fft.ifft, np.fft.irfft, np.fft.hfft):
        assert_like_numpy(func(a), func(x), rtol=1e-5, atol=1e-5)
    if np.dtype(dtype).kind != "c":
        for func in (np.fft.rfft, np.fft.ihfft):
            assert_like_numpy(func(a), func(x), rtol=1e-5, atol=1e-5)
    else:
        with pytest.raises(TypeError):
            np.fft.rfft(a)


@pytest.mark.parametrize("func", N_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs", [{}, {"s": (6, 8), "axes": (0, 1)}, {"axes": (1, 0)},
                                    {"axes": (2,)}, {"s": (4, 4, 4), "axes": (0, 1, 2)},
                                    {"norm": "ortho", "axes": (0, 2)}], ids=str)
def test_n_axis_transforms_like_numpy(func, kwargs):
    x = _input(func, (6, 5, 8), np.complex128 if func not in REAL_INPUT else np.float64, 1)
    a = oa.asarray(x, chunks=(4, 2, 3))
    try:
        expected = func(x, **kwargs)
    except Exception as error:  # noqa: BLE001
        with pytest.raises(type(error)):
            func(a, **kwargs)
        return
    assert_like_numpy(func(a, **kwargs), expected, rtol=1e-9, atol=1e-9)


def test_shifts_and_out_and_errors():
    x = np.arange(30.0).reshape(5, 6)
    a = oa.asarray(x, chunks=(2, 4))
    assert_like_numpy(np.fft.fftshift(a), np.fft.fftshift(x), exact=True)
    assert_like_numpy(np.fft.ifftshift(a, axes=1), np.fft.ifftshift(x, axes=1), exact=True)
    assert_like_numpy(np.fft.fftshift(a, axes=(0,)), np.fft.fftshift(x, axes=(0,)), exact=True)
    out = np.empty((5, 6), complex)
    assert np.fft.fft(a, out=out) is out
    np.testing.assert_allclose(out, np.fft.fft(x))
    for bad in [dict(n=0), dict(axis=2), dict(norm="none")]:
        with pytest.raises(Exception) as expected:  # noqa: PT011 - NumPy's type is compared
            np.fft.fft(x, **bad)
        with pytest.raises(type(expected.value)):
            np.fft.fft(a, **bad)
    with pytest.raises(ValueError):
        np.fft.fftn(a, s=(3,), axes=(0, 1))


def test_a_transform_of_an_array_larger_than_the_budget_runs_within_it():
    # Strips whole along the transformed axis, one at a time: 1 MiB in, 1 MiB out, 512 KB.
    x = np.random.default_rng(2).standard_normal((512, 256))
    with oa.config.set(memory_limit="512KB"), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=(64, 256))
        result = np.fft.rfft(a, axis=1)
        total = complex(result.sum())
        corner = result[:3, :3].compute()
    assert stats.peak_bytes <= 512_000
    expected = np.fft.rfft(x, axis=1)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(corner, expected[:3, :3], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("func", [np.fft.fft2, np.fft.ifftn, np.fft.rfft2, np.fft.irfftn],
                         ids=lambda f: f.__name__)
def test_an_n_d_transform_of_an_array_larger_than_the_budget_runs_within_it(func):
    # Each pass is stored strip by strip and transposed through the pool onto strips whole
    # along the next axis: no task reads more than a strip of the pass before.
    x = np.random.default_rng(3).standard_normal((256, 384))  # 768 KiB in, 1.5 MiB complex
    with oa.config.set(memory_limit="512KB"), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=(32, 384))
        result = func(a)
        total = complex(result.sum())
        corner = result[:3, :3].compute()
    assert stats.peak_bytes <= 512_000
    expected = func(x)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(corner, expected[:3, :3], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("func", [np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft,
                                  np.fft.hfft, np.fft.ihfft], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape, axis, kwargs", [
    ((4096,), -1, {}), ((4096,), -1, {"norm": "ortho"}), ((4000,), 0, {"n": 4096}),
    ((5000,), 0, {"n": 4608, "norm": "forward"}), ((3, 4096), 1, {}), ((4096, 2), 0, {}),
], ids=str)
def test_an_axis_too_long_for_one_strip_is_transformed_in_four_steps(func, shape, axis,
                                                                    kwargs):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    if func not in (np.fft.rfft, np.fft.ihfft):
        x = x + 1j * rng.standard_normal(shape)
    with oa.config.set(memory_limit="256KB"), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=tuple(min(n, 512) for n in shape))
        result = func(a, axis=axis, **kwargs)
        assert not isinstance(result.node, AxisTransformNode)  # not one strip of the axis
        expected = func(x, axis=axis, **kwargs)
        assert result.dtype == expected.dtype and result.shape == expected.shape
        head = tuple(slice(0, 600) if i == axis % x.ndim else slice(None)
                     for i in range(x.ndim))
        np.testing.assert_allclose(result[head].compute(), expected[head], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(complex(result.sum()), expected.sum(), rtol=1e-9,
                                   atol=1e-7)
        tail = tuple(slice(-600, None) if i == axis % x.ndim else slice(None)
                     for i in range(x.ndim))
        np.testing.assert_allclose(result[tail].compute(), expected[tail], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(float(abs(result).max()), abs(expected).max(), rtol=1e-9)
    assert stats.peak_bytes <= 256_000


@pytest.mark.parametrize("func", [np.fft.fft2, np.fft.rfft2, np.fft.irfft2, np.fft.irfftn],
                         ids=lambda f: f.__name__)
def test_n_d_transforms_with_an_axis_too_long_for_one_strip(func):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4096))
    if func is not np.fft.rfft2:
        x = x + 1j * rng.standard_normal(x.shape)
    with oa.config.set(memory_limit="256KB"), oa.collect_stats() as stats:
        result = func(oa.asarray(x, chunks=(2, 512)))
        expected = func(x)
        assert result.dtype == expected.dtype and result.shape == expected.shape
        np.testing.assert_allclose(result[:, :700].compute(), expected[:, :700], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(result[:, -700:].compute(), expected[:, -700:], rtol=1e-9,
                                   atol=1e-9)
    assert stats.peak_bytes <= 256_000


def test_four_steps_keep_single_precision_and_split_rows_again():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(2**16).astype(np.float32)
    with oa.config.set(memory_limit="200KB"), oa.collect_stats() as stats:
        result = np.fft.rfft(oa.asarray(x, chunks=4096))  # 256 KiB: more than the budget
        assert result.dtype == np.complex64
        sampled, total = result[5000:6000].compute(), complex(result.sum())
    assert stats.peak_bytes <= 200_000
    expected = np.fft.rfft(x.astype(np.float64))
    np.testing.assert_allclose(sampled, expected[5000:6000], rtol=2e-3, atol=2e-2)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-4, atol=1e-1)


def test_an_axis_too_long_for_one_strip_is_refused_before_work_when_prime():
    with oa.config.set(memory_limit="256KB"):
        for func, n in [(np.fft.fft, None), (np.fft.irfft, 65521), (np.fft.ihfft, None)]:
            with pytest.raises(BudgetError, match="a prime"):
                func(oa.asarray(np.zeros(65521), chunks=2**12), n=n)


FOUR_STEP_RSS = """
import gc, json, sys
import numpy as np
import ooarray as oa
from ooarray.diagnostics.memory import RSSSampler
source, target = sys.argv[1], sys.argv[2]
gc.collect()
with oa.config.set(memory_limit="16MB"), RSSSampler(interval=0.005) as rss, \\
        oa.collect_stats() as stats:
    np.fft.fft(oa.open(source)).to_zarr(target)
print(json.dumps({"baseline": rss.baseline, "peak": rss.peak, "pool": stats.peak_bytes}))
"""


@pytest.mark.slow
def test_the_four_step_transform_of_an_axis_4x_the_budget_keeps_rss_near_it(tmp_path):
    # 2**22 complex128 values (64 MiB) from Zarr to Zarr under a 16 MB budget, in a fresh
    # process: the pool stays within the budget and the process grows by about that much.
    import json
    import subprocess
    import sys

    import zarr
    rng = np.random.default_rng(11)
    x = rng.standard_normal(2**22) + 1j * rng.standard_normal(2**22)
    with oa.config.set(memory_limit="256MB"):
        oa.asarray(x, chunks=2**16).to_zarr(tmp_path / "x.zarr")
    done = subprocess.run([sys.executable, "-c", FOUR_STEP_RSS, str(tmp_path / "x.zarr"),
                           str(tmp_path / "y.zarr")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    got = zarr.open_array(str(tmp_path / "y.zarr"))
    expected = np.fft.fft(x)
    np.testing.assert_allclose(got[:2000], expected[:2000], rtol=1e-8, atol=1e-7)
    np.testing.assert_allclose(got[-2000:], expected[-2000:], rtol=1e-8, atol=1e-7)
    assert measured["pool"] <= 16 * 10**6
    growth = (measured["peak"] - measured["baseline"]) / 2**20
    print(f"four-step FFT of 64 MiB under 16 MB: RSS +{growth:.1f} MiB, pool peak "
          f"{measured['pool'] / 2**20:.1f} MiB")
    # (A fresh process also grows by ~25 MiB on first use, whatever it computes: thread
    # stacks, codec and FFT-plan caches; the same run after a warm-up grows by ~20 MiB.)
    assert growth < 48, f"RSS grew by {growth:.1f} MiB over a 16 MB budget"
