"""NEP 35: NumPy's creation functions with ``like=`` an OOArray return OOArrays that compute to
what NumPy gives without ``like=``, and raise NumPy's exception types."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy, numpy_result

import ooarray as oa

LIKE = oa.zeros(3, chunks=2)

CALLS = [
    ("zeros", lambda **k: np.zeros((4, 5), **k)),
    ("zeros-int", lambda **k: np.zeros(7, dtype=np.int8, **k)),
    ("zeros-F", lambda **k: np.zeros((2, 3), order="F", **k)),
    ("ones", lambda **k: np.ones((3, 0), dtype=bool, **k)),
    ("empty-0d", lambda **k: np.empty((), dtype=np.uint8, **k)),
    ("full", lambda **k: np.full((2, 3), 2.5, **k)),
    ("full-cast", lambda **k: np.full(4, 2.7, dtype=np.int32, **k)),
    ("full-complex", lambda **k: np.full(3, 1 + 2j, **k)),
    ("arange", lambda **k: np.arange(10, **k)),
    ("arange-float", lambda **k: np.arange(0.5, 3, 0.25, **k)),
    ("arange-neg", lambda **k: np.arange(5, -3, -2, dtype=np.int8, **k)),
    ("arange-empty", lambda **k: np.arange(3, 1, **k)),
    ("array", lambda **k: np.array([[1, 2], [3, 4]], **k)),
    ("array-ndmin", lambda **k: np.array([1.5, 2], ndmin=3, **k)),
    ("array-scalar", lambda **k: np.array(3, dtype=np.float32, **k)),
    ("asarray", lambda **k: np.asarray([1, 2, 3], dtype=np.uint64, **k)),
    ("asarray-ndarray", lambda **k: np.asarray(np.arange(6.0).reshape(2, 3), **k)),
    ("asanyarray", lambda **k: np.asanyarray([True, False], **k)),
    ("ascontiguousarray-0d", lambda **k: np.ascontiguousarray(5, **k)),
    ("asfortranarray", lambda **k: np.asfortranarray([[1, 2]], **k)),
    ("require", lambda **k: np.require([1, 2], np.float32, "C", **k)),
    ("identity", lambda **k: np.identity(4, **k)),
    ("identity-int", lambda **k: np.identity(3, dtype=np.int64, **k)),
    ("eye", lambda **k: np.eye(3, 5, k=2, **k)),
    ("eye-neg", lambda **k: np.eye(5, 3, k=-1, dtype=np.complex128, **k)),
    ("tri", lambda **k: np.tri(4, 6, 1, dtype=np.int8, **k)),
    ("tri-square", lambda **k: np.tri(5, k=-2, **k)),
    ("fromfunction", lambda **k: np.fromfunction(lambda i, j: i * 10 - j, (4, 3), **k)),
    ("fromfunction-int", lambda **k: np.fromfunction(lambda i: i % 3, (7,), dtype=int, **k)),
    ("frombuffer", lambda **k: np.frombuffer(b"\x01\x02\x03\x04", np.uint8, **k)),
    ("frombuffer-offset", lambda **k: np.frombuffer(np.arange(4.0).tobytes(), offset=8, **k)),
    ("fromiter", lambda **k: np.fromiter(range(5), np.int32, **k)),
    ("fromiter-count", lambda **k: np.fromiter((x / 2 for x in range(9)), float, 4, **k)),
    ("fromstring", lambda **k: np.fromstring("1 2 3.5", sep=" ", **k)),
    ("loadtxt", lambda **k: np.loadtxt(["1 2", "3 4"], **k)),
    ("genfromtxt", lambda **k: np.genfromtxt(["1,2", "3,nan"], delimiter=",", **k)),
]


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[n for n, _ in CALLS])
def test_like_an_ooarray_gives_an_ooarray_equal_to_numpys(call):
    assert_like_numpy(call(like=LIKE), call())


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4)])
def test_filled_arrays_over_dtypes_and_shapes(dtype, shape):
    for name in ("zeros", "ones", "empty"):
        func = getattr(np, name)
        expected = func(shape, dtype=dtype) if name != "empty" else np.zeros(shape, dtype)
        assert_like_numpy(func(shape, dtype=dtype, like=LIKE), expected)
    assert_like_numpy(np.full(shape, 1, dtype=dtype, like=LIKE), np.full(shape, 1, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_asarray_array_and_arange_over_dtypes(dtype, rng):
    x = np.asarray(rng.integers(0, 2, (5, 3))).astype(dtype)
    assert_like_numpy(np.asarray(x, like=LIKE), x)
    assert_like_numpy(np.array(x.tolist(), dtype=dtype, like=LIKE), x)
    if dtype.kind != "b":
        assert_like_numpy(np.arange(1, 6, 2, dtype=dtype, like=LIKE),
                          np.arange(1, 6, 2, dtype=dtype))


def test_array_copies_an_ndarray_and_asarray_copy_true_too():
    x = np.arange(4.0)
    copied, viewed = np.array(x, like=LIKE), np.asarray(x, copy=True, like=LIKE)
    x[0] = 99
    assert copied.compute()[0] == 0 and viewed.compute()[0] == 0


def test_asarray_of_an_ooarray_is_the_same_array():
    a = oa.arange(5, chunks=2)
    assert np.asarray(a, like=LIKE) is a
    assert np.asarray(a, copy=False, like=LIKE) is a


def test_a_list_of_ooarrays_is_stacked_lazily_not_computed():
    x = np.arange(6.0)
    a = oa.asarray(x, chunks=4)
    with oa.config.set(memory_limit="64B"):  # too small to compute the list into an ndarray
        result = np.array([a, a * 2, [[1.0] * 6][0]], like=LIKE)
        nested = oa.asarray([[a], [a]])
    assert_like_numpy(result, np.array([x, x * 2, np.ones(6)]))
    assert_like_numpy(nested, np.array([[x], [x]]))


def test_fromfile_reads_a_raw_binary_file_in_place(tmp_path):
    data = np.arange(30, dtype=np.int32)
    path = tmp_path / "data.bin"
    data.tofile(path)
    result = np.fromfile(path, dtype=np.int32, like=LIKE)
    assert "in-memory" not in repr(result)  # a file store, not a loaded copy
    assert_like_numpy(result, np.fromfile(path, dtype=np.int32))
    assert_like_numpy(np.fromfile(path, np.int32, 5, offset=8, like=LIKE),
                      np.fromfile(path, np.int32, 5, offset=8))
    np.savetxt(tmp_path / "t.txt", [1.5, 2.5])
    assert_like_numpy(np.fromfile(tmp_path / "t.txt", sep=" ", like=LIKE),
                      np.fromfile(tmp_path / "t.txt", sep=" "))


def test_readers_refuse_what_does_not_fit_the_budget(tmp_path):
    with oa.config.set(memory_limit="1KB"):
        with pytest.raises(oa.BudgetError, match="memory_limit"):
            np.fromiter(iter(range(10**6)), np.float64, like=LIKE)
        with pytest.raises(oa.BudgetError):
            np.fromiter(range(10**6), np.float64, count=10**6, like=LIKE)
        with pytest.raises(oa.BudgetError):
            np.loadtxt([" ".join(["1"] * 400)], like=LIKE)
        assert_like_numpy(np.fromiter(range(10), np.int64, like=LIKE),
                          np.arange(10))


ERRORS = [
    ("negative", lambda **k: np.zeros(-1, **k)),
    ("float-shape", lambda **k: np.ones(2.5, **k)),
    ("order", lambda **k: np.zeros(3, order="X", **k)),
    ("order-K", lambda **k: np.full(3, 1, order="K", **k)),
    ("device", lambda **k: np.empty(3, device="gpu", **k)),
    ("copy-false", lambda **k: np.asarray([1, 2], copy=False, **k)),
    ("asarray-order", lambda **k: np.asarray([1], order="Q", **k)),
    ("require-flag", lambda **k: np.require([1], requirements="Q", **k)),
    ("require-both", lambda **k: np.require([1], requirements=["C", "F"], **k)),
    ("arange-zero-step", lambda **k: np.arange(0, 5, 0, **k)),
    ("arange-bool", lambda **k: np.arange(5, dtype=bool, **k)),
    ("eye-order", lambda **k: np.eye(3, order="A", **k)),
    ("eye-float", lambda **k: np.eye(2.5, **k)),
    ("frombuffer-size", lambda **k: np.frombuffer(b"abc", np.int16, **k)),
]


@pytest.mark.parametrize("call", [c for _, c in ERRORS], ids=[n for n, _ in ERRORS])
def test_errors_are_numpys(call):
    expected, error = numpy_result(call)
    assert error is not None, f"NumPy gave {expected!r}"
    with pytest.raises(type(error)):
        call(like=LIKE)


def test_like_functions_are_listed_as_supported():
    names = set(oa.supported_functions())
    assert {"numpy.zeros", "numpy.arange", "numpy.asarray", "numpy.eye", "numpy.fromfunction",
            "numpy.fromfile", "numpy.shape"} <= names
