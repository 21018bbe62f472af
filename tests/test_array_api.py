"""The Array API namespace (``ooarray.array_api``) against NumPy's own namespace.

A few functions per family on multi-chunk arrays, the standard's type promotion where it
differs from NumPy's, and the inspection namespace. The external data-apis suite is run
separately (docs/array_api.md).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import CASES, assert_like_numpy, quiet, sample

import ooarray as oa
import ooarray.array_api as xp
from ooarray.core.dispatch import HANDLED_FUNCTIONS

# The namespace must stay out of core: running NumPy on computed data is a failure here.
pytestmark = pytest.mark.filterwarnings(
    "error::ooarray.interop.fallback.InMemoryFallbackWarning")


@pytest.fixture(autouse=True)
def tiny_chunks():
    """Creation functions make chunks of at most 24 bytes: every path is multi-chunk."""
    with oa.config.set(chunk_bytes=24, executor="sync"):
        yield


def both(values: np.ndarray):
    """The same data in ooarray's namespace and as an ndarray."""
    return xp.asarray(values), values


# -- the namespace ---------------------------------------------------------------------
def test_namespace_is_the_arrays_namespace():
    x = xp.asarray([1, 2, 3])
    assert x.__array_namespace__() is xp
    assert x.__array_namespace__(api_version="2023.12") is xp
    assert xp.__array_api_version__ == "2024.12"
    assert x.chunks == ((3,),)  # three int64 = 24 bytes, the tiny target
    assert xp.asarray(np.arange(8.0)).numblocks == (3,)


def test_inspection():
    info = xp.__array_namespace_info__()
    assert info.default_device() == "cpu" and info.devices() == ["cpu"]
    assert info.default_dtypes() == {"real floating": np.float64, "complex floating":
                                     np.complex128, "integral": np.int64,
                                     "indexing": np.int64}
    assert set(info.dtypes(kind="unsigned integer")) == {"uint8", "uint16", "uint32", "uint64"}
    assert set(info.dtypes(kind=("bool", "complex floating"))) == \
        {"bool", "complex64", "complex128"}
    assert len(info.dtypes()) == 13
    assert info.capabilities()["data-dependent shapes"] is True
    with pytest.raises(ValueError):
        info.dtypes(kind="strings")


def test_device():
    x = xp.asarray([1.0])
    assert x.device == "cpu" and x.to_device("cpu") is x
    with pytest.raises(ValueError):
        xp.zeros(3, device="gpu")


# -- type promotion --------------------------------------------------------------------
PROMOTIONS = [
    ((xp.int8, xp.uint8), xp.int16), ((xp.int32, xp.uint32), xp.int64),
    ((xp.uint8, xp.uint64), xp.uint64), ((xp.int8, xp.int64), xp.int64),
    ((xp.float32, xp.float64), xp.float64), ((xp.float32, xp.complex64), xp.complex64),
    ((xp.float64, xp.complex64), xp.complex128), ((xp.bool, xp.bool), xp.bool),
]


@pytest.mark.parametrize(("dtypes", "expected"), PROMOTIONS, ids=str)
def test_result_type_follows_the_standard_and_agrees_with_numpy_there(dtypes, expected):
    assert xp.result_type(*dtypes) == expected == np.result_type(*dtypes)
    x1 = xp.ones(3, dtype=dtypes[0])
    assert xp.result_type(x1, dtypes[1]) == expected
    assert xp.add(x1, xp.ones(3, dtype=dtypes[1])).dtype == expected


@pytest.mark.parametrize("dtypes", [(xp.int64, xp.uint64), (xp.bool, xp.int8),
                                    (xp.int32, xp.float32), (xp.float64, xp.int8)], ids=str)
def test_result_type_refuses_mixed_kinds_numpy_promotes(dtypes):
    np.result_type(*dtypes)  # NumPy has an answer; the standard leaves it undefined
    with pytest.raises(TypeError, match="cannot be type promoted"):
        xp.result_type(*dtypes)


