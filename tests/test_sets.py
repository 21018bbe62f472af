"""Set operations and lexsort against NumPy: isin, intersect1d, union1d, setdiff1d, setxor1d
and lexsort, on data that fits a task and on data larger than a small ``memory_limit`` (the
out-of-core sort, membership against a sorted array streamed in chunks, gathers through a
permutation)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import DTYPES, assert_like_numpy, numpy_result, sample

import ooarray as oa
from ooarray.algorithms.sets import MemberNode
from ooarray.algorithms.sorting import BucketNode

#: A budget under which a few tens of thousands of elements are larger than memory.
SMALL = "256KB"
SET_FUNCTIONS = [np.intersect1d, np.union1d, np.setdiff1d, np.setxor1d]
DTYPE_PAIRS = [("int64", "int64"), ("int8", "int64"), ("uint8", "int8"), ("int64", "uint64"),
               ("uint64", "int32"), ("bool", "bool"), ("bool", "int8"), ("float32", "float64"),
               ("int32", "float64"), ("float64", "float64"), ("complex128", "float64"),
               ("float32", "complex128")]


def _values(shape, dtype, rng, low=-4, high=4):
    """Values with many repeats (and NaN, inf, -0.0 among floats)."""
    return sample(shape, dtype, rng, low=low, high=high)


def _assert_stored_like_numpy(result, expected, path):
    """``result`` (larger than the budget) written to ``path`` and read back, as NumPy's."""
    assert isinstance(result, oa.OOArray)
    assert (result.dtype, result.shape) == (expected.dtype, expected.shape)
    result.to_zarr(path, overwrite=True)
    np.testing.assert_array_equal(zarr.open_array(str(path))[...], expected, strict=True)


def _plan_nodes(array):
    seen, stack = set(), [array.node]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.inputs)
            yield node


# -- isin ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("invert", [False, True])
def test_isin_over_shapes_and_chunks(case, dtype, invert, rng):
    shape, chunks = case
    element = _values(shape, dtype, rng)
    test = _values((5,), dtype, rng)
    result = np.isin(oa.asarray(element, chunks=chunks), test, invert=invert)
    assert_like_numpy(result, np.isin(element, test, invert=invert))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids="-".join)
def test_isin_mixed_dtypes_small_and_out_of_core(pair, rng):
    element = _values((300,), pair[0], rng, high=20)
    test = _values((20_000,), pair[1], rng, high=20)
    if element.dtype.kind in "iu" and test.dtype.kind in "iu":
        # values beyond float64's integers: int64 with uint64 must still compare exactly
        big = 2**62 if "64" in pair[0] and "64" in pair[1] else 0
        element[:3] += element.dtype.type(big)
        test[:3] = element[:3] + test.dtype.type(big and 1)
        test[3] = element[3]
    expected = np.isin(element, test)
    chunked = oa.asarray(element, chunks=37)
    assert_like_numpy(np.isin(chunked, test), expected)
    with oa.config.set(memory_limit=SMALL):  # the test elements are "large": sorted, streamed
        result = np.isin(chunked, oa.asarray(test, chunks=2000))
        assert any(isinstance(n, MemberNode) for n in _plan_nodes(result))
        assert_like_numpy(result, expected)


def test_isin_test_elements_larger_than_the_budget(rng):
    element = rng.integers(0, 400_000, (50, 300))
    test = rng.integers(0, 400_000, 60_000)  # 480 KB of test elements, a 256 KB budget
    element[0, :10] = test[-10:]
    with oa.config.set(memory_limit=SMALL):
        result = np.isin(oa.asarray(element, chunks=(10, 300)), oa.asarray(test, chunks=5000))
        assert any(isinstance(n, MemberNode) for n in _plan_nodes(result))
        assert_like_numpy(result, np.isin(element, test))
        floats = np.where(rng.random(60_000) < 0.01, np.nan, test / 7)
        found = np.isin(oa.asarray(element / 7, chunks=(10, 300)), oa.asarray(floats),
                        invert=True)
        assert_like_numpy(found, np.isin(element / 7, floats, invert=True))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("element, test", [
    ([], [1, 2]), ([1, 2], []), ([], []), (3, [3, 4]), (np.nan, [np.nan]),
    ([[1.0, -0.0], [np.nan, 2]], [0.0, np.nan]), ([1 + 1j, complex(1, np.nan)], [1 + 1j]),
    ([True, False], [1]), ([1, 2, 3], 2)])
def test_isin_edges(element, test):
    for invert in (False, True):
        expected = np.isin(np.asarray(element), test, invert=invert)
        assert_like_numpy(np.isin(oa.asarray(element), test, invert=invert), expected)


@pytest.mark.parametrize("kwargs", [dict(kind="table"), dict(kind="sort"), dict(kind=None),
                                    dict(kind="bogus"), dict(assume_unique=True)])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("float64", "int64"),
                                    ("int64", "float32")])
