"""Dispatch: what ooarray does not support out of core falls back to NumPy in memory only when
its inputs fit the budget (with a warning, results wrapped back as OOArrays), and otherwise
fails loudly, with NumPy's exception types and a message that names the function and the sizes;
nothing silently escapes to an ndarray."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.lib.recfunctions as rfn
import pytest
from helpers import FLOAT_DTYPES, assert_like_numpy, chunked_arrays, numpy_result
from hypothesis import given, settings

import ooarray as oa
from ooarray.core import dispatch
from ooarray.diagnostics.coverage import FALLBACK, NON_NUMERIC_PREFIXES, RAISES, coverage
from ooarray.interop.fallback import FALLBACK_CALLS, InMemoryFallbackWarning, call_in_memory

#: A budget no input of these tests fits with its estimated result (6 float64 = 48 B).
TINY = "200B"

#: Functions that fall back by design (structured, string and datetime results: ooarray's
#: arrays are numeric, docs/coverage.md) and take numeric arrays, so an OOArray reaches them.
#: test_the_examples_fall_back_by_design fails (never skips) if one runs out of core one day.
UNSUPPORTED = [
    ("numpy.lib.recfunctions.unstructured_to_structured", rfn.unstructured_to_structured),
    ("numpy.lib.recfunctions.merge_arrays",
     lambda a: rfn.merge_arrays((a, a.astype(np.int64)))),
    ("numpy.busday_offset", lambda a: np.busday_offset("2024-01-01", a.astype(np.int64))),
]


def summary(a):
    """A function ooarray has no implementation of, for the fallback's own path: its tuple
    result mixes arrays and Python values."""
    return np.sum(a, axis=0), np.cumsum(a), "text", 3


def _same_result(result, expected) -> None:
    """NumPy's numeric arrays come back as OOArrays; other results are NumPy's own."""
    if isinstance(expected, np.ndarray) and expected.dtype.kind in "biufc" and \
            expected.dtype.fields is None:
        assert_like_numpy(result, expected)
        return
    assert type(result) is type(expected)
    if isinstance(expected, np.ndarray):  # structured, strings, dates: bit for bit
        assert (result.dtype, result.shape) == (expected.dtype, expected.shape)
        assert result.tobytes() == expected.tobytes()
    else:
        assert result == expected


def test_the_examples_fall_back_by_design():
    report = coverage()
    for name, _ in UNSUPPORTED:
        assert report.functions[name] == FALLBACK, \
            f"{name} runs out of core now: pick another example from docs/coverage.md"
        assert name.startswith(NON_NUMERIC_PREFIXES)


def test_only_structured_string_and_datetime_functions_fall_back():
    report = coverage()
    fallbacks = [name for name, status in report.functions.items() if status == FALLBACK]
    assert fallbacks, "nothing falls back: the examples of these tests need a new source"
    assert [n for n in fallbacks if not n.startswith(NON_NUMERIC_PREFIXES)] == []


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
    _same_result(result, expected)


def test_fallback_wraps_tuples_and_leaves_python_values():
    x = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, -1.0]])  # 48 B
    with pytest.warns(InMemoryFallbackWarning, match="tests.summary ran in memory"):
        result = call_in_memory(summary, "tests.summary", (oa.asarray(x, chunks=1),), {})
    expected = summary(x)
    assert type(result) is tuple and len(result) == len(expected)
    for got, want in zip(result[:2], expected[:2], strict=True):
        assert_like_numpy(got, want)
    assert result[2:] == ("text", 3)
    with oa.config.set(memory_limit=TINY), pytest.raises(TypeError, match="^tests.summary"):
        call_in_memory(summary, "tests.summary", (oa.asarray(x),), {})


def test_fallback_refuses_an_estimated_result_too_large_for_the_budget():
    # numpy.kron runs out of core; its result estimate (for the fallback path) is checked
    # on that path directly.
    small, large = oa.asarray(np.ones(3)), oa.asarray(np.ones(100))
    with oa.config.set(memory_limit="64KB"):
        with pytest.warns(InMemoryFallbackWarning):
            assert_like_numpy(call_in_memory(np.kron, "numpy.kron", (small, small), {}),
                              np.kron(np.ones(3), np.ones(3)))
        # The inputs are 1.6 KiB; kron's result would be 78 KiB: refused before computing.
        with pytest.raises(TypeError, match=r"numpy[.]kron .*estimated result"):
            call_in_memory(np.kron, "numpy.kron", (large, large), {})


def test_fallback_never_writes_into_an_ooarray():
    a = oa.asarray(np.arange(6.0))
    calls = {"numpy.put": lambda: np.put(a, [0], 5.0),
             "numpy.put_along_axis": lambda: np.put_along_axis(a, np.array([0]), 5.0, 0),
             "numpy.fill_diagonal": lambda: np.fill_diagonal(a.reshape(2, 3), 5.0)}
    raising = [name for name, status in coverage().functions.items() if status == RAISES]
    assert raising, "no function writes into an argument any more: pick other examples"
    for name in raising:
        with pytest.raises(TypeError, match="in place"):
            calls[name]()
    # a fallback cannot write into an OOArray out= either
    target = oa.zeros(3, bool)
    dates = np.array(["2024-01-01", "2024-01-06", "2024-01-08"], "datetime64[D]")
    with pytest.raises(TypeError, match="numpy.is_busday .*OOArray out="):
        np.is_busday(dates, out=target)
    assert a.compute().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert target.compute().tolist() == [False] * 3


def test_the_message_points_to_a_function_that_exists():
    a = oa.asarray(np.arange(6.0))
    with oa.config.set(memory_limit=TINY), pytest.raises(TypeError) as raised:
        rfn.unstructured_to_structured(a)
    message = str(raised.value)
    assert "ooarray.supported_functions()" in message and "memory_limit=200 B" in message
    assert oa.supported_functions() == dispatch.supported_functions()
    names = dispatch.supported_functions()
    assert {"numpy.sum", "numpy.nanargmax", "numpy.zeros_like"} <= set(names)
    assert names == sorted(names)


def test_unsupported_function_with_ndarray_and_ooarray_mixed():
    dates = np.array(["2024-01-01", "2024-01-05", "2024-01-10"], "datetime64[D]")
    offsets = np.array([1, -2, 3])
    with oa.config.set(memory_limit=TINY), pytest.raises(TypeError, match="busday_offset"):
        np.busday_offset(dates, oa.asarray(np.arange(30)), roll="forward")
    with pytest.warns(InMemoryFallbackWarning):
        result = np.busday_offset(dates, oa.asarray(offsets), roll="forward")
    _same_result(result, np.busday_offset(dates, offsets, roll="forward"))


UFUNC_METHODS = [
    ("reduce", lambda a: np.add.reduce(a)),
    ("accumulate", lambda a: np.add.accumulate(a)),
    ("outer", lambda a: np.multiply.outer(a, a)),
    ("reduceat", lambda a: np.add.reduceat(a, [0, 2])),
]


@pytest.mark.parametrize("method, call", UFUNC_METHODS, ids=[m for m, _ in UFUNC_METHODS])
def test_ufunc_methods_run_out_of_core_or_fall_back_as_registered(method, call):
    a = oa.asarray(np.arange(6.0), chunks=4)
    registered = method in dispatch.UFUNC_METHODS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(a)
    fell_back = any(issubclass(w.category, InMemoryFallbackWarning) for w in caught)
    assert fell_back is not registered
    assert_like_numpy(result, call(np.arange(6.0)))
    if not registered:  # the fallback path refuses past the budget, naming the method
        with oa.config.set(memory_limit=TINY), pytest.raises(
                TypeError, match=rf"numpy[.](add|multiply)[.]{method} is not supported"):
            call(a)


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
    x, chunks = data
    a = oa.asarray(x, chunks=chunks)
    for func in (rfn.unstructured_to_structured, lambda v: rfn.merge_arrays((v,)),
                 lambda v: np.busday_offset("2024-01-01", (np.real(v) > 0).astype(np.int64))):
        expected, error = numpy_result(func, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if error is not None:
                with pytest.raises(type(error)):
                    func(a)
                continue
            with np.errstate(all="ignore"):
                result = func(a)
        _same_result(result, expected)
