"""Chunk stores: where materialised arrays live (Zarr, ``.npy`` files, memory, spill)."""

from ooarray.store.base import ChunkStore
from ooarray.store.memmap import NpyStore
from ooarray.store.memory import MemoryStore
from ooarray.store.zarr import ZarrStore

__all__ = ["ChunkStore", "NpyStore", "MemoryStore", "ZarrStore"]
