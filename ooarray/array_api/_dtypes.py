"""The standard's data types, their categories and its type promotion table, in one place.

The public data types are NumPy's scalar types (``x.dtype == int8`` holds for an OOArray
``x``); the tables hold ``numpy.dtype`` instances, which is what functions return. The
promotion table is the standard's: it covers promotion within a kind (bool, signed,
unsigned, real float, complex float), mixed signed/unsigned integers, and real with complex
floats. Mixed kinds the standard leaves undefined (bool with a
number, integers with floats, int64 with uint64) are absent from it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128", "ALL_DTYPES", "CATEGORIES", "KINDS",
    "DEFAULT_DTYPES", "PROMOTION_TABLE", "promote", "check_dtype",
]

#: The public dtype names are NumPy's scalar types, as in NumPy's own namespace: they equal
#: the ``np.dtype`` an array reports (``x.dtype == xp.int8``) and, unlike dtype instances,
#: they do not equal None (``np.dtype(None)`` is float64).
bool = np.bool_  # noqa: A001 - the standard's name
int8, int16, int32, int64 = np.int8, np.int16, np.int32, np.int64
uint8, uint16, uint32, uint64 = np.uint8, np.uint16, np.uint32, np.uint64
float32, float64 = np.float32, np.float64
complex64, complex128 = np.complex64, np.complex128

# Tables below hold dtype instances: what an array's ``dtype`` is, and hashes alike.
_B = np.dtype(bool)
_SIGNED = tuple(np.dtype(t) for t in (int8, int16, int32, int64))
_UNSIGNED = tuple(np.dtype(t) for t in (uint8, uint16, uint32, uint64))
_REAL = tuple(np.dtype(t) for t in (float32, float64))
_COMPLEX = tuple(np.dtype(t) for t in (complex64, complex128))
ALL_DTYPES = (_B, *_SIGNED, *_UNSIGNED, *_REAL, *_COMPLEX)

#: The dtype categories of the standard (the names ``isdtype`` accepts).
CATEGORIES: dict[str, tuple[np.dtype, ...]] = {
    "bool": (_B,),
    "signed integer": _SIGNED,
    "unsigned integer": _UNSIGNED,
    "integral": _SIGNED + _UNSIGNED,
    "real floating": _REAL,
    "complex floating": _COMPLEX,
    "numeric": _SIGNED + _UNSIGNED + _REAL + _COMPLEX,
}
#: Kinds the standard's functions ask for, with the dtypes of each (a function's domain).
KINDS: dict[str, tuple[np.dtype, ...]] = {
    "all": ALL_DTYPES,
    "numeric": CATEGORIES["numeric"],
    "integer": CATEGORIES["integral"],
    "integer or boolean": (_B,) + CATEGORIES["integral"],
    "real numeric": _SIGNED + _UNSIGNED + _REAL,
    "real floating-point": _REAL,
    "floating-point": _REAL + _COMPLEX,
    "boolean": (_B,),
}
#: ``__array_namespace_info__().default_dtypes(device="cpu")``.
DEFAULT_DTYPES = {"real floating": _REAL[1], "complex floating": _COMPLEX[1],
                  "integral": _SIGNED[3], "indexing": _SIGNED[3]}


def _build_table() -> dict[tuple[np.dtype, np.dtype], np.dtype]:
    table: dict[tuple[np.dtype, np.dtype], np.dtype] = {(_B, _B): _B}
    for group in (_SIGNED, _UNSIGNED, _REAL, _COMPLEX):
        for a, b in itertools.product(group, repeat=2):
            table[a, b] = max(a, b, key=lambda d: d.itemsize)
    for u, i in itertools.product(_UNSIGNED[:3], _SIGNED):
        table[u, i] = table[i, u] = _SIGNED[max(_SIGNED.index(i), _UNSIGNED.index(u) + 1)]
    for r, c in itertools.product(_REAL, _COMPLEX):
        table[r, c] = table[c, r] = _COMPLEX[max(_REAL.index(r), _COMPLEX.index(c))]
    return table


#: ``(dtype1, dtype2) -> result dtype`` wherever the standard defines the promotion.
PROMOTION_TABLE = _build_table()


def check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as one of the standard's dtypes, or raise TypeError."""
    try:
        result = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        result = None
    if result is None or result not in ALL_DTYPES:
        raise TypeError(f"expected one of the Array API dtypes "
                        f"{[str(d) for d in ALL_DTYPES]}; got {dtype!r}")
    return ALL_DTYPES[ALL_DTYPES.index(result)]


def promote(dtype1: np.dtype, dtype2: np.dtype) -> np.dtype:
    """Return the standard's promotion of two dtypes, or raise TypeError where it has none.

    Examples
    --------
    >>> promote(np.dtype("uint8"), np.dtype("int8"))
    dtype('int16')
    """
    try:
        return PROMOTION_TABLE[dtype1, dtype2]
    except KeyError:
        raise TypeError(f"{dtype1} and {dtype2} cannot be type promoted together under the "
                        f"Array API standard (mixed kinds are undefined); cast one with "
                        f"astype first") from None
