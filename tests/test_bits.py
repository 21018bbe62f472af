"""Bit packing (ooarray/ops/bits.py) against NumPy: packbits and unpackbits over shapes,
chunkings (aligned on 8, ragged, shorter than 8), dtypes, axes, bit orders and counts,
NumPy's exception types, and each once under a small budget on a stored input larger than
it."""

from __future__ import annotations

import numpy as np
import pytest
import zarr
from helpers import CASES, DTYPES, assert_like_numpy, numpy_result

import ooarray as oa

pytestmark = pytest.mark.usefixtures("sync_executor")

#: CASES, and grids whose chunks along an axis are multiples of 8, not, or shorter than 8.
BIT_CASES = CASES + [((20,), 8), ((21,), 8), ((30,), ((3, 5, 2, 20),)), ((5, 17), (2, 4)),
                     ((5, 17), (5, 9)), ((17, 3), (8, 2)), ((33, 2), (9, 1)),
                     ((4, 3, 19), (3, 2, 16))]
AXES = [None, 0, 1, -1, 2, 4]


def _ids(case):
    return f"{case[0]}-{case[1]}"


def _same(func, x, a, **kwargs) -> None:
    expected, error = numpy_result(func, x, **kwargs)
    if error is not None:
        with pytest.raises(type(error)):
            func(a, **kwargs)
        return
    assert_like_numpy(func(a, **kwargs), expected)


def _bits(shape, dtype, rng) -> np.ndarray:
    if np.dtype(dtype).kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(0, 3, shape).astype(dtype)  # zeros, ones and other nonzero values


@pytest.mark.parametrize("bitorder", ["big", "little"])
@pytest.mark.parametrize("case", BIT_CASES, ids=_ids)
def test_packbits(case, dtype, bitorder, rng):
    shape, chunks = case
    x = _bits(shape, dtype, rng)  # floats and complex: NumPy's TypeError
    a = oa.asarray(x, chunks=chunks)
    for axis in AXES:
        _same(np.packbits, x, a, axis=axis, bitorder=bitorder)


COUNTS = [None, 0, 1, 5, 8, 13, 100, -1, -7, -9, -30, -1000]


@pytest.mark.parametrize("bitorder", ["big", "little"])
@pytest.mark.parametrize("case", BIT_CASES, ids=_ids)
def test_unpackbits(case, bitorder, rng):
    shape, chunks = case
    x = rng.integers(0, 256, shape).astype(np.uint8)
    a = oa.asarray(x, chunks=chunks)
    for axis in AXES[:5]:
        for count in COUNTS:
            if x.size == 0 and count is not None and count > 0:
                continue  # NumPy 2.4 leaves that padding uninitialised (see below)
            _same(np.unpackbits, x, a, axis=axis, count=count, bitorder=bitorder)


def test_unpackbits_padding_of_an_empty_input_is_zeros():
    # NumPy documents zero padding past the input's bits; on an empty input NumPy 2.4
    # returns uninitialised bytes. Here they are zeros.
    empty = oa.asarray(np.zeros((3, 0), np.uint8), chunks=2)
    result = np.unpackbits(empty, axis=1, count=5)
    assert (result.dtype, result.shape) == (np.uint8, (3, 5))
    assert not result.compute().any()
    assert np.unpackbits(oa.asarray(np.zeros(0, np.uint8)), count=9).compute().tolist() == \
        [0] * 9


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != np.uint8], ids=str)
def test_unpackbits_refuses_other_dtypes_as_numpy(dtype):
    _same(np.unpackbits, np.zeros(4, dtype), oa.asarray(np.zeros(4, dtype)))


@pytest.mark.parametrize("kwargs", [
    {"count": 1.5}, {"count": True}, {"count": "x"}, {"count": np.array(2)},
    {"count": np.int8(-3)}, {"bitorder": "x"}, {"bitorder": "L"}, {"bitorder": None},
    {"axis": 1.0}, {"axis": True}, {"axis": np.int64(0)}, {"axis": -2},
], ids=repr)
def test_argument_errors_are_numpys(kwargs):
    x = np.arange(10, dtype=np.uint8)
    a = oa.asarray(x, chunks=3)
    _same(np.unpackbits, x, a, **kwargs)
    packing = {k: v for k, v in kwargs.items() if k != "count"}
    _same(np.packbits, x, a, **packing)


def test_round_trip_and_lazy_fusion(rng):
    x = rng.random((40, 30)) > 0.3
    a = oa.asarray(x, chunks=(7, 11))
    for axis in (None, 0, 1):
        n = x.size if axis is None else x.shape[axis]
        back = np.unpackbits(np.packbits(a, axis=axis), axis=axis, count=n).astype(bool)
        assert_like_numpy(back if axis is not None else back.reshape(x.shape), x)
    assert_like_numpy(np.packbits(a > 0.5, axis=0) + 1, np.packbits(x > 0.5, axis=0) + 1)


def test_chunks_follow_the_input():
    aligned = np.packbits(oa.ones((4, 64), np.int8, chunks=(2, 16)), axis=1)
    assert aligned.chunks == ((2, 2), (2, 2, 2, 2))  # one packed chunk per input chunk
    ragged = np.packbits(oa.ones((4, 64), np.int8, chunks=(2, 20)), axis=1)
    assert max(ragged.chunks[1]) == 2  # 16 elements: within one input chunk's length
    unpacked = np.unpackbits(oa.ones((4, 64), np.uint8, chunks=(2, 16)), axis=1)
    assert unpacked.chunks[1] == (128,) * 4  # the bits of one input chunk


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_packbits_and_unpackbits_of_a_stored_array_over_the_budget(tmp_path, rng, axis):
    x = rng.random((2000, 1000)) > 0.5  # 2 MB of bools, stored in a .npy file
    np.save(tmp_path / "x.npy", x)
    with oa.config.set(memory_limit="256KB"):
        limit = oa.config.get().memory_limit
        a = oa.open(tmp_path / "x.npy")
        packed = np.packbits(a, axis=axis)
        with oa.collect_stats() as stats:
            packed.to_zarr(tmp_path / "p.zarr")
        assert 0 < stats.peak_bytes <= limit
        assert stats.bytes_read == x.nbytes  # each input byte once
        want = np.packbits(x, axis=axis)
        np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "p.zarr"))[...], want,
                                      strict=True)
        count = None if axis is None else x.shape[axis] - 3
        unpacked = np.unpackbits(oa.open(tmp_path / "p.zarr"), axis=axis, count=count)
        with oa.collect_stats() as stats:
            unpacked.to_zarr(tmp_path / "u.zarr")
        assert 0 < stats.peak_bytes <= limit
        np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "u.zarr"))[...],
                                      np.unpackbits(want, axis=axis, count=count), strict=True)


def test_eager_path_gives_numpys_results():
    x = np.array([[1, 0, 1], [0, 1, 1]])
    with oa.config.set(eager_bytes="1MiB"):
        assert_like_numpy(np.packbits(oa.asarray(x), axis=-1), np.packbits(x, axis=-1))
        assert_like_numpy(np.unpackbits(np.packbits(oa.asarray(x))), np.unpackbits(
            np.packbits(x)))
