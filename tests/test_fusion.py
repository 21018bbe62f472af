"""Fusion: elementwise chains become one numexpr expression and one task per output chunk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_like_numpy, chunkings, quiet, record_unfused, sample
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ooarray as oa
from ooarray.plan.fuse import FusedExpression
from ooarray.plan.lower import Plan

SHAPE, CHUNKS = (9, 10), (4, 3)


def plan_of(result: oa.OOArray) -> Plan:
    return Plan(result.node, result.chunks)


def count_tasks(result: oa.OOArray) -> tuple[np.ndarray, int]:
    with oa.collect_stats() as stats, quiet():
        value = result.compute()
    return value, stats.tasks


def operands(dtype, rng, count=3, shapes=None):
    shapes = shapes or [SHAPE] * count
    arrays = [sample(shape, dtype, rng, low=1, high=5, special=False) for shape in shapes]
    return arrays, [oa.asarray(x, chunks=CHUNKS[-len(x.shape):]) for x in arrays]


@pytest.fixture
def count_unfused(monkeypatch):
    """Count ElementwiseNode.compute calls (each is one NumPy pass outside numexpr)."""
    return record_unfused(monkeypatch)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: t.__name__)
def test_chain_is_one_expression_and_one_task_per_chunk(dtype, rng, count_unfused):
    (x, y, z), (a, b, c) = operands(dtype, rng)
    result = np.sqrt(a * a + b * b) / (c + 1)
    fused = plan_of(result).fusion.expression_for(result.node)
    assert isinstance(fused, FusedExpression)
    assert sorted(leaf.id for leaf in fused.leaves) == sorted(n.node.id for n in (a, b, c))
    assert "sqrt" in fused.expression
    value, tasks = count_tasks(result)
    assert tasks == result.npartitions == math.prod(len(c) for c in result.chunks)
    assert count_unfused == []
    assert_like_numpy(result, np.sqrt(x * x + y * y) / (z + 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: t.__name__)
def test_python_scalars_keep_float32_chains_float32(dtype, rng):
    (x, y, _), (a, b, _) = operands(dtype, rng)
    result = np.exp(-(a * 0.5)) + 2.0 * b - 1
    assert plan_of(result).fusion.expression_for(result.node) is not None
    assert_like_numpy(result, np.exp(-(x * 0.5)) + 2.0 * y - 1)


def test_max_task_bytes_is_one_chunk_per_leaf_not_per_operator(rng):
    (x, y, z), (a, b, c) = operands(np.float64, rng)
    result = np.sqrt(a * a + b * b) / (c + 1) - np.sin(a) * np.cos(b)
    chunk_bytes = math.prod(CHUNKS) * 8
    plan = plan_of(result)
    assert plan.fusion.expression_for(result.node) is not None
    # The output chunk, and nothing per operator (the operands are in-memory views).
    assert plan.max_task_bytes <= chunk_bytes
    assert_like_numpy(result, np.sqrt(x * x + y * y) / (z + 1) - np.sin(x) * np.cos(y))


def test_complex_chain_matches_numpy_in_one_task_per_chunk(rng):
    (x, y, z), (a, b, c) = operands(np.complex128, rng)
    result = np.sqrt(a * a + b * b) / (c + 1)
    value, tasks = count_tasks(result)
    assert tasks == result.npartitions
    assert_like_numpy(result, np.sqrt(x * x + y * y) / (z + 1))
    linear = a + b - c
    fused = plan_of(linear).fusion.expression_for(linear.node)
    assert isinstance(fused, FusedExpression)
    assert_like_numpy(linear, x + y - z)


def test_complex_special_values_are_numpys():
    values = np.array([complex(r, i) for r in (0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan)
                       for i in (0.0, -0.0, 1.0, -2.5, 3.0, np.inf, -np.inf, np.nan)])
    a = oa.asarray(values, chunks=7)
    for func in (np.sqrt, np.exp, np.sin, np.cosh, np.arcsin, np.arccos, np.arctan, np.arcsinh,
                 np.arctanh, np.arccosh, np.tanh, np.log):
        with quiet():
            expected = func(values)
        assert_like_numpy(func(a), expected)
    with quiet():
        assert_like_numpy(a * a[::-1] + a / (a + 1j) + a ** a[::-1],
                          values * values[::-1] + values / (values + 1j)
                          + values ** values[::-1])


@pytest.mark.parametrize("left, right", [(np.int32, np.float64), (np.int64, np.float32),
                                         (np.int8, np.float32), (np.uint8, np.float64),
                                         (np.bool_, np.float32), (np.int64, np.int32)])
def test_mixed_integer_and_float_chains(left, right, rng):
    x = sample(SHAPE, left, rng, low=-5, high=5)
    y = sample(SHAPE, right, rng, low=1, high=5, special=False)
    a, b = oa.asarray(x, chunks=CHUNKS), oa.asarray(y, chunks=CHUNKS)
    with quiet():
        expected = np.sqrt(x * y + y * y) * 3 - x / (y + 1)
    result = np.sqrt(a * b + b * b) * 3 - a / (b + 1)
    _, tasks = count_tasks(result)
    assert tasks == result.npartitions
    assert_like_numpy(result, expected)


def test_integer_arithmetic_is_numpys_not_numexprs(rng):
    x = np.array([[100, 120, -128], [127, 5, -7]], np.int8)
    y = np.array([[3, -2, 0], [0, 5, 2]], np.int32)
    a, b = oa.asarray(x, chunks=2), oa.asarray(y, chunks=2)
    with quiet():
        assert_like_numpy(a * a + a, x * x + x)
        assert_like_numpy((a + b) // (b + 1) + a % 3, (x + y) // (y + 1) + x % 3)
        assert_like_numpy(a.astype(np.int64) * 2**40 + b, x.astype(np.int64) * 2**40 + y)


def test_ufuncs_numexpr_lacks_run_in_the_same_task(rng, count_unfused):
    (x, y, z), (a, b, c) = operands(np.float64, rng)
    result = np.sqrt(np.cbrt(a) * b + np.logaddexp(b, c)) - np.rint(c) * 2
    fused = plan_of(result).fusion.expression_for(result.node)
    assert isinstance(fused, FusedExpression)
    assert {getattr(leaf, "func", None) for leaf in fused.leaves} >= {np.cbrt, np.logaddexp,
                                                                       np.rint}
    value, tasks = count_tasks(result)
    assert tasks == result.npartitions
    assert set(count_unfused) == {np.cbrt, np.logaddexp, np.rint}
    assert_like_numpy(result, np.sqrt(np.cbrt(x) * y + np.logaddexp(y, z)) - np.rint(z) * 2)


def test_broadcast_operands_and_constants_in_a_chain(rng):
    x = sample((9, 10), np.float32, rng, special=False)
    row = sample((10,), np.float32, rng, special=False)
    col = sample((9, 1), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=(4, 3))
    result = (a - row) * col + np.float32(0.5) * np.abs(a)
    _, tasks = count_tasks(result)
    assert tasks == result.npartitions
    assert_like_numpy(result, (x - row) * col + np.float32(0.5) * np.abs(x))


def test_shared_subexpression_in_a_chain(rng):
    (x, y, _), (a, b, _) = operands(np.float64, rng)
    t = a * b + 1
    result = t * t - np.sin(t)
    _, tasks = count_tasks(result)
    assert tasks == result.npartitions
    assert_like_numpy(result, (x * y + 1) * (x * y + 1) - np.sin(x * y + 1))


def test_boolean_chain(rng):
    (x, y, _), (a, b, _) = operands(np.float64, rng)
    result = ((a > 2) & ~(b < 3)) | np.isnan(a)
    assert plan_of(result).fusion.expression_for(result.node) is not None
    assert_like_numpy(result, ((x > 2) & ~(y < 3)) | np.isnan(x))
    i, j = x.astype(np.int32), y.astype(np.int32)
    ai, bj = oa.asarray(i, chunks=CHUNKS), oa.asarray(j, chunks=CHUNKS)
    assert_like_numpy((ai & bj) | ~ai, (i & j) | ~i)


def test_reduction_over_a_fused_chain(rng):
    (x, y, z), (a, b, c) = operands(np.float64, rng)
    result = (np.sqrt(a * a + b * b) / (c + 1)).sum(axis=0)
    assert_like_numpy(result, (np.sqrt(x * x + y * y) / (z + 1)).sum(axis=0))
    plan = plan_of(result)
    partial = plan.stages[0]
    assert plan.fusion.expression_for(partial.inputs[0]) is not None
    # One partial task per input chunk, one combine task per output chunk, and the sink.
    _, tasks = count_tasks(result)
    blocks = math.prod(a.numblocks)
    assert tasks == blocks + 2 * a.numblocks[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128],
                         ids=lambda t: t.__name__)
def test_chain_over_slices_and_transposes(dtype, rng):
    x = sample((8, 8), dtype, rng, special=False)
    a = oa.asarray(x, chunks=3)
    result = a[::-2, 1:] * a.T[1::2, :-1] + 1
    assert_like_numpy(result, x[::-2, 1:] * x.T[1::2, :-1] + 1)


# -- random programs ---------------------------------------------------------------------------
EPS = np.finfo(np.float64).eps


class Value:
    """One value of a random program, in NumPy and in ooarray, with its bound on |value| and
    on the rounding error it may carry (order of operations differs between the two)."""

    def __init__(self, x, a, bound, error):
        self.x, self.a, self.bound, self.error = x, a, float(bound), float(error)


def _binary(op, p: Value, q: Value) -> Value:
    x, a = op(p.x, q.x), op(p.a, q.a)
    if op is np.multiply:
        bound = p.bound * q.bound
        error = p.bound * q.error + q.bound * p.error + EPS * bound
    elif op in (np.maximum, np.minimum):
        bound, error = max(p.bound, q.bound), max(p.error, q.error)
    else:  # add, subtract
        bound = p.bound + q.bound
        error = p.error + q.error + EPS * bound
    return Value(x, a, bound, error)


def _unary(op, p: Value) -> Value:
    if op in (np.sin, np.cos, np.tanh):
        return Value(op(p.x), op(p.a), 1.0, p.error + 2 * EPS)
    return Value(op(p.x), op(p.a), p.bound, p.error)  # negative, absolute


@given(data=st.data())
def test_random_programs_match_numpy(data):
    """Random chains of elementwise ops, slices, transposes and reductions on random grids."""
    integer = data.draw(st.booleans(), label="integer")
    dtype = np.int64 if integer else np.float64
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
                      label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    pool = []
    for _ in range(2):
        x = sample(shape, dtype, rng, special=False, low=-3, high=3)
        chunks = data.draw(chunkings(shape), label="chunks")
        pool.append(Value(x, oa.asarray(x, chunks=chunks), 3, 0))
    binary = [np.add, np.subtract, np.multiply, np.maximum, np.minimum]
    unary = [np.negative, np.absolute] + ([] if integer else [np.sin, np.cos, np.tanh])
    for _ in range(data.draw(st.integers(1, 7), label="steps")):
        kind = data.draw(st.sampled_from(["binary", "binary", "unary", "slice", "transpose",
                                          "reduce", "scalar"]), label="kind")
        p = data.draw(st.sampled_from(pool), label="operand")
        if kind == "binary":
            q = data.draw(st.sampled_from(pool), label="other")
            try:
                np.broadcast_shapes(p.x.shape, q.x.shape)
            except ValueError:
                continue
            new = _binary(data.draw(st.sampled_from(binary), label="op"), p, q)
        elif kind == "unary":
            new = _unary(data.draw(st.sampled_from(unary), label="op"), p)
        elif kind == "scalar":
            scalar = data.draw(st.sampled_from([2, -1, 0.5] if not integer else [2, -1, 3]),
                               label="scalar")
            new = _binary(np.multiply, p, Value(scalar, scalar, abs(scalar), 0))
        elif kind == "slice":
            index = data.draw(hnp.basic_indices(p.x.shape, allow_newaxis=True), label="index")
            new = Value(p.x[index], p.a[index], p.bound, p.error)
        elif kind == "transpose":
            axes = data.draw(st.permutations(range(p.x.ndim)), label="axes")
            new = Value(p.x.transpose(axes), p.a.transpose(axes), p.bound, p.error)
        else:
            if p.x.size == 0:
                continue
            funcs = [np.sum, np.max, np.min] + ([np.argmin, np.argmax] if integer else
                                                [np.mean])
            func = data.draw(st.sampled_from(funcs), label="reduction")
            axis = data.draw(st.sampled_from([None, *range(p.x.ndim)]), label="axis")
            keepdims = data.draw(st.booleans(), label="keepdims")
            count = p.x.size if axis is None else (p.x.shape[axis] if p.x.ndim else 1)
            bound = count * p.bound if func is np.sum else p.bound
            error = count * (p.error + EPS * bound) if func is np.sum else p.error + EPS * bound
            if func in (np.argmin, np.argmax):
                bound, error = p.x.size, 0
            new = Value(func(p.x, axis=axis, keepdims=keepdims),
                        func(p.a, axis=axis, keepdims=keepdims), bound, error)
        pool.append(new)
    result = pool[-1]
    if integer:
        assert_like_numpy(result.a, result.x)
    else:
        assert_like_numpy(result.a, result.x, rtol=0, atol=4 * result.error + 1e-300)


def test_numpy_scalar_constants_join_the_expression(rng):
    (x, _, _), (a, _, _) = operands(np.float32, rng)
    pairs = [(np.float64(2) * a + np.float32(1), np.float64(2) * x + np.float32(1)),
             (a * np.float32(3) - np.array(0.5), x * np.float32(3) - np.array(0.5))]
    for result, expected in pairs:
        assert isinstance(plan_of(result).fusion.expression_for(result.node), FusedExpression)
        assert_like_numpy(result, expected)


_POWER_BASES = [-np.inf, -4.0, -0.0, 0.0, np.inf, np.nan, -1.0, 1.0, 4.0, 2.0]
POWER_CHAINS = {
    "power(a,e)": lambda a, e: np.power(a, e), "a**e": lambda a, e: a ** e,
    "power(a*1,e)+1": lambda a, e: np.power(a * 1, e) + 1,
    "sqrt(power(a,e))": lambda a, e: np.sqrt(np.power(a, e)),
}


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("exponent", [0.5, np.float32(0.5), np.float64(0.5), np.array(0.5),
                                      -0.5, 1.5, 2.0], ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int64], ids=str)
@pytest.mark.parametrize("chain", POWER_CHAINS.values(), ids=POWER_CHAINS.keys())
def test_power_by_a_half_is_numpys_square_root(chain, dtype, exponent, eager):
    """NumPy's power loop takes the square root for a scalar exponent 0.5: power(-inf, 0.5)
    is nan and power(-0.0, 0.5) is -0.0, where C's pow (and numexpr's, which fused chains
    used) gives inf and 0.0. Bit for bit, NaN signs included."""
    x = np.array(_POWER_BASES if np.dtype(dtype).kind == "f" else [-4, 0, 1, 4, 9], dtype)
    with quiet():
        expected = chain(x, exponent)
        with oa.config.set(eager_bytes="1MiB" if eager else 0):
            got = np.asarray(chain(oa.asarray(x, chunks=3), exponent))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
