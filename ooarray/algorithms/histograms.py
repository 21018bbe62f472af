"""NumPy's histogram bin rules on summary numbers: outer edges and bin-width estimators.

NumPy computes these from the whole array (``a.min()``, ``np.std(a)``, ``np.percentile``).
Here they are ports of ``numpy/lib/_histograms_impl.py`` that read the numbers from a
:class:`Summary`, which ``ops/histograms`` fills with out-of-core passes (each number computed
once, only when an estimator asks for it). The formulas, their order of operations and the
NumPy scalar types they see are NumPy's, so the number of bins comes out the same.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ooarray.algorithms.counting import StoneSpec

__all__ = ["Summary", "ESTIMATORS", "unsigned_subtract", "outer_edges", "equal_bins"]


class Summary(Protocol):
    """The data within the histogram's range, as the estimators see it."""

    #: How many values are in range (NumPy's ``x.size`` after trimming).
    size: int

    def ptp(self) -> Any:
        """Maximum minus minimum, as NumPy scalars of the data's dtype subtract."""

    @property
    def std(self) -> Any:
        """``np.std(x)``, of NumPy's dtype for it."""

    def skew(self) -> Any:
        """``np.mean(((x - mean) / std) ** 3)``."""

    def percentile(self, q: list[float]) -> np.ndarray:
        """``np.percentile(x, q)``."""

    def histograms(self, most: int) -> np.ndarray:
        """The counts for 1, 2, ..., ``most`` equal bins over the range, one after another."""


def unsigned_subtract(a: Any, b: Any) -> Any:
    """``a - b`` without overflow for signed integers (NumPy's ``_unsigned_subtract``).

    Examples
    --------
    >>> unsigned_subtract(np.int8(127), np.int8(-128))
    np.uint8(255)
    """
    dt = np.result_type(a, b)
    if dt.kind != "i":
        return np.subtract(a, b, dtype=dt)
    unsigned = np.dtype(f"u{dt.itemsize}")
    return np.subtract(np.asarray(a, dtype=dt), np.asarray(b, dtype=dt), casting="unsafe",
                       dtype=unsigned)


def outer_edges(range: Any, size: int, bounds: Callable[[], tuple[Any, Any]]
                ) -> tuple[Any, Any]:
    """NumPy's ``_get_outer_edges``: the range checked, or the data's (min, max) from
    ``bounds()`` (called only when needed), widened by 0.5 each side when they are equal.

    Examples
    --------
    >>> outer_edges(None, 3, lambda: (np.float64(2.0), np.float64(2.0)))
    (np.float64(1.5), np.float64(2.5))
    """
    if range is not None:
        first_edge, last_edge = range
        if first_edge > last_edge:
            raise ValueError("max must be larger than min in range parameter.")
        if not (np.isfinite(first_edge) and np.isfinite(last_edge)):
            raise ValueError(f"supplied range of [{first_edge}, {last_edge}] is not finite")
    elif size == 0:
        first_edge, last_edge = 0, 1
    else:
        first_edge, last_edge = bounds()
        if not (np.isfinite(first_edge) and np.isfinite(last_edge)):
            raise ValueError(f"autodetected range of [{first_edge}, {last_edge}] is not finite")
    if first_edge == last_edge:
        first_edge = first_edge - 0.5
        last_edge = last_edge + 0.5
    return first_edge, last_edge


def equal_bins(width: Any, dtype: np.dtype, first_edge: Any, last_edge: Any) -> int:
    """NumPy's number of equal bins for an estimated ``width`` (1 for a zero width)."""
    if not width:
        return 1
    if np.issubdtype(dtype, np.integer) and width < 1:
        width = 1
    return int(np.ceil(unsigned_subtract(last_edge, first_edge) / width))


def _sqrt(x: Summary, range: Any) -> Any:
    return x.ptp() / np.sqrt(x.size)


def _sturges(x: Summary, range: Any) -> Any:
    return x.ptp() / (np.log2(x.size) + 1.0)


def _rice(x: Summary, range: Any) -> Any:
    return x.ptp() / (2.0 * x.size ** (1.0 / 3))


def _scott(x: Summary, range: Any) -> Any:
    return (24.0 * np.pi ** 0.5 / x.size) ** (1.0 / 3.0) * x.std


def _doane(x: Summary, range: Any) -> Any:
    if x.size > 2:
        sg1 = np.sqrt(6.0 * (x.size - 2) / ((x.size + 1.0) * (x.size + 3)))
        if x.std > 0.0:
            g1 = x.skew()
            return x.ptp() / (1.0 + np.log2(x.size) + np.log2(1.0 + np.absolute(g1) / sg1))
    return 0.0


def _fd(x: Summary, range: Any) -> Any:
    iqr = np.subtract(*x.percentile([75, 25]))
    return 2.0 * iqr * x.size ** (-1.0 / 3.0)


def _auto(x: Summary, range: Any) -> Any:
    fd_bw = _fd(x, range)
    sturges_bw = _sturges(x, range)
    sqrt_bw = _sqrt(x, range)
    return min(max(fd_bw, sqrt_bw / 2), sturges_bw)


def _stone(x: Summary, range: Any) -> Any:
    n, ptp_x = x.size, x.ptp()
    if n <= 1 or ptp_x == 0:
        return 0
    most = max(100, int(np.sqrt(n)))
    counts = x.histograms(most)

    def jhat(nbins: int) -> Any:
        hh = ptp_x / nbins
        start = StoneSpec.offset(nbins)
        p_k = counts[start:start + nbins] / n
        return (2 - (n + 1) * p_k.dot(p_k)) / hh

    nbins = min(builtins.range(1, most + 1), key=jhat)
    if nbins == most:
        warnings.warn("The number of bins estimated may be suboptimal.", RuntimeWarning,
                      stacklevel=5)
    return ptp_x / nbins


#: NumPy's bin-width estimators, by name: ``width = ESTIMATORS[name](summary, range)``.
ESTIMATORS = {"stone": _stone, "auto": _auto, "doane": _doane, "fd": _fd, "rice": _rice,
              "scott": _scott, "sqrt": _sqrt, "sturges": _sturges}
