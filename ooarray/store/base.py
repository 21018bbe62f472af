"""The chunk-store protocol: what the rest of ooarray knows about storage.

A store holds one array split on a chunk grid. Readers ask for one chunk at a time and give the
buffer to decode into (a buffer the pool already owns, so no fresh memory is touched); writers
hand over one chunk at a time. Stores that write do so to a temporary location and become
visible under their final name only in :meth:`ChunkStore.commit`, so an interrupted write never
leaves a store that looks complete.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Chunks, block_region, region_shape

__all__ = ["ChunkStore", "Borrow"]

#: ``borrow(nbytes)``: a context manager lending a uint8 scratch array from the buffer pool.
Borrow = Callable[[int], contextlib.AbstractContextManager[np.ndarray]]


class ChunkStore(abc.ABC):
    """An array on a chunk grid, read and written one chunk at a time.

    Attributes
    ----------
    shape : tuple of int
    dtype : numpy.dtype
    chunks : tuple of tuple of int
        The grid in which :meth:`read_chunk` and :meth:`write_chunk` address chunks.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: Chunks
    #: Chunks of a store being written that an earlier, stopped run already wrote (and that
    #: were verified): a resumed write skips them.
    done: frozenset[tuple[int, ...]] = frozenset()

    def chunk_shape(self, index: Sequence[int]) -> tuple[int, ...]:
        """Return the shape of chunk ``index``."""
        return region_shape(block_region(self.chunks, index))

    @abc.abstractmethod
    def read_chunk(self, index: tuple[int, ...], out: np.ndarray,
                   borrow: Borrow | None = None) -> None:
        """Fill ``out`` (C-contiguous, of the chunk's shape and the store's dtype) with chunk
        ``index``. ``borrow(nbytes)``, if given, lends scratch bytes from the pool (a context
        manager yielding a uint8 array), so that decoding allocates no memory of its own."""

    def mapped_bytes(self, index: tuple[int, ...]) -> int | None:
        """Return the bytes :meth:`map_chunk` maps for chunk ``index``, or None if the chunk
        is read by :meth:`read_chunk` (the default: a store that maps nothing)."""
        return None

    def map_chunk(self, index: tuple[int, ...]) -> tuple[object, np.ndarray]:
        """Map chunk ``index`` read-only (only where :meth:`mapped_bytes` is not None);
        return the mapping (closed by the pool when the chunk leaves it) and a read-only
        array view of the chunk on it."""
        raise NotImplementedError(f"{type(self).__name__} maps no chunks")

    def read_scratch_bytes(self) -> int:
        """Return the bytes a :meth:`read_chunk` call may need besides ``out``."""
        return 0

    def read_scratch_outside_pool(self) -> int:
        """Return the part of :meth:`read_scratch_bytes` that ``borrow`` cannot serve."""
        return 0

    def write_scratch_bytes(self) -> int:
        """Return the extra bytes a :meth:`write_chunk` call may allocate while it encodes."""
        return 0

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray,
                    borrow: Borrow | None = None) -> None:
        """Store ``data`` as chunk ``index``; ``borrow`` lends scratch buffers from the pool
        (within :meth:`write_scratch_bytes`) to a store that encodes."""
        raise TypeError(f"{type(self).__name__} is read-only")

    def take_written(self) -> list:
        """In a copy of this store in another process (a pickled store), return what it
        wrote since the last call, for :meth:`record_written` in the process that owns it."""
        return []

    def record_written(self, entries: list) -> None:
        """Record chunks that a copy of this store in another process wrote (the entries of
        its :meth:`take_written`), as if this store had written them."""

    def commit(self) -> None:
        """Make a written store visible under its final name (no-op for stores that read)."""

    def abort(self) -> None:
        """Discard a store that was being written."""

    @property
    def description(self) -> str:
        """One line saying where the data lives, for ``repr``."""
        return type(self).__name__