def test_python_scalars_are_weak():
    assert xp.result_type(xp.int8, 1) == xp.int8
    assert xp.result_type(xp.float32, 1.5) == xp.float32
    assert xp.result_type(xp.float32, 1j) == xp.complex64
    # Unspecified by the standard: NumPy's answer.
    assert xp.result_type(xp.int64, 1.5) == np.result_type(np.int64, 1.5) == xp.float64
    assert xp.multiply(xp.asarray([1, 2], dtype=xp.uint8), 3).dtype == xp.uint8


def test_can_cast_is_promotion_not_numpy_safe_casting():
    assert xp.can_cast(xp.int8, xp.int32) and xp.can_cast(xp.uint8, xp.int16)
    assert xp.can_cast(xp.float32, xp.complex128)
    # NumPy's safe casting says yes to these; the standard's promotion does not.
    for source, target in [(xp.bool, xp.int8), (xp.int16, xp.float64), (xp.int64, xp.uint64)]:
        assert np.can_cast(source, target) != xp.can_cast(source, target) or \
            not np.can_cast(source, target)
        assert not xp.can_cast(source, target)
    assert xp.can_cast(xp.asarray([1], dtype=xp.int8), xp.int64)


def test_isdtype_finfo_iinfo():
    assert xp.isdtype(xp.float32, "real floating")
    assert xp.isdtype(xp.uint8, ("bool", "integral")) and not xp.isdtype(xp.uint8, "bool")
    assert xp.isdtype(xp.int8, xp.int8) and not xp.isdtype(xp.int8, xp.int16)
    with pytest.raises(ValueError):
        xp.isdtype(xp.int8, "integers")
    info = xp.finfo(xp.complex64)
    assert (info.bits, info.eps) == (32, float(np.finfo(np.float32).eps))
    assert isinstance(info.max, float) and info.dtype == xp.float32
    assert (xp.iinfo(xp.int16).min, xp.iinfo(xp.uint8).max) == (-32768, 255)
    with pytest.raises(ValueError):
        xp.iinfo(xp.float64)
    with pytest.raises(TypeError):
        xp.finfo("S3")


# -- creation --------------------------------------------------------------------------
def test_creation_functions():
    assert_like_numpy(xp.asarray([[1, 2], [3, 4]]), np.asarray([[1, 2], [3, 4]]))
    assert_like_numpy(xp.asarray(2.5), np.asarray(2.5))
    assert_like_numpy(xp.arange(2, 17, 3), np.arange(2, 17, 3))
    assert_like_numpy(xp.arange(5.0), np.arange(5.0))
    assert_like_numpy(xp.zeros((2, 5)), np.zeros((2, 5)))
    # A dtype instance is falsy (its len is 0): it must still be taken.
    assert_like_numpy(xp.ones(3, dtype=np.dtype("int8")), np.ones(3, np.int8))
    assert_like_numpy(xp.eye(2, dtype=np.dtype("float32")), np.eye(2, dtype=np.float32))
    assert xp.sum(xp.asarray([1, 2]), dtype=np.dtype("float32")).dtype == xp.float32
    assert_like_numpy(xp.full((3, 4), 7, dtype=xp.int8), np.full((3, 4), 7, dtype=np.int8))
    assert_like_numpy(xp.full(4, True), np.full(4, True))
    assert_like_numpy(xp.ones_like(xp.asarray([1, 2, 3], dtype=xp.uint16)),
                      np.ones(3, np.uint16))
    assert_like_numpy(xp.linspace(0, 1, 7, endpoint=False), np.linspace(0, 1, 7,
                                                                      endpoint=False))
    assert_like_numpy(xp.eye(4, 6, k=-1, dtype=xp.int32), np.eye(4, 6, k=-1, dtype=np.int32))
    assert_like_numpy(xp.eye(3, k=2**70), np.zeros((3, 3)))
    values = np.arange(24.0).reshape(2, 3, 4)
    for k in (-2, 0, 1):
        assert_like_numpy(xp.tril(xp.asarray(values), k=k), np.tril(values, k=k))
        assert_like_numpy(xp.triu(xp.asarray(values), k=k), np.triu(values, k=k))
    for indexing in ("xy", "ij"):
        grids = xp.meshgrid(xp.arange(3), xp.arange(4), xp.arange(2), indexing=indexing)
        for got, want in zip(grids, np.meshgrid(np.arange(3), np.arange(4), np.arange(2),
                                                indexing=indexing), strict=True):
            assert_like_numpy(got, want)