def test_isin_kinds_and_errors_like_numpy(kwargs, dtypes, rng):
    element = _values((20,), dtypes[0], rng)
    test = np.unique(_values((6,), dtypes[1], rng))
    expected, error = numpy_result(np.isin, element, test, **kwargs)
    if error is not None:
        with pytest.raises(type(error)):
            np.isin(oa.asarray(element, chunks=7), test, **kwargs)
    else:
        assert_like_numpy(np.isin(oa.asarray(element, chunks=7), test, **kwargs), expected)


def test_isin_table_over_the_dtype_range_is_numpys_runtime_error():
    test = np.array([-100, 100], np.int8)
    with pytest.raises(RuntimeError):
        np.isin(np.array([1]), test, kind="table")
    with pytest.raises(RuntimeError):
        np.isin(oa.asarray([1]), oa.asarray(test), kind="table")


# -- intersect1d, union1d, setdiff1d, setxor1d ----------------------------------------------
@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", SET_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((3, 4), (5,)), ((0,), (6,)), ((7,), (0,)), ((0,), (0,)),
                                    ((), (4,)), ((2, 3, 2), (2, 2))], ids=str)
def test_set_functions_over_dtypes_and_shapes(func, shapes, dtype, rng):
    first, second = _values(shapes[0], dtype, rng), _values(shapes[1], dtype, rng)
    expected = func(first, second)
    result = func(oa.asarray(first, chunks=2), oa.asarray(second, chunks=3))
    assert_like_numpy(result, expected)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", SET_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids="-".join)
