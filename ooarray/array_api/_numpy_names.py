"""NumPy's names beside the standard's, for libraries that call them on the namespace.

xarray, given an array whose ``__array_namespace__`` is not NumPy's, calls ``xp.pad``,
``xp.einsum``, ``xp.isin``, ``xp.gradient``, ``xp.quantile``, ``xp.median``, ``xp.cumsum``
``xp.cumprod``, ``xp.transpose`` and ``xp.lib.stride_tricks.sliding_window_view`` on that namespace, with
NumPy's signatures, as NumPy's own namespace offers
them beside the standard's functions. Each name here is the NumPy function itself, which
dispatches to ooarray's implementation through ``__array_function__`` (out of core where
ooarray has one, and an in-memory fallback or a TypeError where it has not), after making its
array arguments OOArrays.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ooarray.array_api._helpers import as_array

__all__ = ["pad", "einsum", "isin", "gradient", "quantile", "median", "cumsum", "cumprod",
           "transpose", "lib"]


def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """``np.pad`` of ``array`` (see :func:`numpy.pad`)."""
    return np.pad(as_array(array), pad_width, mode, **kwargs)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    """``np.einsum`` of OOArray operands (see :func:`numpy.einsum`)."""
    return np.einsum(subscripts, *(as_array(o) for o in operands), **kwargs)


def isin(element: Any, test_elements: Any, **kwargs: Any) -> Any:
    """``np.isin`` (see :func:`numpy.isin`)."""
    return np.isin(as_array(element), test_elements, **kwargs)


def gradient(f: Any, *varargs: Any, **kwargs: Any) -> Any:
    """``np.gradient`` (see :func:`numpy.gradient`)."""
    return np.gradient(as_array(f), *varargs, **kwargs)


def quantile(a: Any, q: Any, axis: Any = None, **kwargs: Any) -> Any:
    """``np.quantile`` (see :func:`numpy.quantile`)."""
    return np.quantile(as_array(a), q, axis=axis, **kwargs)


def median(a: Any, axis: Any = None, **kwargs: Any) -> Any:
    """``np.median`` (see :func:`numpy.median`)."""
    return np.median(as_array(a), axis=axis, **kwargs)


def cumsum(a: Any, axis: Any = None, **kwargs: Any) -> Any:
    """``np.cumsum`` (see :func:`numpy.cumsum`)."""
    return np.cumsum(as_array(a), axis=axis, **kwargs)


def cumprod(a: Any, axis: Any = None, **kwargs: Any) -> Any:
    """``np.cumprod`` (see :func:`numpy.cumprod`)."""
    return np.cumprod(as_array(a), axis=axis, **kwargs)


def transpose(a: Any, axes: Any = None) -> Any:
    """``np.transpose`` (see :func:`numpy.transpose`); xarray calls it to bring core
    dimensions last (``apply_ufunc``, ``quantile``)."""
    return np.transpose(as_array(a), axes)


def _sliding_window_view(x: Any, window_shape: Any, axis: Any = None, **kwargs: Any) -> Any:
    """``np.lib.stride_tricks.sliding_window_view`` (see NumPy's)."""
    return np.lib.stride_tricks.sliding_window_view(as_array(x), window_shape, axis, **kwargs)


#: ``xp.lib.stride_tricks.sliding_window_view``, where xarray's rolling windows look for it.
lib = types.SimpleNamespace(
    stride_tricks=types.SimpleNamespace(sliding_window_view=_sliding_window_view))
