"""The chunk-store protocol: what the rest of ooarray knows about storage.

A store holds one array split on a chunk grid. Readers ask for one chunk at a time and give the
buffer to decode into (a buffer the pool already owns, so no fresh memory is touched); writers
hand over one chunk at a time. Stores that write do so to a temporary location and become
visible under their final name only in :meth:`ChunkStore.commit`, so an interrupted write never
leaves a store that looks complete.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from ooarray.core.chunks import Chunks, block_region, region_shape

__all__ = ["ChunkStore"]


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

    def chunk_shape(self, index: Sequence[int]) -> tuple[int, ...]:
        """Return the shape of chunk ``index``."""
        return region_shape(block_region(self.chunks, index))

    @abc.abstractmethod
    def read_chunk(self, index: tuple[int, ...], out: np.ndarray) -> None:
        """Fill ``out`` (C-contiguous, of the chunk's shape and the store's dtype) with chunk ``index``."""

    def read_scratch_bytes(self) -> int:
        """Return the extra bytes a :meth:`read_chunk` call may allocate while it decodes."""
        return 0

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray) -> None:
        """Store ``data`` as chunk ``index``."""
        raise TypeError(f"{type(self).__name__} is read-only")

    def commit(self) -> None:
        """Make a written store visible under its final name (no-op for stores that read)."""

    def abort(self) -> None:
        """Discard a store that was being written."""

    @property
    def description(self) -> str:
        """One line saying where the data lives, for ``repr``."""
        return type(self).__name__
