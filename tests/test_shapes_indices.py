"""Shapes and indices (ops/shapes_indices.py) against NumPy: values, dtypes, shapes, errors,
over chunkings (length-1 chunks, chunks split by the positions), dtypes and axes, and each
function once under a small budget on an input larger than it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr
from helpers import CASES, DTYPES, assert_all_like_numpy, assert_like_numpy, numpy_result, sample

import ooarray as oa

pytestmark = pytest.mark.usefixtures("sync_executor")

SMALL = "256KB"
#: Pool peaks of the small-budget runs (printed with -s for the report).
PEAKS: list[int] = []


def _same(func, np_args, oa_args, **kwargs) -> None:
    """ooarray's answer is NumPy's, or raises an exception of NumPy's type."""
    expected, error = numpy_result(func, *np_args, **kwargs)
    if error is not None:
        with pytest.raises(type(error)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                assert_all_like_numpy(func(*oa_args, **kwargs), expected)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert_all_like_numpy(func(*oa_args, **kwargs), expected)


def _pair(shape, chunks, dtype=np.int64, seed=0):
    values = sample(shape, dtype, np.random.default_rng(seed), special=False)
    return values, oa.asarray(values, chunks=chunks)


def _small_budget_run(result, expected, path) -> None:
    """``result`` (larger than the budget) written to Zarr under ``path`` and read back,
    as NumPy's, with the pool's peak within ``memory_limit``."""
    results = result if isinstance(result, tuple) else (result,)
    wanted = expected if isinstance(expected, tuple) else (expected,)
    assert len(results) == len(wanted)
    for i, (got, want) in enumerate(zip(results, wanted, strict=True)):
        assert isinstance(got, oa.OOArray)
        assert (got.dtype, got.shape) == (want.dtype, want.shape)
        with oa.collect_stats() as stats:
            got.to_zarr(path / f"r{len(PEAKS)}-{i}.zarr", overwrite=True)
        PEAKS.append(stats.peak_bytes)
        assert 0 < stats.peak_bytes <= oa.config.get().memory_limit
        stored = zarr.open_array(str(path / f"r{len(PEAKS) - 1}-{i}.zarr"))[...]
        np.testing.assert_array_equal(stored, want, strict=True)


# -- delete and insert ---------------------------------------------------------------------
DELETE_OBJS = [0, -1, 3, 7, np.int64(2), [1, 3], [], np.array([2]), [0, 0, -7],
               slice(1, 5), slice(None, None, 2), slice(None, None, -3), slice(5, 1),
               list(range(0, 40, 1)), slice(0, 100, 1), [1.5], [10], np.arange(40) % 3 == 0,
               np.array([True, False] * 3 + [True]), np.array(True), slice(0, 40, 1)]


@pytest.mark.parametrize("obj", DELETE_OBJS, ids=repr)
@pytest.mark.parametrize("shape,chunks,axis", [((7,), 1, None), ((7,), 3, 0), ((40,), 7, 0),
                                               ((5, 7), (2, 3), 1), ((7, 4), (3, 4), 0),
                                               ((3, 4, 7), (2, 3, 2), -1), ((7, 4), 2, None),
                                               ((40, 3), (1, 2), 0), ((4, 3), 2, 5)])
def test_delete(obj, shape, chunks, axis):
    a, x = _pair(shape, chunks)
    _same(np.delete, (a, obj), (x, obj), axis=axis)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_delete_dtypes(dtype):
    a, x = _pair((6, 5), (4, 2), dtype)
    _same(np.delete, (a, [0, 4]), (x, [0, 4]), axis=0)
    _same(np.delete, (a, slice(1, None, 2)), (x, slice(1, None, 2)), axis=1)


def test_delete_ooarray_mask_and_positions():
    a, x = _pair((9, 4), (2, 3))
    mask = a[:, 0] % 2 == 0
    assert_like_numpy(np.delete(x, oa.asarray(mask, chunks=4), axis=0), np.delete(a, mask, axis=0))
    assert_like_numpy(np.delete(x, oa.asarray([1, 5]), axis=0), np.delete(a, [1, 5], axis=0))


@pytest.mark.parametrize("obj,values", [
    (0, 9), (-1, [1]), (3, [[5]]), (7, 2), (8, 1), (-8, 1), ([1, 3], [7, 8]), ([3, 1], 7),
    ([], 1), (np.array([2]), [1, 2]), (slice(1, 5, 2), 0), ([0, 0, 7, -1], [1, 2, 3, 4]),
    (list(range(40)), 5), ([True, False, True], 3), (2.5, 1), ([[1]], 1), ([1.5, 2.0], 1),
    ([1, 9], 1), (1, [1.7, -2.2])], ids=repr)
@pytest.mark.parametrize("shape,chunks,axis", [((7,), 1, None), ((7,), 3, 0),
                                               ((4, 7), (3, 2), 1), ((7, 3), (2, 2), 0),
                                               ((2, 3, 4), (1, 2, 3), None),
                                               ((7, 2), 1, 3)])
def test_insert(obj, values, shape, chunks, axis):
    a, x = _pair(shape, chunks)
    _same(np.insert, (a, obj, values), (x, obj, values), axis=axis)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_insert_dtypes_and_ooarray_values(dtype):
    a, x = _pair((5, 4), (2, 3), dtype)
    v = sample((5, 1), dtype, np.random.default_rng(3), special=False)
    _same(np.insert, (a, 2, v), (x, 2, oa.asarray(v)), axis=1)
    _same(np.insert, (a, [1, 4], v), (x, [1, 4], oa.asarray(v)), axis=1)
    _same(np.insert, (a, 0, 1.5), (x, 0, 1.5), axis=0)


# -- resize, trim_zeros, extract -----------------------------------------------------------
@pytest.mark.parametrize("shape,chunks", CASES, ids=str)
@pytest.mark.parametrize("new_shape", [(0,), 5, (3, 4), (2, 13), (30,), (2, 0, 3), (-1, 2)],
                         ids=str)
def test_resize(shape, chunks, new_shape):
    a, x = _pair(shape, chunks)
    _same(np.resize, (a, new_shape), (x, new_shape))


@pytest.mark.parametrize("trim", ["fb", "f", "b", "BF", "x"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1), ()], ids=str)
@pytest.mark.parametrize("shape,chunks", [((9,), 2), ((6, 7), (2, 3)), ((4, 5, 3), 2),
                                          ((0, 3), 2)], ids=str)