def test_set_functions_promote_like_numpy(func, pair, rng):
    first, second = _values((12,), pair[0], rng), _values((9,), pair[1], rng)
    assert_like_numpy(func(oa.asarray(first, chunks=5), second), func(first, second))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("func", [np.intersect1d, np.setdiff1d, np.setxor1d],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype_name", ["int32", "float64", "complex128", "bool"])
def test_assume_unique_like_numpy(func, dtype_name, rng):
    first = np.unique(_values((15,), dtype_name, rng))[::-1].copy()  # unique, not sorted
    second = np.unique(_values((10,), dtype_name, rng))
    expected = func(first, second, assume_unique=True)
    result = func(oa.asarray(first, chunks=4), oa.asarray(second, chunks=3), assume_unique=True)
    assert_like_numpy(result, expected)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("assume_unique", [False, True])
@pytest.mark.parametrize("dtype_name", ["int64", "uint8", "float32", "complex128"])
def test_intersect1d_return_indices(assume_unique, dtype_name, rng):
    first, second = _values((4, 6), dtype_name, rng), _values((17,), dtype_name, rng)
    if assume_unique:
        first, second = np.unique(first)[::-1].copy(), rng.permutation(np.unique(second))
    expected = np.intersect1d(first, second, assume_unique, return_indices=True)
    result = np.intersect1d(oa.asarray(first, chunks=3), oa.asarray(second, chunks=5),
                            assume_unique, return_indices=True)
    assert len(result) == 3
    for got, want in zip(result, expected, strict=True):
        assert_like_numpy(got, want)


def test_set_functions_larger_than_the_budget(rng, tmp_path):
    first = rng.integers(0, 50_000, 40_000)  # 320 KB each, a 256 KB budget
    second = rng.integers(25_000, 75_000, 40_000)
    with oa.config.set(memory_limit=SMALL):
        a, b = oa.asarray(first, chunks=4000), oa.asarray(second, chunks=3000)
        for func in (np.union1d, np.setdiff1d, np.setxor1d):
            _assert_stored_like_numpy(func(a, b), func(first, second), tmp_path / "r.zarr")


def test_intersect1d_larger_than_the_budget(rng, tmp_path):
    first = rng.integers(0, 50_000, 40_000)
    second = rng.integers(25_000, 75_000, 40_000)
    with oa.config.set(memory_limit=SMALL):
        a, b = oa.asarray(first, chunks=4000), oa.asarray(second, chunks=3000)
        found = np.intersect1d(a, b, return_indices=True)
        for got, want in zip(found, np.intersect1d(first, second, return_indices=True),
                             strict=True):
            _assert_stored_like_numpy(got, want, tmp_path / "r.zarr")


# -- lexsort --------------------------------------------------------------------------------
def _tied_keys(count, shape, rng, dtypes=None):
    dtypes = dtypes or ["int8", "float64", "bool", "uint64", "complex128", "float32"]
    return tuple(_values(shape, dtypes[k % len(dtypes)], rng, low=-2, high=2)
                 for k in range(count))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("count", [1, 2, 4])
def test_lexsort_over_shapes_and_chunks(case, count, rng):
    shape, chunks = case
    keys = _tied_keys(count, shape, rng)
    for axis in range(-len(shape), len(shape)) if shape else [-1]:
        expected = np.lexsort(keys, axis=axis)
        result = np.lexsort(tuple(oa.asarray(k, chunks=chunks) for k in keys), axis=axis)
        assert_like_numpy(result, expected)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_lexsort_dtypes_and_a_2d_array_of_keys(dtype, rng):
    keys = _values((3, 40), dtype, rng, low=-2, high=2)
    assert_like_numpy(np.lexsort(oa.asarray(keys, chunks=(1, 7))), np.lexsort(keys))
    mixed = (keys[0], oa.asarray(keys[1], chunks=9), keys[2])
    assert_like_numpy(np.lexsort(mixed), np.lexsort((keys[0], keys[1], keys[2])))


@pytest.mark.parametrize("keys, axis", [((np.arange(3), np.arange(4)), -1),
                                        ((np.arange(3),), 1), ((np.arange(3),), None),
                                        ((np.zeros((2, 3)), np.zeros((3, 2))), 0)])
def test_lexsort_errors_like_numpy(keys, axis):
    _, error = numpy_result(np.lexsort, keys, axis=axis)
    assert error is not None
    with pytest.raises(type(error)):
        np.lexsort(tuple(oa.asarray(k) for k in keys), axis=axis)


def test_lexsort_of_no_keys_is_numpys_type_error():
    with pytest.raises(TypeError):
        np.lexsort(np.zeros((0, 3)))
    with pytest.raises(TypeError):
        np.lexsort(oa.asarray(np.zeros((0, 3))))


@pytest.mark.parametrize("count", [1, 3])
def test_lexsort_keys_larger_than_the_budget(count, rng, tmp_path):
    n = 40_000  # 320 KB per int64 key, a 256 KB budget: sorted out of core
    keys = tuple(rng.integers(0, 30, n) for _ in range(count - 1)) + (rng.integers(0, 5, n),)
    with oa.config.set(memory_limit=SMALL):
        result = np.lexsort(tuple(oa.asarray(k, chunks=4000) for k in keys))
        _assert_stored_like_numpy(result, np.lexsort(keys), tmp_path / "order.zarr")


def test_lexsort_float_keys_larger_than_the_budget_with_nan_and_signed_zeros(rng, tmp_path):
    n = 30_000
    first = rng.choice(np.array([np.nan, -0.0, 0.0, 1.5, -np.inf]), n)
    second = rng.choice(np.array([np.nan, 2.0, -0.0, 0.0]), n).astype(np.float32)
    with oa.config.set(memory_limit=SMALL):
        result = np.lexsort((oa.asarray(first, chunks=3000), oa.asarray(second, chunks=7000)))
        _assert_stored_like_numpy(result, np.lexsort((first, second)), tmp_path / "o.zarr")


@pytest.mark.parametrize("dtypes", [("complex128", "bool"), ("uint64", "float32", "int8"),
                                    ("bool", "complex64")], ids=str)
def test_lexsort_mixed_keys_larger_than_the_budget_in_one_sample_sort(dtypes, rng, tmp_path):
    # Every key's NumPy order (NaN parts last, -0.0 equal to 0.0) and many ties across keys,
    # sorted together: splitters equal in their first keys, pieces split inside runs of ties.
    n = 30_000
    keys = tuple(_values((n,), dtype, rng, low=-2, high=2) for dtype in dtypes)
    with oa.config.set(memory_limit=SMALL):
        result = np.lexsort(tuple(oa.asarray(k, chunks=2500) for k in keys))
        assert isinstance(result.node, BucketNode)
        _assert_stored_like_numpy(result, np.lexsort(keys), tmp_path / "o.zarr")


def test_lexsort_long_lanes_of_nd_keys_fail_before_work(rng):
    keys = rng.integers(0, 3, (2, 40_000))
    with oa.config.set(memory_limit=SMALL), pytest.raises(oa.BudgetError):
        np.lexsort((oa.asarray(keys), oa.asarray(keys)), axis=1)


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], int(sys.argv[2])
    oa.config.set(memory_limit=budget)
    keys = tuple(oa.open(f"{directory}/k{i}.npy") for i in range(2))
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        order = np.lexsort(keys)
        order.to_npy(f"{directory}/order.npy")
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes}))
""")


def test_lexsort_of_keys_4x_the_budget_keeps_rss_near_it(tmp_path):
    # One sample sort of both keys: 11-12 MiB of RSS growth, 2.7 s. (As a sequence of argsorts
    # and gathers through the permutation it grew RSS by 89 MiB of plan metadata and took
    # 76 s, the gathers' ~50,000 chunk reads and the sorts computed again by every pass.)
    budget, n = 4 * 2**20, 2**21  # two int64 keys of 16 MiB each, a 4 MiB budget
    rng = np.random.default_rng(3)
    keys = [rng.integers(0, 1000, n), rng.integers(0, 50, n)]
    for i, key in enumerate(keys):
        np.save(tmp_path / f"k{i}.npy", key)
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(budget)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    np.testing.assert_array_equal(np.load(tmp_path / "order.npy"), np.lexsort(keys))
    growth = measured["peak"] - measured["baseline"]
    print(f"lexsort RSS growth {growth / 2**20:.1f} MiB, pool peak "
          f"{measured['pool_peak'] / 2**20:.1f} MiB, budget {budget / 2**20:.0f} MiB")
    assert measured["pool_peak"] <= budget
    assert growth < 2 * budget + 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"
