"""NEP 35 readers: ``np.fromfile``, ``frombuffer``, ``fromiter``, ``fromstring``, ``loadtxt``
and ``genfromtxt`` with ``like=`` an OOArray.

A raw binary file (``np.fromfile(path, dtype, like=a)``) is read in place, chunk by chunk,
like a ``.npy`` file: nothing is loaded. A buffer or a string is already in memory and is
wrapped without a copy. An iterator or a text file is parsed by NumPy into memory, so its
result must fit ``memory_limit``: the size is checked first (``count``, or the file's size)
and a BudgetError says so, never a silent load of more than the budget.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops.creation import _grid, asarray
from ooarray.plan.graph import SourceNode
from ooarray.store.memmap import NpyStore

__all__ = ["fromfile", "frombuffer", "fromiter", "fromstring", "loadtxt", "genfromtxt",
           "TEXT_EXPANSION"]

#: A parsed number can take this many times the bytes of its text ("1," is 2 bytes, 8 parsed).
TEXT_EXPANSION = 4


def _check_fits(nbytes: int, what: str) -> None:
    limit = _config.get().memory_limit
    if nbytes > limit:
        raise BudgetError(f"{what} needs up to {format_bytes(nbytes)} in memory but "
                          f"memory_limit is {format_bytes(limit)}; convert it to Zarr or a raw "
                          f"binary file in pieces and open that with ooarray.open",
                          needed=nbytes, limit=limit)


@implements(np.fromfile)
def fromfile(file: Any, dtype: Any = float, count: int = -1, sep: str = "", offset: int = 0, *,
             like: Any = None, chunks: Any = None) -> OOArray:
    """Return a raw binary file as an OOArray read chunk by chunk (``np.fromfile``).

    Text files (``sep`` not empty) are parsed in memory when ``TEXT_EXPANSION`` times
    their size fits ``memory_limit``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> np.arange(5.0).tofile(path)
    >>> np.fromfile(path, like=oa.zeros(1), offset=8).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    dtype = check_dtype(dtype)
    if sep or not isinstance(file, (str, os.PathLike)):
        if isinstance(file, (str, os.PathLike)):
            _check_fits(TEXT_EXPANSION * os.path.getsize(file), f"np.fromfile of {file}")
        return asarray(np.fromfile(file, dtype, count, sep, offset), chunks=chunks)
    available = (os.path.getsize(file) - offset) // dtype.itemsize
    if offset < 0 or available < 0:
        raise ValueError(f"offset {offset} is outside the file of "
                         f"{os.path.getsize(file)} bytes")
    length = available if count < 0 else count
    if length > available:
        raise ValueError(f"the file holds {available} items of {dtype} after offset {offset}; "
                         f"count={count} asks for more")
    shape = (int(length),)
    return OOArray(SourceNode(NpyStore(file, shape, dtype, offset, _grid(shape, dtype, chunks))))


@implements(np.frombuffer)
def frombuffer(buffer: Any, dtype: Any = float, count: int = -1, offset: int = 0, *,
               like: Any = None, chunks: Any = None) -> OOArray:
    """Return an OOArray over an in-memory buffer, without a copy (``np.frombuffer``)."""
    return asarray(np.frombuffer(buffer, dtype, count, offset), chunks=chunks)


@implements(np.fromstring)
def fromstring(string: Any, dtype: Any = float, count: int = -1, *, sep: str,
               like: Any = None, chunks: Any = None) -> OOArray:
    """Return the numbers of a text string as an OOArray (``np.fromstring``)."""
    _check_fits(TEXT_EXPANSION * len(string), "np.fromstring")
    return asarray(np.fromstring(string, dtype, count, sep=sep), chunks=chunks)


@implements(np.fromiter)
def fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None,
             chunks: Any = None) -> OOArray:
    """Return the values of an iterator as an OOArray (``np.fromiter``).

    The values are held in memory; an iterator longer than ``memory_limit`` allows raises
    BudgetError once the budget is reached, before more is read.
    """
    dtype = np.dtype(dtype)
    limit = _config.get().memory_limit
    most = limit // max(dtype.itemsize, 1)
    if count >= 0:
        _check_fits(count * dtype.itemsize, "np.fromiter")
        return asarray(np.fromiter(iter, dtype, count), chunks=chunks)
    iterator = iter.__iter__()
    values = np.fromiter(itertools.islice(iterator, most), dtype)
    if len(values) == most and next(iterator, _END) is not _END:
        raise BudgetError(f"np.fromiter: the iterator yields more than the {most} items of "
                          f"{dtype} that fit memory_limit={format_bytes(limit)}; pass count= "
                          f"or write it to Zarr in pieces", needed=limit + 1, limit=limit)
    return asarray(values, chunks=chunks)


_END = object()


def _text_size(fname: Any) -> int:
    if isinstance(fname, (str, os.PathLike)) and os.path.exists(fname):
        return os.path.getsize(fname)
    if isinstance(fname, (list, tuple)):
        return sum(len(line) for line in fname)
    return 0


@implements(np.loadtxt)
def loadtxt(fname: Any, *args: Any, like: Any = None, **kwargs: Any) -> OOArray:
    """Parse a text file with ``np.loadtxt`` into an OOArray, if it fits ``memory_limit``."""
    _check_fits(TEXT_EXPANSION * _text_size(fname), "np.loadtxt")
    return asarray(np.loadtxt(fname, *args, **kwargs))


@implements(np.genfromtxt)
def genfromtxt(fname: Any, *args: Any, like: Any = None, **kwargs: Any) -> OOArray:
    """Parse a text file with ``np.genfromtxt`` into an OOArray, if it fits ``memory_limit``."""
    _check_fits(TEXT_EXPANSION * _text_size(fname), "np.genfromtxt")
    return asarray(np.genfromtxt(fname, *args, **kwargs))
