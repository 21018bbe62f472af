"""Histograms and binning: histogram, histogram_bin_edges, histogram2d, histogramdd,
bincount, digitize.

The counting functions are tallies (:mod:`ooarray.ops.tallies`): every input block adds into
one small result, in a few parallel groups that are added up at the end. What the data decides
(a histogram's range, a bin estimator's width, a bincount's length) is computed first, in a
pass that keeps only a few numbers (count, min, max, sum), so every result has an exact,
known shape. NumPy's own functions count each block (``np.histogram`` with NumPy's bin edges,
``np.bincount``), and NumPy raises the argument errors on small stand-ins of the inputs.
``digitize`` is elementwise, chunk by chunk.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
import warnings
from typing import Any

import numpy as np

from ooarray.algorithms.counting import (
    BincountSpec,
    HistogramDDSpec,
    HistogramSpec,
    MomentSpec,
    StoneSpec,
)
from ooarray.algorithms.histograms import ESTIMATORS, equal_bins, outer_edges, unsigned_subtract
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.ops.reduction_specs import _numpy_result
from ooarray.ops.tallies import _bounds, _check_result_size, _in_memory, _mapped, tally

__all__ = ["histogram", "histogram_bin_edges", "histogram2d", "histogramdd", "bincount",
           "digitize"]

_INDEX = np.dtype(np.intp)


# -- histogram edges ----------------------------------------------------------------------
def _outer_edges(array: OOArray, range: Any, bounds: np.ndarray | None = None
                 ) -> tuple[Any, Any]:
    """The outer edges (NumPy's rule): ``range``, or the data's min and max from ``bounds``
    or from a pass over ``array``."""
    def measured() -> tuple[Any, Any]:
        record = bounds if bounds is not None else _bounds([array])[0]
        return record["lo"], record["hi"]

    return outer_edges(range, array.size, measured)


class _InRange:
    """The :class:`~ooarray.algorithms.histograms.Summary` of the data within the range: each number
    computed once, by a tally (or ``np.percentile``) over the OOArray, when first asked."""

    def __init__(self, array: OOArray, range: tuple[Any, Any] | None,
                 record: np.ndarray, edges: tuple[Any, Any]) -> None:
        self.array, self.range, self.edges = array, range, edges
        self.size = int(record["n"])
        self.lo, self.hi, self.total = record["lo"], record["hi"], record["s"]
        # the dtype NumPy's np.std and np.mean give for this data
        self.moment_dtype = _numpy_result(np.std, array).dtype

    def ptp(self) -> Any:
        return unsigned_subtract(self.hi, self.lo)

    def _moment(self, center: float, scale: float, power: int) -> float:
        spec = MomentSpec(center, scale, power, self.range)
        return float(tally([self.array], spec).compute()[0])

    @functools.cached_property
    def mean(self) -> float:
        return float(self.total.real) / self.size

    @functools.cached_property
    def std(self) -> Any:
        spread = math.sqrt(self._moment(self.mean, 1.0, 2) / self.size)
        return self.moment_dtype.type(spread)

    def skew(self) -> Any:
        return self.moment_dtype.type(self._moment(self.mean, float(self.std), 3) / self.size)

    def percentile(self, q: list[float]) -> np.ndarray:
        if self.range is None:
            return np.asarray(np.percentile(self.array, q))
        first, last = self.range  # values out of range become NaN, which nanpercentile skips
        inside = (self.array >= first) & (self.array <= last)
        return np.asarray(np.nanpercentile(np.where(inside, self.array, np.nan), q))

    def histograms(self, most: int) -> np.ndarray:
        spec = StoneSpec(most, self.edges)
        _check_result_size(f"bins='stone' over {self.size} values ({most} histograms)",
                           spec.shape[0], spec.dtype)
        return tally([self.array], spec).compute()


def _estimated_bins(array: OOArray, name: str, range: Any) -> tuple[Any, Any, int]:
    """NumPy's number of equal bins for estimator ``name``: ``(first, last, n)``."""
    if array.dtype.kind == "c":
        raise NotImplementedError(f"bins={name!r} of complex data is not supported by ooarray")
    if range is not None:
        first_edge, last_edge = _outer_edges(array, range)
        record = _bounds([array], (first_edge, last_edge), with_sum=True)[0]
    else:
        record = _bounds([array], None, with_sum=True)[0] if array.size else None
        first_edge, last_edge = _outer_edges(array, None, record)
    if record is None or int(record["n"]) == 0:
        return first_edge, last_edge, 1
    edges = (first_edge, last_edge)
    data = _InRange(array, None if range is None else edges, record, edges)
    width = ESTIMATORS[name](data, edges)
    return first_edge, last_edge, equal_bins(width, array.dtype, first_edge, last_edge)


def _bin_edges(array: OOArray, bins: Any, range: Any, weights: Any
               ) -> tuple[np.ndarray, tuple[Any, Any, int] | None]:
    """NumPy's ``_get_bin_edges``: the edges, and (first, last, n) for equal bins."""
    if isinstance(bins, OOArray):
        bins = bins.compute()
    if isinstance(bins, str):
        if bins not in ESTIMATORS:
            raise ValueError(f"{bins!r} is not a valid estimator for `bins`")
        if weights is not None:
            raise TypeError("Automated estimation of the number of bins is not supported for "
                            "weighted data")
        first_edge, last_edge, n = _estimated_bins(array, bins, range)
    elif np.ndim(bins) == 0:
        try:
            n = operator.index(bins)
        except TypeError as e:
            raise TypeError("`bins` must be an integer, a string, or an array") from e
        if n < 1:
            raise ValueError("`bins` must be positive, when an integer")
        _check_result_size(f"a histogram of {n} bins", n + 1, np.float64)
        first_edge, last_edge = _outer_edges(array, range)
    elif np.ndim(bins) == 1:
        edges = np.asarray(bins)
        if np.any(edges[:-1] > edges[1:]):
            raise ValueError("`bins` must increase monotonically, when an array")
        return edges, None
    else:
        raise ValueError("`bins` must be 1d, when an array")
    _check_result_size(f"a histogram of {n} bins", n + 1, np.float64)
    # NumPy makes the edges (and refuses too many bins for the range) on a stand-in.
    edges = np.histogram_bin_edges(np.zeros(1, array.dtype), n, range=(first_edge, last_edge))
    return edges, (first_edge, last_edge, n)


def _checked(a: Any, weights: Any) -> tuple[OOArray, OOArray | None]:
    """NumPy's ``_ravel_and_check_weights``, without the ravel (counting ignores order)."""
    array = asarray(a)
    if array.dtype == np.bool_:
        warnings.warn(f"Converting input from {array.dtype} to {np.uint8} for compatibility.",
                      RuntimeWarning, stacklevel=4)
        array = array.astype(np.uint8)
    if weights is None:
        return array, None
    w = asarray(weights)
    if w.shape != array.shape:
        raise ValueError("weights should have the same shape as a.")
    return array, w


@implements(np.histogram_bin_edges)
def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None,
                        weights: Any = None) -> OOArray:
    """The bin edges ``np.histogram`` would use, as ``np.histogram_bin_edges``.

    The data's minimum and maximum (and for an estimator its spread) are computed now, in
    one or two passes that keep a few numbers each.

    Parameters
    ----------
    a : array_like
    bins : int, sequence of scalars or str
        A number of equal bins, the edges, or one of NumPy's estimators ('auto', 'fd',
        'doane', 'scott', 'stone', 'rice', 'sturges', 'sqrt').
    range : (float, float), optional
    weights : array_like, optional
        Only checked (estimators refuse weighted data, as NumPy's do).

    Returns
    -------
    OOArray
        The edges.

    Raises
    ------
    ValueError
        Bad bins or range, or a range that is not finite.
    NotImplementedError
        An estimator for complex data.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.histogram_bin_edges(oa.asarray(np.arange(5.0)), bins=4).compute()
    array([0., 1., 2., 3., 4.])
    """
    array, w = _checked(a, weights)
    edges, _ = _bin_edges(array, bins, range, w)
    return asarray(edges)


