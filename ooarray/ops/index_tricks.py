"""Index tricks, diagonals and products: ``diag``, ``diagflat``, ``diag_indices_from``,
``tril_indices_from``, ``triu_indices_from``, ``kron``, ``cross``, ``ravel_multi_index``,
``unravel_index``, ``ix_`` (issue 16, item 4).

Compositions, as the shapes family's (:mod:`ooarray.ops.shapes_indices`): ``diag``, the
triangle indices and ``unravel_index`` are elementwise expressions over ``arange`` (the
triangle indices the count-first ``nonzero`` of a lazy mask); ``kron`` a broadcast product
merged by a reshape. Bounds that decide an error (``mode='raise'``) are checked by a min/max
pass before the result is built, so NumPy's errors come at the call.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import arange, asarray, zeros
from ooarray.ops.indexing import nonzero
from ooarray.ops.joining import concatenate, stack
from ooarray.ops.linalg import diagonal
from ooarray.ops.manipulation import broadcast_to, moveaxis, ravel, reshape
from ooarray.ops.shapes_indices import extremes

__all__ = ["diag", "diagflat", "diag_indices_from", "tril_indices_from", "triu_indices_from",
           "kron", "cross", "ravel_multi_index", "unravel_index", "ix_"]

_INTP = np.dtype(np.intp)


# -- diagonals and triangle indices ---------------------------------------------------------
@implements(np.diag)
def diag(v: Any, k: int = 0) -> OOArray:
    """A diagonal (2-D input) or a matrix with ``v`` on diagonal ``k`` (1-D), as ``np.diag``.

    The matrix is ``where(col - row == k, v, 0)`` over ``arange`` grids: no memory beyond a
    task's regions.

    Raises
    ------
    ValueError
        For inputs that are not 1-D or 2-D.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.diag(oa.asarray([1, 2]), 1).compute()
    array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]])
    """
    x = asarray(v)
    k = operator.index(k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = x.shape[0] + abs(k)
    padded = concatenate([x, zeros((abs(k),), x.dtype)]) if k else x
    laid = padded[:, None] if k >= 0 else padded[None, :]
    return np.where(_offsets(n, n) == k, laid, np.zeros((), x.dtype))


def _offsets(rows: int, cols: int) -> OOArray:
    """``col - row`` over a ``(rows, cols)`` grid, lazily."""
    return arange(cols, dtype=_INTP)[None, :] - arange(rows, dtype=_INTP)[:, None]


@implements(np.diagflat)
def diagflat(v: Any, k: int = 0) -> OOArray:
    """A matrix with the flattened input on diagonal ``k``, as ``np.diagflat``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.diagflat(oa.asarray([[1, 2]])).compute()
    array([[1, 0],
           [0, 2]])
    """
    return diag(ravel(asarray(v)), k)


@implements(np.diag_indices_from)
def diag_indices_from(arr: Any) -> tuple[OOArray, ...]:
    """The indices of the main diagonal of an n-cube, as ``np.diag_indices_from``.

    Raises
    ------
    ValueError
        For fewer than two dimensions or unequal lengths.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [i.tolist() for i in np.diag_indices_from(oa.zeros((2, 2)))]
    [[0, 1], [0, 1]]
    """
    x = asarray(arr)
    if x.ndim < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(x.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    index = arange(x.shape[0], dtype=_INTP)
    return (index,) * x.ndim


def _triangle_indices(arr: Any, k: Any, upper: bool) -> tuple[OOArray, ...]:
    x = asarray(arr)
    if x.ndim != 2:
        raise ValueError("input array must be 2-d")
    offsets = _offsets(*x.shape)
    k = operator.index(k)
    return nonzero(offsets >= k if upper else offsets <= k)


@implements(np.tril_indices_from)
def tril_indices_from(arr: Any, k: int = 0) -> tuple[OOArray, OOArray]:
    """The indices of the lower triangle of a 2-D array, as ``np.tril_indices_from``
    (counted first, then compacted: nothing of the size of the array in memory).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [i.tolist() for i in np.tril_indices_from(oa.zeros((2, 2)))]
    [[0, 1, 1], [0, 0, 1]]
    """
    return _triangle_indices(arr, k, False)


@implements(np.triu_indices_from)
def triu_indices_from(arr: Any, k: int = 0) -> tuple[OOArray, OOArray]:
    """The indices of the upper triangle of a 2-D array, as ``np.triu_indices_from``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [i.tolist() for i in np.triu_indices_from(oa.zeros((2, 2)))]
    [[0, 0, 1], [0, 1, 1]]
    """
    return _triangle_indices(arr, k, True)


# -- products -------------------------------------------------------------------------------
@implements(np.kron)
def kron(a: Any, b: Any) -> OOArray:
    """Kronecker product, as ``np.kron``: a broadcast product merged by a reshape.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.kron(oa.asarray([1, 10]), [1, 2]).compute()
    array([ 1,  2, 10, 20])
    """
    y = asarray(b)
    x = asarray(a)
    if x.ndim < y.ndim:
        x = reshape(x, (1,) * (y.ndim - x.ndim) + x.shape)
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    y = reshape(y, (1,) * (x.ndim - y.ndim) + y.shape)
    spread_x = reshape(x, tuple(s for n in x.shape for s in (n, 1)))
    spread_y = reshape(y, tuple(s for n in y.shape for s in (1, n)))
    return reshape(np.multiply(spread_x, spread_y),
                   tuple(p * q for p, q in zip(x.shape, y.shape, strict=True)))


@implements(np.cross)
def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> OOArray:
    """Cross product of 2- or 3-vectors along the given axes, as ``np.cross``.

    Components are elementwise expressions of slices, stacked along ``axisc``.

    Raises
    ------
    ValueError
        For 0-d inputs or vector lengths other than 2 and 3.
    numpy.exceptions.AxisError
        For axes out of range.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.cross(oa.asarray([1, 0, 0]), [0, 1, 0]).compute()
    array([0, 0, 1])
    """
    if axis is not None:
        axisa, axisb, axisc = (axis,) * 3
    x, y = asarray(a), asarray(b)
    if x.ndim < 1 or y.ndim < 1:
        raise ValueError("At least one array has zero dimension")
    x = moveaxis(x, normalize_axis_index(axisa, x.ndim, msg_prefix="axisa"), -1)
    y = moveaxis(y, normalize_axis_index(axisb, y.ndim, msg_prefix="axisb"), -1)
    if x.shape[-1] not in (2, 3) or y.shape[-1] not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if x.shape[-1] == 2 or y.shape[-1] == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    shape = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    dtype = np.promote_types(x.dtype, y.dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    if x.shape[-1] == 2 and y.shape[-1] == 2:
        return broadcast_to(x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0], shape)
    axisc = normalize_axis_index(axisc, len(shape) + 1, msg_prefix="axisc")
    a0, a1, a2 = (x[..., i] if i < x.shape[-1] else None for i in range(3))
    b0, b1, b2 = (y[..., i] if i < y.shape[-1] else None for i in range(3))
    parts = [_minus(a1, b2, a2, b1), _minus(a2, b0, a0, b2), _minus(a0, b1, a1, b0)]
    return stack([broadcast_to(p, shape) for p in parts], axis=axisc)


def _minus(p: OOArray | None, q: OOArray | None, r: OOArray | None,
           s: OOArray | None) -> OOArray:
    """``p*q - r*s``, a missing third component counting as zero."""
    if p is None or q is None:
        return np.negative(r * s)
    if r is None or s is None:
        return p * q
    return p * q - r * s


# -- flat and multi-indices -----------------------------------------------------------------
def _index_operands(values: Any) -> list[Any]:
    return [v if isinstance(v, OOArray) else np.asarray(v) for v in values]


def _stand_ins(values: list[Any]) -> list[np.ndarray]:
    return [np.empty((0,), v.dtype) for v in values]


@implements(np.ravel_multi_index)
def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise",
                      order: str = "C") -> Any:
    """Flat indices of a tuple of coordinate arrays, as ``np.ravel_multi_index``.

    An elementwise sum of coordinates times strides; with ``mode='raise'`` a min/max pass
    over each coordinate array raises NumPy's ValueError first. Coordinates that are all
    0-d (one point) are computed, and NumPy's scalar is returned, as NumPy.

    Raises
    ------
    ValueError
        Coordinates out of range (``mode='raise'``), a wrong number of arrays, bad dims.
    TypeError
        For coordinates that are not integers.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.ravel_multi_index((oa.asarray([1, 2]), oa.asarray([0, 3])), (3, 4)).compute()
    array([ 4, 11])
    """
    coords = _index_operands(multi_index)
    np.ravel_multi_index(tuple(_stand_ins(coords)), dims, mode=mode, order=order)
    if coords and all(np.ndim(c) == 0 for c in coords):  # one point: NumPy's scalar
        values = tuple(c.compute() if isinstance(c, OOArray) else c for c in coords)
        return np.ravel_multi_index(values, dims, mode=mode, order=order)
    dims = tuple(operator.index(d) for d in (dims if np.iterable(dims) else (dims,)))
    modes = tuple(mode) if isinstance(mode, (tuple, list)) else (mode,) * len(dims)
    shape = np.broadcast_shapes(*[np.shape(c) for c in coords])
    lengths = reversed(dims[1:]) if order == "C" else dims[:-1]
    strides = list(np.cumprod([1, *lengths], dtype=np.int64))
    strides = strides[::-1] if order == "C" else strides
    total: Any = None
    for coord, length, how, stride in zip(coords, dims, modes, strides, strict=True):
        coord = asarray(coord).astype(_INTP, copy=False)
        if how == "raise" and math.prod(shape) and coord.size:
            low, high = extremes(coord)
            if low < 0 or high >= length:
                raise ValueError("invalid entry in coordinates array")
        elif how == "wrap":
            coord = np.mod(coord, length)
        elif how == "clip":
            coord = np.clip(coord, 0, length - 1)
        term = coord * _INTP.type(stride)
        total = term if total is None else total + term
    return broadcast_to(total, shape)


@implements(np.unravel_index)
def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple[Any, ...]:
    """Coordinate arrays of flat indices, as ``np.unravel_index``: floor divisions and
    remainders, after a min/max pass for NumPy's ValueError on out-of-range indices. A 0-d
    index is computed by that pass: its coordinates are NumPy's scalars, as NumPy's.

    Raises
    ------
    ValueError
        For indices outside ``[0, prod(shape))``.
    TypeError
        For indices that are not integers.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [c.tolist() for c in np.unravel_index(oa.asarray([5, 7]), (2, 4))]
    [[1, 1], [1, 3]]
    """
    flat = indices if isinstance(indices, OOArray) else np.asarray(indices)
    np.unravel_index(np.empty((0,), flat.dtype), shape, order=order)
    dims = tuple(operator.index(d) for d in (shape if np.iterable(shape) else (shape,)))
    size = math.prod(dims)
    flat = asarray(flat).astype(_INTP, copy=False)
    if flat.size:
        low, high = extremes(flat)
        bad = low if low < 0 else high
        if low < 0 or high >= size:
            raise ValueError(f"index {bad} is out of bounds for array with size {size}")
        if flat.ndim == 0:  # the index is computed already: NumPy's scalars
            return np.unravel_index(low, dims, order=order)
    coords: list[OOArray] = []
    walk = reversed(dims) if order == "C" else dims
    rest = flat
    for length in walk:
        coords.append(rest % _INTP.type(length) if length else rest)
        rest = rest // _INTP.type(length) if length else rest
    return tuple(coords[::-1] if order == "C" else coords)


@implements(np.ix_)
def ix_(*args: Any) -> tuple[OOArray, ...]:
    """Open-mesh index arrays from 1-D sequences, as ``np.ix_`` (boolean ones become their
    ``nonzero()`` positions, counted first).

    Raises
    ------
    ValueError
        For sequences that are not 1-D.
    TypeError
        For sequences that are neither integers nor booleans.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [i.shape for i in np.ix_(oa.asarray([0, 1]), [2, 3, 4])]
    [(2, 1), (1, 3)]
    """
    result = []
    for k, arg in enumerate(args):
        seq = arg if isinstance(arg, OOArray) else np.asarray(arg)
        if not isinstance(arg, OOArray) and seq.size == 0:
            seq = seq.astype(_INTP)
        if seq.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if seq.dtype == np.bool_:
            seq = nonzero(asarray(seq))[0]
        elif seq.dtype.kind not in "iu":
            np.ix_(np.empty((0,), seq.dtype))  # NumPy's error, if it has one
        shape = (1,) * k + (seq.shape[0],) + (1,) * (len(args) - k - 1)
        result.append(reshape(asarray(seq), shape))
    return tuple(result)
