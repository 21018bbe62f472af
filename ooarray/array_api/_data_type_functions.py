"""Data type functions: astype, can_cast, finfo, iinfo, isdtype, result_type, broadcasting."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.array_api._dtypes import ALL_DTYPES, CATEGORIES, PROMOTION_TABLE, check_dtype, promote
from ooarray.array_api._helpers import as_array, check_device
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.plan.regions import BroadcastNode

__all__ = ["astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
           "broadcast_arrays", "broadcast_to", "finfo_object", "iinfo_object"]


@dataclasses.dataclass(frozen=True)
class finfo_object:  # noqa: N801 - the standard's name
    """Machine limits of a floating-point dtype, as Python floats."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: np.dtype


@dataclasses.dataclass(frozen=True)
class iinfo_object:  # noqa: N801 - the standard's name
    """Machine limits of an integer dtype."""

    bits: int
    max: int
    min: int
    dtype: np.dtype


def _dtype_of(value: Any) -> np.dtype:
    return value.dtype if isinstance(value, (OOArray, np.ndarray)) else check_dtype(value)


def astype(x: OOArray, dtype: Any, /, *, copy: bool = True, device: Any = None) -> OOArray:
    """Return ``x`` cast to ``dtype`` (lazily).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.astype(xp.asarray([1.7, -2.2]), xp.int32).tolist()
    [1, -2]
    """
    check_device(device)
    x = as_array(x)
    dtype = check_dtype(dtype)
    if dtype == x.dtype:
        # OOArrays are values: a copy is a new wrapper that item assignment rebinds alone.
        return OOArray(x.node) if copy else x
    return x.astype(dtype)


def can_cast(from_: Any, to: Any, /) -> bool:
    """Return whether the standard's type promotion turns ``from_`` into ``to``.

    Unlike ``np.can_cast``, casts across kinds (bool to int, int to float) are not
    promotions and give False.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.can_cast(xp.int8, xp.int16), xp.can_cast(xp.int64, xp.float64)
    (True, False)
    """
    source, target = _dtype_of(from_), check_dtype(to)
    # Compare with ``is``: a dtype equals None (np.dtype(None) is float64).
    return any(PROMOTION_TABLE.get((source, other)) is target for other in ALL_DTYPES)


def finfo(type: Any, /) -> finfo_object:  # noqa: A002 - the standard's name
    """Return the limits of a floating-point dtype (of a complex dtype: of its parts).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.finfo(xp.float32).bits
    32
    """
    dtype = _dtype_of(type)
    if dtype.kind not in "fc":
        raise ValueError(f"finfo takes a floating-point dtype; got {dtype}")
    info = np.finfo(dtype)
    return finfo_object(int(info.bits), float(info.eps), float(info.max), float(info.min),
                        float(info.smallest_normal), info.dtype)


def iinfo(type: Any, /) -> iinfo_object:  # noqa: A002 - the standard's name
    """Return the limits of an integer dtype.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.iinfo(xp.uint8).max
    255
    """
    dtype = _dtype_of(type)
    if dtype.kind not in "iu":
        raise ValueError(f"iinfo takes an integer dtype; got {dtype}")
    info = np.iinfo(dtype)
    return iinfo_object(int(info.bits), int(info.max), int(info.min), dtype)


def isdtype(dtype: Any, kind: Any) -> bool:
    """Return whether ``dtype`` is of ``kind``: a dtype, a category name, or a tuple of them.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.isdtype(xp.uint8, ("real floating", "integral"))
    True
    """
    dtype = check_dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in CATEGORIES:
            raise ValueError(f"kind must be a dtype or one of {list(CATEGORIES)}; got {kind!r}")
        return dtype in CATEGORIES[kind]
    return dtype == check_dtype(kind)


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """Return the standard's promotion of arrays, dtypes and Python scalars.

    Python scalars are weak: they take the arrays' dtype when they are of a compatible kind
    (bool, int to integer and float dtypes, float to float dtypes, complex to complex); a
    scalar of a higher kind, which the standard leaves unspecified, promotes as in NumPy.

    Raises
    ------
    TypeError
        For dtypes the standard does not promote together (mixed kinds), or scalars alone.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.result_type(xp.uint8, xp.int8, 1)
    dtype('int16')
    """
    dtypes = [_dtype_of(v) for v in arrays_and_dtypes
              if not isinstance(v, (bool, int, float, complex))]
    scalars = [v for v in arrays_and_dtypes if isinstance(v, (bool, int, float, complex))]
    if not dtypes:
        raise TypeError("result_type needs at least one array or dtype")
    result = dtypes[0]
    for dtype in dtypes[1:]:
        result = promote(result, dtype)
    for scalar in scalars:
        result = _promote_scalar(result, scalar)
    return result


def _promote_scalar(dtype: np.dtype, scalar: Any) -> np.dtype:
    kind = dtype.kind
    if isinstance(scalar, bool) or (isinstance(scalar, int) and kind in "iufc") or \
            (isinstance(scalar, float) and kind in "fc"):
        return dtype
    if isinstance(scalar, complex) and kind in "fc":
        return dtype if kind == "c" else np.dtype(f"complex{dtype.itemsize * 16}")
    # A scalar of a higher kind (a float with an integer array): the standard leaves it
    # unspecified; NumPy's answer (float64 for int64 and 1.5) keeps such code running.
    return np.result_type(np.empty(0, dtype), scalar)


def broadcast_to(x: OOArray, /, shape: tuple[int, ...]) -> OOArray:
    """Return ``x`` broadcast to ``shape`` (a view, no memory of its own).

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.broadcast_to(xp.asarray([1, 2]), (2, 2)).tolist()
    [[1, 2], [1, 2]]
    """
    x = as_array(x)
    shape = tuple(int(n) for n in shape)
    if np.broadcast_shapes(x.shape, shape) != shape:  # raises NumPy's ValueError if not at all
        raise ValueError(f"cannot broadcast an array of shape {x.shape} to shape {shape}")
    if shape == x.shape:
        return x
    return OOArray(BroadcastNode(x.node, shape, target_chunk_bytes(_config.get().memory_limit)))


def broadcast_arrays(*arrays: OOArray) -> list[OOArray]:
    """Return the arrays broadcast against each other.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> [a.shape for a in xp.broadcast_arrays(xp.ones((2, 1)), xp.ones(3))]
    [(2, 3), (2, 3)]
    """
    arrays = [as_array(a) for a in arrays]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [broadcast_to(a, shape) for a in arrays]