def test_asarray_copy():
    values = np.arange(6.0)
    kept, taken = xp.asarray(values, copy=True), xp.asarray(values)
    values[0] = 99.0  # an OOArray holds the values of the moment it was made
    assert kept.tolist()[0] == 0.0 and taken.tolist()[0] == 0.0
    with pytest.raises(ValueError, match="writable"):
        xp.asarray(values, copy=False)
    values.flags.writeable = False
    assert xp.asarray(values, copy=False).node.array is values  # frozen: shared
    with pytest.raises(ValueError):
        xp.asarray([1, 2], copy=False)
    with pytest.raises(ValueError):
        xp.asarray(np.arange(3), dtype=xp.float64, copy=False)
    with pytest.raises(TypeError):
        xp.asarray(["a"])


def test_asarray_of_a_zarr_array_reads_it_in_place(tmp_path):
    stored = zarr.create_array(str(tmp_path / "z.zarr"), shape=(10,), chunks=(3,),
                               dtype="f8")
    stored[:] = np.arange(10.0)
    x = xp.asarray(stored)
    assert x.chunks == ((3, 3, 3, 1),)  # the store's chunks: nothing was loaded
    assert_like_numpy(xp.cumulative_sum(x), np.cumsum(np.arange(10.0)))


# -- elementwise -----------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "_chunks"), CASES[:8], ids=str)
def test_elementwise_against_numpy(shape, _chunks, rng):
    a = sample(shape, np.float64, rng, low=0.1, high=5)
    b = sample(shape, np.float64, rng, low=0.1, high=5)
    i = sample(shape, np.int32, rng, low=-20, high=20)
    xa, xb, xi = xp.asarray(a), xp.asarray(b), xp.asarray(i)
    with quiet():
        assert_like_numpy(xp.atan2(xa, xb), np.arctan2(a, b))
        assert_like_numpy(xp.pow(xa, 2.0), np.power(a, 2.0))
        assert_like_numpy(xp.acos(xp.divide(xa, 6)), np.arccos(a / 6))
        assert_like_numpy(xp.logaddexp(xa, xb), np.logaddexp(a, b))
        assert_like_numpy(xp.round(xa), np.round(a))
        assert_like_numpy(xp.floor(xi), i)  # integers unchanged, in their dtype
        assert_like_numpy(xp.bitwise_left_shift(xi, 2), np.left_shift(i, 2))
        assert_like_numpy(xp.bitwise_invert(xi), np.invert(i))
        assert_like_numpy(xp.remainder(xi, 7), np.remainder(i, 7))
        assert_like_numpy(xp.greater_equal(xa, xb), a >= b)
        assert_like_numpy(xp.clip(xi, -5, 5), np.clip(i, -5, 5))
        assert_like_numpy(xp.clip(xi, max=3), np.minimum(i, 3))
        assert_like_numpy(xp.where(xa > 2, xa, 0.0), np.where(a > 2, a, 0.0))


def test_complex_elementwise(rng):
    z = sample((3, 4), np.complex128, rng, special=False)
    xz = xp.asarray(z)
    assert_like_numpy(xp.real(xz), z.real)
    assert_like_numpy(xp.imag(xz), z.imag)
    assert_like_numpy(xp.conj(xz), np.conj(z))
    assert_like_numpy(xp.abs(xz), np.abs(z))
    assert_like_numpy(xp.sign(xz), np.sign(z))


def test_elementwise_errors():
    with pytest.raises(TypeError, match="at least one array"):
        xp.add(1, 2)
    with pytest.raises(ValueError):
        xp.add(xp.ones(3), xp.ones(4))
    with pytest.raises(TypeError):
        xp.sin([1.0, 2.0])  # a list is not an array