def test_trim_zeros(trim, axis, shape, chunks):
    a = np.zeros(shape, np.float64)
    if a.size:
        a[(slice(1, -1),) * a.ndim] = 0.0
        inner = tuple(slice(1, -1) if n > 2 else slice(None) for n in shape)
        a[inner] = np.arange(a[inner].size).reshape(a[inner].shape) % 3
    x = oa.asarray(a, chunks=chunks)
    expected, error = numpy_result(np.trim_zeros, a, trim, axis=axis)
    if error is not None:
        with pytest.raises(type(error)):
            np.trim_zeros(x, trim, axis=axis)
        return
    result = np.trim_zeros(x, trim, axis=axis)
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_trim_zeros_dtypes_and_all_zero(dtype):
    a = sample((11,), dtype, np.random.default_rng(5), special=False)
    a[:3] = 0
    a[-2:] = 0
    _same(np.trim_zeros, (a,), (oa.asarray(a, chunks=3),))
    z = np.zeros((3, 4), dtype)
    _same(np.trim_zeros, (z, "f"), (oa.asarray(z, chunks=2), "f"))


@pytest.mark.parametrize("shape,chunks", CASES, ids=str)
def test_extract(shape, chunks):
    a, x = _pair(shape, chunks)
    cond = a % 3 == 0
    _same(np.extract, (cond, a), (oa.asarray(cond, chunks=chunks), x))
    _same(np.extract, (a % 2, a), (oa.asarray(a % 2, chunks=chunks), x))