@implements(np.histogram)
def histogram(a: Any, bins: Any = 10, range: Any = None, density: Any = None,
              weights: Any = None) -> tuple[OOArray, OOArray]:
    """Histogram of an array, as ``np.histogram``; the counts are computed lazily.

    Parameters
    ----------
    a : array_like
        Flattened, as NumPy does (the order does not matter to counting).
    bins : int, sequence of scalars or str
        See :func:`histogram_bin_edges`.
    range : (float, float), optional
    density : bool, optional
    weights : array_like, optional
        Of ``a``'s shape; the counts take their dtype.

    Returns
    -------
    hist : OOArray
        Counts (``intp``, or the weights' dtype), or densities (float64).
    bin_edges : OOArray

    Raises
    ------
    ValueError, TypeError
        As NumPy, for bad bins, range, weights, or data with no finite range.
    BudgetError
        If the counts of all bins do not fit in a share of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> hist, edges = np.histogram(oa.asarray(np.array([1, 2, 2, 3, 3, 3]), chunks=2), bins=3)
    >>> hist.compute(), edges.compute()
    (array([1, 2, 3]), array([1.        , 1.66666667, 2.33333333, 3.        ]))
    """
    array, w = _checked(a, weights)
    edges, uniform = _bin_edges(array, bins, range, w)
    ntype = _INDEX if w is None else w.dtype
    if uniform is None:
        bins_arg, range_arg = edges, None
    else:
        bins_arg, range_arg = uniform[2], uniform[:2]
    nbins = len(edges) - 1
    _check_result_size(f"a histogram of {nbins} bins", nbins, ntype)
    # NumPy's errors for these weights (bool weights with explicit edges, say) on a stand-in
    np.histogram(np.zeros(1, array.dtype), bins_arg, range_arg,
                 weights=None if w is None else np.ones(1, w.dtype))
    operands = [array] if w is None else [array, w]
    itemsize = sum(op.dtype.itemsize for op in operands)
    hist = tally(operands, HistogramSpec(bins_arg, range_arg, ntype, nbins, itemsize))
    if density:
        db = np.array(np.diff(edges), float)
        return hist / db / hist.sum(), asarray(edges)
    return hist, asarray(edges)


