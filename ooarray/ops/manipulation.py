"""Array manipulation: shapes, axes, broadcasting and dimensions.

Everything here is a region node or a composition of them, so nothing is copied beyond the
region a task writes: a reshape is a :class:`~ooarray.algorithms.manipulation.ReshapeNode`
(``order='F'`` is the C-order reshape of the reversed axes, transposed back); transposes,
squeezes and new axes are views (:class:`~ooarray.plan.regions.SliceNode`,
:class:`~ooarray.plan.regions.TransposeNode`). Flips, ``rot90``, ``repeat``, ``tile`` and
triangles are in :mod:`ooarray.ops.reordering`; ``roll`` in :mod:`ooarray.ops.joining`.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.exceptions import AxisError
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ooarray import config as _config
from ooarray.algorithms.manipulation import ReshapeNode
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray
from ooarray.plan.regions import BroadcastNode

__all__ = ["reshape", "ravel", "normalize_shape", "stand_in", "transpose", "swapaxes",
           "moveaxis", "rollaxis", "matrix_transpose", "squeeze", "expand_dims",
           "broadcast_to", "broadcast_arrays",
           "atleast_1d", "atleast_2d", "atleast_3d", "copy", "astype"]

_ORDERS = ("C", "F", "A", "K")


def normalize_shape(shape: Any, size: int) -> tuple[int, ...]:
    """Return ``shape`` for an array of ``size`` elements, with ``-1`` resolved.

    Raises
    ------
    TypeError
        If an entry is not an integer.
    ValueError
        NumPy's errors: more than one unknown (negative) length, or a size mismatch.

    Examples
    --------
    >>> normalize_shape((3, -1), 12)
    (3, 4)
    """
    entries = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    dims = [operator.index(n) for n in entries]
    unknown = [i for i, n in enumerate(dims) if n < 0]  # NumPy reads any negative as -1
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    shown = "(" + ", ".join(str(n) for n in dims) + ("," if len(dims) == 1 else "") + ")"
    if unknown:
        known = math.prod(n for n in dims if n >= 0)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {shown}")
        dims[unknown[0]] = size // known
    if math.prod(dims) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shown}")
    return tuple(dims)


def _c_reshape(array: OOArray, shape: tuple[int, ...]) -> OOArray:
    if shape == array.shape:
        return OOArray(array.node)  # a new array, as a NumPy view is a new object
    return OOArray(ReshapeNode(array.node, shape))


@implements(np.reshape)
def reshape(a: Any, /, shape: Any = None, order: str = "C", *, newshape: Any = None,
            copy: bool | None = None) -> OOArray:
    """Give an array a new shape without changing its data, as ``np.reshape``.

    Parameters
    ----------
    a : array_like
    shape : int or tuple of int
        The new shape; one entry may be ``-1`` (inferred).
    order : {'C', 'F', 'A'}
        Read and place elements in row-major ('C', and 'A' for OOArrays) or column-major
        ('F') order.
    copy : bool, optional
        Accepted for compatibility: an OOArray is never modified, so a view and a copy are
        the same thing.

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        ``cannot reshape array of size X into shape Y``, as NumPy.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.reshape(oa.arange(6), (2, -1)).compute()
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    if shape is None:
        if newshape is None:
            raise TypeError("reshape() missing 1 required positional argument: 'shape'")
        shape = newshape
    array = asarray(a)
    if order not in _ORDERS[:3]:
        raise ValueError(f"order must be one of 'C', 'F', 'A' (got {order!r})")
    target = normalize_shape(shape, array.size)
    if order == "F":
        return _c_reshape(array.T, target[::-1]).T
    return _c_reshape(array, target)


@implements(np.ravel)
def ravel(a: Any, order: str = "C") -> OOArray:
    """Return the array flattened to one axis, as ``np.ravel``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.ravel(oa.asarray(np.eye(2))).compute()
    array([1., 0., 0., 1.])
    """
    if order not in _ORDERS:
        raise ValueError(f"order must be one of 'C', 'F', 'A', 'K' (got {order!r})")
    return reshape(a, -1, order="F" if order == "F" else "C")


