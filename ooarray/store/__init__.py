"""Chunk stores: where materialised arrays live (Zarr, ``.npy`` files, memory, spill).

Every read and write checks its byte count (:mod:`~ooarray.store.fileio`); partial writes
keep a journal and become complete only when committed. The bottom layer beside the chunk
maths, the errors and the config: it imports zarr and NumPy, nothing else of the package.
"""

from ooarray.store.base import ChunkStore
from ooarray.store.memmap import NpyStore
from ooarray.store.memory import MemoryStore
from ooarray.store.zarr import ZarrStore

__all__ = ["ChunkStore", "NpyStore", "MemoryStore", "ZarrStore"]