# -- histogramdd, histogram2d -------------------------------------------------------------
def _coordinates(sample: Any) -> list[OOArray]:
    """The D coordinate arrays (each of length N) of a sample, as NumPy reads them."""
    if isinstance(sample, (list, tuple)):
        if all(np.ndim(item) == 0 and not isinstance(item, OOArray) for item in sample):
            return [asarray(np.asarray(sample))]
        coords = [asarray(item) for item in sample]
        if any(c.ndim != 1 for c in coords) or len({c.shape for c in coords}) > 1:
            raise ValueError("histogramdd takes a sample of shape (N, D) or a sequence of D "
                             "arrays of length N; got arrays of shapes "
                             f"{[c.shape for c in coords]}")
        dtype = np.result_type(*[c.dtype for c in coords])
        return [c.astype(dtype, copy=False) for c in coords]
    array = asarray(sample)
    if array.ndim == 0:
        return [array[None]]
    if array.ndim == 1:
        return [array]
    if array.ndim > 2:
        raise ValueError("too many values to unpack (expected 2)")
    return [array[:, i] for i in builtins.range(array.shape[1])]


@implements(np.histogramdd)
def histogramdd(sample: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple[OOArray, list[OOArray]]:
    """Multidimensional histogram, as ``np.histogramdd``; the counts are computed lazily.

    Parameters
    ----------
    sample : (N, D) array_like, or a sequence of D arrays of length N
    bins : int, sequence of int, or sequence of edge arrays
    range : sequence of (min, max) or None, one per dimension
    density : bool, optional
    weights : (N,) array_like, optional

    Returns
    -------
    hist : OOArray
        float64 counts (or densities) of shape (bins_0, ..., bins_D-1).
    edges : list of OOArray

    Raises
    ------
    ValueError, TypeError, RuntimeError
        As NumPy.
    BudgetError
        If the counts (with NumPy's outlier bins) do not fit in a share of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> xy = oa.asarray(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]]), chunks=2)
    >>> np.histogramdd(xy, bins=2)[0].compute()
    array([[1., 0.],
           [1., 1.]])
    """
    coords = _coordinates(sample)
    dims, count = len(coords), coords[0].shape[0]
    w = None if weights is None else asarray(weights)
    if w is not None:
        if w.ndim != 1:
            raise ValueError("object too deep for desired array" if w.ndim else
                             "object of too small depth for desired array")
        if w.shape[0] != count:
            raise ValueError("The weights and list don't have the same length.")
        np.bincount(np.zeros(1, _INDEX), np.zeros(1, w.dtype))  # NumPy's dtype errors
    try:
        if len(bins) != dims:
            raise ValueError("The dimension of bins must be equal to the dimension of the "
                             "sample x.")
    except TypeError:
        bins = dims * [bins]
    bins = [b.compute() if isinstance(b, OOArray) else b for b in bins]
    if range is None:
        range = (None,) * dims
    elif len(range) != dims:
        raise ValueError("range argument must have one entry per dimension")
    # one pass for the min and max of every axis whose edges the data decides
    measured = [i for i in builtins.range(dims)
                if np.ndim(bins[i]) == 0 and range[i] is None and count]
    found = _bounds([coords[i] for i in measured]) if measured else None
    records = {i: found[n] for n, i in enumerate(measured)}
    edges: list[np.ndarray] = []
    for i in builtins.range(dims):
        if np.ndim(bins[i]) == 0:
            if bins[i] < 1:
                raise ValueError(f"`bins[{i}]` must be positive, when an integer")
            smin, smax = _outer_edges(coords[i], range[i], records.get(i))
            try:
                n = operator.index(bins[i])
            except TypeError as e:
                raise TypeError(f"`bins[{i}]` must be an integer, when a scalar") from e
            _check_result_size(f"a histogram of {n} bins", n + 1, np.float64)
            edges.append(np.linspace(smin, smax, n + 1))
        elif np.ndim(bins[i]) == 1:
            edges.append(np.asarray(bins[i]))
            if np.any(edges[i][:-1] > edges[i][1:]):
                raise ValueError(f"`bins[{i}]` must be monotonically increasing, when an array")
        else:
            raise ValueError(f"`bins[{i}]` must be a scalar or 1d array")
    spec = HistogramDDSpec(edges, w is not None)
    _check_result_size(f"a histogram of {spec.shape} bins", math.prod(spec.shape), spec.dtype)
    hist = tally(coords + ([w] if w is not None else []), spec)
    hist = hist.astype(np.float64)[(slice(1, -1),) * dims]
    if density:
        total = hist.sum()
        for i in builtins.range(dims):
            shape = [1] * dims
            shape[i] = len(edges[i]) - 1
            hist = hist / np.diff(edges[i]).reshape(shape)
        hist = hist / total
    return hist, [asarray(e) for e in edges]


@implements(np.histogram2d)
def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple[OOArray, OOArray, OOArray]:
    """Two-dimensional histogram, as ``np.histogram2d`` (see :func:`histogramdd`).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> x = oa.asarray(np.array([0.0, 1.0, 1.0]))
    >>> np.histogram2d(x, x, bins=2)[0].compute()
    array([[1., 0.],
           [0., 2.]])
    """
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n not in (1, 2):
        xedges = yedges = _in_memory(bins)
        bins = [xedges, yedges]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


# -- bincount, digitize -------------------------------------------------------------------
@implements(np.bincount)
def bincount(x: Any, /, weights: Any = None, minlength: Any = 0) -> OOArray:
    """Count of each non-negative integer, as ``np.bincount``.

    The largest value (and whether any is negative) is computed first, in one pass that keeps
    two numbers; the counts are then a lazy tally. A result too large for one task is cut
    into chunks, each of which reads the input once.

    Parameters
    ----------
    x : 1-d array_like of non-negative ints
    weights : array_like, optional
        Of ``x``'s shape; the result is then float64.
    minlength : int

    Returns
    -------
    OOArray
        Of length ``max(x.max() + 1, minlength)``.

    Raises
    ------
    ValueError
        Negative values, ``x`` not one-dimensional, weights of another length, negative
        ``minlength``.
    TypeError
        ``x`` not of an integer dtype, complex weights.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.bincount(oa.asarray(np.array([0, 1, 1, 3]), chunks=3), minlength=6).compute()
    array([1, 2, 0, 1, 0, 0])
    """
    array = asarray(x)
    w = None if weights is None else asarray(weights)
    # NumPy's errors for dtypes, depth and minlength, on one-element stand-ins
    np.bincount(np.zeros((1,) * builtins.min(array.ndim, 2) if array.ndim else (), array.dtype),
                None if w is None else np.zeros((1,) * w.ndim, w.dtype), minlength=minlength)
    minlength = operator.index(minlength)
    if array.size == 0:
        return asarray(np.zeros(minlength, _INDEX))
    if w is not None and w.shape != array.shape:  # checked before the pass over x
        raise ValueError("The weights and list don't have the same length.")
    record = _bounds([array])[0]
    if record["lo"] < 0:
        raise ValueError("'list' argument must have no negative elements")
    length = builtins.max(int(record["hi"]) + 1, minlength)
    spec = BincountSpec(length, w is not None)
    return tally([array] if w is None else [array, w], spec, chunked=True)



@implements(np.digitize)
def digitize(x: Any, bins: Any, right: bool = False) -> OOArray:
    """Indices of the bins each value falls in, as ``np.digitize`` (lazily, chunk by chunk).

    Parameters
    ----------
    x : array_like
    bins : 1-d array_like, monotonic
        Held in memory.
    right : bool

    Returns
    -------
    OOArray
        intp, of ``x``'s shape.

    Raises
    ------
    ValueError
        ``bins`` not one-dimensional or not monotonic.
    TypeError
        Complex ``x``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.digitize(oa.asarray(np.array([0.5, 1.5, 3.0]), chunks=2), [1, 2, 3]).compute()
    array([0, 1, 3])
    """
    array = asarray(x)
    edges = _in_memory(bins)
    _check_result_size(f"digitize with {edges.size} bins", edges.size, edges.dtype)
    dtype = np.asarray(np.digitize(np.zeros((1,) * array.ndim, array.dtype), edges, right)).dtype
    func = functools.partial(np.digitize, bins=edges, right=right)
    return _mapped(func, [array], dtype, "digitize", temporaries=2)
