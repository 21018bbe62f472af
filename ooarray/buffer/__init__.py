"""The buffer manager: one bounded pool for every chunk in flight, and its eviction policies.

It owns every byte a computation holds: chunk frames (pinned while a task reads them,
evicted by LRU or Belady, spilled when an intermediate must leave memory), scratch arrays,
charges for memory libraries allocate, and the address-space checks that keep BLAS and
numexpr from failing outside the budget. It may import the chunk maths, the errors, the
config and the stores (spill files); nothing above it.
"""

from ooarray.buffer.manager import BufferManager
from ooarray.buffer.policies import BeladyPolicy, EvictionPolicy, LRUPolicy, make_policy
from ooarray.buffer.stats import Stats

__all__ = ["BufferManager", "BeladyPolicy", "EvictionPolicy", "LRUPolicy", "Stats", "make_policy"]
