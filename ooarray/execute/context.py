"""The task context: what a running task uses to read chunks and take scratch memory."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from ooarray.buffer.manager import BufferManager
from ooarray.core.chunks import Region, overlapping_blocks, region_shape
from ooarray.plan.graph import MaterializedNode, SourceNode

__all__ = ["TaskContext"]


class TaskContext:
    """Pins, scratch buffers and the evaluation cache of one task; all released by :meth:`close`."""

    def __init__(self, pool: BufferManager) -> None:
        self.pool = pool
        self.cache: dict = {}
        self._pinned: dict[Hashable, np.ndarray] = {}
        self._scratch: list[np.ndarray] = []

    def _chunk(self, node: MaterializedNode, block: tuple[int, ...]) -> np.ndarray:
        key = node.chunk_key(block)
        chunk = self._pinned.get(key)
        if chunk is None:
            loader, scratch = None, 0
            if isinstance(node, SourceNode):
                store = node.store
                loader = lambda out, block=block: store.read_chunk(  # noqa: E731
                    block, out, self.pool.borrow)
                scratch = store.read_scratch_outside_pool()
            chunk = self.pool.pin(key, region_shape(node.chunk_region(block)), node.dtype,
                                  loader, scratch)
            self._pinned[key] = chunk
        return chunk

    def read(self, node: MaterializedNode, region: Region) -> np.ndarray:
        """Return ``region`` of ``node``: a view of one pinned chunk, or an assembled copy."""
        blocks = overlapping_blocks(node.chunks, region)
        if len(blocks) == 1:
            block, in_block, _ = blocks[0]
            return self._chunk(node, block)[in_block]
        out = self.allocate(region_shape(region), node.dtype)
        for block, in_block, in_region in blocks:
            out[in_region] = self._chunk(node, block)[in_block]
        return out

    def allocate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Return a scratch array from the pool, given back when the task ends."""
        array = self.pool.allocate(tuple(shape), dtype)
        self._scratch.append(array)
        return array

    def keep(self, key: Hashable, array: np.ndarray) -> None:
        """Hand scratch ``array`` to the pool as intermediate chunk ``key``."""
        for position, candidate in enumerate(self._scratch):
            if candidate is array:
                del self._scratch[position]
                self.pool.adopt(key, array)
                return
        raise AssertionError("keep() takes an array from allocate()")

    def close(self) -> None:
        """Unpin every chunk and give back every scratch buffer."""
        self.cache.clear()
        for key in self._pinned:
            self.pool.unpin(key)
        self._pinned.clear()
        for array in self._scratch:
            self.pool.release(array)
        self._scratch.clear()
