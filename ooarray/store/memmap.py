"""``.npy`` chunk store: raw files read and written one chunk at a time.

A long-lived mapping of the whole file would put every page the computation touches into the
process's resident set (8 GB in the benchmark the design cites), invisible to the budget. So a
chunk that is one contiguous byte range is read with ``preadv`` straight into the pool's buffer;
any other chunk maps just its byte range, copies out, and unmaps at once.
"""

from __future__ import annotations

import math
import mmap
import os
from pathlib import Path

import numpy as np

from ooarray.core.chunks import Chunks, block_region, normalize_chunks, region_shape
from ooarray.store.base import ChunkStore
from ooarray.store.fileio import read_exact, write_all
from ooarray.store.leftovers import partial_name
from ooarray.store.termination import clean_up_on_termination

__all__ = ["NpyStore"]

_PAGE = mmap.ALLOCATIONGRANULARITY


def _contiguous_span(shape: tuple[int, ...], region: tuple[slice, ...]) -> tuple[int, int] | None:
    """Return (first element, element count) if ``region`` is one contiguous run in C order.

    It is when every axis after the first one that spans more than one element is whole.
    """
    spanning = False
    for length, sel in zip(shape, region):
        extent = sel.stop - sel.start
        if spanning and extent != length:
            return None
        spanning = spanning or extent > 1
    start, stride = 0, 1
    for length, sel in zip(reversed(shape), reversed(region)):
        start += sel.start * stride
        stride *= length
    count = 1
    for sel in region:
        count *= sel.stop - sel.start
    return start, count


class NpyStore(ChunkStore):
    """A C-ordered ``.npy`` file as a chunk store.

    Parameters
    ----------
    path : str or path-like
        The file.
    chunks : chunks argument, optional
        How to split it; by default slabs along the leading axes, each one contiguous run.
    target_bytes : int
        Chunk size that ``'auto'`` aims for.
    """

    def __init__(self, path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype,
                 data_offset: int, chunks: Chunks, final_path: str | None = None) -> None:
        self.path = os.fspath(path)
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks
        self.data_offset = int(data_offset)
        self._final_path = final_path
        self._fd = os.open(self.path, os.O_RDWR if final_path else os.O_RDONLY)

    @classmethod
    def open(cls, path: str | os.PathLike, chunks: object = "auto",
             target_bytes: int = 32 * 2**20) -> tuple["NpyStore", bool]:
        """Open a ``.npy`` file; return the store and whether the file is Fortran-ordered.

        A Fortran-ordered file is exposed as the C-ordered array of the reversed shape (the
        caller transposes it back).

        Raises
        ------
        TypeError
            If the file holds object, string or other non-numeric data.
        """
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
        if dtype.hasobject or dtype.kind not in "biufc":
            raise TypeError(f"{path} holds dtype {dtype}; ooarray supports bool, integer, "
                            f"float and complex data")
        needed = offset + math.prod(shape) * dtype.itemsize
        if os.path.getsize(path) < needed:  # a header that lies, or a truncated copy
            raise ValueError(f"{path} is {os.path.getsize(path):,} bytes but its header "
                             f"describes {shape} {dtype} ({needed:,} bytes with the header); "
                             f"the file is truncated or damaged")
        if fortran:
            shape = tuple(reversed(shape))
        grid = normalize_chunks(chunks, shape, dtype.itemsize, target_bytes)
        return cls(path, shape, dtype, offset, grid), bool(fortran)

    @classmethod
    def create(cls, path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype,
               chunks: Chunks, overwrite: bool = False) -> "NpyStore":
        """Start writing a ``.npy`` file that appears at ``path`` only on :meth:`commit`."""
        final = Path(path)
        if final.exists() and not overwrite:
            raise FileExistsError(f"{final} already exists; pass overwrite=True to replace it")
        clean_up_on_termination()
        temp = partial_name(final)
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                  "fortran_order": False, "shape": tuple(shape)}
        try:
            with open(temp, "wb") as handle:
                try:
                    np.lib.format.write_array_header_1_0(handle, header)
                except ValueError:  # a header too long for format 1.0
                    handle.seek(0)
                    np.lib.format.write_array_header_2_0(handle, header)
                offset = handle.tell()
                handle.truncate(offset + int(np.prod(shape)) * np.dtype(dtype).itemsize)
            return cls(temp, shape, dtype, offset, chunks, final_path=str(final))
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    @property
    def description(self) -> str:
        return f"npy {self._final_path or self.path}"

    def _mapped_view(self, region: tuple[slice, ...], access: int
                     ) -> tuple[mmap.mmap, np.ndarray]:
        """Map only the bytes that ``region`` spans and return the mapping and a view of it."""
        itemsize = self.dtype.itemsize
        strides = [itemsize * int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape))]
        first = self.data_offset + sum(s.start * st for s, st in zip(region, strides))
        last = self.data_offset + sum((s.stop - 1) * st for s, st in zip(region, strides)) \
            + itemsize
        base = (first // _PAGE) * _PAGE
        mapping = mmap.mmap(self._fd, last - base, offset=base, access=access)
        view = np.ndarray(region_shape(region), self.dtype, buffer=mapping,
                          offset=first - base, strides=strides)
        return mapping, view

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray, borrow=None) -> None:
        region = block_region(self.chunks, index)
        if out.size == 0:
            return
        span = _contiguous_span(self.shape, region)
        if span is not None and out.flags.c_contiguous:
            read_exact(self._fd, memoryview(out),
                       self.data_offset + span[0] * self.dtype.itemsize, self.path)
            return
        mapping, view = self._mapped_view(region, mmap.ACCESS_READ)
        try:
            np.copyto(out, view)
        finally:
            del view
            mapping.close()

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray) -> None:
        region = block_region(self.chunks, index)
        data = np.ascontiguousarray(data, dtype=self.dtype)
        if data.size == 0:
            return
        span = _contiguous_span(self.shape, region)
        if span is not None:
            write_all(self._fd, memoryview(data),
                      self.data_offset + span[0] * self.dtype.itemsize, self.path)
            return
        mapping, view = self._mapped_view(region, mmap.ACCESS_WRITE)
        try:
            view[...] = data
            mapping.flush()
        finally:
            del view
            mapping.close()

    def commit(self) -> None:
        # The rename makes the file appear whole or not at all to every process; like zarr,
        # no fsync: durability against power loss would cost 1-2 s per 2 GiB here.
        if self._final_path is None:
            return
        os.replace(self.path, self._final_path)
        self.path, self._final_path = self._final_path, None

    def abort(self) -> None:
        if self._final_path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self._final_path = None

    def __del__(self) -> None:
        try:
            os.close(self._fd)
        except (OSError, AttributeError):
            pass

