"""A read-only store whose chunks a function computes (arange, eye, random numbers, ...)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ooarray.chunks import Chunks, Region, block_region, region_shape
from ooarray.store.base import ChunkStore

__all__ = ["GeneratedStore"]

#: ``fill(index, region, out)`` writes the values of block ``index`` (at ``region``) into ``out``.
Filler = Callable[[tuple[int, ...], Region, np.ndarray], None]


class GeneratedStore(ChunkStore):
    """Chunks made on demand by ``fill``; nothing is kept.

    Parameters
    ----------
    shape, dtype, chunks
        The array's metadata.
    fill : callable
        ``fill(index, region, out)``.
    name : str
        What the values are, for ``repr``.
    scratch_per_item : int
        Temporary bytes ``fill`` allocates per element (0 if it writes into ``out`` directly).
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunks: Chunks, fill: Filler,
                 name: str, scratch_per_item: int = 0) -> None:
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks
        self._fill, self._name, self._scratch = fill, name, scratch_per_item

    @property
    def description(self) -> str:
        return self._name

    def read_scratch_outside_pool(self) -> int:
        return self.read_scratch_bytes()

    def read_scratch_bytes(self) -> int:
        largest = max((int(np.prod(region_shape(block_region(self.chunks, (0,) * len(self.shape)))))
                       if self.shape else 1), 1)
        return self._scratch * largest

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray, borrow=None) -> None:
        self._fill(tuple(index), block_region(self.chunks, index), out)
