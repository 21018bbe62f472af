"""Selection and comparison functions against NumPy: where, select, clip, round, isclose, ..."""

import numpy as np
import pytest
from helpers import (
    DTYPES,
    FLOAT_DTYPES,
    assert_like_numpy,
    chunked_arrays,
    numpy_result,
    quiet,
    sample,
)
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.ops.selection import KernelNode
from ooarray.plan.lower import Plan

pytestmark = pytest.mark.usefixtures("sync_executor")


def _pair(case, dtype, rng, seed_shift=0):
    shape, chunks = case
    data = sample(shape, dtype, np.random.default_rng(rng.integers(1 << 30) + seed_shift))
    return data, oa.asarray(data, chunks=chunks)


def test_where_three_arguments(case, dtype, rng):
    data, array = _pair(case, dtype, rng)
    other = sample(case[0], np.float32, rng)
    condition = sample(case[0], bool, rng)
    ocond = oa.asarray(condition, chunks=case[1])
    assert_like_numpy(np.where(ocond, array, other), np.where(condition, data, other))
    assert_like_numpy(np.where(ocond, array, 3), np.where(condition, data, 3))
    assert_like_numpy(np.where(data != 0, -1.5, array) if case[0] else
                      np.where(array != 0, -1.5, array), np.where(data != 0, -1.5, data))


@pytest.mark.parametrize("x, y", [(np.int8(1), 300), (1, 2.5), (np.float32(2), 1.0),
                                  (True, np.uint8(7)), (1j, 2)])
def test_where_scalar_promotion_matches_numpy(x, y):
    condition = np.array([True, False, True, False, False])
    with quiet():
        expected = np.where(condition, x, y)
    assert_like_numpy(np.where(oa.asarray(condition, chunks=2), x, y), expected)


def test_where_broadcasts_and_reads_non_bool_conditions(rng):
    condition = rng.integers(-2, 3, (4, 1))
    x = rng.standard_normal((1, 5)).astype(np.float32)
    y = np.arange(5, dtype=np.int16)
    result = np.where(oa.asarray(condition, chunks=3), oa.asarray(x, chunks=2), y)
    assert_like_numpy(result, np.where(condition, x, y))


@given(chunked_arrays(max_dims=3), st.sampled_from(DTYPES), st.data())
def test_where_hypothesis(pair, other_dtype, data):
    values, chunks = pair
    condition = data.draw(st.sampled_from(["positive", "scalar", "row"]))
    other = sample(values.shape[-1:], other_dtype, np.random.default_rng(values.size))
    with quiet():
        mask = {"positive": values > 0, "scalar": np.True_,
                "row": np.arange(values.shape[-1] if values.ndim else 1) % 2 == 0}[condition]
        expected, error = numpy_result(np.where, mask, values, other)
    array = oa.asarray(values, chunks=chunks)
    with quiet():
        omask = array > 0 if condition == "positive" else mask
    if error is not None:
        with pytest.raises(type(error)):
            np.where(omask, array, other)
        return
    assert_like_numpy(np.where(omask, array, other), expected)


def test_where_with_one_argument_is_nonzero(rng):
    data = rng.integers(-1, 2, (5, 4))
    result = np.where(oa.asarray(data, chunks=(2, 3)))
    expected = np.where(data)
    assert isinstance(result, tuple) and len(result) == len(expected)
    for got, want in zip(result, expected, strict=True):
        assert_like_numpy(got, want)


def test_where_errors_are_numpys():
    a = oa.asarray(np.arange(4.0), chunks=2)
    with pytest.raises(ValueError, match="both or neither"):
        np.where(a > 1, a)
    with pytest.raises(ValueError):
        np.where(a > 1, a, np.ones(3))


def test_where_is_an_elementwise_node_over_fused_operands():
    a = oa.asarray(np.linspace(0, 1, 10), chunks=4)
    result = np.where(a * 2 + 1 > 2, np.sqrt(a + 1), a * a)
    assert isinstance(result.node, KernelNode)
    plan = Plan(result.node, result.chunks)
    assert any(found is not None for found in
               (plan.fusion.expression_for(node) for node in result.node.inputs))
    assert_like_numpy(result, np.where(np.linspace(0, 1, 10) * 2 + 1 > 2,
                                       np.sqrt(np.linspace(0, 1, 10) + 1),
                                       np.linspace(0, 1, 10) ** 2))


@given(chunked_arrays(max_dims=3), st.data())
def test_select_like_numpy(pair, data):
    values, chunks = pair
    array = oa.asarray(values, chunks=chunks)
    with quiet():
        conditions = [values > 0, values == 1]
        choices = [values, values * 2]
    ocond = [array > 0, array == 1]
    ochoices = [array, array * 2]
    default = data.draw(st.sampled_from([0, -1.5, np.int8(3)]))
    with quiet():
        expected = np.select(conditions, choices, default)
    assert_like_numpy(np.select(ocond, ochoices, default), expected)


def test_select_errors_are_numpys():
    a = oa.asarray(np.arange(4), chunks=3)
    for args in ([[], []], [[a > 1], [a, a]], [[a], [a]]):
        _, error = numpy_result(np.select, *[[np.asarray(x) for x in group] for group in args])
        assert error is not None
        with pytest.raises(type(error)):
            np.select(*args)


