"""Executors: run a plan's chunk tasks through the buffer manager.

:mod:`~ooarray.execute.executor` is the interface and the entry point; ``sync`` and
``threads`` are the local engines (:mod:`~ooarray.execute.sync`,
:mod:`~ooarray.execute.threads`), which share :mod:`~ooarray.execute.local`. Adding an
engine is adding one module and naming it in ``ENGINES`` (and ``config.EXECUTORS``).

An executor sees plans, tasks and nodes only through the protocols of
:mod:`~ooarray.execute.job`, carries the settings the computation captured, and calls the
run's callbacks. It may import the buffer, the stores, the chunk maths, the errors and the
config; never the plan compiler, the algorithms, the array or an entry point.
"""

from ooarray.execute.callbacks import Callback
from ooarray.execute.executor import execute
from ooarray.execute.local import pool
from ooarray.execute.sinks import ArraySink, StoreSink

__all__ = ["ArraySink", "StoreSink", "Callback", "execute", "pool"]
