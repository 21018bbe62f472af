"""Moved to :mod:`ooarray.chunks` (the chunk-grid maths every layer may use); this name
stays until the last importer is updated."""

from ooarray.chunks import *  # noqa: F401,F403
from ooarray.chunks import MAX_CHUNKS, auto_chunks, target_chunk_bytes  # noqa: F401
