"""Elementwise odds (issue 16, item 5): angle, fix, sinc, i0, real_if_close, iscomplex, isreal,
isposinf, isneginf, array endpoints of linspace/logspace/geomspace, numpy.emath; each against
NumPy over shapes, chunkings and dtypes, errors of NumPy's types, and the fused chains."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import CASES, DTYPES, assert_like_numpy, numpy_result, quiet, record_unfused, sample

import ooarray as oa
from ooarray.plan.fuse import FusedExpression
from ooarray.plan.lower import Plan

pytestmark = pytest.mark.usefixtures("sync_executor")

#: 0-d, empty, ragged 1-D, uneven chunks, 2-D and 3-D grids.
SOME_CASES = [CASES[i] for i in (0, 1, 5, 6, 7, 9)]
UNARY = {
    "angle": np.angle,
    "angle_deg": lambda x: np.angle(x, deg=True),
    "fix": np.fix,
    "sinc": np.sinc,
    "i0": np.i0,
    "iscomplex": np.iscomplex,
    "isreal": np.isreal,
    "isposinf": np.isposinf,
    "isneginf": np.isneginf,
    "real_if_close": np.real_if_close,
}
EMATH = {name: getattr(np.emath, name)
         for name in ("sqrt", "log", "log2", "log10", "arccos", "arcsin", "arctanh")}


def check(func, x: np.ndarray, a: oa.OOArray) -> None:
    """``func`` on the OOArray gives NumPy's values and dtype, or NumPy's exception type."""
    expected, error = numpy_result(func, x)
    if error is not None:
        with pytest.raises(type(error)), quiet():
            func(a)
        return
    with quiet():
        result = func(a)
    if isinstance(result, np.generic):  # known without computing: NumPy's own scalar
        assert type(result) is type(expected) and result == expected
        return
    assert_like_numpy(result, expected)


def ids(case):
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("case", SOME_CASES, ids=ids)
def test_unary_like_numpy(name, case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    check(UNARY[name], x, oa.asarray(x, chunks=chunks))


@pytest.mark.parametrize("name", sorted(EMATH))
@pytest.mark.parametrize("inside", [True, False], ids=["real-domain", "complex-switch"])
@pytest.mark.parametrize("case", SOME_CASES, ids=ids)
def test_emath_like_numpy(name, inside, case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng, special=False)
    if inside:  # every element in the real domain: a real result, as NumPy's
        x = (np.abs(x) / 20).astype(dtype) if dtype.kind == "f" else np.abs(x).astype(dtype)
        if name.startswith("arc") and dtype.kind in "iub":
            x = (x > 0).astype(dtype)
    check(EMATH[name], x, oa.asarray(x, chunks=chunks))


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.complex128, np.float32],
                         ids=str)
def test_emath_logn_and_power(dtype, rng):
    x = sample((5, 6), dtype, rng, special=False)
    a = oa.asarray(x, chunks=(2, 4))
    with quiet():
        assert_like_numpy(np.emath.logn(3, a), np.emath.logn(3, x))
        assert_like_numpy(np.emath.logn(a, 4.0), np.emath.logn(x, 4.0))
        assert_like_numpy(np.emath.power(a, 2), np.emath.power(x, 2))
        assert_like_numpy(np.emath.power(np.abs(a), 0.5), np.emath.power(np.abs(x), 0.5))
        assert_like_numpy(np.emath.power(2, a), np.emath.power(2, x))


def test_real_if_close_decides_on_the_whole_array():
    close = np.array([2.1 + 4e-15j, 5.2, 1.0 - 1e-16j, 3.0])
    far = close.copy()
    far[3] += 1e-10j
    for x in (close, far):
        for tol in (100, 1e-9, 0.5):
            assert_like_numpy(np.real_if_close(oa.asarray(x, chunks=2), tol=tol),
                              np.real_if_close(x, tol=tol))
    same = oa.asarray(np.arange(3.0))
    assert np.real_if_close(same) is same


@pytest.mark.parametrize("func", [np.isposinf, np.isneginf])
def test_isinf_sign_out(func):
    x = np.array([-np.inf, 0.0, np.inf, np.nan, -1.0])
    a = oa.asarray(x, chunks=2)
    out = np.zeros(5, int)
    assert func(a, out) is out
    np.testing.assert_array_equal(out, func(x, np.zeros(5, int)))
    target = oa.zeros(5, bool)
    assert func(a, out=target) is target
    assert_like_numpy(target, func(x))
    with pytest.raises(TypeError):
        func(oa.asarray(np.array([1j])))


def test_fix_out():
    x = np.array([2.5, -2.5, 3.0])
    target = oa.zeros(3)
    assert np.fix(oa.asarray(x), out=target) is target
    assert_like_numpy(target, np.fix(x))


def test_i0_refuses_complex():
    with pytest.raises(TypeError):
        np.i0(oa.asarray(np.array([1j])))


# -- fusion --------------------------------------------------------------------------------
def fused(result: oa.OOArray) -> FusedExpression | None:
    return Plan(result.node, result.chunks).fusion.expression_for(result.node)


@pytest.fixture
def unfused_calls(monkeypatch):
    """The ufuncs evaluated outside numexpr (one NumPy pass each)."""
    return record_unfused(monkeypatch)


CHAINS = {
    "sinc": (lambda m: m.sinc(m.x) * 2 + 1, "sin"),
    "angle": (lambda m: m.angle(m.x, deg=True) + 1, "arctan2"),
    "isposinf|isneginf": (lambda m: m.isposinf(m.x) | m.isneginf(m.x * 2), "isinf"),
    "isreal": (lambda m: m.isreal(m.x) & (m.x > 0), "=="),
    "emath.sqrt": (lambda m: m.emath.sqrt(m.x * m.x) + 1, "sqrt"),
    "emath.log10": (lambda m: m.emath.log10(m.x * m.x + 1) / 2, "log10"),
    "emath.arcsin": (lambda m: m.emath.arcsin(m.x / 20) * 2, "arcsin"),
}


class _Namespace:
    def __init__(self, x):
        self.x = x

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("name", sorted(CHAINS))
def test_chain_is_one_fused_expression(name, dtype, rng, unfused_calls):
    build, marker = CHAINS[name]
    x = sample((9, 10), dtype, rng, special=False)
    result = build(_Namespace(oa.asarray(x, chunks=(4, 3))))
    expression = fused(result)
    assert isinstance(expression, FusedExpression)
    assert marker in expression.expression
    with quiet():
        assert_like_numpy(result, build(_Namespace(x)))
    assert unfused_calls == []


def test_fix_fuses_in_float64(rng, unfused_calls):
    # numexpr's trunc of float32 is float64, so a float32 fix stays a NumPy call
    x = sample((9, 10), np.float64, rng, special=False)
    result = np.fix(oa.asarray(x, chunks=(4, 3)) * 3) - 1
    assert "trunc" in fused(result).expression
    assert_like_numpy(result, np.fix(x * 3) - 1)
    assert unfused_calls == []


def test_complex_angle_fuses_around_its_parts(rng):
    x = sample((9, 10), np.complex128, rng, special=False)
    result = np.angle(oa.asarray(x, chunks=(4, 3))) * 2
    expression = fused(result)
    assert isinstance(expression, FusedExpression) and "arctan2" in expression.expression
    assert len(expression.leaves) == 2  # the real and imaginary parts
    assert_like_numpy(result, np.angle(x) * 2)


# -- evenly spaced values between array endpoints --------------------------------------------
ENDPOINTS = [
    (np.array([0.0, 1.0, -2.0]), 5.0),
    (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([10.0, 20.0, 30.0])),
    (np.array([1, 2, 3]), np.array([[7], [9]])),
    (2.0, np.array([3.0, 4.0], np.float32)),
    (np.array([1 + 1j, 2.0]), np.array(3j)),
    (np.array(1.5), np.array(7.0)),
]


def _as_oo(value, chunks=2):
    if not isinstance(value, np.ndarray):
        return value
    return oa.asarray(value, chunks=chunks) if value.ndim else oa.asarray(value)


@pytest.mark.parametrize("endpoints", range(len(ENDPOINTS)))
@pytest.mark.parametrize("num,endpoint", [(0, True), (1, True), (1, False), (6, True),
                                          (6, False)])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int64])
def test_linspace_with_array_endpoints(endpoints, num, endpoint, dtype):
    start, stop = ENDPOINTS[endpoints]
    for axis in (0, -1):
        found, error = numpy_result(np.linspace, start, stop, num, endpoint, retstep=True,
                                    dtype=dtype, axis=axis)
        if error is not None:  # complex endpoints with an integer dtype
            with pytest.raises(type(error)):
                np.linspace(_as_oo(start), _as_oo(stop), num, endpoint, dtype=dtype)
            continue
        expected, step = found
        result, our_step = np.linspace(_as_oo(start), _as_oo(stop), num, endpoint,
                                       retstep=True, dtype=dtype, axis=axis)
        assert_like_numpy(result, expected)
        if isinstance(step, np.ndarray):
            assert_like_numpy(our_step, step)
        else:
            assert np.isnan(our_step) == np.isnan(step)


@pytest.mark.parametrize("endpoints", range(len(ENDPOINTS)))
@pytest.mark.parametrize("base", [10.0, 2, np.array([2.0, 3.0, 0.5])])
def test_logspace_with_array_endpoints(endpoints, base):
    start, stop = ENDPOINTS[endpoints]
    for axis, dtype in ((0, None), (1, np.complex128), (-1, None)):
        expected, error = numpy_result(np.logspace, start, stop, 4, base=base, axis=axis,
                                       dtype=dtype)
        if error is not None:
            with pytest.raises(type(error)):
                np.logspace(_as_oo(start), _as_oo(stop), 4, base=base, axis=axis, dtype=dtype)
            continue
        # float32 powers cast to complex128 afterwards: float32's tolerance, not complex128's
        single = np.result_type(start, stop) == np.float32
        assert_like_numpy(np.logspace(_as_oo(start), _as_oo(stop), 4, base=base, axis=axis,
                                      dtype=dtype), expected, rtol=2e-5 if single else None)


@pytest.mark.parametrize("start,stop", [
    (np.array([1.0, 2.0, -3.0]), 1000.0),
    (np.array([[1.0, -1.0], [2.0, 8.0]]), np.array([16.0, -0.5])),
    (np.array([1 + 1j, -2.0]), np.array([8j, -64.0])),
    (np.array([1, 3]), np.array([100, 81])),
])
@pytest.mark.parametrize("num,endpoint", [(0, True), (1, True), (5, True), (5, False)])
def test_geomspace_with_array_endpoints(start, stop, num, endpoint):
    for axis, dtype in ((0, None), (-1, None), (0, np.float32 if start.dtype.kind != "c"
                                                else np.complex64)):
        with quiet():
            expected = np.geomspace(start, stop, num, endpoint, dtype=dtype, axis=axis)
        result = np.geomspace(_as_oo(start), _as_oo(stop), num, endpoint, dtype=dtype,
                              axis=axis)
        assert_like_numpy(result, expected)


@pytest.mark.parametrize("call", [
    lambda s: np.linspace(s, 1.0, -1),
    lambda s: np.linspace(s, 1.0, 2.5),
    lambda s: np.linspace(s, np.ones(4), 3),
    lambda s: np.linspace(s, 1.0, 3, axis=3),
    lambda s: np.logspace(s, 1.0, -2),
    lambda s: np.geomspace(s, 1.0, 3),
    lambda s: np.geomspace(s + 1, 0.0, 3),
    lambda s: np.geomspace(s + 1, np.ones(5), 3),
], ids=["negative-num", "float-num", "shapes", "axis", "logspace-num", "zero-start",
        "zero-stop", "geom-shapes"])
def test_spacing_errors_are_numpys(call):
    x = np.array([0.0, 2.0, 3.0])
    _, error = numpy_result(call, x)
    assert error is not None
    with pytest.raises(type(error)):
        call(oa.asarray(x, chunks=2))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_iscomplex_isreal_of_a_0d_input_types_as_numpy(dtype):
    """For a real dtype the answer is known from the dtype: NumPy's scalar, as NumPy gives;
    for complex values it depends on the data and stays lazy (a 0-d OOArray)."""
    x = np.array(2 + 3j).astype(dtype) if dtype.kind == "c" else np.ones((), dtype)
    a = oa.asarray(x)
    for func in (np.iscomplex, np.isreal):
        got, want = func(a), func(x)
        if dtype.kind == "c":
            assert_like_numpy(got, want)
        else:
            assert type(got) is type(want) and got == want
    assert_like_numpy(np.iscomplex(oa.asarray(np.ones(3, dtype))), np.iscomplex(np.ones(3, dtype)))

