"""Printing: ``array2string``, ``array_repr`` and ``array_str`` out of core (issue 16).

An array of more than ``threshold`` elements is summarised by NumPy: along each axis longer
than ``2 * edgeitems`` only the first and last ``edgeitems`` entries are shown, and NumPy
builds its formatter (widths, precision, exponent notation) from those corners alone
(``numpy/_core/arrayprint.py``, ``_leading_trailing``). So only the corners are computed
here: per long axis the first ``edgeitems + 1`` entries and the last ``edgeitems`` (slices
of the array, joined), a small array NumPy prints with ``threshold=0``. It summarises the
same axes (each has ``2 * edgeitems + 1 > 2 * edgeitems`` entries), shows the same entries
(the extra one, entry ``edgeitems``, is never shown nor formatted), and builds the same
formatter: the text is NumPy's, byte for byte, for every print option. An array that is not
summarised has at most ``threshold`` elements, and is computed and printed by NumPy.

``array_repr`` and ``array_str`` add the shape, the dtype and the class name around the
values; they are NumPy's own code (``_array_repr_implementation`` and
``_array_str_implementation``), given a zero-strided stand-in of the array's shape and dtype
and an ``array2string`` that prints the corners, so their decisions (``shape=`` of a
summarised array, ``dtype=`` when not implied, line breaks, legacy modes) are NumPy's too.

``edgeitems`` below 1 is NumPy's corner case: ``a[-0:]`` is the whole axis, so NumPy's
formatter then reads every element; such an array is computed whole, if it fits a quarter of
``memory_limit`` (``BudgetError`` otherwise), as is one printed with a ``threshold`` above
its size. ``OOArray.__repr__`` (metadata, nothing computed) and ``OOArray.__str__`` (the
values of an array up to 1 MiB, else the metadata) are unchanged: ``print(a)`` of a large
array computes nothing, and ``np.array_str(a)`` prints its corners.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy._core.arrayprint import _array_repr_implementation, _array_str_implementation

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops._operands import compute_small
from ooarray.ops.creation import asarray
from ooarray.ops.joining import concatenate

__all__ = ["array2string", "array_repr", "array_str", "printed_values"]

_ADVICE = ("only the corners of a summarised array are read; print fewer elements "
           "(threshold, edgeitems) or raise memory_limit")


def _array(value: Any) -> OOArray:
    return value if isinstance(value, OOArray) else asarray(np.asarray(value))


def _corners(array: OOArray, edgeitems: int) -> OOArray:
    """Per axis longer than ``2 * edgeitems``: its first ``edgeitems + 1`` entries and its
    last ``edgeitems`` (slices, joined; nothing is computed)."""
    small = array
    for axis, length in enumerate(array.shape):
        if length > 2 * edgeitems:
            head = (slice(None),) * axis + (slice(0, edgeitems + 1),)
            tail = (slice(None),) * axis + (slice(length - edgeitems, length),)
            small = concatenate([small[head], small[tail]], axis=axis)
    return small


def printed_values(array: OOArray, threshold: Any = None,
                   edgeitems: Any = None) -> tuple[np.ndarray, bool]:
    """What NumPy's printing of ``array`` reads, computed: ``(values, corners)``.

    Parameters
    ----------
    array : OOArray
    threshold, edgeitems : optional
        NumPy's print options (default: ``np.get_printoptions()``'s, the ``np.printoptions``
        context's included).

    Returns
    -------
    values : ndarray
        The corners of a summarised array, else the whole array.
    corners : bool
        Whether ``values`` are corners (NumPy prints them as the array with
        ``threshold=0``).

    Raises
    ------
    BudgetError
        If those values take more than a quarter of ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> values, corners = printed_values(oa.arange(10**6), edgeitems=2)
    >>> values.tolist(), corners
    ([0, 1, 2, 999998, 999999], True)
    """
    options = np.get_printoptions()
    threshold = options["threshold"] if threshold is None else threshold
    edgeitems = options["edgeitems"] if edgeitems is None else edgeitems
    summarised = array.ndim > 0 and array.size > threshold
    if summarised and isinstance(edgeitems, (int, np.integer)) and edgeitems >= 1:
        corners = _corners(array, operator.index(edgeitems))
        return compute_small(corners, "the corners of the array printed", _ADVICE), True
    what = ("the array printed (all of its elements are formatted with edgeitems < 1)"
            if summarised else "the array printed (not over threshold, so printed whole)")
    return compute_small(array, what, _ADVICE), False


@implements(np.array2string)
def array2string(a: Any, max_line_width: int | None = None, precision: int | None = None,
                 suppress_small: bool | None = None, separator: str = " ", prefix: str = "",
                 *, formatter: dict | None = None, threshold: int | None = None,
                 edgeitems: int | None = None, sign: str | None = None,
                 floatmode: str | None = None, suffix: str = "",
                 legacy: Any = None) -> str:
    """Return NumPy's string of an array, computing only what NumPy shows.

    ``np.array2string`` with every argument of NumPy's; a summarised array (more than
    ``threshold`` elements) has only its corners computed (see the module docstring).

    Returns
    -------
    str
        NumPy's text for the computed array, byte for byte.

    Raises
    ------
    TypeError, ValueError
        NumPy's, for options it refuses.
    BudgetError
        If what is printed takes more than a quarter of ``memory_limit`` (a ``threshold``
        above a huge array's size, ``edgeitems`` below 1 or very large).

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> print(np.array2string(oa.arange(10**7, chunks=10**5), edgeitems=2))
    [      0       1 ... 9999998 9999999]
    """
    array = _array(a)
    options = {"formatter": formatter, "edgeitems": edgeitems, "sign": sign,
               "floatmode": floatmode, "suffix": suffix, "legacy": legacy}
    # NumPy checks its options before it looks at the values: its errors, on a stand-in
    np.array2string(np.empty((0,), array.dtype), max_line_width, precision, suppress_small,
                    separator, prefix, threshold=threshold, **options)
    values, corners = printed_values(array, threshold, edgeitems)
    return np.array2string(values, max_line_width, precision, suppress_small, separator,
                           prefix, threshold=0 if corners else threshold, **options)


def _corners_printer(values: np.ndarray) -> Any:
    """An ``array2string`` for NumPy's repr and str code: prints the computed corners, with
    the print options of the call."""
    def print_corners(_stand_in: Any, *args: Any, **kwargs: Any) -> str:
        return np.array2string(values, *args, threshold=0, **kwargs)
    return print_corners


def _stand_in(array: OOArray) -> np.ndarray:
    """An ndarray of ``array``'s shape and dtype, one element strided over it (no memory)."""
    return np.broadcast_to(np.empty((), array.dtype), array.shape)


@implements(np.array_repr)
def array_repr(arr: Any, max_line_width: int | None = None, precision: int | None = None,
               suppress_small: bool | None = None) -> str:
    """Return NumPy's ``repr`` of an array (``array([...], dtype=...)``), computing only
    what NumPy shows.

    The text is ``np.array_repr`` of the computed array: class name ``array``, the shape of
    a summarised array and the dtype when NumPy adds them. With an ``override_repr`` print
    option, that function is called on the OOArray.

    Raises
    ------
    BudgetError
        As :func:`array2string`.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> print(np.array_repr(oa.arange(10**6, dtype=np.int32), max_line_width=40))
    array([     0,      1,      2, ...,
           999997, 999998, 999999],
          shape=(1000000,), dtype=int32)
    """
    array = _array(arr)
    override = np.get_printoptions().get("override_repr")
    if override is not None:
        return override(array)
    values, corners = printed_values(array)
    if not corners:
        return np.array_repr(values, max_line_width, precision, suppress_small)
    return _array_repr_implementation(_stand_in(array), max_line_width, precision,
                                      suppress_small, array2string=_corners_printer(values))


@implements(np.array_str)
def array_str(a: Any, max_line_width: int | None = None, precision: int | None = None,
              suppress_small: bool | None = None) -> str:
    """Return NumPy's ``str`` of an array, computing only what NumPy shows.

    Raises
    ------
    BudgetError
        As :func:`array2string`.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> print(np.array_str(oa.ones((1000, 1000), chunks=100), precision=2))
    [[1. 1. 1. ... 1. 1. 1.]
     [1. 1. 1. ... 1. 1. 1.]
     [1. 1. 1. ... 1. 1. 1.]
     ...
     [1. 1. 1. ... 1. 1. 1.]
     [1. 1. 1. ... 1. 1. 1.]
     [1. 1. 1. ... 1. 1. 1.]]
    """
    array = _array(a)
    values, corners = printed_values(array)
    if not corners:
        return np.array_str(values, max_line_width, precision, suppress_small)
    return _array_str_implementation(_stand_in(array), max_line_width, precision,
                                     suppress_small, array2string=_corners_printer(values))
