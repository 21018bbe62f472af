"""Executors: run a plan's chunk tasks through the buffer manager.

:mod:`~ooarray.execute.executor` is the interface and the entry point; ``sync`` and
``threads`` are the local engines (:mod:`~ooarray.execute.sync`,
:mod:`~ooarray.execute.threads`), which share :mod:`~ooarray.execute.local`.
"""

from ooarray.execute.callbacks import Callback
from ooarray.execute.executor import execute
from ooarray.execute.local import pool
from ooarray.execute.sinks import ArraySink, StoreSink

__all__ = ["ArraySink", "StoreSink", "Callback", "execute", "pool"]
