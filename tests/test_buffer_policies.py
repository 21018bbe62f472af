"""Eviction policies, run through the real buffer pool on synthetic traces.

Belady (OPT/MIN) must miss exactly as often as the best possible eviction sequence (found by
exhaustive search), and never more often than LRU.
"""

import collections
import functools
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ooarray.buffer import BeladyPolicy, BufferManager, LRUPolicy, Stats

CHUNK = 1024  # bytes per synthetic chunk


def misses(trace, capacity, policy):
    """Replay ``trace`` (chunk keys) through a pool holding ``capacity`` chunks."""
    pool = BufferManager(capacity * CHUNK, policy)
    stats = Stats(trace=[])
    pool.reset(capacity * CHUNK, policy, stats)
    pool.set_trace(trace, {})
    loads = []
    for key in trace:
        pool.pin(key, (CHUNK,), np.uint8, lambda out, key=key: loads.append(key))
        pool.unpin(key)
    assert pool.held_bytes <= capacity * CHUNK
    assert stats.misses == len(loads)
    return stats.misses


def optimal_misses(trace, capacity):
    """The fewest misses any demand-paging eviction sequence can achieve (exhaustive)."""
    @functools.cache
    def best(position, resident):
        if position == len(trace):
            return 0
        key = trace[position]
        if key in resident:
            return best(position + 1, resident)
        if len(resident) < capacity:
            return 1 + best(position + 1, resident | {key})
        return 1 + min(best(position + 1, (resident - {victim}) | {key})
                       for victim in resident)
    return best(0, frozenset())


traces = st.lists(st.integers(0, 5), min_size=1, max_size=14)


@settings(max_examples=150, deadline=None)
@given(trace=traces, capacity=st.integers(1, 4))
def test_belady_equals_brute_force_optimum(trace, capacity):
    assert misses(trace, capacity, BeladyPolicy()) == optimal_misses(trace, capacity)


@settings(max_examples=150, deadline=None)
@given(trace=traces, capacity=st.integers(1, 4))
def test_belady_never_misses_more_than_lru(trace, capacity):
    assert misses(trace, capacity, BeladyPolicy()) <= misses(trace, capacity, LRUPolicy())


def test_cyclic_scan_lru_thrashes_belady_does_not():
    # A cyclic scan one chunk larger than the pool: LRU misses every access.
    trace = list(range(5)) * 6
    assert misses(trace, 4, LRUPolicy()) == len(trace)
    assert misses(trace, 4, BeladyPolicy()) < len(trace) // 2


@pytest.mark.parametrize("policy", [LRUPolicy, BeladyPolicy])
def test_pinned_chunks_are_never_evicted(policy):
    pool = BufferManager(2 * CHUNK, policy())
    pool.reset(2 * CHUNK, policy(), Stats())
    pool.set_trace(["a", "b", "c", "b"], {})  # "b" is read again: evicting it is a choice
    first = pool.pin("a", (CHUNK,), np.uint8, lambda out: out.fill(7))
    pool.pin("b", (CHUNK,), np.uint8, lambda out: out.fill(1))
    pool.unpin("b")
    pool.pin("c", (CHUNK,), np.uint8, lambda out: out.fill(2))
    assert (first == 7).all()  # "a" stayed, "b" made room
    assert pool.stats.evictions == 1


def test_belady_frees_a_chunk_at_its_last_use():
    pool = BufferManager(4 * CHUNK, BeladyPolicy())
    pool.reset(4 * CHUNK, BeladyPolicy(), Stats())
    pool.set_trace(["a", "b", "a"], {})
    for key in ["a", "b", "a"]:
        pool.pin(key, (CHUNK,), np.uint8, lambda out: out.fill(1))
        pool.unpin(key)
    assert pool.stats.misses == 2 and pool.stats.hits == 1 and pool.stats.evictions == 0
    # "b" went back to the free list when unpinned, and "a" after its second read: two new
    # chunks reuse their buffers, with no eviction and no growth.
    held = pool.held_bytes
    for key in ["c", "d"]:
        pool.pin(key, (CHUNK,), np.uint8, lambda out: out.fill(2))
    assert pool.stats.evictions == 0 and pool.held_bytes == held == 2 * CHUNK


def test_dirty_intermediate_still_needed_is_spilled_then_read_back(tmp_path):
    from ooarray.store.spill import SpillStore

    spill = SpillStore(str(tmp_path))
    pool = BufferManager(CHUNK, BeladyPolicy())
    stats = Stats()
    pool.reset(CHUNK, BeladyPolicy(), stats, spill)
    trace = ["x", "src", "x"]  # intermediate x is made, a source chunk is read, x is read
    pool.set_trace(trace, {"x": 1})
    pool.adopt("x", _filled(pool, 5))
    pool.pin("src", (CHUNK,), np.uint8, lambda out: out.fill(1))
    pool.unpin("src")
    assert stats.bytes_spilled == CHUNK
    value = pool.pin("x", (CHUNK,), np.uint8)
    assert (value == 5).all()
    pool.unpin("x")  # last use: freed and its spill file deleted
    assert os.listdir(spill.directory) == []
    spill.close()
    assert not any(tmp_path.iterdir())


def _filled(pool, value):
    array = pool.allocate((CHUNK,), np.uint8)
    array.fill(value)
    return array


def test_intermediate_with_no_future_use_is_freed_not_spilled(tmp_path):
    from ooarray.store.spill import SpillStore

    pool = BufferManager(CHUNK, BeladyPolicy())
    stats = Stats()
    pool.reset(CHUNK, BeladyPolicy(), stats, SpillStore(str(tmp_path)))
    pool.set_trace(["x", "x", "y"], {"x": 1})
    pool.adopt("x", _filled(pool, 3))
    pool.pin("x", (CHUNK,), np.uint8)
    pool.unpin("x")
    pool.pin("y", (CHUNK,), np.uint8, lambda out: out.fill(0))
    assert stats.bytes_spilled == 0


class _DequeBelady:
    """The reference: a deque of pending positions per key (the policy's earlier form)."""

    def __init__(self, trace):
        self.uses = collections.defaultdict(collections.deque)
        for position, key in enumerate(trace):
            self.uses[key].append(position)

    def record_access(self, key):
        if self.uses.get(key):
            self.uses[key].popleft()

    def next_use(self, key):
        uses = self.uses.get(key)
        return uses[0] if uses else float("inf")


@settings(max_examples=150, deadline=None)
@given(trace=st.lists(st.sampled_from([0, 1, 2, (3, (0,)), (3, (1,))]), max_size=20),
       accesses=st.lists(st.sampled_from([0, 1, 2, 7, (3, (0,)), (3, (1,))]), max_size=30))
def test_belady_compact_trace_follows_accesses_like_a_deque_per_key(trace, accesses):
    # Accesses out of the trace's order, beyond its uses and of keys it never names.
    policy, reference = BeladyPolicy(), _DequeBelady(trace)
    policy.set_trace(trace)
    for key in accesses:
        for probe in {0, 1, 2, 7, (3, (0,)), (3, (1,))}:
            assert policy.next_use(probe) == reference.next_use(probe)
            assert policy.used_again(probe) == (reference.next_use(probe) != float("inf"))
        policy.record_access(key)
        reference.record_access(key)
