"""Executors: run a plan's chunk tasks through the buffer manager."""

from ooarray.execute.local import ArraySink, StoreSink, execute, pool

__all__ = ["ArraySink", "StoreSink", "execute", "pool"]