# -- statistical and utility -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float32, np.float64], ids=str)
def test_reductions(dtype, rng):
    values = sample((5, 6), dtype, rng, special=False)
    x = xp.asarray(values)
    assert_like_numpy(xp.sum(x, axis=1), np.sum(values, axis=1))
    assert_like_numpy(xp.prod(x, axis=(0,), keepdims=True), np.prod(values, axis=0,
                                                                     keepdims=True))
    assert_like_numpy(xp.max(x, axis=0), np.max(values, axis=0))
    assert_like_numpy(xp.min(x), np.min(values))
    assert_like_numpy(xp.any(x, axis=1), np.any(values, axis=1))
    assert_like_numpy(xp.all(x), np.all(values))
    assert_like_numpy(xp.count_nonzero(x, axis=0), np.count_nonzero(values, axis=0))
    assert_like_numpy(xp.argmax(x, axis=1), np.argmax(values, axis=1))
    assert_like_numpy(xp.diff(x, axis=0, n=2), np.diff(values, axis=0, n=2))
    if np.dtype(dtype).kind == "f":
        assert_like_numpy(xp.mean(x, axis=0), np.mean(values, axis=0))
        assert_like_numpy(xp.var(x, correction=1), np.var(values, ddof=1))
        assert_like_numpy(xp.std(x, axis=1, keepdims=True), np.std(values, axis=1,
                                                                   keepdims=True))
    else:  # integers give float64, as in NumPy's namespace (xarray's coarsen relies on it)
        assert_like_numpy(xp.mean(x, axis=0), np.mean(values, axis=0))
        with pytest.raises(TypeError, match="numeric"):
            xp.mean(x > 0)


def test_cumulative_sum():
    values = np.arange(1, 13, dtype=np.int16).reshape(3, 4)
    x = xp.asarray(values)
    assert_like_numpy(xp.cumulative_sum(x, axis=1), np.cumulative_sum(values, axis=1))
    assert_like_numpy(xp.cumulative_sum(x, axis=0, include_initial=True),
                      np.cumulative_sum(values, axis=0, include_initial=True))
    assert_like_numpy(xp.cumulative_prod(xp.asarray(values[0]), include_initial=True),
                      np.cumulative_prod(values[0], include_initial=True))
    with pytest.raises(ValueError, match="axis"):
        xp.cumulative_sum(x)
    flags = np.array([True, False, True])
    assert_like_numpy(xp.cumulative_sum(xp.asarray(flags)), np.cumsum(flags))
    assert_like_numpy(xp.sum(xp.asarray(flags)), np.sum(flags))


# -- manipulation ----------------------------------------------------------------------
def test_manipulation():
    values = np.arange(24).reshape(2, 3, 4)
    x = xp.asarray(values)
    assert_like_numpy(xp.flip(x, axis=(0, 2)), np.flip(values, axis=(0, 2)))
    assert_like_numpy(xp.flip(x), np.flip(values))
    assert_like_numpy(xp.permute_dims(x, (2, 0, 1)), np.transpose(values, (2, 0, 1)))
    assert_like_numpy(xp.moveaxis(x, (0, 1), (2, 0)), np.moveaxis(values, (0, 1), (2, 0)))
    assert_like_numpy(xp.expand_dims(x, axis=-1), np.expand_dims(values, -1))
    assert_like_numpy(xp.squeeze(xp.asarray(values[:1]), axis=0), values[0])
    assert_like_numpy(xp.reshape(x, (6, -1)), values.reshape(6, -1))
    assert_like_numpy(xp.broadcast_to(xp.asarray(values[:, :1]), (2, 3, 4)),
                      np.broadcast_to(values[:, :1], (2, 3, 4)))
    for got, want in zip(xp.unstack(x, axis=1), np.unstack(values, axis=1), strict=True):
        assert_like_numpy(got, want)
    for got, want in zip(xp.broadcast_arrays(x, xp.asarray([1, 2, 3, 4])),
                         np.broadcast_arrays(values, np.asarray([1, 2, 3, 4])), strict=True):
        assert_like_numpy(got, want)
    with pytest.raises(ValueError):
        xp.squeeze(x, axis=0)
    with pytest.raises(np.exceptions.AxisError):
        xp.expand_dims(x, axis=5)


