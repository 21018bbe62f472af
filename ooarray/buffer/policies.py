"""Eviction policies: which unpinned chunk leaves the pool when it needs room.

The pool calls a policy through four methods and knows no policy by name (bustub's Replacer).
"""

from __future__ import annotations

import abc
import collections
import math
from collections.abc import Hashable, Iterable, Sequence

__all__ = ["EvictionPolicy", "LRUPolicy", "BeladyPolicy", "make_policy"]


class EvictionPolicy(abc.ABC):
    """Chooses eviction victims."""

    def set_trace(self, trace: Sequence[Hashable]) -> None:
        """Tell the policy every chunk access the schedule will make, in order."""

    @abc.abstractmethod
    def record_access(self, key: Hashable) -> None:
        """A chunk was used (read, written or loaded) now."""

    @abc.abstractmethod
    def forget(self, key: Hashable) -> None:
        """A chunk left the pool."""

    @abc.abstractmethod
    def victim(self, candidates: Iterable[Hashable]) -> Hashable:
        """Return the candidate to evict (``candidates`` is not empty)."""

    def used_again(self, key: Hashable) -> bool:
        """Whether the chunk may be used again (policies that cannot know say True)."""
        return True


class LRUPolicy(EvictionPolicy):
    """Evict the chunk used least recently."""

    def __init__(self) -> None:
        self._clock = 0
        self._last_use: dict[Hashable, int] = {}

    def record_access(self, key: Hashable) -> None:
        self._clock += 1
        self._last_use[key] = self._clock

    def forget(self, key: Hashable) -> None:
        self._last_use.pop(key, None)

    def victim(self, candidates: Iterable[Hashable]) -> Hashable:
        return min(candidates, key=lambda k: self._last_use.get(k, -1))


class BeladyPolicy(EvictionPolicy):
    """Evict the chunk whose next use is farthest in the future (OPT / MIN).

    Chunks the trace never uses again come first, at no cost. Each access consumes the
    earliest pending use of its key, so the policy follows the schedule even when threads
    run tasks a little out of order.
    """

    def __init__(self) -> None:
        self._uses: dict[Hashable, collections.deque[int]] = {}

    def set_trace(self, trace: Sequence[Hashable]) -> None:
        self._uses = collections.defaultdict(collections.deque)
        for position, key in enumerate(trace):
            self._uses[key].append(position)

    def next_use(self, key: Hashable) -> float:
        """Return the position of the key's next access, or infinity."""
        uses = self._uses.get(key)
        return uses[0] if uses else math.inf

    def record_access(self, key: Hashable) -> None:
        uses = self._uses.get(key)
        if uses:
            uses.popleft()

    def forget(self, key: Hashable) -> None:
        pass

    def used_again(self, key: Hashable) -> bool:
        return bool(self._uses.get(key))

    def victim(self, candidates: Iterable[Hashable]) -> Hashable:
        return max(candidates, key=self.next_use)


def make_policy(name: str) -> EvictionPolicy:
    """Return a new policy by its configuration name (``"belady"`` or ``"lru"``)."""
    if name == "belady":
        return BeladyPolicy()
    if name == "lru":
        return LRUPolicy()
    raise ValueError(f"policy must be 'belady' or 'lru'; got {name!r}")
