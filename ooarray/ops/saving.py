"""Saving OOArrays with NumPy's own functions: ``np.save``, ``np.savez``,
``np.savez_compressed``, ``np.savetxt``, chunk by chunk (issue 16, item 6).

Nothing here loads the array. ``np.save`` to a path is :meth:`OOArray.to_npy` (a journaled
partial beside the file, renamed when every chunk is written: the header NumPy writes, the
data in C order). Everything else streams *row blocks*: slices of leading rows, each computed
alone and written before the next, sized to a quarter of ``memory_limit``
(:data:`~ooarray.ops._operands.IN_MEMORY_SHARE`). An array whose plan holds a materialised
node (a sort, a matrix product...) would recompute that node for every block, so it is first
written once to a ``.npy`` in ``spill_dir`` and the blocks are read from there. When one row
cannot fit the share, a BudgetError says so before anything is written.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import IN_MEMORY_SHARE
from ooarray.ops.creation import asarray
from ooarray.plan.graph import Node, SourceNode
from ooarray.store.leftovers import partial_name
from ooarray.store.memmap import npy_header

__all__ = ["save", "savez", "savez_compressed", "savetxt", "row_blocks", "rows_per_block",
           "block_count"]

#: Bytes that formatting one value of a row takes in ``np.savetxt`` while the row is written
#: (its Python float in the row tuple, the tuple's slot, its share of the formatted text).
_TEXT_BYTES_PER_VALUE = 128


# -- row blocks ------------------------------------------------------------------------------
def _holds_materialized(node: Node) -> bool:
    """Whether computing a region of ``node`` runs a materialised node other than a source
    (which would then be computed again for every row block)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.materialized and not isinstance(current, SourceNode):
            return True
        stack.extend(current.inputs)
    return False


