"""Creation functions against NumPy's: zeros, ones, full, empty, *_like, arange, linspace, eye."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy, numpy_result, quiet, sample

import ooarray as oa

SHAPES = [(), 0, 5, (0,), (3, 0), (4, 3), (2, 3, 4), (2, 1, 3, 2)]
CHUNKINGS = [None, 1, 2, "auto"]


def check(numpy_call, ooarray_call, *, exact=None):
    expected, error = numpy_result(numpy_call)
    if error is not None:
        with pytest.raises(type(error)), quiet():
            ooarray_call().compute()
        return
    with quiet():
        result = ooarray_call()
    assert_like_numpy(result, expected, exact=exact)


@pytest.mark.parametrize("shape", SHAPES, ids=repr)
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=repr)
def test_zeros_ones_default_dtype(shape, chunks):
    check(partial(np.zeros, shape), partial(oa.zeros, shape, chunks=chunks), exact=True)
    check(partial(np.ones, shape), partial(oa.ones, shape, chunks=chunks), exact=True)


def test_zeros_ones_full_every_dtype(dtype):
    for shape in ((), (5, 3)):
        check(partial(np.zeros, shape, dtype), partial(oa.zeros, shape, dtype, chunks=2),
              exact=True)
        check(partial(np.ones, shape, dtype=dtype), partial(oa.ones, shape, dtype=dtype),
              exact=True)
        for fill in (7, -1, 300, 2.75, -0.0, float("nan"), True, 1 + 2j, np.float32(1.5)):
            check(partial(np.full, shape, fill, dtype), partial(oa.full, shape, fill, dtype),
                  exact=True)


@pytest.mark.parametrize("fill", [3, 2.5, True, 1j, np.int8(4), np.float32(0.1),
                                  [1, 2, 3], np.arange(3.0)], ids=repr)
def test_full_infers_dtype_like_numpy(fill):
    check(lambda: np.full((2, 3), fill), lambda: oa.full((2, 3), fill, chunks=1), exact=True)
    check(lambda: np.full((4, 1, 3), fill), lambda: oa.full((4, 1, 3), fill), exact=True)
    check(lambda: np.full((2, 2), fill), lambda: oa.full((2, 2), fill))  # may not broadcast


def test_empty_has_numpys_shape_and_dtype():
    for shape in SHAPES:
        for dtype in (float, np.int8, np.complex128):
            a = oa.empty(shape, dtype)
            b = np.empty(shape, dtype)
            assert isinstance(a, oa.OOArray)
            value = a.compute()
            assert type(value) is np.ndarray and value.shape == b.shape
            assert value.dtype == b.dtype


def test_bad_shapes_raise_like_numpy():
    for shape in (-1, (2, -3)):
        for func in (np.zeros, np.ones):
            with pytest.raises(ValueError):
                func(shape)
        with pytest.raises(ValueError):
            oa.zeros(shape)
        with pytest.raises(ValueError):
            oa.ones(shape)
    with pytest.raises(TypeError):
        np.zeros(2.5)
    with pytest.raises(TypeError):
        oa.zeros(2.5)
    with pytest.raises(TypeError):
        oa.zeros(3, dtype=object)


@pytest.mark.parametrize("func", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_functions(func, dtype, rng):
    x = sample((4, 5), dtype, rng)
    a = oa.asarray(x, chunks=(3, 2))
    np_func, oa_func = getattr(np, func), getattr(oa, func)
    args = (7,) if func == "full_like" else ()
    for prototype in (x, a):
        for kwargs in ({}, {"dtype": np.float32}, {"shape": (2, 3)}, {"dtype": np.int8,
                                                                          "shape": 6}):
            expected = np_func(x, *args, **kwargs)
            for result in (oa_func(prototype, *args, **kwargs), np_func(a, *args, **kwargs)):
                if func == "empty_like":
                    assert isinstance(result, oa.OOArray)
                    assert (result.shape, result.dtype) == (expected.shape, expected.dtype)
                else:
                    assert_like_numpy(result, expected, exact=True)
    assert np.zeros_like(a).chunks == a.chunks


@pytest.mark.parametrize("fill", [2.7, -1, 300, 1 + 2j, float("inf"), [1, 2, 3, 4, 5]],
                         ids=repr)
def test_full_like_casts_like_numpy(fill, dtype, rng):
    x = sample((2, 5), dtype, rng)
    check(lambda: np.full_like(x, fill), lambda: np.full_like(oa.asarray(x), fill),
          exact=True)


# -- arange ----------------------------------------------------------------------------------
ARANGE_ARGS = [(5,), (0,), (-3,), (2, 11), (2, 11, 3), (11, 2, -3), (10, 0, -1), (0, 1, 0.1),
               (1.5, 7.2, 0.7), (-2.5, 3, 1), (5, 5), (5, 1), (0.5, 5, 1.5), (7.0,),
               (-1, -10, -2.5), (0, 10**6, 99991), (np.int8(3), np.int8(100), np.int8(9)),
               (np.float32(0.25), 4, 0.5)]


@pytest.mark.parametrize("args", ARANGE_ARGS, ids=repr)
@pytest.mark.parametrize("dtype", [None, np.int8, np.int32, np.uint8, np.float32, np.float64,
                                   np.complex128], ids=repr)
def test_arange(args, dtype):
    for chunks in (None, 1, 3):
        check(partial(np.arange, *args, dtype=dtype),
              partial(oa.arange, *args, dtype=dtype, chunks=chunks), exact=True)


def test_arange_keywords_and_errors():
    check(lambda: np.arange(2, 9, 2), lambda: oa.arange(start=2, stop=9, step=2))
    check(lambda: np.arange(0, 300, 50, dtype=np.int8), lambda: oa.arange(0, 300, 50,
                                                                         dtype=np.int8))
    for args in [(0, 5, 0), (0, 5, 0.0)]:
        expected, error = numpy_result(np.arange, *args)
        assert error is not None
        with pytest.raises(type(error)):
            oa.arange(*args)
    for length in (2, 3):
        check(partial(np.arange, length, dtype=bool), partial(oa.arange, length, dtype=bool))


# -- linspace --------------------------------------------------------------------------------
LINSPACE_ARGS = [(0, 1), (0, 1, 7), (-3, 5, 0), (2, 3, 1), (5, -5, 11), (1, 1, 4),
                 (0.1, 0.7, 13), (0, 1e-320, 5), (np.float32(0), np.float32(3), 6),
                 (np.int8(0), np.int8(5), 4), (0, 1 + 2j, 5), (-2.5, 3.5, 23)]


@pytest.mark.parametrize("args", LINSPACE_ARGS, ids=repr)
@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize("dtype", [None, np.int32, np.uint8, np.float32, np.complex128],
                         ids=repr)
def test_linspace(args, endpoint, dtype):
    for chunks in (None, 1, 4):
        check(partial(np.linspace, *args, endpoint=endpoint, dtype=dtype),
              partial(oa.linspace, *args, endpoint=endpoint, dtype=dtype, chunks=chunks),
              exact=True)


@pytest.mark.parametrize("num", [0, 1, 2, 9])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_retstep(num, endpoint):
    expected, step = np.linspace(-1, 4, num, endpoint=endpoint, retstep=True)
    result, got = oa.linspace(-1, 4, num, endpoint=endpoint, retstep=True, chunks=2)
    assert_like_numpy(result, expected, exact=True)
    assert type(got) is type(step)
    assert got == step or (math.isnan(got) and math.isnan(step))


@pytest.mark.parametrize("args, kwargs", [((0, 1, -1), {}), ((0, 1, 2.5), {}),
                                          ((0, 1, 3), {"axis": 1}), ((0, 1, 3), {"axis": -1})],
                         ids=repr)
def test_linspace_arguments_like_numpy(args, kwargs):
    check(partial(np.linspace, *args, **kwargs), partial(oa.linspace, *args, **kwargs))


@pytest.mark.parametrize("args", [(np.inf,), (0, np.inf), (np.nan,), (0, 5, np.nan),
                                  (-np.inf, 0, 1)], ids=repr)
def test_arange_bad_bounds_raise_like_numpy(args):
    check(partial(np.arange, *args), partial(oa.arange, *args))


# -- eye ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, m", [(0, None), (1, None), (4, None), (3, 5), (6, 2), (5, 0)])
@pytest.mark.parametrize("k", [0, 1, -2, 4, -7])
def test_eye(n, m, k):
    for chunks in (None, 1, 2, (3, 2)):
        if m == 0 and chunks == (3, 2):
            continue  # a chunk length of 2 does not fit a 0-length axis
        check(partial(np.eye, n, m, k), partial(oa.eye, n, m, k, chunks=chunks), exact=True)


def test_eye_dtypes(dtype):
    check(lambda: np.eye(5, 4, 1, dtype=dtype), lambda: oa.eye(5, 4, 1, dtype=dtype, chunks=2),
          exact=True)
    check(lambda: np.eye(3, dtype=dtype), lambda: oa.eye(3, dtype=dtype), exact=True)


# -- out of core --------------------------------------------------------------------------------
def test_huge_arrays_are_never_made_whole():
    n = 10**6
    big = [oa.zeros((n, n)), oa.full((n, n), 2.5, np.float32), oa.eye(n, chunks=1000),
           oa.arange(n * n, chunks=10**6), oa.linspace(0, 1, n * n, chunks=10**6)]
    for a in big:
        assert "OOArray<" in repr(a) and str(a) == repr(a)
    with oa.collect_stats() as stats:
        corner = big[2][n - 3:, n - 4:].compute()
    np.testing.assert_array_equal(corner, np.eye(3, 4, 1))
    assert stats.tasks <= 4
    assert_like_numpy(big[1][5:7, -3:], np.full((2, 3), 2.5, np.float32))
    assert_like_numpy(big[3][-5:], np.arange(n * n - 5, n * n))
    assert_like_numpy(big[4][-1:], np.array([1.0]))


def test_dtypes_list_covers_every_kind():
    assert {d.kind for d in DTYPES} == set("biufc")