def test_joining():
    a, b = np.arange(6).reshape(2, 3), np.arange(6, 12).reshape(2, 3)
    assert_like_numpy(xp.concat([xp.asarray(a), xp.asarray(b)], axis=1),
                      np.concatenate([a, b], axis=1))
    assert_like_numpy(xp.concat([xp.asarray(a), xp.asarray(b[0])], axis=None),
                      np.concatenate([a, b[0]], axis=None))
    assert_like_numpy(xp.stack([xp.asarray(a), xp.asarray(b)], axis=-1),
                      np.stack([a, b], axis=-1))
    mixed = xp.concat([xp.asarray(a, dtype=xp.int8), xp.asarray(b, dtype=xp.int16)])
    assert mixed.dtype == xp.int16


# -- searching, sorting, sets, indexing ------------------------------------------------
def test_sorting_descending_and_stable():
    values = np.array([[3, 1, 2, 1, 3, 0], [5, 5, 4, 4, 6, 5]], dtype=np.int32)
    x = xp.asarray(values)
    assert_like_numpy(xp.sort(x), np.sort(values))
    assert_like_numpy(xp.sort(x, axis=0, descending=True), -np.sort(-values, axis=0))
    assert_like_numpy(xp.argsort(x, stable=True), np.argsort(values, kind="stable"))
    # Descending and stable: ties keep their original order.
    expected = np.argsort(-values.astype(np.int64), axis=-1, kind="stable")
    assert_like_numpy(xp.argsort(x, descending=True), expected)


def test_searchsorted_take_and_unique():
    sorted_values = np.array([1.0, 2.0, 2.0, 5.0, 9.0])
    x = xp.asarray(sorted_values)
    probes = np.array([0.0, 2.0, 6.0, 10.0])
    for side in ("left", "right"):
        assert_like_numpy(xp.searchsorted(x, xp.asarray(probes), side=side),
                          np.searchsorted(sorted_values, probes, side=side))
    values = np.array([[3, 1, 3], [2, 1, 3]])
    # The standard leaves the order of unique values open (NumPy's unique_values hashes);
    # ooarray's are sorted, as np.unique's.
    assert_like_numpy(xp.unique_values(xp.asarray(values)), np.unique(values))
    counts = xp.unique_counts(xp.asarray(values))
    assert_like_numpy(counts.counts, np.unique(values, return_counts=True)[1])
    inverse = xp.unique_inverse(xp.asarray(values)).inverse_indices
    assert_like_numpy(inverse, np.unique(values, return_inverse=True)[1].reshape(2, 3))


def test_take_and_nonzero():
    if np.take not in HANDLED_FUNCTIONS or np.nonzero not in HANDLED_FUNCTIONS:
        pytest.xfail("np.take / np.nonzero have no out-of-core implementation yet")
    values = np.array([[3, 1, 3], [2, 1, 3]])
    x = xp.asarray(values)
    assert_like_numpy(xp.take(x, xp.asarray([2, 0]), axis=1), values[:, [2, 0]])
    assert_like_numpy(xp.take(xp.asarray(values[0]), xp.asarray([1])), values[0, [1]])
    with pytest.raises(ValueError, match="axis"):
        xp.take(x, xp.asarray([0]))
    for got, want in zip(xp.nonzero(xp.asarray(values - 1)), np.nonzero(values - 1),
                         strict=True):
        assert_like_numpy(got, want)