# -- helpers ------------------------------------------------------------------------------
def _budget_target() -> int:
    return target_chunk_bytes(_config.get().memory_limit)


def stand_in(array: OOArray) -> np.ndarray:
    """A one-element, zero-strided ndarray of ``array``'s shape and dtype: NumPy checks the
    arguments of shape-only functions on it and raises its own errors, at no cost."""
    return np.broadcast_to(np.empty((), array.dtype), array.shape)


def _index_along(ndim: int, axis: int, item: Any) -> tuple:
    return tuple(item if a == axis else slice(None) for a in range(ndim))


def _tuple_result(results: list[OOArray]) -> Any:
    return results[0] if len(results) == 1 else tuple(results)


# -- axes -----------------------------------------------------------------------------------
@implements(np.transpose)
def transpose(a: Any, axes: Any = None) -> OOArray:
    """Permute the axes (reverse them by default), as ``np.transpose``; no data is copied.

    Raises
    ------
    ValueError
        If ``axes`` is not a permutation of the array's axes (``AxisError`` for one out of
        range).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.transpose(oa.ones((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    array = asarray(a)
    return array.transpose() if axes is None else array.transpose(axes)


@implements(np.swapaxes)
def swapaxes(a: Any, axis1: int, axis2: int) -> OOArray:
    """Interchange two axes, as ``np.swapaxes``; no data is copied.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.swapaxes(oa.ones((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    array = asarray(a)
    first = normalize_axis_index(axis1, array.ndim, "axis1")
    second = normalize_axis_index(axis2, array.ndim, "axis2")
    axes = list(range(array.ndim))
    axes[first], axes[second] = axes[second], axes[first]
    return array.transpose(axes)


@implements(np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> OOArray:
    """Move axes to new positions, the others keeping their order, as ``np.moveaxis``.

    Raises
    ------
    ValueError
        If ``source`` and ``destination`` differ in length or repeat an axis.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.moveaxis(oa.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    array = asarray(a)
    source = normalize_axis_tuple(source, array.ndim, "source")
    destination = normalize_axis_tuple(destination, array.ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number of "
                         "elements")
    order = [n for n in range(array.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return array.transpose(order)


@implements(np.rollaxis)
def rollaxis(a: Any, axis: int, start: int = 0) -> OOArray:
    """Roll ``axis`` backwards until it lies before position ``start``, as ``np.rollaxis``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.rollaxis(oa.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    array = asarray(a)
    n = array.ndim
    axis = normalize_axis_index(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise AxisError(f"'start' arg requires {-n} <= start < {n + 1}, but {start} was "
                        f"passed in")
    if axis < start:
        start -= 1
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return array.transpose(order)


@implements(np.matrix_transpose)
def matrix_transpose(x: Any, /) -> OOArray:
    """Swap the last two axes, as ``np.matrix_transpose``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.matrix_transpose(oa.ones((2, 3, 4))).shape
    (2, 4, 3)
    """
    array = asarray(x)
    if array.ndim < 2:
        raise ValueError(f"Input array must be at least 2-dimensional, but it is "
                         f"{array.ndim}")
    return swapaxes(array, -1, -2)


@implements(np.squeeze)
def squeeze(a: Any, axis: Any = None) -> OOArray:
    """Remove axes of length one (all of them, or those in ``axis``), as ``np.squeeze``.

    Raises
    ------
    ValueError
        If an axis in ``axis`` does not have length one.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.squeeze(oa.ones((1, 3, 1))).shape
    (3,)
    """
    array = asarray(a)
    np.squeeze(stand_in(array), axis)  # NumPy's errors
    if axis is None:
        axes = tuple(i for i, n in enumerate(array.shape) if n == 1)
    else:
        axes = normalize_axis_tuple(axis, array.ndim)
    if not axes:
        return OOArray(array.node)
    return array[tuple(0 if i in axes else slice(None) for i in range(array.ndim))]


@implements(np.expand_dims)
def expand_dims(a: Any, axis: Any) -> OOArray:
    """Insert axes of length one at the positions ``axis`` of the result, as
    ``np.expand_dims``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.expand_dims(oa.ones((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    array = asarray(a)
    ndim = np.expand_dims(stand_in(array), axis).ndim  # NumPy's errors
    axes = normalize_axis_tuple(axis, ndim)
    return array[tuple(None if i in axes else slice(None) for i in range(ndim))]


# -- broadcasting and dimensions ------------------------------------------------------------
@implements(np.broadcast_to)
def broadcast_to(array: Any, shape: Any, subok: bool = False) -> OOArray:
    """Broadcast to ``shape``, as ``np.broadcast_to``: a view, no memory of its own.

    Raises
    ------
    ValueError
        If the array does not broadcast to ``shape``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.broadcast_to(oa.arange(3), (2, 3)).compute()
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    source = asarray(array)
    shape = np.broadcast_to(stand_in(source), shape).shape  # NumPy's errors
    if shape == source.shape:
        return source
    return OOArray(BroadcastNode(source.node, shape, _budget_target()))


@implements(np.broadcast_arrays)
def broadcast_arrays(*args: Any, subok: bool = False) -> tuple[OOArray, ...]:
    """Broadcast arrays against each other, as ``np.broadcast_arrays``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [x.shape for x in np.broadcast_arrays(oa.ones((2, 1)), [1, 2, 3])]
    [(2, 3), (2, 3)]
    """
    arrays = [asarray(x) for x in args]
    shape = np.broadcast_shapes(*[x.shape for x in arrays])
    return tuple(broadcast_to(x, shape) for x in arrays)


def _atleast(arys: tuple, ndim: int) -> Any:
    results = []
    for ary in arys:
        array = asarray(ary)
        if array.ndim >= ndim:
            results.append(array)
        elif ndim == 3 and array.ndim == 2:
            results.append(array[:, :, None])
        elif ndim == 3 and array.ndim == 1:
            results.append(array[None, :, None])
        else:
            results.append(array[(None,) * (ndim - array.ndim) + (Ellipsis,)])
    return _tuple_result(results)


@implements(np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    """View inputs as arrays of at least one axis, as ``np.atleast_1d``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.atleast_1d(oa.asarray(5.0)).shape
    (1,)
    """
    return _atleast(arys, 1)


@implements(np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    """View inputs as arrays of at least two axes, as ``np.atleast_2d`` ((N,) -> (1, N)).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.atleast_2d(oa.arange(3)).shape
    (1, 3)
    """
    return _atleast(arys, 2)


@implements(np.atleast_3d)
def atleast_3d(*arys: Any) -> Any:
    """View inputs as arrays of at least three axes, as ``np.atleast_3d`` ((N,) -> (1, N, 1),
    (M, N) -> (M, N, 1)).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.atleast_3d(oa.ones((2, 3))).shape
    (2, 3, 1)
    """
    return _atleast(arys, 3)


@implements(np.copy)
def copy(a: Any, order: str = "K", subok: bool = False) -> OOArray:
    """Return a copy, as ``np.copy``: OOArrays are never modified, so it shares the plan.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.copy(oa.arange(3)).compute()
    array([0, 1, 2])
    """
    return OOArray(asarray(a).node)


@implements(np.astype)
def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> OOArray:
    """Return ``x`` cast to ``dtype`` (lazily), as ``np.astype``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.astype(oa.asarray(np.array([1.5, 2.5])), np.int64).compute()
    array([1, 2])
    """
    if device not in (None, "cpu"):
        raise ValueError(f"Device not understood. Only \"cpu\" is allowed, but received: "
                         f"{device}")
    return asarray(x).astype(dtype, copy=copy)