def test_extract_sizes_differ():
    a, x = _pair((10,), 3)
    _same(np.extract, ([1, 0, 1], a), (oa.asarray([1, 0, 1]), x))
    long = np.zeros(12, bool)
    long[11] = True
    _same(np.extract, (long, a), (oa.asarray(long), x))


# -- choose -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip", "bad"])
@pytest.mark.parametrize("shape,chunks", [((7,), 1), ((5, 6), (2, 4)), ((4, 3, 5), (3, 2, 2)),
                                          ((0,), 2)], ids=str)
def test_choose(mode, shape, chunks):
    rng = np.random.default_rng(7)
    for high in (3, 5):
        index = rng.integers(-1 if high == 5 else 0, high, shape)
        choices = [sample(shape, np.int32, rng), sample(shape[-1:], np.float32, rng), 7]
        oa_choices = [oa.asarray(choices[0], chunks=chunks), choices[1], 7]
        _same(np.choose, (index, choices), (oa.asarray(index, chunks=chunks), oa_choices),
              mode=mode)


def test_choose_errors_and_dtypes():
    index = np.array([0, 1, 0])
    _same(np.choose, (index.astype(float), [[1, 2, 3]]), (oa.asarray(index.astype(float)),
                                                          [[1, 2, 3]]))
    _same(np.choose, (index, [[1, 2], [3, 4]]), (oa.asarray(index), [[1, 2], [3, 4]]))
    for dtype in DTYPES:
        c = sample((2, 3), dtype, np.random.default_rng(1), special=False)
        _same(np.choose, (index, c), (oa.asarray(index), oa.asarray(c, chunks=1)))


# -- diagonals ------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [-3, -1, 0, 2, 9])
@pytest.mark.parametrize("shape,chunks", [((0,), 2), ((7,), 1), ((7,), 3), ((5, 6), (2, 4)),
                                          ((5, 6), (5, 1)), ((), ()), ((2, 3, 4), 2)],
                         ids=str)
def test_diag_diagflat(k, shape, chunks):
    a, x = _pair(shape, chunks)
    _same(np.diag, (a, k), (x, k))
    _same(np.diagflat, (a, k), (x, k))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_diag_dtypes(dtype):
    a = sample((5,), dtype, np.random.default_rng(2))
    _same(np.diag, (a, 1), (oa.asarray(a, chunks=2), 1))


@pytest.mark.parametrize("k", [-2, 0, 1, 5])
@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (0, 2), (5,), (2, 2, 2)], ids=str)
def test_indices_from(k, shape):
    a = np.zeros(shape)
    x = oa.asarray(a, chunks=2)
    _same(np.tril_indices_from, (a, k), (x, k))
    _same(np.triu_indices_from, (a, k), (x, k))
    _same(np.diag_indices_from, (a,), (x,))


# -- products -------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3,), (2,)), ((2, 3), (2, 2)), ((3,), (2, 2)),
                                   ((2, 2), (3,)), ((), (3,)), ((2, 1, 3), (2, 2)),
                                   ((0, 2), (3,))], ids=str)
@pytest.mark.parametrize("dtypes", [(np.int64, np.int64), (np.int8, np.uint8),
                                    (np.float32, np.complex128), (np.bool_, np.bool_)], ids=str)
def test_kron(sa, sb, dtypes):
    a = sample(sa, dtypes[0], np.random.default_rng(0))
    b = sample(sb, dtypes[1], np.random.default_rng(1))
    _same(np.kron, (a, b), (oa.asarray(a, chunks=2), b))
    _same(np.kron, (b, a), (b, oa.asarray(a, chunks=1)))


