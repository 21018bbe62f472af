"""Where a computation's result goes: an in-memory array, or a chunk store."""

from __future__ import annotations

import numpy as np

from ooarray.chunks import Chunks, Region, overlapping_blocks
from ooarray.store.base import Borrow, ChunkStore

__all__ = ["Sink", "ArraySink", "StoreSink"]


class Sink:
    """Receives one region of the result per sink task."""

    chunks: Chunks
    #: Bytes the result takes outside the pool (it is charged against the budget).
    resident_bytes: int = 0
    #: Bytes one write may allocate (an encoder's copy).
    scratch_bytes: int = 0
    #: Blocks of ``chunks`` already in place (a resumed write): no task computes them.
    done: frozenset[tuple[int, ...]] = frozenset()

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray,
              borrow: Borrow | None = None) -> int:
        """Store ``data`` as ``region`` of the result; return the bytes written to storage.

        ``index`` is the block of the task that made ``data``; ``region`` is that block, or
        covers several whole blocks of the sink when the task's grid is coarser. ``borrow``
        lends the pool's buffers within :attr:`scratch_bytes` (an encoder's output).
        """
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

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray,
              borrow: Borrow | None = None) -> int:
        self.result[region] = data
        return 0


class StoreSink(Sink):
    """Write to a chunk store, committed only when every chunk is written.

    The chunks an earlier run already wrote (``store.done``, a resumed write) are not
    written again; the plan makes no task for them (:attr:`Sink.done`).
    """

    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self.chunks = store.chunks
        self.scratch_bytes = store.write_scratch_bytes()
        self.done = store.done

    def write(self, index: tuple[int, ...], region: Region, data: np.ndarray,
              borrow: Borrow | None = None) -> int:
        # A task's chunk may span several of the store's (a matmul tile): each is written
        # whole, one after another, so the store's scratch is that of one store chunk.
        written = 0
        for block, _, in_region in overlapping_blocks(self.chunks, region):
            if block in self.done:
                continue
            piece = data[in_region]
            self.store.write_chunk(block, piece, borrow)
            written += piece.nbytes
        return written

    def commit(self) -> None:
        self.store.commit()

    def abort(self) -> None:
        self.store.abort()
