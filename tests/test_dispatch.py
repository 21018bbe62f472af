"""Dispatch: what ooarray does not support out of core falls back to NumPy in memory only when
its inputs fit the budget (with a warning, results wrapped back as OOArrays), and otherwise
fails loudly, with NumPy's exception types and a message that names the function and the sizes;
nothing silently escapes to an ndarray."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import FLOAT_DTYPES, assert_like_numpy, chunked_arrays, numpy_result
from hypothesis import given, settings

import ooarray as oa
from ooarray.core import dispatch
from ooarray.interop.fallback import FALLBACK_CALLS, InMemoryFallbackWarning

#: A budget no input of these tests fits with its estimated result (6 float64 = 48 B).
TINY = "200B"

_C = [[1.0, 2.0], [3.0, 4.0]]
UNSUPPORTED = [  # numeric functions that still fall back (docs/coverage.md lists them)
    ("numpy.polynomial.polynomial.polyval2d",
     lambda a: np.polynomial.polynomial.polyval2d(a, a, _C)),
    ("numpy.polynomial.polynomial.polygrid2d",
     lambda a: np.polynomial.polynomial.polygrid2d(a, a, _C)),
]


@pytest.mark.parametrize("name, call", UNSUPPORTED, ids=[n for n, _ in UNSUPPORTED])
def test_unsupported_function_raises_type_error_naming_it(name, call):
    a = oa.asarray(np.arange(6.0), chunks=4)
    assert name not in dispatch.supported_functions()
    with oa.config.set(memory_limit=TINY), \
            pytest.raises(TypeError, match=rf"^{name.replace('.', '[.]')} is not supported"):
        call(a)


@pytest.mark.parametrize("name, call", UNSUPPORTED, ids=[n for n, _ in UNSUPPORTED])
def test_unsupported_function_falls_back_to_numpy_when_it_fits(name, call):
    x = np.linspace(0.5, 9, 6)
    before = FALLBACK_CALLS[name]
    with pytest.warns(InMemoryFallbackWarning, match=rf"^{name.replace('.', '[.]')} ran in"):
        result = call(oa.asarray(x, chunks=4))
    expected = call(x)
    assert FALLBACK_CALLS[name] == before + 1
    assert name not in dispatch.supported_functions()  # a fallback is not support
    if isinstance(expected, (np.ndarray, np.generic)):
        assert_like_numpy(result, expected)
    else:
        assert type(result) is type(expected)


def _not_implemented(*names: str) -> None:
    implemented = set(names) & set(dispatch.supported_functions())
    if implemented:
        pytest.skip(f"implemented out of core now: {sorted(implemented)}")


def test_fallback_wraps_tuples_and_leaves_python_values():
    x = np.array([[2.0, 1.0], [1.0, 3.0]])
    a = oa.asarray(x)
    tuples = [(name, func) for name, func in [
        ("numpy.histogram", lambda v: np.histogram(v, bins=3)),
        ("numpy.gradient", np.gradient),
        ("numpy.polyfit", lambda v: np.polyfit(v[0], v[1], 1, full=True)[:2])]
        if name not in dispatch.supported_functions()]
    if not tuples or "numpy.array2string" in dispatch.supported_functions():
        pytest.skip("implemented out of core now: pick other fallback functions")
    name, func = tuples[0]
    with pytest.warns(InMemoryFallbackWarning, match=name):
        result = func(a)
    expected = func(x)
    assert type(result) is type(expected) and len(result) == len(expected)
    for got, want in zip(result, expected, strict=True):
        assert_like_numpy(got, want)
    with pytest.warns(InMemoryFallbackWarning):
        text = np.array2string(a)
    assert text == np.array2string(x)


def test_fallback_refuses_an_estimated_result_too_large_for_the_budget():
    _not_implemented("numpy.kron")
    small, large = oa.asarray(np.ones(3)), oa.asarray(np.ones(100))
    with oa.config.set(memory_limit="64KB"):
        with pytest.warns(InMemoryFallbackWarning):
            assert_like_numpy(np.kron(small, small), np.kron(np.ones(3), np.ones(3)))
        # The inputs are 1.6 KiB; kron's result would be 78 KiB: refused before computing.
        with pytest.raises(TypeError, match=r"numpy[.]kron .*estimated result"):
            np.kron(large, large)


def test_fallback_never_writes_into_an_ooarray():
    a = oa.asarray(np.arange(6.0))
    calls = {"numpy.copyto": lambda: np.copyto(a, 1.0), "numpy.put": lambda: np.put(a, [0], 5.0),
             "numpy.putmask": lambda: np.putmask(a, np.arange(6) > 2, 0.0),
             "numpy.fix": lambda: np.fix(np.arange(6.0), out=a)}
    checked = [name for name in calls if name not in dispatch.supported_functions()]
    if not checked:
        pytest.skip("all implemented now: pick other functions")
    for name in checked:
        with pytest.raises(TypeError, match="in place|out="):
            calls[name]()
    assert a.compute().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_the_message_points_to_a_function_that_exists():
    a = oa.asarray(np.arange(6.0))
    with oa.config.set(memory_limit=TINY), pytest.raises(TypeError) as raised:
        np.polynomial.polynomial.polygrid2d(a, a, _C)
    message = str(raised.value)
    assert "ooarray.supported_functions()" in message and "memory_limit=200 B" in message
    assert oa.supported_functions() == dispatch.supported_functions()
    names = dispatch.supported_functions()
    assert {"numpy.sum", "numpy.nanargmax", "numpy.zeros_like"} <= set(names)
    assert names == sorted(names)


def test_unsupported_function_with_ndarray_and_ooarray_mixed():
    a = oa.asarray(np.arange(6.0))
    x = np.arange(6.0)
    with oa.config.set(memory_limit=TINY), pytest.raises(TypeError, match="polygrid2d"):
        np.polynomial.polynomial.polygrid2d(a, x, np.array(_C))
    with pytest.warns(InMemoryFallbackWarning):
        assert_like_numpy(np.polynomial.polynomial.polygrid2d(a, x, np.array(_C)),
                          np.polynomial.polynomial.polygrid2d(x, x, np.array(_C)))


UFUNC_METHODS = [
    ("accumulate", lambda a: np.add.accumulate(a)),
    ("outer", lambda a: np.multiply.outer(a, a)),
    ("reduceat", lambda a: np.add.reduceat(a, [0, 2])),
]


@pytest.mark.parametrize("method, call", UFUNC_METHODS, ids=[m for m, _ in UFUNC_METHODS])
def test_unsupported_ufunc_methods_raise_type_error_naming_them(method, call):
    if method in dispatch.UFUNC_METHODS:
        pytest.skip(f"ufunc.{method} is implemented out of core now")
    a = oa.asarray(np.arange(6.0), chunks=4)
    with oa.config.set(memory_limit=TINY), \
            pytest.raises(TypeError, match=rf"numpy[.](add|multiply)[.]{method} is not supported"):
        call(a)
    with pytest.warns(InMemoryFallbackWarning):
        assert_like_numpy(call(a), call(np.arange(6.0)))


def test_ufunc_at_never_falls_back():
    a = oa.asarray(np.arange(6.0), chunks=4)
    with pytest.raises(TypeError, match=r"numpy[.]add[.]at is not supported .*in place"):
        np.add.at(a, [0, 1], 1)


def test_foreign_array_types_get_numpys_type_error():
    class Foreign:
        def __array_function__(self, func, types, args, kwargs):
            return NotImplemented

    a = oa.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="no implementation found"):
        np.concatenate([a, Foreign()])
    with pytest.raises(TypeError, match="no implementation found"):
        np.sum(a, out=Foreign())


def test_supported_functions_return_ooarrays_for_ooarray_inputs():
    x = np.arange(12.0).reshape(3, 4)
    a = oa.asarray(x, chunks=2)
    for func in (np.sum, np.mean, np.argmax, np.nanstd, np.zeros_like, np.amax):
        assert_like_numpy(func(a), func(x))
    assert_like_numpy(np.sqrt(a), np.sqrt(x))
    assert_like_numpy(x + a, x + x)
    assert_like_numpy(np.float64(2) * a, 2 * x)


def test_registries_are_consistent():
    assert {"__call__", "reduce"} <= set(dispatch.UFUNC_METHODS)
    for func, implementation in dispatch.HANDLED_FUNCTIONS.items():
        assert callable(func) and callable(implementation)


@settings(max_examples=25)
@given(chunked_arrays(FLOAT_DTYPES, min_dims=1, max_dims=3))
def test_fallback_matches_numpy_on_any_chunking(data):
    _not_implemented("numpy.ediff1d", "numpy.unwrap")
    x, chunks = data
    a = oa.asarray(x, chunks=chunks)
    for func in (np.ediff1d, np.unwrap):
        expected, error = numpy_result(func, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if error is not None:
                with pytest.raises(type(error)):
                    func(a)
                continue
            with np.errstate(all="ignore"):
                result = func(a)
        assert_like_numpy(result, expected)
