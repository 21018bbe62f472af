"""The one assertion every conformance test uses, and the strategies that feed it.

``assert_like_numpy(result, expected)`` checks that ``result`` is an OOArray (no silent escape
to an ndarray), computes it and compares type, dtype, shape and values with what NumPy gave on
the same input. Chunkings and dtypes come from here too, so every test file covers the same
grids: one chunk, chunks of length 1, a ragged last chunk, explicit uneven chunks.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ooarray as oa
from ooarray.plan.regions import ElementwiseNode

__all__ = [
    "assert_like_numpy", "numpy_result", "tolerance", "DTYPES", "FLOAT_DTYPES", "INT_DTYPES",
    "chunkings", "chunked_arrays", "sample", "CASES", "quiet",
]

#: The dtypes the suite covers.
DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                np.float32, np.float64, np.complex128)]
INT_DTYPES = [d for d in DTYPES if d.kind in "iu"]
FLOAT_DTYPES = [d for d in DTYPES if d.kind in "fc"]

#: Relative tolerance by float precision: float32 (and complex64) are looser.
_RTOL = {4: 2e-5, 8: 1e-10, 16: 1e-10}


def tolerance(dtype: np.dtype) -> float:
    """Return the relative tolerance for values of ``dtype``."""
    dtype = np.dtype(dtype)
    size = dtype.itemsize // 2 if dtype.kind == "c" else dtype.itemsize
    return _RTOL.get(size, 1e-3)


def assert_like_numpy(result: Any, expected: Any, *, exact: bool | None = None,
                      rtol: float | None = None, atol: float | None = None) -> np.ndarray:
    """Assert that the OOArray ``result`` computes to NumPy's ``expected``.

    Parameters
    ----------
    result : OOArray
        What ooarray gave.
    expected : ndarray or NumPy scalar
        What NumPy gave on the same input (a NumPy scalar stands for a 0-d array).
    exact : bool, optional
        Compare values exactly. Default: exact for bool and integer dtypes, a tolerance for
        floats and complex.
    rtol, atol : float, optional
        Override the dtype's tolerance (for sums whose rounding depends on the order).

    Returns
    -------
    ndarray
        The computed values.
    """
    assert isinstance(result, oa.OOArray), \
        f"expected an OOArray, got {type(result).__name__} (escaped to NumPy?)"
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, f"dtype {result.dtype} != NumPy's {expected.dtype}"
    assert result.shape == expected.shape, f"shape {result.shape} != NumPy's {expected.shape}"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = result.compute()
    assert type(value) is np.ndarray, f"compute() gave {type(value).__name__}"
    assert value.dtype == expected.dtype, f"computed dtype {value.dtype} != {expected.dtype}"
    assert value.shape == expected.shape, f"computed shape {value.shape} != {expected.shape}"
    if exact is None:
        exact = expected.dtype.kind not in "fc"
    if exact:
        np.testing.assert_array_equal(value, expected, strict=True)
    else:
        rtol = tolerance(expected.dtype) if rtol is None else rtol
        if atol is None:
            finite = np.abs(expected[np.isfinite(expected)])
            atol = rtol * float(finite.max()) if finite.size else 0.0
        # Complex parts separately: NaN and inf must sit in the same part as NumPy's.
        parts = [(value.real, expected.real), (value.imag, expected.imag)] \
            if expected.dtype.kind == "c" else [(value, expected)]
        for got, want in parts:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    return value


def assert_all_like_numpy(result: Any, expected: Any) -> None:
    """:func:`assert_like_numpy` for a result that may be a tuple (as NumPy's is): the same
    length, and each element like NumPy's."""
    if isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected), \
            f"expected a tuple of {len(expected)}, got {type(result).__name__}"
        for got, want in zip(result, expected, strict=True):
            assert_like_numpy(got, want)
    else:
        assert_like_numpy(result, expected)


def record_unfused(monkeypatch) -> list:
    """Record, in the list returned, the ufunc of each ElementwiseNode.compute call (each is
    one NumPy pass outside numexpr) until ``monkeypatch`` is undone (for tests that
    check what fused)."""
    calls = []
    original = ElementwiseNode.compute

    def counting(self, arrays, region, ctx):
        calls.append(self.func)
        return original(self, arrays, region, ctx)

    monkeypatch.setattr(ElementwiseNode, "compute", counting)
    return calls


@contextlib.contextmanager
def quiet():
    """Silence NumPy's floating-point warnings and RuntimeWarnings, for both sides."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def numpy_result(func, *args, **kwargs) -> tuple[Any, BaseException | None]:
    """Return ``(func(*args, **kwargs), None)``, or ``(None, exception)`` if NumPy raised."""
    try:
        with quiet():
            return func(*args, **kwargs), None
    except Exception as error:  # noqa: BLE001 -- the test asserts ooarray raises the same type
        return None, error


# -- inputs -------------------------------------------------------------------------------
def sample(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator, *,
           special: bool = True, low: float = -10, high: float = 10) -> np.ndarray:
    """Return an array of ``dtype`` with varied values (NaN, inf, -0.0 among floats)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.integers(0, 2, shape)).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, int(low)), min(info.max, int(high))
        return np.asarray(rng.integers(lo, hi, shape, endpoint=True)).astype(dtype)
    values = rng.uniform(low, high, shape)
    if dtype.kind == "c":
        values = values + 1j * rng.uniform(low, high, shape)
    values = np.asarray(values).astype(dtype)  # an ndarray even for shape ()
    if special and values.size >= 4:
        flat = values.reshape(-1)
        flat[rng.integers(0, flat.size)] = np.nan
        flat[rng.integers(0, flat.size)] = np.inf
        flat[rng.integers(0, flat.size)] = -0.0
    return values


#: (shape, chunks) pairs: 0-d, empty, one chunk, length-1 chunks, ragged last chunks, uneven.
CASES = [
    ((), ()),
    ((0,), 2),
    ((3, 0), (2, 1)),
    ((7,), 7),
    ((7,), 1),
    ((7,), 3),
    ((10,), ((3, 5, 2),)),
    ((5, 6), (2, 4)),
    ((5, 6), (5, 1)),
    ((4, 3, 5), (3, 2, 2)),
    ((2, 3, 4, 5), (1, 2, 3, 2)),
]


@st.composite
def chunkings(draw, shape: tuple[int, ...]):
    """A chunks argument for ``shape``: per axis an int, -1, or explicit (ragged) lengths."""
    result = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "whole", "explicit"]))
        if n == 0 or kind == "whole":
            result.append(-1)
        elif kind == "int":
            result.append(draw(st.integers(1, n)))
        else:
            lengths, left = [], n
            while left:
                take = draw(st.integers(1, left))
                lengths.append(take)
                left -= take
            result.append(tuple(lengths))
    return tuple(result)


@st.composite
def chunked_arrays(draw, dtypes=None, *, min_dims: int = 0, max_dims: int = 4,
                   min_side: int = 0, max_side: int = 6, elements=None):
    """A NumPy array and a chunks argument for it."""
    dtype = draw(st.sampled_from(dtypes or DTYPES))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                  max_side=max_side))
    if elements is None and np.dtype(dtype).kind == "f":
        elements = st.one_of(
            hnp.from_dtype(np.dtype(dtype), allow_nan=False, allow_infinity=False,
                           min_value=-1e6, max_value=1e6),
            st.sampled_from([np.nan, np.inf, -np.inf, -0.0]))
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    return array, draw(chunkings(shape))