@pytest.mark.parametrize("sa,sb,kw", [
    ((4, 3), (4, 3), {}), ((3,), (5, 3), {}), ((4, 2), (4, 3), {}), ((4, 3), (2,), {}),
    ((2,), (2,), {}), ((5, 2), (5, 2), {}), ((3, 4), (4, 3), {"axisa": 0}),
    ((3, 4), (3, 4), {"axis": 0}), ((4, 3), (4, 3), {"axisc": 0}), ((4, 4), (4, 3), {}),
    ((4, 3), (4, 3), {"axisc": 2}), ((4, 3), (4, 3), {"axisa": 2}), ((), (3,), {}),
    ((2, 1, 3), (4, 3), {"axisc": 1})], ids=str)
@pytest.mark.parametrize("dtypes", [(np.int64, np.int64), (np.int8, np.uint8),
                                    (np.float32, np.float64), (np.bool_, np.bool_)], ids=str)
def test_cross(sa, sb, kw, dtypes):
    a = sample(sa, dtypes[0], np.random.default_rng(0), special=False)
    b = sample(sb, dtypes[1], np.random.default_rng(1), special=False)
    _same(np.cross, (a, b), (oa.asarray(a, chunks=2), b), **kw)


@pytest.mark.parametrize("mode", ["raise", "clip", "wrap"])
@pytest.mark.parametrize("out_dtype", [np.float64, np.int64, np.int8, np.bool_, np.complex128],
                         ids=str)
def test_choose_out_is_filled_and_returned_as_numpy(mode, out_dtype):
    index = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    choices = [np.arange(4.5, 8.5), np.full((2, 4), 2.7), -np.arange(4) * 1.5]
    want_out = np.zeros((2, 4), out_dtype)
    with warnings.catch_warnings():  # NumPy casts unsafely (complex to real warns)
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        want = np.choose(index, choices, out=want_out, mode=mode)
        target = oa.zeros((2, 4), out_dtype, chunks=3)
        got = np.choose(oa.asarray(index, chunks=(1, 3)), [oa.asarray(c) for c in choices],
                        out=target, mode=mode)
        assert got is target  # rebound to the lazy result, as NumPy returns out
        assert_like_numpy(got, want)
        filled = np.zeros((2, 4), out_dtype)
        assert np.choose(oa.asarray(index), choices, out=filled, mode=mode) is filled
    np.testing.assert_array_equal(filled, want_out, strict=True)


def test_choose_out_errors_are_numpys():
    index, choices = np.array([0, 1]), [[1.5, 2.5], [3.5, 4.5]]
    for out in (np.zeros(3), np.zeros((1, 2)), np.zeros((2, 2)), [0, 0], oa.zeros(3)):
        expected, error = numpy_result(np.choose, index, choices,
                                       out=np.asarray(out) if isinstance(out, oa.OOArray)
                                       else out)
        assert error is not None
        for given in (oa.asarray(index), index):
            if not isinstance(given, oa.OOArray) and not isinstance(out, oa.OOArray):
                continue  # NumPy's own call
            with pytest.raises(type(error), match=str(error).split(":")[0]):
                np.choose(given, choices, out=out)
    with pytest.raises(ValueError, match="invalid entry"):
        np.choose(oa.asarray([0, 5]), choices, out=np.zeros(2))


def test_cross_warns_for_2d_vectors():
    with pytest.warns(DeprecationWarning):
        np.cross(oa.asarray([1, 2]), [3, 4])


# -- flat and multi-indices -----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip", ("clip", "wrap", "raise"), "no"],
                         ids=str)
@pytest.mark.parametrize("order", ["C", "F", "X"])
def test_ravel_multi_index(mode, order):
    rng = np.random.default_rng(4)
    dims = (3, 5, 4)
    for low, high in ((0, 3), (-4, 7)):
        coords = tuple(rng.integers(low, high, (2, 5)) for _ in dims)
        given = (oa.asarray(coords[0], chunks=1), coords[1], oa.asarray(coords[2]))
        _same(np.ravel_multi_index, (coords, dims), (given, dims), mode=mode, order=order)


