"""The eager path: small in-memory work runs at once with NumPy (``eager_bytes``).

Results must be NumPy's (values, dtype, shape, exception types), in memory (no plan), and hold
the values of the moment of the call; anything larger, or stored, stays lazy.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy, quiet, sample

import ooarray as oa
from ooarray.core import eager
from ooarray.plan.graph import ConstantNode


@pytest.fixture(autouse=True)
def eager_engine():
    with oa.config.set(eager_bytes="1MiB", memory_limit="256MiB"):
        yield


def in_memory(x) -> bool:
    return type(x.node) is ConstantNode


def assert_same(result, expected) -> None:
    """An eager result is NumPy's: an in-memory OOArray for an array, the same NumPy
    scalar type for a scalar (``a.sum()``, ``a[i]``)."""
    if isinstance(expected, np.generic):
        assert type(result) is type(expected)
        np.testing.assert_allclose(result, expected, rtol=1e-6)
        return
    assert in_memory(result)
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.true_divide,
                                   np.floor_divide, np.power, np.maximum, np.less,
                                   np.logical_and, np.negative, np.sqrt, np.exp, np.absolute])
def test_ufuncs_run_at_once_and_match_numpy(ufunc, dtype, rng):
    a = sample((7, 5), dtype, rng)
    b = sample((5,), dtype, rng)
    operands = (a,) if ufunc.nin == 1 else (a, b)
    with quiet():
        try:
            expected = ufunc(*operands)
        except Exception as error:  # noqa: BLE001 - the same exception type is the contract
            with pytest.raises(type(error)):
                ufunc(*(oa.asarray(x) for x in operands))
            return
        result = ufunc(*(oa.asarray(x) for x in operands))
    assert_same(result, expected)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64, np.complex128], ids=str)
@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::numpy.exceptions.ComplexWarning")
def test_reductions_and_functions_match_numpy(dtype, rng):
    x = sample((6, 4), dtype, rng)
    a = oa.asarray(x)
    for _name, func in [("sum", lambda m: m.sum(axis=0)), ("mean", lambda m: np.mean(m)),
                       ("max", lambda m: np.max(m, axis=1, keepdims=True)),
                       ("cumsum", lambda m: np.cumsum(m, axis=1)),
                       ("sort", lambda m: np.sort(m.real, axis=0)),
                       ("concatenate", lambda m: np.concatenate([m, m * 2])),
                       ("where", lambda m: np.where(m.real > 0, m, -m)),
                       ("transpose", lambda m: m.T[1:, ::2]),
                       ("matmul", lambda m: m @ m.T), ("dot", lambda m: np.dot(m.T, m)),
                       ("reshape", lambda m: m.reshape(3, 8)[::-1]),
                       ("astype", lambda m: m.astype(np.float32))]:
        result, expected = func(a), func(x)
        assert_same(result, expected)


def test_indexing_and_assignment_match_numpy(rng):
    x = sample((8, 6), np.float64, rng)
    a = oa.asarray(x)
    for index in [(slice(1, 5), 2), (np.array([0, 3, 3]),), (x[:, 0] > 0,), (Ellipsis, None),
                  (-1,), (2, 3)]:
        assert_same(a[index], x[index])
    assert [type(v) for v in a[:, 0]] == [np.float64] * 8  # iteration yields NumPy scalars
    big = oa.asarray(np.zeros((2000, 300)))  # 4.8 MB: not eager, but a row of it is a view
    assert_same(big[5, :10], np.zeros(10))
    assert not in_memory(big[::2])
    for index, value in [((slice(None), 1), 7.0), ((x > 0.5,), -1.0),
                         ((np.array([1, 2]), slice(0, 2)), np.ones((2, 2)))]:
        a[index] = value
        x[index] = value
        assert in_memory(a)
        assert_like_numpy(a, x)
    with pytest.raises(IndexError):
        a[10]
    with pytest.raises(ValueError):
        a[0:2] = np.ones(5)


def test_out_and_in_place_operators_rebind_only_their_array():
    x = np.arange(6.0)
    a = oa.asarray(x)
    b = a.copy()
    a += 1
    np.multiply(a, 2, out=a)
    assert_like_numpy(a, (x + 1) * 2)
    assert_like_numpy(b, x)  # shares a's old values: never written in place
    ints = oa.asarray(np.arange(3))
    with pytest.raises(TypeError):  # numpy's UFuncTypeError
        ints += 1.5  # NumPy refuses same_kind casting float64 -> int64


def test_results_hold_the_values_of_the_call():
    x = np.arange(4.0)
    a = oa.asarray(x) + x  # x captured as it is now
    x[:] = 100
    assert_like_numpy(a, np.arange(4.0) * 2)
    out = np.asarray(a)
    out[:] = -1  # the caller's copy
    assert_like_numpy(a, np.arange(4.0) * 2)
    scalar = np.array(3.0)
    b = oa.asarray(np.ones(2)) * scalar
    scalar[...] = 0
    assert_like_numpy(b, np.full(2, 3.0))


def test_large_or_stored_arrays_stay_lazy(tmp_path):
    with oa.config.set(eager_bytes="1KiB"):
        big = oa.asarray(np.ones(1000))  # 8 KB
        assert not in_memory(big + 1)
        small = oa.asarray(np.ones(10))
        assert in_memory(small + 1)
        # an outer product of small vectors whose result exceeds the limit is planned
        other = oa.asarray(np.ones(100))
        assert eager.ufunc(np.multiply, "outer", (small, other), {}) is eager.NOT_EAGER
        assert eager.function(np.outer, (small, small), {}) is eager.NOT_EAGER
        assert eager.function(np.dot, (small[:, None], other[None, :]), {}) \
            is eager.NOT_EAGER
        assert eager.function(np.arange, (10**12,), {"like": small}) is eager.NOT_EAGER
    stored = oa.asarray(np.arange(10.0)).to_zarr(tmp_path / "s.zarr")
    assert not in_memory(stored * 2)
    assert_like_numpy(stored * 2, np.arange(10.0) * 2)


def test_eager_bytes_is_bounded_by_the_budget():
    with oa.config.set(memory_limit="1600B", eager_bytes="1MiB"):
        assert oa.core.eager.eager_limit() == 100
        assert not in_memory(oa.asarray(np.ones(100)) + 1)
    with oa.config.set(eager_bytes=0):
        assert not in_memory(oa.asarray(np.ones(3)) + 1)


def test_products_and_reductions_of_large_in_memory_arrays_run_at_once(rng):
    # Operands already in memory are read in place: only the result must be small.
    with oa.config.set(eager_bytes="64KiB"):
        x = rng.standard_normal((400, 300))  # 960 KB
        v = rng.standard_normal(300)
        a = oa.asarray(x)
        assert not in_memory(a + 1)  # an elementwise result as large as the input: planned
        for result, expected in [(a @ v, x @ v), (np.dot(v, a.T), np.dot(v, x.T)),
                                 (a.sum(axis=0), x.sum(axis=0)), (np.max(a), np.max(x)),
                                 (np.argmin(a, axis=1), np.argmin(x, axis=1)),
                                 (np.mean(a, axis=(0, 1)), np.mean(x, axis=(0, 1)))]:
            assert_same(result, expected)
        assert not in_memory(a @ a.T)  # a 1.3 MB product is planned
        assert eager.function(np.sum, (a,), {"axis": ()}) is eager.NOT_EAGER


def test_an_ndarray_numpy_hands_back_is_copied_not_frozen_in_place():
    mine = np.arange(3.0)
    first, _ = np.atleast_1d(mine, oa.asarray(np.ones(2)))  # NumPy returns ``mine`` itself
    assert mine.flags.writeable
    mine[0] = 7.0
    assert_same(first, np.arange(3.0))


def test_in_place_operators_keep_numpys_shape_rules():
    a = oa.asarray(np.ones((2, 3)))
    a += np.arange(3.0)  # broadcasts into a's shape
    assert_same(a, np.ones((2, 3)) + np.arange(3.0))
    with pytest.raises(ValueError):
        a += np.ones((4, 2, 3))  # the result would not fit a's shape
    assert_same(a, np.ones((2, 3)) + np.arange(3.0))  # unchanged by the failed call


def test_a_read_only_view_of_a_writable_buffer_is_copied():
    buffer = bytearray(np.arange(4.0).tobytes())
    view = np.frombuffer(buffer, dtype=np.float64)
    view.setflags(write=False)  # read-only, but the bytearray under it is not
    a = oa.asarray(view)
    buffer[:8] = np.float64(100.0).tobytes()
    assert_same(a * 1, np.arange(4.0))
    frozen = np.frombuffer(np.arange(4.0).tobytes(), dtype=np.float64)  # over bytes
    assert oa.asarray(frozen).node.array is frozen


@pytest.mark.parametrize("target, operand", [
    (np.array([1, 2]), np.array(1)),                 # a 0-d OOArray operand
    (np.array([1.0, 2.0]), np.array([0.5, 0.25])),
    (np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])),  # broadcast
    (np.array([1, 2]), np.array([0.5, 0.5])),        # int64 += float64: NumPy refuses
])
def test_eager_in_place_with_an_ooarray_operand_is_numpys(target, operand):
    # The operand's values were once taken as the target's (the last OOArray seen).
    with oa.config.set(eager_bytes="1MiB"):
        expected = target.copy()
        a = oa.asarray(target)
        try:
            expected += operand
        except Exception as error:  # noqa: BLE001 - the same type from ooarray
            with pytest.raises(type(error)):
                a += oa.asarray(operand)
            return
        a += oa.asarray(operand)
        assert a.dtype == expected.dtype
        np.testing.assert_array_equal(np.asarray(a), expected)
