"""What each tally of :mod:`ooarray.algorithms.tallies` adds per input block.

* :class:`BoundsSpec`: count, minimum, maximum (and sum) of each operand, optionally only of
  the values inside a range: the data range of a histogram, the length of a bincount.
* :class:`MomentSpec`: the sum of ``((x - center) / scale) ** power`` over the values in a
  range: the spread and skew the histogram bin estimators need (two passes: mean first).
* :class:`HistogramSpec`: ``np.histogram`` of each block, added up; with one integer number of
  bins and a range, NumPy computes exactly the same bin of every value block by block as over
  the whole array. :class:`StoneSpec` holds the histograms for 1..n bins at once.
* :class:`HistogramDDSpec`: NumPy's ``histogramdd`` counting (searchsorted per axis, ravelled
  bin index, ``bincount``) per block, outlier bins included.
* :class:`BincountSpec`: ``np.bincount`` of the values that fall in one chunk of the result.
* :class:`CentredProductSpec`: ``np.cov``'s sum of products of deviations, one block of
  observations at a time.

Counts are exact; weighted sums are added block by block, so their rounding differs from
NumPy's single sequential sum by a few ulps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ooarray.chunks import Region
from ooarray.plan.graph import frozen

__all__ = ["BoundsSpec", "MomentSpec", "HistogramSpec", "StoneSpec", "HistogramDDSpec",
           "BincountSpec", "CentredProductSpec", "NUMPY_HISTOGRAM_SCRATCH"]

#: np.histogram walks its input in slices of 65536 values; its temporaries per slice (the
#: kept values, float indices, int indices, comparison masks) stay below this.
NUMPY_HISTOGRAM_SCRATCH = 65536 * 48
_INDEX = np.dtype(np.intp)


def _extremes(dtype: np.dtype) -> tuple[Any, Any]:
    """The identities of minimum and maximum for ``dtype``: its largest and smallest values."""
    if dtype.kind == "b":
        return True, False
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.max, info.min
    if dtype.kind == "c":
        return complex(np.inf, np.inf), complex(-np.inf, -np.inf)
    return np.inf, -np.inf


def _within(block: np.ndarray, bounds: tuple[Any, Any] | None) -> np.ndarray | None:
    """The mask of values in ``bounds`` (inclusive, NaN outside), or None for no bounds."""
    if bounds is None:
        return None
    keep = block >= bounds[0]
    keep &= block <= bounds[1]
    return keep


class _Sum:
    """Accumulators combine by addition (counts and weighted sums)."""

    def start(self, out: np.ndarray, region: Region) -> None:
        out[...] = 0

    def merge(self, out: np.ndarray, part: np.ndarray) -> None:
        np.add(out, part, out=out)


class BoundsSpec:
    """Count, minimum, maximum and (``with_sum``) sum of each operand within ``bounds``.

    Minimum and maximum propagate NaN (without bounds) as ``a.min()`` does.
    """

    name = "bounds"

    def __init__(self, dtype: np.dtype, operands: int, bounds: tuple[Any, Any] | None = None,
                 with_sum: bool = False) -> None:
        self.bounds, self.with_sum = bounds, with_sum
        self.sum_dtype = np.dtype(np.complex128 if dtype.kind == "c" else np.float64)
        fields = [("n", np.int64), ("lo", dtype), ("hi", dtype)]
        self.dtype = np.dtype(fields + ([("s", self.sum_dtype)] if with_sum else []))
        self.shape = (operands,)
        self.identity = _extremes(np.dtype(dtype))

    def scratch_bytes(self, items: int, out_items: int) -> int:
        return 2 * items if self.bounds is not None else 0

    def start(self, out: np.ndarray, region: Region) -> None:
        out["n"] = 0
        out["lo"], out["hi"] = self.identity
        if self.with_sum:
            out["s"] = 0

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        for i, block in enumerate(arrays):
            keep = _within(block, self.bounds)
            count = block.size if keep is None else int(np.count_nonzero(keep))
            if not count:
                continue
            where = True if keep is None else keep
            lo = np.minimum.reduce(block, axis=None, where=where, initial=self.identity[0])
            hi = np.maximum.reduce(block, axis=None, where=where, initial=self.identity[1])
            out["n"][i] += count
            out["lo"][i] = np.minimum(out["lo"][i], lo)
            out["hi"][i] = np.maximum(out["hi"][i], hi)
            if self.with_sum:
                out["s"][i] += np.add.reduce(block, axis=None, where=where,
                                             dtype=self.sum_dtype)

    def merge(self, out: np.ndarray, part: np.ndarray) -> None:
        out["n"] += part["n"]
        out["lo"] = np.minimum(out["lo"], part["lo"])
        out["hi"] = np.maximum(out["hi"], part["hi"])
        if self.with_sum:
            out["s"] += part["s"]


class MomentSpec(_Sum):
    """Sum of ``((x - center) / scale) ** power`` over the values within ``bounds``."""

    name = "moment"
    dtype = np.dtype(np.float64)
    shape = (1,)

    def __init__(self, center: float, scale: float, power: int,
                 bounds: tuple[Any, Any] | None) -> None:
        self.center, self.scale, self.power, self.bounds = center, scale, power, bounds

    def scratch_bytes(self, items: int, out_items: int) -> int:
        return items * (self.dtype.itemsize + 2)

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        block = arrays[0]
        keep = _within(block, self.bounds)
        values = np.subtract(block, self.center, dtype=np.float64)
        values /= self.scale
        np.power(values, self.power, out=values)
        out[0] += np.add.reduce(values, axis=None, where=True if keep is None else keep)


class HistogramSpec(_Sum):
    """``np.histogram(block, bins, range, weights=...)[0]`` of each block, added up.

    Parameters
    ----------
    bins : int or ndarray
        A number of equal bins over ``range``, or the bin edges.
    range : (first, last) or None
        The outer edges for a number of bins (NumPy's own values and types).
    dtype : numpy.dtype
        ``intp``, or the weights' dtype.
    nbins : int
    itemsize : int
        Bytes per element of the data and the weights together.
    """

    name = "histogram"

    def __init__(self, bins: int | np.ndarray, range: tuple[Any, Any] | None,
                 dtype: np.dtype, nbins: int, itemsize: int) -> None:
        self.bins = frozen(bins) if isinstance(bins, np.ndarray) else bins
        self.range, self.dtype, self.shape = range, np.dtype(dtype), (nbins,)
        self.itemsize = itemsize

    def scratch_bytes(self, items: int, out_items: int) -> int:
        # ravelled copies of a strided block and its weights, NumPy's per-slice temporaries,
        # and the edges, counts and bincount of the block
        return items * self.itemsize + NUMPY_HISTOGRAM_SCRATCH + 3 * out_items * 8

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        weights = arrays[1] if len(arrays) > 1 else None
        counts, _ = np.histogram(arrays[0], bins=self.bins, range=self.range, weights=weights)
        np.add(out, counts, out=out)


class StoneSpec(_Sum):
    """The histograms of the data for 1, 2, ..., ``most`` equal bins over ``range``, one after
    another (``np.histogram``'s 'stone' estimator compares them all)."""

    name = "histograms"
    dtype = _INDEX

    def __init__(self, most: int, range: tuple[Any, Any]) -> None:
        self.most, self.range = most, range
        self.shape = (most * (most + 1) // 2,)

    @staticmethod
    def offset(nbins: int) -> int:
        """Where the histogram of ``nbins`` bins starts."""
        return nbins * (nbins - 1) // 2

    def scratch_bytes(self, items: int, out_items: int) -> int:
        return items * 16 + NUMPY_HISTOGRAM_SCRATCH + 3 * self.most * 8

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        for nbins in range(1, self.most + 1):
            counts, _ = np.histogram(arrays[0], bins=nbins, range=self.range)
            start = self.offset(nbins)
            out[start:start + nbins] += counts


class HistogramDDSpec(_Sum):
    """NumPy's ``histogramdd`` count of each block, with the outlier bins of every axis.

    Parameters
    ----------
    edges : sequence of ndarray
        The bin edges of each axis.
    weighted : bool
        The last operand holds weights (summed as float64, as ``np.bincount`` does).
    """

    name = "histogramdd"

    def __init__(self, edges: Sequence[np.ndarray], weighted: bool) -> None:
        self.edges, self.weighted = [frozen(np.asarray(e)) for e in edges], weighted
        self.shape = tuple(len(e) + 1 for e in self.edges)
        self.dtype = np.dtype(np.float64 if weighted else np.intp)

    def scratch_bytes(self, items: int, out_items: int) -> int:
        return items * (8 * (len(self.edges) + 3) + 1) + 2 * out_items * 8

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        coords = arrays[:len(self.edges)]
        weights = arrays[-1].ravel() if self.weighted else None
        counts = []
        for x, edges in zip(coords, self.edges, strict=True):
            x = x.ravel()
            index = np.searchsorted(edges, x, side="right")
            index[x == edges[-1]] -= 1
            counts.append(index)
        flat = np.ravel_multi_index(counts, self.shape)
        total = math.prod(self.shape)
        np.add(out, np.bincount(flat, weights, minlength=total).reshape(self.shape), out=out)


class BincountSpec(_Sum):
    """``np.bincount`` of each block, for the bins of one chunk of the result.

    The values are known to lie in ``[0, length)`` (a first pass checked them).
    """

    name = "bincount"

    def __init__(self, length: int, weighted: bool) -> None:
        self.shape, self.weighted = (length,), weighted
        self.dtype = np.dtype(np.float64 if weighted else np.intp)

    def scratch_bytes(self, items: int, out_items: int) -> int:
        # the values as intp and the weights as float64 (copies unless they are already),
        # and for a chunk of the bins the mask and the selected and shifted copies
        per_item = 16 if out_items == self.shape[0] else 8 * 4 + 1
        return items * per_item + out_items * 8

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        values = arrays[0].ravel()
        weights = arrays[1].ravel() if self.weighted else None
        lo, hi = region[0].start, region[0].stop
        if (lo, hi) != (0, self.shape[0]):
            keep = values >= lo
            keep &= values < hi
            values = values[keep].astype(np.intp) - lo
            weights = weights[keep] if weights is not None else None
        np.add(out, np.bincount(values, weights, minlength=hi - lo), out=out)


class CentredProductSpec(_Sum):
    """``(x - mean) @ ((x - mean) * w).T.conj()`` of each block of observations, added up.

    Operands: the variables (p rows, a block of observation columns), the means broadcast to
    that shape, and (``weighted``) the weights broadcast likewise. The deviations are taken in
    the variables' dtype, as NumPy's in-place ``X -= avg[:, None]`` does.
    """

    name = "cov"

    def __init__(self, variables: int, dtype: np.dtype, centred: np.dtype,
                 weighted: bool) -> None:
        self.shape, self.dtype = (variables, variables), np.dtype(dtype)
        self.centred, self.weighted = np.dtype(centred), weighted

    def scratch_bytes(self, items: int, out_items: int) -> int:
        # the deviations, their weighted (conjugated) copy, and the block's product
        return items * (self.centred.itemsize + 2 * self.dtype.itemsize) \
            + out_items * self.dtype.itemsize

    def add(self, arrays: list[np.ndarray], out: np.ndarray, region: Region) -> None:
        centred = np.empty(arrays[0].shape, self.centred)
        np.subtract(arrays[0], arrays[1], out=centred, casting="unsafe")
        right = centred * arrays[2] if self.weighted else centred
        if right.dtype.kind == "c":
            right = np.conjugate(right, out=right if right is not centred else None)
        out += np.dot(centred, right.T)