def test_clip_forms(case, dtype, rng):
    data, array = _pair(case, dtype, rng)
    low = sample(case[0], dtype, rng)
    for args, kwargs in [((2, 5), {}), ((None, 3), {}), ((-1, None), {}), ((), {"min": 1}),
                         ((), {"max": 0, "min": -3}), ((low, 4), {}), ((None, None), {})]:
        expected, error = numpy_result(np.clip, data, *args, **kwargs)
        if error is not None:
            with pytest.raises(type(error)):
                np.clip(array, *args, **kwargs)
            continue
        assert_like_numpy(np.clip(array, *args, **kwargs), expected)


def test_clip_method_out_and_bound_given_twice(rng):
    data = rng.integers(-300, 300, (6, 5)).astype(np.int16)
    array = oa.asarray(data, chunks=(4, 2))
    assert_like_numpy(array.clip(0, 100), data.clip(0, 100))
    assert_like_numpy(np.clip(array.astype(np.int8), 0, 300), np.clip(data.astype(np.int8), 0,
                                                                        300))
    target = np.empty(data.shape, np.int16)
    assert np.clip(array, -5, 5, out=target) is target
    np.testing.assert_array_equal(target, np.clip(data, -5, 5))
    for args, kwargs in [((1, 2), {"min": 1}), ((1,), {}), ((), {"a_max": 1})]:
        _, error = numpy_result(np.clip, data, *args, **kwargs)
        assert error is not None
        with pytest.raises(type(error)):
            np.clip(array, *args, **kwargs)


def test_round_decimals(case, dtype, rng):
    data, array = _pair(case, dtype, rng)
    with quiet():
        data = data * (123 if dtype.kind in "fc" else 1)
    array = array * (123 if dtype.kind in "fc" else 1)
    for decimals in (0, 1, 2, -1, -2):
        expected, error = numpy_result(np.round, data, decimals)
        assert error is None
        assert_like_numpy(np.round(array, decimals), expected)
    assert_like_numpy(np.around(array, 1), np.around(data, 1))
    assert_like_numpy(array.round(), data.round())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.dtype(np.int32)], ids=str)
def test_nan_to_num(dtype, rng):
    data = sample((4, 7), dtype, rng)
    if dtype.kind == "c":
        data[0, :3] = [complex(np.nan, np.inf), complex(-np.inf, 1), complex(2, -np.inf)]
    array = oa.asarray(data, chunks=(3, 2))
    assert_like_numpy(np.nan_to_num(array), np.nan_to_num(data))
    assert_like_numpy(np.nan_to_num(array, nan=-1, posinf=5, neginf=-5),
                      np.nan_to_num(data, nan=-1, posinf=5, neginf=-5))
    same = array
    assert np.nan_to_num(array, copy=False) is same
    assert_like_numpy(same, np.nan_to_num(data))


def test_isclose_and_allclose(case, dtype, rng):
    data, array = _pair(case, dtype, rng)
    with quiet():
        other = data + (np.asarray(1e-9).astype(data.dtype) if dtype.kind in "fc" else 0)
        if dtype.kind == "b":
            other = data.copy()
    if other.size:
        other.reshape(-1)[0] = 3
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.5, "atol": 1}):
        with quiet():
            expected = np.isclose(data, other, **kwargs)
        assert_like_numpy(np.isclose(array, other, **kwargs), expected)
        with quiet():
            want = np.allclose(data, other, **kwargs)
        got = np.allclose(array, other, **kwargs)
        assert type(got) is bool and got == want


def test_isclose_of_int_against_float_and_broadcasting():
    data = np.arange(12).reshape(3, 4)
    array = oa.asarray(data, chunks=2)
    assert_like_numpy(np.isclose(array, 5), np.isclose(data, 5))
    assert_like_numpy(np.isclose(array, [0.0, 1.0, 2.00001, 3.1]),
                      np.isclose(data, [0.0, 1.0, 2.00001, 3.1]))
    assert_like_numpy(np.isclose(2.0, array), np.isclose(2.0, data))


@given(chunked_arrays(max_dims=3))
def test_array_equal_and_equiv(pair):
    values, chunks = pair
    array = oa.asarray(values, chunks=chunks)
    changed = values.copy()
    if changed.size:
        changed.reshape(-1)[-1] = not changed.reshape(-1)[-1] if changed.dtype == bool else 1
    others = [values, changed, values.reshape(-1)] + ([values[..., :1]] if values.ndim else [])
    for other in others:
        for equal_nan in (False, True):
            with quiet():
                want = np.array_equal(values, other, equal_nan=equal_nan)
            got = np.array_equal(array, other, equal_nan=equal_nan)
            assert type(got) is bool and got == want
        with quiet():
            want = np.array_equiv(values, other)
        got = np.array_equiv(array, other)
        assert type(got) is bool and got == want


@pytest.mark.parametrize("dtype", DTYPES + [np.dtype(np.complex64)], ids=str)
def test_real_imag_and_complex_predicates(dtype, rng):
    data = sample((5, 3), dtype, rng)
    array = oa.asarray(data, chunks=(2, 2))
    assert_like_numpy(np.real(array), np.real(data))
    assert_like_numpy(np.imag(array), np.imag(data))
    assert_like_numpy(array.real, data.real)
    assert_like_numpy(array.imag, data.imag)
    assert np.iscomplexobj(array) is np.iscomplexobj(data)
    assert np.isrealobj(array) is np.isrealobj(data)