# -- linear algebra --------------------------------------------------------------------
def test_linear_algebra(rng):
    a = rng.standard_normal((4, 3))
    b = rng.standard_normal((3, 5))
    xa, xb = xp.asarray(a), xp.asarray(b)
    assert_like_numpy(xp.matmul(xa, xb), a @ b)
    assert_like_numpy(xp.matrix_transpose(xa), a.T)
    assert_like_numpy(xp.tensordot(xa, xb, axes=1), np.tensordot(a, b, axes=1))
    assert_like_numpy(xp.vecdot(xa, xa, axis=0), np.linalg.vecdot(a, a, axis=0))
    spd = a.T @ a + np.eye(3)
    assert_like_numpy(xp.linalg.cholesky(xp.asarray(spd)), np.linalg.cholesky(spd))
    assert_like_numpy(xp.linalg.cholesky(xp.asarray(spd), upper=True),
                      np.linalg.cholesky(spd, upper=True))
    assert_like_numpy(xp.linalg.vector_norm(xa, axis=1, ord=1),
                      np.linalg.vector_norm(a, axis=1, ord=1))
    assert_like_numpy(xp.linalg.matrix_norm(xa), np.linalg.matrix_norm(a))
    assert_like_numpy(xp.linalg.trace(xp.asarray(spd), offset=1), np.trace(spd, offset=1))
    q, r = xp.linalg.qr(xa)
    assert_like_numpy(xp.matmul(q, r), a)
    assert math.isclose(float(xp.linalg.det(xp.asarray(spd))), np.linalg.det(spd))
    with pytest.raises(TypeError, match="floating-point"):
        xp.linalg.inv(xp.asarray([[1, 0], [0, 1]]))


# -- fft -------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_fft_one_axis_against_numpy(norm, rng):
    a = rng.standard_normal((5, 6))
    z = a + 1j * rng.standard_normal((5, 6))
    xa, xz = xp.asarray(a), xp.asarray(z)
    for n in (None, 4, 9):
        assert_like_numpy(xp.fft.fft(xz, n=n, axis=0, norm=norm),
                          np.fft.fft(z, n=n, axis=0, norm=norm))
        assert_like_numpy(xp.fft.ifft(xz, n=n, norm=norm), np.fft.ifft(z, n=n, norm=norm))
        assert_like_numpy(xp.fft.rfft(xa, n=n, axis=0, norm=norm),
                          np.fft.rfft(a, n=n, axis=0, norm=norm))
        assert_like_numpy(xp.fft.irfft(xz, n=n, norm=norm), np.fft.irfft(z, n=n, norm=norm))
        assert_like_numpy(xp.fft.hfft(xz, n=n, axis=0, norm=norm),
                          np.fft.hfft(z, n=n, axis=0, norm=norm))
        assert_like_numpy(xp.fft.ihfft(xa, n=n, norm=norm), np.fft.ihfft(a, n=n, norm=norm))
    assert_like_numpy(xp.fft.fft(xp.asarray(a.astype(np.float32))),
                      np.fft.fft(a.astype(np.float32)))


def test_fft_n_dimensional_and_helpers(rng):
    a = rng.standard_normal((4, 3, 6))
    z = np.fft.fftn(a)
    xa, xz = xp.asarray(a), xp.asarray(z)
    assert_like_numpy(xp.fft.fftn(xa), np.fft.fftn(a))
    assert_like_numpy(xp.fft.ifftn(xz, axes=(0, 2)), np.fft.ifftn(z, axes=(0, 2)))
    assert_like_numpy(xp.fft.rfftn(xa, s=(5, 4), axes=(1, 2)),
                      np.fft.rfftn(a, s=(5, 4), axes=(1, 2)))
    half = np.fft.rfftn(a)
    assert_like_numpy(xp.fft.irfftn(xp.asarray(half), s=(4, 3, 6), axes=(0, 1, 2)),
                      np.fft.irfftn(half, s=(4, 3, 6), axes=(0, 1, 2)))
    assert_like_numpy(xp.fft.fftfreq(7, d=0.3), np.fft.fftfreq(7, d=0.3))
    assert_like_numpy(xp.fft.rfftfreq(8), np.fft.rfftfreq(8))
    assert xp.fft.rfftfreq(8, dtype=xp.float32).dtype == xp.float32
    assert_like_numpy(xp.fft.fftshift(xa), np.fft.fftshift(a))
    assert_like_numpy(xp.fft.ifftshift(xa, axes=(1,)), np.fft.ifftshift(a, axes=(1,)))
    with pytest.raises(ValueError, match="FFT data points"):
        xp.fft.fft(xa, n=0)
    with pytest.raises(ValueError, match="norm"):
        xp.fft.fft(xa, norm="half")
    with pytest.raises(TypeError, match="floating-point"):
        xp.fft.fft(xp.asarray([1, 2]))


