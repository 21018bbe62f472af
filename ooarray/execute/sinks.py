"""Where a computation's result goes: an in-memory array, or a chunk store."""

from __future__ import annotations

import numpy as np

from ooarray.core.chunks import Chunks, Region
from ooarray.store.base import ChunkStore

__all__ = ["Sink", "ArraySink", "StoreSink"]


class Sink:
    """Receives one region of the result per sink task."""

    chunks: Chunks
    #: Bytes the result takes outside the pool (it is charged against the budget).
    resident_bytes: int = 0
    #: Bytes one write may allocate (an encoder's copy).
    scratch_bytes: int = 0

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray) -> int:
        """Store ``data`` as ``region`` (block ``index``); return the bytes written to storage."""
        raise NotImplementedError

    def commit(self) -> None:
        """Called once after every write succeeded."""

    def abort(self) -> None:
        """Called instead of :meth:`commit` when the computation failed or was interrupted."""


class ArraySink(Sink):
    """Fill a NumPy array (``compute``)."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunks: Chunks) -> None:
        self.result = np.empty(shape, dtype)
        self.chunks = chunks
        self.resident_bytes = self.result.nbytes

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray) -> int:
        self.result[region] = data
        return 0


class StoreSink(Sink):
    """Write to a chunk store, committed only when every chunk is written."""

    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self.chunks = store.chunks
        self.scratch_bytes = store.write_scratch_bytes()

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray) -> int:
        self.store.write_chunk(index, data)
        return data.nbytes

    def commit(self) -> None:
        self.store.commit()

    def abort(self) -> None:
        self.store.abort()
