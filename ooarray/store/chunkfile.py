"""A raw chunk file: every chunk one contiguous run of bytes in one temporary file.

For values ooarray writes and reads back itself (checkpoints, snapshots of writable arrays):
any chunk grid (a node's own, which consumers may have planned around), no codec, one
``pwrite`` per chunk written and one ``preadv`` per chunk read. A ``.npy`` file lays a chunk of
a matrix out as many short rows, each read or written through a mapping; a chunk-major file
does not. Every read and write checks its byte count: a short one is an error, never data.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from ooarray.chunks import Chunks, iter_blocks
from ooarray.store.base import Borrow, ChunkStore
from ooarray.store.fileio import close_descriptor, read_exact, write_all
from ooarray.store.leftovers import temporary_prefix
from ooarray.store.termination import clean_up_on_termination

__all__ = ["ChunkFile"]


class ChunkFile(ChunkStore):
    """An array in a new temporary file of ``directory``, chunk after chunk in C order of
    the blocks; :meth:`remove` deletes the file.

    Parameters
    ----------
    shape, dtype, chunks
        The array's metadata; ``chunks`` is a normalised grid.
    directory : str, optional
        Where the file goes (``spill_dir``); the system's temporary directory by default.
    kind : str
        What it holds (``checkpoint``, ``snapshot``), in the file's name with this process's
        id (see :mod:`ooarray.store.leftovers`).
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunks: Chunks,
                 directory: str | None = None, kind: str = "checkpoint") -> None:
        clean_up_on_termination()
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks
        self._offsets: dict[tuple[int, ...], int] = {}
        position = 0
        for index in iter_blocks(chunks):
            self._offsets[index] = position
            position += math.prod(self.chunk_shape(index)) * self.dtype.itemsize
        handle, self.path = tempfile.mkstemp(suffix=".raw", prefix=temporary_prefix(kind),
                                             dir=directory)
        self._fd = handle
        self._written: set[tuple[int, ...]] = set()
        #: In a copy in another process: the chunks it wrote, not yet taken (take_written).
        self._new: list[tuple[int, ...]] | None = None

    @property
    def description(self) -> str:
        return f"chunk file {self.path}"

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray,
                    borrow: Borrow | None = None) -> None:
        data = np.ascontiguousarray(data, dtype=self.dtype)
        write_all(self._fd, memoryview(data), self._offsets[tuple(index)], self.path)
        self._written.add(tuple(index))
        if self._new is not None:
            self._new.append(tuple(index))

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray,
                   borrow: Borrow | None = None) -> None:
        index = tuple(index)
        if index not in self._written:
            raise KeyError(f"chunk {index} was never written to {self.path}")
        read_exact(self._fd, memoryview(out), self._offsets[index], self.path)

    def take_written(self) -> list:
        if self._new is None:
            return []
        new, self._new = self._new, []
        return new

    def record_written(self, entries: list) -> None:
        self._written.update(tuple(index) for index in entries)

    # A pickled chunk file (a plan sent to another process) opens the file again there.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_fd"]
        state["_new"] = []
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._fd = os.open(self.path, os.O_RDWR)

    def _close(self) -> None:
        fd, self._fd = getattr(self, "_fd", -1), -1
        close_descriptor(fd)

    def __del__(self) -> None:
        self._close()

    def remove(self) -> None:
        """Close and delete the file."""
        self._close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    abort = remove
