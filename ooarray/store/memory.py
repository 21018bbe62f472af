"""An in-memory chunk store: a dict of chunks (tests, small results)."""

from __future__ import annotations

import numpy as np

from ooarray.chunks import Chunks, block_region
from ooarray.store.base import Borrow, ChunkStore

__all__ = ["MemoryStore"]


class MemoryStore(ChunkStore):
    """Keep chunks as NumPy arrays in a dict.

    Parameters
    ----------
    shape, dtype, chunks
        The array's metadata; ``chunks`` is a normalised grid.
    data : numpy.ndarray, optional
        Initial contents, split into chunks by copying.
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunks: Chunks,
                 data: np.ndarray | None = None) -> None:
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks
        self._chunks: dict[tuple[int, ...], np.ndarray] = {}
        if data is not None:
            for index in np.ndindex(*[len(c) for c in chunks]):
                self._chunks[index] = np.array(data[block_region(chunks, index)], copy=True)

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray, borrow=None) -> None:
        try:
            out[...] = self._chunks[tuple(index)]
        except KeyError:
            raise KeyError(f"chunk {index} was never written to this MemoryStore") from None

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray,
                    borrow: Borrow | None = None) -> None:
        self._chunks[tuple(index)] = np.array(data, dtype=self.dtype, copy=True)

    def to_numpy(self) -> np.ndarray:
        """Return the whole array (for tests and small arrays)."""
        out = np.empty(self.shape, self.dtype)
        for index, chunk in self._chunks.items():
            out[block_region(self.chunks, index)] = chunk
        return out
