"""Creation functions: asarray, zeros, ones, full, empty, *_like, arange, linspace, eye.

Filled arrays are a zero-strided view of one value (no memory at all); arange, linspace,
eye and tri generate each chunk when a task needs it. Nothing is ever made whole in memory.

NEP 35: ``np.zeros(n, like=a)`` with an OOArray ``a`` (and ``ones``, ``full``, ``empty``,
``arange``, ``array``, ``asarray``, ``asanyarray``, ``ascontiguousarray``, ``asfortranarray``,
``require``, ``identity``, ``eye``, ``tri``, ``fromfunction``) returns an OOArray: NumPy passes
the call to ``__array_function__`` and the registrations below answer it. The readers that
take ``like=`` (``fromfile``, ``frombuffer``, ...) are in :mod:`ooarray.ops.creation_io`.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.chunks import normalize_chunks, target_chunk_bytes
from ooarray.core.array import OOArray, check_dtype
from ooarray.core.dispatch import implements
from ooarray.ops._operands import constant_node
from ooarray.plan.graph import SourceNode, is_frozen
from ooarray.store.generated import GeneratedStore
from ooarray.store.memmap import NpyStore
from ooarray.store.zarr import ZarrStore

__all__ = ["asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray", "require",
           "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "empty_like", "arange", "linspace", "eye", "identity", "tri", "indices_along",
           "fromfunction"]

#: ``require``'s flags: NumPy's letters and names (OOArrays have no memory layout to force).
_REQUIREMENTS = {"C": "C", "C_CONTIGUOUS": "C", "CONTIGUOUS": "C", "F": "F",
                 "F_CONTIGUOUS": "F", "FORTRAN": "F", "A": "A", "ALIGNED": "A", "W": "W",
                 "WRITEABLE": "W", "O": "O", "OWNDATA": "O", "E": "E", "ENSUREARRAY": "E"}


def _check_order(order: Any, allowed: str = "CFAK") -> None:
    """Validate ``order`` as NumPy does; an OOArray has no memory layout, so it changes nothing."""
    if order is None and "A" in allowed:
        return
    if not isinstance(order, str) or order.upper() not in "CFAK" or len(order) != 1:
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    if order.upper() not in allowed:
        raise ValueError("only 'C' or 'F' order is permitted")


def _check_device(device: Any) -> None:
    if device not in (None, "cpu"):
        raise ValueError(f'Device not understood. Only "cpu" is allowed, but received: {device}')


def _grid(shape: tuple[int, ...], dtype: np.dtype, chunks: Any):
    return normalize_chunks(chunks, shape, dtype.itemsize,
                            target_chunk_bytes(_config.get().memory_limit))


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints; got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"negative dimensions are not allowed; got shape {shape}")
    return shape


@implements(np.asarray, np.asanyarray)
def asarray(data: Any, dtype: Any = None, order: str | None = None, *, device: Any = None,
            copy: bool | None = None, like: Any = None, chunks: Any = None) -> OOArray:
    """Return ``data`` as an OOArray, without copying what is already on disk or in memory.

    Also answers ``np.asarray(data, like=a)`` and ``np.asanyarray`` for an OOArray ``a``.

    Parameters
    ----------
    data : OOArray, numpy.ndarray, numpy.memmap, zarr.Array, list or scalar
        A ``zarr.Array`` is read chunk by chunk from its store; an ``np.memmap`` of a file is
        read per chunk from the file (never through its whole-file mapping); an ndarray is
        used in place.
    dtype : dtype, optional
        Cast to this dtype (lazily).
    order : {'C', 'F', 'A', 'K'}, optional
        Validated as NumPy does; an OOArray has no memory layout.
    device : None or 'cpu'
    copy : bool, optional
        ``True`` copies an in-memory ndarray (as ``np.array``); ``False`` raises ValueError
        when a copy cannot be avoided (a list or scalar), as NumPy does.
    like : array_like, optional
        NEP 35's reference object; ignored here (the result is an OOArray).
    chunks : chunks argument, optional
        ``'auto'`` (default), an int, or a tuple per axis (int, -1, 'auto' or lengths).

    Returns
    -------
    OOArray

    Raises
    ------
    TypeError
        For object, string, datetime or structured data.
    ValueError
        For a malformed ``chunks``, ``order`` or ``device``, or ``copy=False`` on a list.

    Examples
    --------
    >>> import ooarray as oa
    >>> oa.asarray([[1, 2, 3], [4, 5, 6]], chunks=(1, -1)).chunks
    ((1, 1), (3,))
    >>> import numpy as np
    >>> np.asarray([1, 2], like=oa.zeros(1))
    OOArray<shape=(2,), dtype=int64, chunks=(2,), 1 chunk, 16 B, in-memory>
    """
    _check_order(order)
    _check_device(device)
    if copy is False and not isinstance(data, (OOArray, np.ndarray)) and not _is_zarr(data):
        raise ValueError("Unable to avoid copy while creating an array as requested.")
    if copy and isinstance(data, np.ndarray) and not isinstance(data, np.memmap):
        data = data.copy()
    result: OOArray
    if isinstance(data, OOArray):
        result = data
    elif isinstance(data, (list, tuple)) and _holds_ooarrays(data):
        # A list of OOArrays is stacked lazily, never computed into one ndarray.
        result = np.stack([asarray(item) for item in data])
    else:
        import zarr

        if isinstance(data, zarr.Array):
            check_dtype(data.dtype)
            result = OOArray(SourceNode(ZarrStore(data)))
        elif isinstance(data, np.memmap) and is_frozen(data) and \
                _memmap_file_region(data) is not None:
            # Read in place only when nobody can write it through NumPy; a writable memmap
            # is snapshotted by constant_node (NumPy's value at the call).
            result = OOArray(SourceNode(_memmap_store(data, chunks)))
            chunks = None
        else:
            # Lists and scalars convert with dtype= (NumPy refuses 300 as int8, or complex
            # to float); an existing ndarray is cast lazily below, without a copy now.
            array = np.asarray(data, dtype=None if isinstance(data, np.ndarray) else dtype)
            check_dtype(array.dtype)
            result = OOArray(constant_node(array, chunks))
            chunks = None
    if chunks is not None:
        result = result.rechunk(chunks)
    if dtype is not None and np.dtype(dtype) != result.dtype:
        result = result.astype(dtype)
    return result


@implements(np.array)
def array(data: Any, dtype: Any = None, *, copy: bool | None = True, order: str = "K",
          subok: bool = False, ndmin: int = 0, like: Any = None,
          chunks: Any = None) -> OOArray:
    """As :func:`asarray`, but an in-memory ndarray is copied, as ``np.array`` does.

    The copy keeps the result's values from changing when the caller later writes to the
    ndarray; files (memmaps, Zarr) are still read in place, chunk by chunk. ``ndmin``
    prepends length-1 axes; also answers ``np.array(data, like=a)``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.array([1, 2], ndmin=3, like=oa.zeros(1)).shape
    (1, 1, 2)
    """
    result = asarray(data, dtype, order, copy=copy, chunks=chunks)
    ndmin = operator.index(ndmin)
    if ndmin > result.ndim:
        result = result[(None,) * (ndmin - result.ndim) + (Ellipsis,)]
    return result


@implements(np.ascontiguousarray, np.asfortranarray)
def ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None,
                      chunks: Any = None) -> OOArray:
    """Return ``a`` as an OOArray of at least one dimension (``np.ascontiguousarray``).

    OOArrays have no memory layout, so ``np.asfortranarray`` answers the same way.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.ascontiguousarray(5, like=oa.zeros(1)).shape
    (1,)
    """
    return array(a, dtype, copy=None, ndmin=1, chunks=chunks)


asfortranarray = ascontiguousarray
asanyarray = asarray


@implements(np.require)
def require(a: Any, dtype: Any = None, requirements: Any = None, *, like: Any = None,
            chunks: Any = None) -> OOArray:
    """Return ``a`` as an OOArray; ``requirements`` are checked as NumPy's flags.

    An OOArray is never written in place, and has no memory layout: the layout flags
    (``'C'``, ``'F'``, ``'A'``, ``'O'``, ``'E'``) are met by any OOArray, and ``'W'``
    (writeable) is accepted as NumPy accepts it, the array being a new value.
    """
    if requirements is not None:
        flags = [requirements] if isinstance(requirements, str) else list(requirements)
        for flag in flags:
            _REQUIREMENTS[flag.upper()]  # KeyError for an unknown flag, as NumPy
        if {"C", "F"} <= {_REQUIREMENTS[f.upper()] for f in flags}:
            raise ValueError("Cannot specify both C and Fortran contiguous.")
    return asarray(a, dtype, chunks=chunks)


def _holds_ooarrays(data: list | tuple) -> bool:
    return any(isinstance(item, OOArray) or
               (isinstance(item, (list, tuple)) and _holds_ooarrays(item)) for item in data)


def _is_zarr(data: Any) -> bool:
    import zarr

    return isinstance(data, zarr.Array)


def _memmap_file_region(data: np.memmap) -> tuple[str, int] | None:
    """Return (file name, byte offset) of a C-contiguous memmap's data, or None."""
    root = data
    while isinstance(root.base, np.memmap):
        root = root.base
    filename = getattr(data, "filename", None)
    if filename is None or not data.flags.c_contiguous:
        return None
    offset = root.offset + (data.ctypes.data - root.ctypes.data)
    return filename, offset


