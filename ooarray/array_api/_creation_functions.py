"""Creation functions. Filled arrays take no memory; arange, linspace and eye generate each
chunk when a task needs it; an in-memory object is wrapped, not copied (unless ``copy=True``)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

import ooarray.ops.creation as _oc
from ooarray.array_api._data_type_functions import broadcast_to, result_type
from ooarray.array_api._dtypes import DEFAULT_DTYPES, check_dtype
from ooarray.array_api._helpers import as_array, check_device, default_chunks
from ooarray.core.array import OOArray
from ooarray.plan.graph import is_frozen
from ooarray.plan.regions import ElementwiseNode

__all__ = ["arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full",
           "full_like", "linspace", "meshgrid", "ones", "ones_like", "tril", "triu", "zeros",
           "zeros_like"]


def _shape(shape: Any) -> tuple[int, ...]:
    return (operator.index(shape),) if not isinstance(shape, (tuple, list)) else \
        tuple(operator.index(n) for n in shape)


def _fill_dtype(fill_value: Any) -> np.dtype:
    if isinstance(fill_value, bool):
        return np.dtype(bool)
    if isinstance(fill_value, int):
        return DEFAULT_DTYPES["integral"]
    if isinstance(fill_value, float):
        return DEFAULT_DTYPES["real floating"]
    if isinstance(fill_value, complex):
        return DEFAULT_DTYPES["complex floating"]
    return check_dtype(np.asarray(fill_value).dtype)


def _on_disk(obj: Any) -> bool:
    if isinstance(obj, np.memmap):
        return True
    import zarr

    return isinstance(obj, zarr.Array)


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None,
            copy: bool | None = None) -> OOArray:
    """Return ``obj`` as an OOArray.

    Parameters
    ----------
    obj : OOArray, ndarray, zarr.Array, numpy.memmap, nested sequence, scalar or buffer
        Zarr arrays and memmaps are read chunk by chunk from their files.
    dtype : dtype, optional
        Python ints become int64, floats float64, complex complex128 by default.
    copy : bool, optional
        ``True`` copies an in-memory ndarray (so later writes to it are not seen);
        ``False`` refuses any conversion that would copy; ``None`` copies only if needed.

    Raises
    ------
    ValueError
        For ``copy=False`` when a copy is needed, or a device other than ``"cpu"``.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.asarray([[1, 2], [3, 4]]).dtype
    dtype('int64')
    """
    check_device(device)
    dtype = check_dtype(dtype) if dtype is not None else None
    if isinstance(obj, OOArray):
        if copy is False and dtype is not None and dtype != obj.dtype:
            raise ValueError("asarray(copy=False) cannot change the dtype without a copy")
        if dtype is not None and dtype != obj.dtype:
            return obj.astype(dtype)
        # A new wrapper of the same node: item assignment rebinds only the array it names.
        return OOArray(obj.node) if copy else obj
    if _on_disk(obj):  # read chunk by chunk from its file, never loaded whole
        return _oc.asarray(obj, dtype)
    if isinstance(obj, np.ndarray):
        if copy is False and dtype is not None and dtype != obj.dtype:
            raise ValueError("asarray(copy=False) cannot change the dtype without a copy")
        if copy is False and not is_frozen(obj):
            raise ValueError("asarray(copy=False) cannot share a writable ndarray: an "
                             "OOArray holds the values of the moment it is made, so a "
                             "writable array is copied; pass a read-only array or copy=None")
        data = obj.copy() if copy else obj
    else:
        if copy is False:
            raise ValueError(f"asarray(copy=False) cannot convert a {type(obj).__name__} "
                             f"without a copy; pass copy=None")
        if isinstance(obj, (bool, int, float, complex)) and dtype is None:
            dtype = _fill_dtype(obj)
        data = np.array(obj, dtype=dtype)
    data = data if dtype is None else data.astype(dtype, copy=False)
    check_dtype(data.dtype)
    return _oc.asarray(data, chunks=default_chunks(data.shape, data.dtype))


def arange(start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None) -> OOArray:
    """Return evenly spaced values in ``[start, stop)``, generated chunk by chunk.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.arange(1, 7, 2).tolist()
    [1, 3, 5]
    """
    check_device(device)
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = DEFAULT_DTYPES["real floating"] if any(isinstance(v, float) for v in
                                                       (start, stop, step)) else \
            DEFAULT_DTYPES["integral"]
    dtype = check_dtype(dtype)
    result = _oc.arange(start, stop, step, dtype=dtype)
    return result.rechunk(default_chunks(result.shape, dtype))


def full(shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an array of ``shape`` filled with ``fill_value`` (no memory of its own).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.full((2,), 7).tolist()
    [7, 7]
    """
    check_device(device)
    shape = _shape(shape)
    dtype = check_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    return _oc.full(shape, fill_value, dtype, chunks=default_chunks(shape, dtype))