def test_fft_streams_strips_within_a_small_budget(rng):
    """A transform along axis 0 of an array 8x a tiny budget reads strips, not the array."""
    a = rng.standard_normal((64, 256))
    with oa.config.set(memory_limit=64 * 256 * 16, chunk_bytes=None):
        x = oa.asarray(a, chunks=(64, 8))  # each chunk is one strip of 8 columns
        result = xp.fft.fft(x, axis=0)
        assert result.nbytes > oa.config.get().memory_limit // 2
        with oa.collect_stats() as stats:
            total = xp.sum(xp.abs(result))
            assert math.isclose(float(total), float(np.abs(np.fft.fft(a, axis=0)).sum()),
                                rel_tol=1e-12)
        assert stats.peak_bytes <= oa.config.get().memory_limit


FFT_MEMORY = textwrap.dedent("""
    import gc, json, sys
    import ooarray as oa
    import ooarray.array_api as xp
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit=budget)
    x = oa.open(f"{directory}/x.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        spectrum = xp.fft.rfft(x, axis=0)
        total = float(xp.sum(xp.abs(spectrum)))
        column_means = xp.mean(xp.fft.irfft(spectrum, n=x.shape[0], axis=0), axis=0)
        xp.asarray(column_means).to_zarr(f"{directory}/means.zarr", overwrite=True)
    print(json.dumps({"total": total, "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_fft_pipeline_over_data_4x_the_budget_stays_within_it(tmp_path):
    n, budget = 2048, 8 * 2**20  # 32 MiB of float64 in column strips, 4x an 8 MiB budget
    with oa.config.set(memory_limit="64MB"):
        oa.random.default_rng(11).standard_normal((n, n), chunks=(n, 16)).to_zarr(
            tmp_path / "x.zarr")
    run = subprocess.run([sys.executable, "-c", FFT_MEMORY, str(tmp_path), str(budget)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    x = zarr.open_array(str(tmp_path / "x.zarr"))[...]
    spectrum = np.fft.rfft(x, axis=0)
    np.testing.assert_allclose(measured["total"], np.abs(spectrum).sum(), rtol=1e-10)
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "means.zarr"))[...],
                               x.mean(axis=0), atol=1e-12)
    assert measured["read"] >= 2 * x.nbytes  # both transforms streamed the data in
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * budget + 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 8 MiB"


def test_numpy_names_beside_the_standard_for_xarray():
    # xarray calls these on the namespace with NumPy's signatures; each gives NumPy's answer
    # and an OOArray.
    import ooarray.array_api as xp
    x = np.random.default_rng(9).standard_normal((6, 5))
    a = xp.asarray(x)
    assert_like_numpy(xp.pad(a, ((1, 0), (0, 2)), mode="edge"), np.pad(x, ((1, 0), (0, 2)),
                                                                        mode="edge"))
    assert_like_numpy(xp.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", x, x))
    assert_like_numpy(xp.cumsum(a, axis=1), np.cumsum(x, axis=1))
    assert_like_numpy(xp.cumprod(a, axis=0), np.cumprod(x, axis=0))
    assert_like_numpy(xp.median(a, axis=0), np.median(x, axis=0))
    assert_like_numpy(xp.quantile(a, 0.3, axis=1), np.quantile(x, 0.3, axis=1))
    assert_like_numpy(xp.std(a, axis=0, ddof=1), np.std(x, axis=0, ddof=1))
    assert_like_numpy(xp.var(a, correction=1), np.var(x, ddof=1))
    with pytest.raises(ValueError, match="simultaneously"):
        xp.var(a, correction=1, ddof=1)
    assert_like_numpy(xp.lib.stride_tricks.sliding_window_view(a, 3, axis=0),
                      np.lib.stride_tricks.sliding_window_view(x, 3, axis=0))
    assert "lib" in xp.__all__ and "pad" in xp.__all__