def rows_per_block(array: OOArray, what: str, extra_per_row: int = 0) -> int:
    """Leading rows per block: as many as fit the in-memory share of ``memory_limit``.

    Raises
    ------
    BudgetError
        If one row (with ``extra_per_row`` bytes) does not fit a quarter of ``memory_limit``.
    """
    limit = _config.get().memory_limit
    share = int(limit * IN_MEMORY_SHARE)
    row = (math.prod(array.shape[1:]) * array.itemsize if array.ndim else array.itemsize) \
        + extra_per_row
    if row > share:
        raise BudgetError(
            f"{what} writes whole rows, and one row of this {array.shape} {array.dtype} array "
            f"takes {format_bytes(row)}, over a quarter of memory_limit="
            f"{format_bytes(limit)}; raise memory_limit to at least {format_bytes(4 * row)} "
            f"or reshape the array so that its rows are shorter",
            needed=int(row / IN_MEMORY_SHARE), limit=limit)
    return max(1, share // max(row, 1))


@contextlib.contextmanager
def _streamable(array: OOArray) -> Iterator[OOArray]:
    """``array``, or (if row blocks would recompute a materialised node) the array written
    once to a ``.npy`` in ``spill_dir`` and opened from there, removed afterwards."""
    if not _holds_materialized(array.node):
        yield array
        return
    directory = Path(_config.get().spill_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"save-{os.getpid()}-{uuid.uuid4().hex}.npy"
    try:
        yield array.to_npy(path)
    finally:
        path.unlink(missing_ok=True)


def block_count(array: OOArray, rows: int) -> int:
    """How many blocks :func:`row_blocks` yields for ``rows`` rows per block."""
    return 1 if array.ndim == 0 or array.shape[0] == 0 else -(-array.shape[0] // rows)


def row_blocks(array: OOArray, rows: int) -> Iterator[np.ndarray]:
    """Yield ``array``'s values as C-ordered blocks of ``rows`` leading rows (one block for a
    0-d or empty array), each computed when asked for.

    Parameters
    ----------
    array : OOArray
    rows : int
        Rows per block (:func:`rows_per_block`).

    Yields
    ------
    numpy.ndarray
    """
    if array.ndim == 0 or array.shape[0] == 0:
        yield np.ascontiguousarray(array.compute())
        return
    with _streamable(array) as source:
        for start in range(0, source.shape[0], rows):
            yield np.ascontiguousarray(source[start:start + rows].compute())


# -- .npy ------------------------------------------------------------------------------------
def _write_npy(handle: BinaryIO, array: OOArray, what: str) -> None:
    """Write ``array`` to the binary ``handle`` as the bytes of a ``.npy`` file."""
    rows = rows_per_block(array, what)  # BudgetError before the header is written
    handle.write(npy_header(array.shape, array.dtype))
    for block in row_blocks(array, rows):
        handle.write(block.reshape(-1).view(np.uint8))


@implements(np.save)
def save(file: Any, arr: Any, allow_pickle: bool = True, **kwargs: Any) -> None:
    """Write ``arr`` to a ``.npy`` file, chunk by chunk, as ``np.save``.

    Parameters
    ----------
    file : str, path-like or binary file
        A path (``.npy`` appended if missing) is written through a hidden partial renamed
        when complete (:meth:`OOArray.to_npy`); a file object gets the bytes in order.
    arr : OOArray or array_like
    allow_pickle : bool
        Ignored (OOArrays hold no objects).

    Raises
    ------
    BudgetError
        If one row of ``arr`` does not fit a quarter of ``memory_limit`` (file objects).

    Examples
    --------
    >>> import io, numpy as np, ooarray as oa
    >>> buffer = io.BytesIO()
    >>> np.save(buffer, oa.asarray(np.arange(3)))
    >>> _ = buffer.seek(0); np.load(buffer).tolist()
    [0, 1, 2]
    """
    arr = asarray(arr)
    if hasattr(file, "write"):
        _write_npy(file, arr, "np.save")
        return None
    path = os.fspath(file)
    if not path.endswith(".npy"):
        path = path + ".npy"
    arr.to_npy(path, overwrite=True)
    return None


# -- .npz ------------------------------------------------------------------------------------
def _named(args: tuple, kwds: dict[str, Any]) -> dict[str, Any]:
    named = dict(kwds)
    for number, value in enumerate(args):
        key = f"arr_{number}"
        if key in named:
            raise ValueError(f"Cannot use un-named variables and keyword {key}")
        named[key] = value
    return named


def _write_zip(handle: Any, named: dict[str, Any], compression: int, allow_pickle: bool,
               what: str) -> None:
    with zipfile.ZipFile(handle, mode="w", compression=compression, allowZip64=True) as zipf:
        for key, value in named.items():
            with zipf.open(key + ".npy", "w", force_zip64=True) as member:
                if isinstance(value, OOArray):
                    _write_npy(member, value, what)
                else:
                    np.lib.format.write_array(member, np.asanyarray(value),
                                              allow_pickle=allow_pickle)


def _savez(file: Any, args: tuple, kwds: dict[str, Any], compression: int,
           allow_pickle: bool, what: str) -> None:
    named = _named(args, kwds)
    for value in named.values():
        if isinstance(value, OOArray):
            rows_per_block(value, what)  # BudgetError before anything is written
    if hasattr(file, "write"):
        _write_zip(file, named, compression, allow_pickle, what)
        return
    path = os.fspath(file)
    if not path.endswith(".npz"):
        path = path + ".npz"
    final = Path(path)
    temp = partial_name(final)
    try:
        _write_zip(temp, named, compression, allow_pickle, what)
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)


@implements(np.savez)
def savez(file: Any, *args: Any, allow_pickle: bool = True, **kwds: Any) -> None:
    """Write arrays into an uncompressed ``.npz`` zip, each member streamed, as ``np.savez``.

    Parameters
    ----------
    file : str, path-like or binary file
        A path (``.npz`` appended if missing) is written through a hidden partial renamed
        when complete.
    *args : array_like
        Saved as ``arr_0``, ``arr_1``, ...
    allow_pickle : bool
        For ndarray arguments, as NumPy.
    **kwds : array_like
        Saved under their keyword.

    Raises
    ------
    ValueError
        If a keyword is ``arr_<n>`` of a positional argument, as NumPy.
    BudgetError
        If one row of an OOArray does not fit a quarter of ``memory_limit``.

    Examples
    --------
    >>> import io, numpy as np, ooarray as oa
    >>> buffer = io.BytesIO()
    >>> np.savez(buffer, oa.asarray(np.arange(3)), b=oa.asarray(np.ones(2)))
    >>> _ = buffer.seek(0); sorted(np.load(buffer).files)
    ['arr_0', 'b']
    """
    _savez(file, args, kwds, zipfile.ZIP_STORED, allow_pickle, "np.savez")


@implements(np.savez_compressed)
def savez_compressed(file: Any, *args: Any, allow_pickle: bool = True, **kwds: Any) -> None:
    """:func:`savez` with deflate-compressed members, as ``np.savez_compressed``."""
    _savez(file, args, kwds, zipfile.ZIP_DEFLATED, allow_pickle, "np.savez_compressed")


# -- text ------------------------------------------------------------------------------------
def _text_stand_in(array: OOArray) -> np.ndarray:
    """A zero-row array of ``array``'s dtype and columns: NumPy checks the dimensions and the
    format on it (its own ValueError or AttributeError)."""
    if array.ndim in (1, 2):
        return np.empty((0,) + array.shape[1:], array.dtype)
    return np.empty(array.shape if array.ndim == 0 else (0,) * array.ndim, array.dtype)


@implements(np.savetxt)
def savetxt(fname: Any, X: Any, fmt: Any = "%.18e", delimiter: str = " ",
            newline: str = "\n", header: str = "", footer: str = "", comments: str = "# ",
            encoding: str | None = None) -> None:
    """Write a 1-D or 2-D array to a text file, block of rows by block of rows, as
    ``np.savetxt`` (each block formatted by NumPy's own ``savetxt``).

    Parameters
    ----------
    fname : str, path-like or file
        A path (compressed if it ends in ``.gz``, as NumPy) or an open text or binary file.
    X : OOArray
    fmt, delimiter, newline, header, footer, comments, encoding
        As ``np.savetxt``.

    Raises
    ------
    ValueError
        If ``X`` is not 1-D or 2-D, or ``fmt`` does not match the columns, as NumPy (before
        anything is written).
    BudgetError
        If one row (with its formatting) does not fit a quarter of ``memory_limit``.

    Examples
    --------
    >>> import io, numpy as np, ooarray as oa
    >>> text = io.StringIO()
    >>> np.savetxt(text, oa.asarray(np.arange(4).reshape(2, 2)), fmt="%d", header="a b")
    >>> text.getvalue()
    '# a b\\n0 1\\n2 3\\n'
    """
    X = asarray(X)
    options = {"fmt": fmt, "delimiter": delimiter, "newline": newline,
               "comments": comments, "encoding": encoding}
    np.savetxt(io.StringIO(), _text_stand_in(X), **options)
    columns = X.shape[1] if X.ndim == 2 else 1
    rows = rows_per_block(X, "np.savetxt", columns * _TEXT_BYTES_PER_VALUE)
    if hasattr(fname, "write"):
        _write_text(fname, X, rows, header, footer, options)
        return None
    path = os.fspath(fname)
    open(path, "wt").close()  # as NumPy: the file exists (empty) before the data source opens
    with np.lib._datasource.open(path, "wt", encoding=encoding) as handle:
        _write_text(handle, X, rows, header, footer, options)
    return None


def _write_text(handle: Any, array: OOArray, rows: int, header: str, footer: str,
                options: dict[str, Any]) -> None:
    count = block_count(array, rows)
    for number, block in enumerate(row_blocks(array, rows)):
        np.savetxt(handle, block, header=header if number == 0 else "",
                   footer=footer if number == count - 1 else "", **options)
