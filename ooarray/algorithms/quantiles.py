"""Quantiles from a few order statistics: which positions of a sorted lane NumPy's methods
read, and NumPy's own arithmetic on them.

A lane too long for one task is sorted out of core; its quantiles then need only a handful of
its values. The index, gamma and interpolation come from NumPy's ``_quantile`` helpers
(``_QuantileMethods``, ``_get_indexes``, ``_get_gamma``, ``_lerp``), so every method gives
NumPy's result bit for bit. These are private NumPy names: if a NumPy release moves them,
this module is the one place to follow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib import _function_base_impl as _quantiles

__all__ = ["median_positions", "quantile_positions"]


def median_positions(valid: int, nan_check: bool, dtype: np.dtype
                     ) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Positions of the middle one or two of ``valid`` sorted values, and the finishing step:
    NumPy's mean of them (NaN if the lane's last value, read after them, is NaN).

    Examples
    --------
    >>> wanted, finish = median_positions(4, True, np.dtype(np.float64))
    >>> wanted.tolist(), finish(np.array([2.0, 3.0, 9.0])).tolist()
    ([1, 2], [2.5])
    """
    middle = valid // 2
    wanted = np.array([middle] if valid % 2 else [middle - 1, middle])
    return wanted, functools.partial(_finish_median, len(wanted), nan_check, dtype)


def _finish_median(taken: int, nan_check: bool, dtype: np.dtype,
                   values: np.ndarray) -> np.ndarray:
    if nan_check and np.isnan(values[-1]):
        return np.full(1, values[-1], dtype)
    return np.asarray(np.mean(values[:taken]), dtype).reshape(1)


def quantile_positions(valid: int, q: Any, method: str, data_dtype: np.dtype,
                       nan_check: bool, dtype: np.dtype, percent: bool
                       ) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Positions of ``valid`` sorted values that NumPy's ``method`` reads for ``q``, and the
    finishing step: NumPy's own ``_quantile`` arithmetic for one lane, on the values read
    (with the lane's last value after them, for the NaN check).

    Examples
    --------
    >>> wanted, finish = quantile_positions(5, 0.5, "linear", np.dtype(float), True,
    ...                                     np.dtype(float), False)
    >>> wanted.tolist(), finish(np.array([3.0, 4.0, 9.0])).tolist()
    ([2, 3], [3.0])
    """
    weak_q = type(q) in (int, float)
    quantiles = np.asanyarray(np.true_divide(q, 100) if percent else q)
    props = _quantiles._QuantileMethods[method]
    virtual = np.asanyarray(props["get_virtual_index"](valid, quantiles))
    direct = props["fix_gamma"] is None or (
        method == "linear" and np.issubdtype(virtual.dtype, np.integer))
    if direct:
        first = second = np.asarray(virtual, np.intp)
    else:
        first, second = _quantiles._get_indexes(np.empty(0, data_dtype), virtual, valid)
    flat_first = np.where(first.ravel() < 0, first.ravel() + valid, first.ravel())
    flat_second = np.where(second.ravel() < 0, second.ravel() + valid, second.ravel())
    wanted = np.concatenate([flat_first, flat_second])
    pairs = len(flat_first)

    def finish(values: np.ndarray) -> np.ndarray:
        if nan_check and np.isnan(values[-1]):
            return np.full(max(pairs, 1), values[-1], dtype)
        previous = values[:pairs].reshape(virtual.shape)
        following = values[pairs:2 * pairs].reshape(virtual.shape)
        if direct:
            result = previous
        else:
            gamma = _quantiles._get_gamma(virtual, first, props)
            gamma = float(gamma) if weak_q else gamma.reshape(virtual.shape)
            result = _quantiles._lerp(previous, following, gamma)
        return np.asarray(result, dtype).reshape(-1)
    return wanted, finish