def zeros(shape: Any, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an array of zeros (float64 by default)."""
    dtype = DEFAULT_DTYPES["real floating"] if dtype is None else dtype
    return full(shape, 0, dtype=dtype, device=device)


def ones(shape: Any, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an array of ones (float64 by default)."""
    dtype = DEFAULT_DTYPES["real floating"] if dtype is None else dtype
    return full(shape, 1, dtype=dtype, device=device)


def empty(shape: Any, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an uninitialised array (of zeros: they cost nothing)."""
    return zeros(shape, dtype=dtype, device=device)


def full_like(x: OOArray, /, fill_value: Any, *, dtype: Any = None,
              device: Any = None) -> OOArray:
    """Return an array like ``x`` filled with ``fill_value``."""
    x = as_array(x)
    return full(x.shape, fill_value, dtype=x.dtype if dtype is None else dtype, device=device)


def zeros_like(x: OOArray, /, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an array of zeros like ``x``."""
    return full_like(x, 0, dtype=dtype, device=device)


def ones_like(x: OOArray, /, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an array of ones like ``x``."""
    return full_like(x, 1, dtype=dtype, device=device)


def empty_like(x: OOArray, /, *, dtype: Any = None, device: Any = None) -> OOArray:
    """Return an uninitialised array like ``x`` (of zeros)."""
    return full_like(x, 0, dtype=dtype, device=device)


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
        device: Any = None) -> OOArray:
    """Return a 2-D array with ones on the ``k``-th diagonal, generated chunk by chunk.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.eye(2, 3, k=1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    check_device(device)
    n_cols = n_rows if n_cols is None else n_cols
    dtype = check_dtype(DEFAULT_DTYPES["real floating"] if dtype is None else dtype)
    shape = (operator.index(n_rows), operator.index(n_cols))
    # Any k beyond the matrix gives zeros; clamped, it stays within the generator's int64.
    k = min(max(operator.index(k), -shape[0]), shape[1])
    return _oc.eye(*shape, k=k, dtype=dtype, chunks=default_chunks(shape, dtype))


def linspace(start: Any, stop: Any, /, num: int, *, dtype: Any = None, device: Any = None,
             endpoint: bool = True) -> OOArray:
    """Return ``num`` evenly spaced values from ``start`` to ``stop``.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    check_device(device)
    if dtype is None:
        dtype = DEFAULT_DTYPES["complex floating"] if any(
            isinstance(v, complex) for v in (start, stop)) else DEFAULT_DTYPES["real floating"]
    dtype = check_dtype(dtype)
    num = operator.index(num)
    return _oc.linspace(start, stop, num, endpoint=endpoint, dtype=dtype,
                        chunks=default_chunks((max(num, 0),), dtype))


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> OOArray:
    """Return an in-memory DLPack producer (another library's array) as an OOArray."""
    check_device(device)
    return asarray(np.from_dlpack(x, copy=copy))


def meshgrid(*arrays: OOArray, indexing: str = "xy") -> list[OOArray]:
    """Return coordinate matrices from 1-D arrays (broadcast views, no memory).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> [g.shape for g in xp.meshgrid(xp.arange(2), xp.arange(3))]
    [(3, 2), (3, 2)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij'; got {indexing!r}")
    arrays = [as_array(a) for a in arrays]
    if any(a.ndim != 1 for a in arrays):
        raise ValueError("meshgrid takes 1-D arrays")
    if arrays:
        result_type(*arrays)  # the standard asks for arrays of one dtype or promotable ones
    shape = [a.shape[0] for a in arrays]
    if indexing == "xy" and len(arrays) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, a in enumerate(arrays):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and len(arrays) > 1 else i
        index = tuple(slice(None) if j == axis else None for j in range(len(arrays)))
        grids.append(broadcast_to(a[index], tuple(shape)))
    return grids


def _triangle(x: OOArray, k: int, lower: bool) -> OOArray:
    x = as_array(x)
    if x.ndim < 2:
        raise ValueError(f"tril/triu take an array of at least 2 dimensions; got {x.ndim}")
    n, m = x.shape[-2:]
    rows = _oc.arange(n, chunks=(x.chunks[-2],))[:, None]
    cols = _oc.arange(m, chunks=(x.chunks[-1],))[None, :]
    keep = np.less_equal(cols - rows, k) if lower else np.greater_equal(cols - rows, k)
    zero = np.zeros((), x.dtype)
    return OOArray(ElementwiseNode(np.where, [keep.node, x.node, zero], [x.dtype],
                                   shape=x.shape, chunks=x.chunks))


def tril(x: OOArray, /, *, k: int = 0) -> OOArray:
    """Return the lower triangle (on and below the ``k``-th diagonal) of the last two axes.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.tril(xp.ones((2, 2))).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return _triangle(x, operator.index(k), lower=True)


def triu(x: OOArray, /, *, k: int = 0) -> OOArray:
    """Return the upper triangle (on and above the ``k``-th diagonal) of the last two axes."""
    return _triangle(x, operator.index(k), lower=False)