def test_ravel_multi_index_errors():
    c = (oa.asarray([1, 2]), oa.asarray([0, 1]))
    n = (np.array([1, 2]), np.array([0, 1]))
    _same(np.ravel_multi_index, (n, (3,)), (c, (3,)))
    _same(np.ravel_multi_index, ((n[0] * 1.0, n[1]), (3, 3)), ((c[0] * 1.0, c[1]), (3, 3)))
    _same(np.ravel_multi_index, ((n[0], n[1][:1]), (3, 3)), ((c[0], c[1][:1]), (3, 3)))
    _same(np.ravel_multi_index, ((n[0], np.array([[0], [1]])), (3, 3)),
          ((c[0], oa.asarray([[0], [1]])), (3, 3)))


@pytest.mark.parametrize("order", ["C", "F", "X"])
@pytest.mark.parametrize("shape", [(3, 5, 4), 7, (2, 1), (60,)], ids=str)
def test_unravel_index(order, shape):
    rng = np.random.default_rng(4)
    size = int(np.prod(shape))
    for low, high in ((0, size), (-1, size), (0, size + 1)):
        flat = rng.integers(low, high, (3, 4))
        _same(np.unravel_index, (flat, shape), (oa.asarray(flat, chunks=(2, 3)), shape),
              order=order)
    _same(np.unravel_index, (flat * 1.0, shape), (oa.asarray(flat * 1.0), shape))


@pytest.mark.parametrize("order", ["C", "F"])
def test_one_point_gives_numpys_scalars(order):
    """A 0-d index (or 0-d coordinates) is computed by the call: NumPy's scalars come back,
    as NumPy's, not 0-d OOArrays."""
    for flat in (0, 7, 59, np.int8(3)):
        index = oa.asarray(np.array(flat))
        got, want = np.unravel_index(index, (3, 5, 4), order), \
            np.unravel_index(np.array(flat), (3, 5, 4), order)
        assert type(got) is tuple and [type(g) for g in got] == [type(w) for w in want]
        assert got == want
    with pytest.raises(ValueError, match="out of bounds"):
        np.unravel_index(oa.asarray(np.array(60)), (3, 5, 4))
    for mode in ("raise", "wrap", "clip"):
        coords = (np.array(2), np.array(7), np.array(-1))
        expected, error = numpy_result(np.ravel_multi_index, coords, (3, 5, 4), mode=mode,
                                       order=order)
        given = (oa.asarray(coords[0]), coords[1], oa.asarray(coords[2]))
        if error is not None:
            with pytest.raises(type(error)):
                np.ravel_multi_index(given, (3, 5, 4), mode=mode, order=order)
            continue
        got = np.ravel_multi_index(given, (3, 5, 4), mode=mode, order=order)
        assert type(got) is type(expected) and got == expected


def test_ix():
    _same(np.ix_, ([0, 2], [True, False, True], []),
          (oa.asarray([0, 2]), oa.asarray([True, False, True]), []))
    _same(np.ix_, (np.array([1, 2]),), (oa.asarray(np.array([1, 2], np.int8)),)) \
        if False else _same(np.ix_, (np.array([1, 2], np.int8),),
                            (oa.asarray(np.array([1, 2], np.int8), chunks=1),))
    with pytest.raises(ValueError):
        np.ix_(oa.asarray([[1]]))


# -- under a small budget -------------------------------------------------------------------
@pytest.fixture
def small_budget():
    with oa.config.set(memory_limit=SMALL):
        yield