def _memmap_store(data: np.memmap, chunks: Any):
    check_dtype(data.dtype)
    filename, offset = _memmap_file_region(data)
    return NpyStore(filename, data.shape, data.dtype, offset,
                    _grid(data.shape, data.dtype, chunks))


@implements(np.full)
def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", *,
         device: Any = None, like: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of ``shape`` filled with ``fill_value`` (takes no memory).

    Also answers ``np.full(shape, fill_value, like=a)`` for an OOArray ``a``.

    Examples
    --------
    >>> import ooarray as oa
    >>> oa.full((2, 3), 7, chunks=1).sum().item()
    42
    """
    _check_order(order, "CF")
    _check_device(device)
    shape = _shape(shape)
    dtype = check_dtype(np.array(fill_value).dtype if dtype is None else dtype)
    # As np.full: unsafe casting (2.7 -> 2, complex -> its real part), yet a Python int out
    # of the dtype's range still raises OverflowError.
    value = np.empty(np.shape(fill_value), dtype)
    np.copyto(value, fill_value, casting="unsafe")
    return OOArray(constant_node(np.broadcast_to(value, shape), chunks))


@implements(np.zeros)
def zeros(shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None,
          like: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of zeros (takes no memory); also answers ``np.zeros(shape, like=a)``."""
    return full(shape, 0, np.dtype(dtype), order, device=device, chunks=chunks)


