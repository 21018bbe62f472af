"""The buffer manager: one bounded pool for every chunk in flight, and its eviction policies."""

from ooarray.buffer.manager import BufferManager
from ooarray.buffer.policies import BeladyPolicy, EvictionPolicy, LRUPolicy, make_policy
from ooarray.buffer.stats import Stats

__all__ = ["BufferManager", "BeladyPolicy", "EvictionPolicy", "LRUPolicy", "Stats", "make_policy"]