@pytest.mark.usefixtures("small_budget")
def test_budget_delete_insert_resize_extract(rng, tmp_path):
    a = rng.integers(0, 100, 200_000)  # 1.6 MB, over the 256 KB budget
    x = oa.asarray(a)
    _small_budget_run(np.delete(x, [5, 90_000, 199_999]), np.delete(a, [5, 90_000, 199_999]),
                      tmp_path)
    _small_budget_run(np.delete(x, slice(3, None, 7)), np.delete(a, slice(3, None, 7)), tmp_path)
    _small_budget_run(np.delete(x, np.arange(0, 200_000, 500)),
                      np.delete(a, np.arange(0, 200_000, 500)), tmp_path)
    _small_budget_run(np.insert(x, [3, 150_000], [-1, -2]),
                      np.insert(a, [3, 150_000], [-1, -2]), tmp_path)
    _small_budget_run(np.resize(x, (300, 900)), np.resize(a, (300, 900)), tmp_path)
    _small_budget_run(np.extract(x % 7 == 0, x), np.extract(a % 7 == 0, a), tmp_path)


@pytest.mark.usefixtures("small_budget")
def test_budget_insert_many_positions_needs_budget(rng):
    a = rng.integers(0, 100, 200_000)
    with pytest.raises(oa.BudgetError):
        np.insert(oa.asarray(a), np.arange(0, 200_000, 2), 0)


@pytest.mark.usefixtures("small_budget")
def test_budget_trim_choose_diag(rng, tmp_path):
    a = np.zeros(200_000)
    a[1000:150_000] = rng.uniform(1, 2, 149_000)
    _small_budget_run(np.trim_zeros(oa.asarray(a)), np.trim_zeros(a), tmp_path)
    index = rng.integers(0, 3, (400, 500))
    c = [rng.integers(0, 9, (400, 500)), np.arange(500), 3]
    _small_budget_run(np.choose(oa.asarray(index), [oa.asarray(c[0]), c[1], 3]),
                      np.choose(index, c), tmp_path)
    v = rng.uniform(size=300)
    _small_budget_run(np.diag(oa.asarray(v), 2), np.diag(v, 2), tmp_path)
    _small_budget_run(np.diagflat(oa.asarray(v), -1), np.diagflat(v, -1), tmp_path)
    m = rng.uniform(size=(300, 300))
    _small_budget_run(np.diag(oa.asarray(m), 1), np.diag(m, 1), tmp_path)


@pytest.mark.usefixtures("small_budget")
def test_budget_indices_products(rng, tmp_path):
    m = np.zeros((250, 200))
    x = oa.asarray(m)
    _small_budget_run(np.tril_indices_from(x, 3), np.tril_indices_from(m, 3), tmp_path)
    _small_budget_run(np.triu_indices_from(x), np.triu_indices_from(m), tmp_path)
    sq = oa.zeros((600, 600))
    _small_budget_run(np.diag_indices_from(sq), np.diag_indices_from(np.zeros((600, 600))),
                      tmp_path)
    a, b = rng.integers(0, 9, (60, 70)), rng.integers(0, 9, (8, 9))
    _small_budget_run(np.kron(oa.asarray(a), b), np.kron(a, b), tmp_path)
    u, w = rng.uniform(size=(40_000, 3)), rng.uniform(size=(40_000, 3))
    _small_budget_run(np.cross(oa.asarray(u), w), np.cross(u, w), tmp_path)
    flat = rng.integers(0, 60_000, 100_000)
    _small_budget_run(np.unravel_index(oa.asarray(flat), (200, 300)),
                      np.unravel_index(flat, (200, 300)), tmp_path)
    coords = np.unravel_index(flat, (200, 300))
    _small_budget_run(np.ravel_multi_index(tuple(oa.asarray(c) for c in coords), (200, 300)),
                      flat, tmp_path)
    mask = rng.integers(0, 2, 100_000).astype(bool)
    # a default-chunked bool mask has 8x more elements per chunk than its intp positions
    # fit in this budget (np.nonzero itself): chunk it as the positions are
    _small_budget_run(np.ix_(oa.asarray(mask, chunks=4000), oa.asarray(flat)), np.ix_(mask, flat),
                      tmp_path)
