"""Every NumPy ufunc's ``__call__`` against NumPy: dtypes, operand mixes, broadcasting, errors."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from helpers import (
    DTYPES,
    assert_all_like_numpy,
    assert_like_numpy,
    chunkings,
    numpy_result,
    quiet,
    sample,
)
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa

#: Every ufunc in the numpy namespace that is elementwise (signature None).
UFUNCS = sorted({getattr(np, name) for name in dir(np)
                 if isinstance(getattr(np, name), np.ufunc)
                 and getattr(np, name).signature is None}, key=lambda u: u.__name__)
UNARY = [u for u in UFUNCS if u.nin == 1]
BINARY = [u for u in UFUNCS if u.nin == 2]


def check(numpy_call, ooarray_call):
    """Run both; NumPy's error type must be ooarray's, else results must match."""
    expected, error = numpy_result(numpy_call)
    if error is not None:
        with pytest.raises(type(error)):
            with quiet():
                result = ooarray_call()
                for part in result if isinstance(result, tuple) else (result,):
                    part.compute()
        return
    with quiet():
        result = ooarray_call()
    assert_all_like_numpy(result, expected)


def test_ufunc_list_is_complete():
    assert len(UFUNCS) > 80
    assert {np.divmod, np.modf, np.frexp, np.ldexp, np.isnat} <= set(UFUNCS)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary_ufunc(ufunc, dtype, rng):
    x = sample((5, 6), dtype, rng)
    a = oa.asarray(x, chunks=(2, 4))
    check(lambda: ufunc(x), lambda: ufunc(a))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("mix", ["oo-oo", "oo-nd", "nd-oo", "oo-0d", "0d-oo"])
def test_binary_ufunc_operand_mixes(ufunc, dtype, mix, rng):
    x = sample((5, 6), dtype, rng)
    y = sample((6,), dtype, rng, special=False)
    if ufunc in (np.left_shift, np.right_shift, np.ldexp) and dtype.kind in "iu":
        y = sample((6,), dtype, rng, low=0, high=5)
    if mix.startswith("0d"):
        x = x[1, 2]
    elif mix.endswith("0d"):
        y = y[3]
    wrap = {"oo": lambda v, c: oa.asarray(v, chunks=c), "nd": lambda v, c: v,
            "0d": lambda v, c: v}
    first, second = mix.split("-")
    a = wrap[first](x, (2, 4) if np.ndim(x) == 2 else 4)
    b = wrap[second](y, 4)
    check(lambda: ufunc(x, y), lambda: ufunc(a, b))


SCALARS = [True, 3, -2, 300, 2**70, 2.5, -0.0, float("nan"), 1 + 2j]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.subtract, np.true_divide,
                                   np.floor_divide, np.power, np.maximum, np.equal,
                                   np.arctan2, np.bitwise_and, np.remainder],
                         ids=lambda u: u.__name__)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("side", ["left", "right"])
def test_python_scalars_follow_nep50(ufunc, scalar, side, dtype, rng):
    x = sample((4, 3), dtype, rng, low=1, high=5)
    a = oa.asarray(x, chunks=(3, 2))
    if side == "left":
        check(lambda: ufunc(scalar, x), lambda: ufunc(scalar, a))
    else:
        check(lambda: ufunc(x, scalar), lambda: ufunc(a, scalar))


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("scalar_type", [np.int8, np.uint8, np.int64, np.uint64, np.float32,
                                         np.float64, np.complex128, np.bool_],
                         ids=lambda t: t.__name__)
def test_numpy_scalars_and_0d_arrays_are_strong(scalar_type, dtype, rng):
    x = sample((6,), dtype, rng, low=1, high=5)
    a = oa.asarray(x, chunks=4)
    for s in (scalar_type(3), np.array(3, scalar_type)):  # 0-d arrays are strong too
        check(lambda: x * s, lambda: a * s)  # noqa: B023 (called at once)
        check(lambda: s - x, lambda: s - a)  # noqa: B023
        check(lambda: np.add(s, x), lambda: np.add(s, a))  # noqa: B023


def test_float32_times_python_float_stays_float32():
    x = np.linspace(0, 1, 7, dtype=np.float32)
    a = oa.asarray(x, chunks=3)
    assert_like_numpy(a * 2.0, x * 2.0)
    assert (a * 2.0).dtype == np.float32


def test_int8_plus_out_of_range_python_int_raises_overflow():
    a = oa.asarray(np.arange(5, dtype=np.int8), chunks=2)
    with pytest.raises(OverflowError):
        np.arange(5, dtype=np.int8) + 300
    with pytest.raises(OverflowError):
        a + 300
    with pytest.raises(OverflowError):
        oa.asarray(np.arange(5, dtype=np.uint8)) - (-1)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("left", DTYPES, ids=str)
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.true_divide, np.power, np.maximum,
                                   np.less, np.arctan2, np.hypot, np.remainder,
                                   np.copysign, np.logical_xor, np.bitwise_or],
                         ids=lambda u: u.__name__)
def test_mixed_dtype_promotion(ufunc, left, dtype, rng):
    x = sample((3, 1, 4), left, rng, low=0, high=4)
    y = sample((5, 1), dtype, rng, low=0, high=4)
    a = oa.asarray(x, chunks=(2, 1, 3))
    b = oa.asarray(y, chunks=(2, 1))
    check(lambda: ufunc(x, y), lambda: ufunc(a, b))


@given(data=st.data())
def test_random_ufunc_shapes_and_chunks(data):
    ufunc = data.draw(st.sampled_from(UFUNCS), label="ufunc")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    shape = data.draw(st.lists(st.integers(0, 5), max_size=4).map(tuple), label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    arrays, operands = [], []
    for position in range(ufunc.nin):
        # Drop leading axes or set sides to 1 so that operands broadcast.
        lead = data.draw(st.integers(0, len(shape)), label="lead") if position else 0
        own = tuple(n if data.draw(st.booleans(), label="keep") else 1 for n in shape[lead:]) \
            if position else shape
        x = sample(own, dtype, rng)
        arrays.append(x)
        operands.append(oa.asarray(x, chunks=data.draw(chunkings(own), label="chunks")))
    check(lambda: ufunc(*arrays), lambda: ufunc(*operands))


@pytest.mark.parametrize("ufunc", [np.divmod, np.modf, np.frexp], ids=lambda u: u.__name__)
def test_multi_output_ufuncs_return_tuples(ufunc, rng):
    x = sample((7, 3), np.float64, rng)
    a = oa.asarray(x, chunks=(3, 2))
    args = (x, 2.5) if ufunc is np.divmod else (x,)
    oo_args = (a, 2.5) if ufunc is np.divmod else (a,)
    result = ufunc(*oo_args)
    assert isinstance(result, tuple) and len(result) == ufunc.nout
    check(lambda: ufunc(*args), lambda: ufunc(*oo_args))


def test_divmod_builtin_returns_tuple(rng):
    x = sample((9,), np.int64, rng, low=-20, high=20)
    a = oa.asarray(x, chunks=4)
    check(lambda: divmod(x, 7), lambda: divmod(a, 7))
    check(lambda: divmod(x, -7), lambda: divmod(a, -7))


OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.pow, operator.lshift, operator.rshift, operator.and_,
             operator.or_, operator.xor, operator.lt, operator.le, operator.eq, operator.ne,
             operator.gt, operator.ge]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
def test_python_operators(op, dtype, rng):
    x = sample((4, 5), dtype, rng, low=0, high=6)
    y = sample((5,), dtype, rng, low=1, high=4, special=False)
    a = oa.asarray(x, chunks=(3, 2))
    b = oa.asarray(y, chunks=2)
    check(lambda: op(x, y), lambda: op(a, b))
    check(lambda: op(x, y), lambda: op(a, y))
    check(lambda: op(x, y), lambda: op(x, b))
    check(lambda: op(x, 2), lambda: op(a, 2))
    check(lambda: op(2, y), lambda: op(2, b))


@pytest.mark.parametrize("op", [operator.neg, operator.pos, operator.invert, abs],
                         ids=lambda f: f.__name__)
def test_unary_operators(op, dtype, rng):
    x = sample((4, 5), dtype, rng)
    a = oa.asarray(x, chunks=(3, 2))
    check(lambda: op(x), lambda: op(a))


@pytest.mark.parametrize("shapes", [((3, 4), (5,)), ((2, 3), (3, 2)), ((4, 2), (2, 4, 3))])
def test_broadcast_mismatch_raises_value_error(shapes):
    x, y = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises(ValueError):
        x + y
    with pytest.raises(ValueError):
        oa.asarray(x) + oa.asarray(y)
    with pytest.raises(ValueError):
        oa.asarray(x) + y
    with pytest.raises(ValueError):
        np.arctan2(x, oa.asarray(y))


@pytest.mark.parametrize("ufunc, dtype", [(np.logaddexp, np.complex128),
                                          (np.bitwise_and, np.float64),
                                          (np.invert, np.float32), (np.isnat, np.int64),
                                          (np.gcd, np.complex128), (np.floor, np.complex128),
                                          (np.left_shift, np.float64)])
def test_missing_loop_raises_numpys_type_error(ufunc, dtype):
    x = np.ones((3,), dtype)
    with pytest.raises(TypeError) as expected:
        ufunc(*(x,) * ufunc.nin)
    with pytest.raises(type(expected.value)):
        ufunc(*(oa.asarray(x),) * ufunc.nin)


def test_integer_zero_division_and_negative_power_match_numpy(rng):
    x = np.array([5, -3, 0, 7, -8], np.int32)
    y = np.array([0, 2, 0, -1, 3], np.int32)
    a, b = oa.asarray(x, chunks=2), oa.asarray(y, chunks=3)
    check(lambda: x // y, lambda: a // b)
    check(lambda: x % y, lambda: a % b)
    check(lambda: np.fmod(x, y), lambda: np.fmod(a, b))
    check(lambda: x ** y, lambda: a ** b)  # ValueError: negative integer powers


def test_integer_overflow_wraps_like_numpy():
    x = np.array([100, 120, -128, 127], np.int8)
    a = oa.asarray(x, chunks=3)
    check(lambda: x * x + x, lambda: a * a + a)
    check(lambda: -x, lambda: -a)
    check(lambda: np.abs(x), lambda: np.abs(a))
    u = np.array([0, 1, 2**64 - 1], np.uint64)
    check(lambda: u + np.uint64(1), lambda: oa.asarray(u, chunks=2) + np.uint64(1))


def test_dtype_and_casting_keywords(rng):
    x = sample((6, 4), np.int32, rng)
    a = oa.asarray(x, chunks=(4, 3))
    check(lambda: np.add(x, 1, dtype=np.float32), lambda: np.add(a, 1, dtype=np.float32))
    check(lambda: np.sqrt(x, dtype=np.float32), lambda: np.sqrt(a, dtype=np.float32))
    check(lambda: np.add(x, x, dtype=np.int8, casting="unsafe"),
          lambda: np.add(a, a, dtype=np.int8, casting="unsafe"))
    check(lambda: np.add(x, x, dtype=np.int8), lambda: np.add(a, a, dtype=np.int8))
    check(lambda: np.multiply(x, 2.5, casting="no"), lambda: np.multiply(a, 2.5, casting="no"))


def test_unsupported_ufunc_arguments_raise_type_error():
    a = oa.asarray(np.arange(6.0), chunks=4)
    with pytest.raises(TypeError, match="where"):
        np.add(a, 1, out=np.zeros(6), where=np.arange(6) > 2)  # an ndarray out with where=
    with pytest.raises(TypeError):
        np.add(a, 1, extobj=None)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.divmod, np.sqrt, np.maximum],
                         ids=lambda u: u.__name__)
@pytest.mark.parametrize("mask_kind", ["ndarray", "ooarray", "row"])
def test_where_keeps_out_where_the_mask_is_false(ufunc, mask_kind, rng):
    x = rng.standard_normal((5, 6)) + 3
    y = rng.standard_normal((5, 6)) + 3
    mask = rng.random((5, 6) if mask_kind != "row" else (6,)) > 0.4
    inputs = (x, y)[:ufunc.nin]
    arrays = tuple(oa.asarray(v, chunks=(2, 4)) for v in inputs)
    where = oa.asarray(mask, chunks=3) if mask_kind == "ooarray" else mask
    outs_np = tuple(np.full((5, 6), -7.0) for _ in range(ufunc.nout))
    outs_oa = tuple(oa.asarray(o.copy(), chunks=3) for o in outs_np)
    expected = ufunc(*inputs, out=outs_np if ufunc.nout > 1 else outs_np[0], where=mask)
    result = ufunc(*arrays, out=outs_oa if ufunc.nout > 1 else outs_oa[0], where=where)
    for got, want in zip(result if ufunc.nout > 1 else (result,),
                         expected if ufunc.nout > 1 else (expected,)):
        assert_like_numpy(got, want)
    # without out=, the selected values are NumPy's (the rest is unspecified in NumPy)
    free = ufunc(*arrays, out=(None,) * ufunc.nout if ufunc.nout > 1 else None, where=where)
    first = (free[0] if ufunc.nout > 1 else free).compute()
    want = expected[0] if ufunc.nout > 1 else expected
    np.testing.assert_allclose(first[np.broadcast_to(mask, (5, 6))],
                               want[np.broadcast_to(mask, (5, 6))], rtol=1e-12)


def test_where_errors_like_numpy():
    a = oa.asarray(np.arange(6.0), chunks=4)
    x = np.arange(6.0)
    for kwargs in ({"out": None, "where": np.ones(6, np.int64)},):
        with pytest.raises(TypeError):
            np.add(x, 1, **kwargs)
        with pytest.raises(TypeError):
            np.add(a, 1, **kwargs)
    with pytest.raises(TypeError):  # float into int out under same_kind: NumPy's UFuncTypeError
        np.add(a, 1.5, out=oa.zeros(6, dtype=np.int64), where=np.ones(6, bool))


def test_ufunc_on_strings_or_objects_raises_type_error():
    with pytest.raises(TypeError):
        oa.asarray(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        oa.asarray(np.arange(3.0)) + np.array([object(), 1, 2], dtype=object)


def test_out_ndarray_receives_values(rng):
    x = sample((5, 4), np.float64, rng)
    a = oa.asarray(x, chunks=(2, 3))
    target = np.zeros((5, 4))
    result = np.multiply(a, 2, out=target)
    assert result is target
    np.testing.assert_array_equal(target, x * 2)


def test_out_ooarray_rebinds(rng):
    x = sample((5, 4), np.float64, rng)
    a = oa.asarray(x, chunks=(2, 3))
    b = oa.zeros((5, 4), chunks=2)
    result = np.add(a, 1, out=b)
    assert result is b
    assert_like_numpy(b, x + 1)
    with pytest.raises(ValueError):
        np.add(a, 1, out=oa.zeros((4,)))


def test_broadcast_outer_product_is_chunked_within_the_budget(rng):
    x = sample((3000, 1), np.float64, rng, special=False)
    y = sample((1, 2000), np.float64, rng, special=False)
    with oa.config.set(memory_limit="16MB"):
        a = oa.asarray(x)  # one chunk each: broadcasting alone makes the big chunks
        z = a * oa.asarray(y) + y
        assert math.prod(z.chunksize) * 8 <= 2**20
        assert_like_numpy(z.sum(axis=0), (x * y + y).sum(axis=0))
    same = oa.asarray(x, chunks=(700, 1)) * 2
    assert same.chunks == oa.asarray(x, chunks=(700, 1)).chunks


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_errstate_around_compute_applies_to_the_computation(executor):
    # Integer division runs with NumPy (numexpr ignores np.errstate altogether).
    x = np.arange(6)
    a = oa.asarray(x, chunks=2)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        x // (x - x)
    with oa.config.set(executor=executor):
        result = a // (a - a)
        raised = False
        with np.errstate(divide="raise"):
            try:
                result.compute()
            except FloatingPointError:
                raised = True
        assert raised, "np.errstate(divide='raise') did not reach the tasks"


PRECEDENCE_DTYPES = [np.bool_, np.int8, np.float64, np.complex64]
_INPLACE = {"+=": operator.iadd, "&=": operator.iand, "/=": operator.itruediv,
            "<<=": operator.ilshift, "-=": operator.isub}


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("other_kind", ["ndarray", "ooarray"])
@pytest.mark.parametrize("y_dtype", PRECEDENCE_DTYPES, ids=str)
@pytest.mark.parametrize("x_dtype", PRECEDENCE_DTYPES, ids=str)
def test_dtype_errors_come_before_broadcasting_errors(x_dtype, y_dtype, other_kind, eager):
    """Found by the differential test: ``ones(2) & ones(3)`` (no loop for the dtypes, shapes
    that do not broadcast) raised ValueError, and ``a += ones(3)`` with ``a`` int8 of shape
    (2,) too; NumPy resolves the loop and the output cast first (TypeError, UFuncTypeError).
    Operators, ufuncs and in-place operators, planned and eager, several chunkings."""
    x, y = np.ones(2, x_dtype), np.ones((3,), y_dtype)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        for chunks in (1, -1):
            def operand():
                return oa.asarray(y, chunks=chunks) if other_kind == "ooarray" else y
            for func in (operator.and_, operator.add, np.ldexp, np.arctan2,
                         operator.floordiv):
                _, error = numpy_result(func, x, y)
                with pytest.raises(type(error)), quiet():
                    func(oa.asarray(x, chunks=chunks), operand()).compute()
            for symbol, func in _INPLACE.items():
                _, error = numpy_result(func, x.copy(), y)
                a = oa.asarray(x, chunks=chunks)
                with pytest.raises(type(error)), quiet():
                    a = func(a, operand())
                    a.compute()
                np.testing.assert_array_equal(a.compute(), x)  # unchanged
