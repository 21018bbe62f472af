"""Dispatch: what ooarray does not support fails loudly, with NumPy's exception types and a
message that names the function; nothing silently escapes to an ndarray."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_like_numpy

import ooarray as oa
from ooarray.core import dispatch

UNSUPPORTED = [
    ("numpy.unwrap", lambda a: np.unwrap(a)),
    ("numpy.trapezoid", lambda a: np.trapezoid(a)),
    ("numpy.ediff1d", lambda a: np.ediff1d(a)),
    ("numpy.real_if_close", lambda a: np.real_if_close(a)),
    ("numpy.polyfit", lambda a: np.polyfit(a, a, 1)),
    ("numpy.fft.fft", lambda a: np.fft.fft(a)),
    ("numpy.fft.ifft", lambda a: np.fft.ifft(a)),
]


@pytest.mark.parametrize("name, call", UNSUPPORTED, ids=[n for n, _ in UNSUPPORTED])
def test_unsupported_function_raises_type_error_naming_it(name, call):
    a = oa.asarray(np.arange(6.0), chunks=4)
    assert name not in dispatch.supported_functions()
    with pytest.raises(TypeError, match=rf"^{name.replace('.', '[.]')} is not supported"):
        call(a)


def test_the_message_points_to_a_function_that_exists():
    a = oa.asarray(np.arange(6.0))
    with pytest.raises(TypeError) as raised:
        np.unwrap(a)
    assert "ooarray.supported_functions()" in str(raised.value)
    assert oa.supported_functions() == dispatch.supported_functions()
    names = dispatch.supported_functions()
    assert {"numpy.sum", "numpy.nanargmax", "numpy.zeros_like"} <= set(names)
    assert names == sorted(names)


def test_unsupported_function_with_ndarray_and_ooarray_mixed():
    a = oa.asarray(np.arange(6.0))
    with pytest.raises(TypeError, match="numpy.polyval"):
        np.polyval(np.arange(3.0), a)


@pytest.mark.parametrize("method, call", [
    ("accumulate", lambda a: np.add.accumulate(a)),
    ("outer", lambda a: np.multiply.outer(a, a)),
    ("reduceat", lambda a: np.add.reduceat(a, [0, 2])),
    ("at", lambda a: np.add.at(a, [0, 1], 1)),
])
def test_unsupported_ufunc_methods_raise_type_error_naming_them(method, call):
    a = oa.asarray(np.arange(6.0), chunks=4)
    with pytest.raises(TypeError, match=rf"numpy[.](add|multiply)[.]{method} is not supported"):
        call(a)


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
    assert set(dispatch.UFUNC_METHODS) == {"__call__", "reduce"}
    for func, implementation in dispatch.HANDLED_FUNCTIONS.items():
        assert callable(func) and callable(implementation)