@implements(np.ones)
def ones(shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None,
          like: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of ones (takes no memory); also answers ``np.ones(shape, like=a)``."""
    return full(shape, 1, np.dtype(dtype), order, device=device, chunks=chunks)


@implements(np.empty)
def empty(shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None,
          like: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of ``shape``: zeros, as an OOArray has no uninitialised memory."""
    return zeros(shape, dtype, order, device=device, chunks=chunks)


def _like(prototype: Any, dtype: Any, shape: Any, chunks: Any) -> tuple[tuple, np.dtype, Any]:
    proto_shape = np.shape(prototype) if not isinstance(prototype, OOArray) else prototype.shape
    proto_dtype = prototype.dtype if hasattr(prototype, "dtype") else np.asarray(prototype).dtype
    out_shape = _shape(shape) if shape is not None else tuple(proto_shape)
    if chunks is None and isinstance(prototype, OOArray) and out_shape == prototype.shape:
        chunks = prototype.chunks
    return out_shape, np.dtype(dtype) if dtype is not None else proto_dtype, chunks


@implements(np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None, *, device: Any = None, chunks: Any = None) -> OOArray:
    """Return an array like ``a`` filled with ``fill_value``."""
    out_shape, out_dtype, chunks = _like(a, dtype, shape, chunks)
    return full(out_shape, fill_value, out_dtype, chunks=chunks)


@implements(np.zeros_like)
def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
               shape: Any = None, *, device: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of zeros like ``a``."""
    return full_like(a, 0, dtype, shape=shape, chunks=chunks)


@implements(np.ones_like)
def ones_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None, *, device: Any = None, chunks: Any = None) -> OOArray:
    """Return an array of ones like ``a``."""
    return full_like(a, 1, dtype, shape=shape, chunks=chunks)


@implements(np.empty_like)
def empty_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
               shape: Any = None, *, device: Any = None, chunks: Any = None) -> OOArray:
    """Return an array like ``a`` (of zeros)."""
    return full_like(a, 0, dtype, shape=shape, chunks=chunks)


def _generated(shape: tuple[int, ...], dtype: np.dtype, chunks: Any, fill, name: str,
               scratch_per_item: int = 0) -> OOArray:
    store = GeneratedStore(shape, dtype, _grid(shape, dtype, chunks), fill, name,
                           scratch_per_item)
    return OOArray(SourceNode(store))


@implements(np.arange)
def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, *,
           device: Any = None, like: Any = None, chunks: Any = None) -> OOArray:
    """Return evenly spaced values in ``[start, stop)``, generated chunk by chunk.

    Also answers ``np.arange(..., like=a)`` for an OOArray ``a``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> oa.arange(2, 11, 3, chunks=2).tolist()
    [2, 5, 8]
    >>> np.arange(3, like=oa.zeros(1)).tolist()
    [0, 1, 2]
    """
    _check_device(device)
    step = 1 if step is None else step
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ZeroDivisionError("step of arange must not be zero")
    # NumPy's arange ignores a NumPy scalar's precision: integers give int64, floats float64.
    out_dtype = np.result_type(np.int64, *(np.asarray(x).dtype for x in (start, stop, step))) \
        if dtype is None else np.dtype(dtype)
    check_dtype(out_dtype)
    try:
        length = max(0, math.ceil((stop - start) / step))
    except (OverflowError, ValueError):  # an infinite or NaN bound
        raise ValueError("arange: cannot compute length") from None
    if out_dtype.kind == "b" and length > 2:
        raise TypeError("arange() is only supported for booleans when the result has at most "
                        "length 2.")
    # As NumPy: the first two values are stored in the output dtype (so 0.5 becomes 0 in an
    # integer arange), and the rest continue them in the dtype's arithmetic (wrapping).
    first = np.asarray(start, dtype=out_dtype) if length else np.zeros((), out_dtype)
    second = np.asarray(start + step, dtype=out_dtype) if length > 1 else first
    work = out_dtype if out_dtype.kind in "fc" else \
        np.dtype(np.uint64 if out_dtype.kind == "u" else np.int64)
    first_w = first.astype(work)
    with np.errstate(over="ignore"):
        delta = second.astype(work) - first_w

    def fill(index, region, out):
        with np.errstate(over="ignore"):
            k = np.arange(region[0].start, region[0].stop, dtype=work)
            np.copyto(out, first_w + k * delta, casting="unsafe")
        if region[0].start <= 1 < region[0].stop:
            out[1 - region[0].start] = second

    return _generated((length,), out_dtype, chunks, fill, "arange", 2 * work.itemsize)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0, *,
             chunks: Any = None) -> Any:
    """Return ``num`` evenly spaced values from ``start`` to ``stop``, as ``np.linspace``."""
    if np.ndim(start) or np.ndim(stop):
        raise TypeError("ooarray.linspace takes scalar start and stop")
    num = operator.index(num)
    normalize_axis_index(axis, 1)  # the result is 1-D: AxisError for anything but 0 or -1
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    work = np.result_type(start, stop, float(num))
    delta = np.asarray(stop, dtype=work) - np.asarray(start, dtype=work)
    step = delta / div if div > 0 else np.nan  # NumPy's step is undefined (a float NaN) here
    out_dtype = np.dtype(dtype) if dtype is not None else work
    check_dtype(out_dtype)

    def fill(index, region, out):
        y = np.arange(region[0].start, region[0].stop, dtype=work)
        if div > 0:
            if step == 0:
                y = y / div * delta
            else:
                y = y * step
        else:
            y = y * delta
        y += np.asarray(start, dtype=work)
        if endpoint and num > 1 and region[0].stop == num:
            y[-1] = stop
        if out_dtype.kind in "iu":
            np.floor(y, out=y)
        np.copyto(out, y, casting="unsafe")

    result = _generated((num,), out_dtype, chunks, fill, "linspace", 2 * work.itemsize)
    return (result, step) if retstep else result


@implements(np.eye)
def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = float, order: str = "C", *,
        device: Any = None, like: Any = None, chunks: Any = None) -> OOArray:
    """Return a 2-D array with ones on the ``k``-th diagonal, generated chunk by chunk.

    Also answers ``np.eye(N, like=a)`` for an OOArray ``a``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.eye(2, 3, k=1, like=oa.zeros(1)).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    _check_order(order, "CF")
    _check_device(device)
    M = N if M is None else M
    k = operator.index(k)
    out_dtype = check_dtype(dtype)

    def fill(index, region, out):
        out.fill(0)
        rows, cols = region
        i = np.arange(max(rows.start, cols.start - k), min(rows.stop, cols.stop - k))
        out[i - rows.start, i + k - cols.start] = 1

    return _generated((operator.index(N), operator.index(M)), out_dtype, chunks, fill, "eye")


@implements(np.identity)
def identity(n: int, dtype: Any = None, *, like: Any = None, chunks: Any = None) -> OOArray:
    """Return the ``n`` x ``n`` identity matrix, generated chunk by chunk (``np.identity``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.identity(2, dtype=int, like=oa.zeros(1)).tolist()
    [[1, 0], [0, 1]]
    """
    return eye(n, dtype=float if dtype is None else dtype, chunks=chunks)


@implements(np.tri)
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = float, *, like: Any = None,
        chunks: Any = None) -> OOArray:
    """Return ones at and below the ``k``-th diagonal, generated chunk by chunk (``np.tri``).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.tri(2, 3, like=oa.zeros(1), dtype=int).tolist()
    [[1, 0, 0], [1, 1, 0]]
    """
    M = N if M is None else M
    k = operator.index(k)
    out_dtype = check_dtype(dtype)

    def fill(index, region, out):
        rows, cols = region
        below = np.arange(cols.start, cols.stop) <= np.arange(rows.start, rows.stop)[:, None] + k
        np.copyto(out, below, casting="unsafe")

    return _generated((operator.index(N), operator.index(M)), out_dtype, chunks, fill, "tri",
                      np.dtype(bool).itemsize)


def indices_along(shape: tuple[int, ...], axis: int, dtype: Any = int, *,
                  chunks: Any = None) -> OOArray:
    """Return the index along ``axis`` of every element of ``shape`` (one of ``np.indices``),
    generated chunk by chunk."""
    out_dtype = check_dtype(dtype)

    def fill(index, region, out):
        along = np.arange(region[axis].start, region[axis].stop)
        view = [None] * len(shape)
        view[axis] = slice(None)
        np.copyto(out, along[tuple(view)], casting="unsafe")

    return _generated(shape, out_dtype, chunks, fill, "indices", 8)


@implements(np.fromfunction)
def fromfunction(function: Any, shape: Any, *, dtype: Any = float, like: Any = None,
                 chunks: Any = None, **kwargs: Any) -> Any:
    """Call ``function`` on OOArrays of the coordinates of ``shape`` (``np.fromfunction``).

    The coordinate arrays are generated chunk by chunk, so a vectorised ``function`` (NumPy
    ufuncs, operators) builds a lazy result without holding any whole array.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int, like=oa.zeros(1)).tolist()
    [[0, 1, 2], [10, 11, 12]]
    """
    shape = _shape(shape)
    grid = _grid(shape, check_dtype(dtype), chunks)
    coordinates = [indices_along(shape, axis, dtype, chunks=grid) for axis in range(len(shape))]
    return function(*coordinates, **kwargs)

