"""The buffer pool: frames, pins, dirty flags, the byte budget, and reuse of touched memory.

Every chunk in flight lives in a buffer the pool hands out: input chunks read from stores,
intermediate chunks, and task scratch. The pool never holds more than ``limit`` bytes unless a
task's working set was underestimated (counted in ``overshoot_bytes``, which tests keep at 0).

Tasks reserve their working sets (:meth:`BufferManager.admit`) in the bytes they ask for,
but a buffer handed out may be larger than the request: a free buffer up to twice its size,
or a new one rounded up to its size class. That slack is held as long as the buffer is, and
no reservation counts it, so the pool hands out slack only in the part of the budget that no
reservation can take: the budget less the most the running stage reserves at once (its
:meth:`~BufferManager.set_reservation_ceiling`, the whole budget unless the executor says
less) and less the slack handed out already; otherwise a buffer of the exact size. (Tasks
that reserved the whole budget pinned 2 KiB chunks in 2.5-4 KiB buffers an earlier
computation had left, and the pool went 0.3-1.5 KB over 40 KB.)

Freed buffers are kept and handed out again instead of being returned to the operating system:
on the machines this project targets, memory touched for the first time costs 0.3-1.2 GB/s
against 11-17 GB/s for memory already touched. The pool survives between computations for the
same reason; its cached chunks do not (a store may change between two computations).

A stored chunk may also be a read-only view on a memory map of its bytes in the file
(:meth:`BufferManager.pin` with a ``mapper``: a committed ``.npy``'s contiguous chunks): the
pool makes room for the mapping and counts its bytes as for a buffer (its pages become
resident as they are touched), and unmaps it when the chunk is freed or evicted. A mapping is
never a free buffer: no other chunk or scratch array is ever put in it. Should a view of it
outlive the chunk (a task still holding one), the mapping stays counted until the view dies.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import dataclasses
import errno
import math
import mmap
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence

import numpy as np

from ooarray.buffer.policies import EvictionPolicy, LRUPolicy
from ooarray.buffer.stats import Stats

__all__ = ["BufferManager", "held_bytes_of_every_pool"]

#: A free buffer is reused for a request of at least this share of its size.
REUSE_MIN_FILL = 0.5
#: Buffers at least this large are anonymous memory maps, returned to the OS when dropped.
#: glibc keeps large freed blocks in its per-thread arenas after the first one, so a
#: malloc'd buffer the pool drops can stay in RSS, unseen by the budget.
MMAP_MIN_BYTES = 1 << 20
#: Buffers at least this large ask for transparent huge pages.
HUGE_PAGE_BYTES = 2 << 20
#: Requests smaller than this (partial records, small chunks) may use a reserve of the budget
#: that large buffers leave free, so that they never force a large buffer out.
SMALL_BYTES = 64 << 10
SMALL_RESERVE_BYTES = 4 << 20
SMALL_RESERVE_SHARE = 1 / 16
#: Sizes are rounded up to classes 1/16 apart, so near-equal requests share buffers.
SIZE_CLASS_STEPS = 16
_PAGE = mmap.PAGESIZE


#: Every pool of the process, weakly (what :func:`held_bytes_of_every_pool` adds up).
_pools: weakref.WeakSet[BufferManager] = weakref.WeakSet()
_pools_lock = threading.Lock()


def held_bytes_of_every_pool() -> int:
    """Return the bytes every buffer pool of this process holds now (profiles sample it)."""
    with _pools_lock:
        pools = list(_pools)
    return sum(pool.held_bytes for pool in pools)


def size_class(nbytes: int) -> int:
    """Return the buffer size the pool allocates for a request of ``nbytes``."""
    if nbytes < MMAP_MIN_BYTES:
        return max(nbytes, 1)
    largest_power_of_two = 1 << (nbytes.bit_length() - 1)
    step = max(_PAGE, largest_power_of_two // SIZE_CLASS_STEPS)
    return -(-nbytes // step) * step


def new_buffer(nbytes: int, exact: bool = False) -> np.ndarray:
    """Return a new uint8 buffer of at least ``nbytes``: its size class, or ``nbytes``
    itself when ``exact``."""
    size = nbytes if exact else size_class(nbytes)
    if size >= MMAP_MIN_BYTES:
        # Private, not shared, anonymous memory: it can use transparent huge pages, which
        # the kernel gives it only when asked where THP is "madvise" (the default of many
        # distributions). Touching a new buffer then costs one fault per 2 MiB instead of
        # 512: mapping and filling 72 MiB took 28 ms with 4 KiB pages, 3-7 ms with huge ones.
        try:
            mapping = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        except OSError as error:
            if error.errno != errno.ENOMEM:
                raise
            raise MemoryError(f"cannot map a {size}-byte chunk buffer: the process's address "
                              f"space or the system's memory is exhausted") from error
        if size >= HUGE_PAGE_BYTES and hasattr(mmap, "MADV_HUGEPAGE"):
            mapping.madvise(mmap.MADV_HUGEPAGE)
        return np.frombuffer(mapping, np.uint8)
    return np.empty(max(size, 1), np.uint8)

Loader = Callable[[np.ndarray], None]


@dataclasses.dataclass(eq=False)
class _Frame:
    raw: np.ndarray | None  # None for a mapped chunk
    value: np.ndarray | None
    pins: int = 0
    intermediate: bool = False
    ready: threading.Event = dataclasses.field(default_factory=threading.Event)
    error: BaseException | None = None
    # A mapped chunk: the bytes of its mapping counted in the pool, the part of them beyond
    # the chunk's bytes (counted as slack), and the mapping (None until it is made).
    mapped: int = 0
    slack: int = 0
    mapping: object | None = None


def _serves(size: int, nbytes: int) -> bool:
    """Whether a buffer of ``size`` bytes is handed out for a request of ``nbytes``."""
    return size >= nbytes and nbytes >= REUSE_MIN_FILL * size


def _view(raw: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    return raw[:nbytes].view(dtype).reshape(shape)


class BufferManager:
    """A pool of at most ``limit`` bytes of chunk buffers.

    Parameters
    ----------
    limit : int
        The byte budget.
    policy : EvictionPolicy
        Chooses which unpinned chunk to evict.
    """

    def __init__(self, limit: int, policy: EvictionPolicy | None = None) -> None:
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._free_sizes: list[int] = []
        self._free: list[np.ndarray] = []
        self._held = 0
        # Mappings of chunks that left the pool while a view of them was still alive
        # (mapping, bytes): counted in _held until they can be closed.
        self._lingering: list[tuple[object, int]] = []
        # Buffers handed out (chunks, scratch) larger than their request: id -> the excess,
        # and its sum (see the module's notes).
        self._slack_of: dict[int, int] = {}
        self._slack = 0
        # Per thread: what the chunk load running in it was charged and has not lent yet
        # (:meth:`pin`, :meth:`borrow`).
        self._loading = threading.local()
        self.reset(limit, policy or LRUPolicy(), Stats())
        with _pools_lock:
            _pools.add(self)

    # -- life cycle ---------------------------------------------------------------------
    def reset(self, limit: int, policy: EvictionPolicy, stats: Stats,
              spill: object | None = None) -> None:
        """Start a computation: new budget, policy and counters; drop every cached chunk."""
        with self._lock:
            self.limit = int(limit)
            self.policy = policy
            self.stats = stats
            self.spill = spill
            for frame in getattr(self, "_frames", {}).values():
                if frame.mapped:
                    self._unmap(frame)
            # A spill store that other processes share (a cluster's work store): every
            # intermediate is written through to it when it is made, a chunk not in the pool
            # is looked for there, and nothing is deleted from it (another process may read
            # it); the computation removes the whole store when it ends.
            self._shared_spill = bool(getattr(spill, "shared", False))
            self._frames: dict[Hashable, _Frame] = {}
            self._scratch: dict[int, np.ndarray] = {}
            self._spilled: set[Hashable] = set()
            self._remaining: collections.Counter[Hashable] = collections.Counter()
            self._reserved = 0
            self._ceiling: int | None = None
            self.overshoot_bytes = 0
            self._trim_free(self.limit)
            stats.peak_bytes = max(stats.peak_bytes, self._held)

    def finish(self) -> None:
        """End a computation: every chunk goes back to the free list."""
        with self._lock:
            for frame in self._frames.values():
                self._discard(frame)
            self._frames.clear()
            self._reap()
            for raw in self._scratch.values():
                self._give_back(raw)
            self._scratch.clear()

    def release_memory(self) -> None:
        """Return every free buffer to the operating system."""
        with self._lock:
            self._reap()
            self._trim_free(0)

    def set_trace(self, trace: Sequence[Hashable], reads: Mapping[Hashable, int]) -> None:
        """Give the schedule's chunk accesses, and how often each intermediate will be read.

        An intermediate chunk is freed after its last read, and spilled only if evicted
        before it.
        """
        with self._lock:
            self.policy.set_trace(trace)
            self._remaining = collections.Counter(reads)

    @property
    def held_bytes(self) -> int:
        """Bytes of every buffer the pool owns now."""
        return self._held

    @property
    def reserved_bytes(self) -> int:
        """Bytes of the budget that running tasks hold (:meth:`admit`)."""
        return self._reserved

    def resize(self, limit: int) -> bool:
        """Change the budget of the computation running in the pool; return whether the
        pool is within it now.

        Growing takes effect at once. Shrinking drops free buffers and evicts unpinned
        chunks at once; tasks admitted before keep their working sets, and new tasks are
        admitted against the smaller budget, so the pool is within it once those tasks
        end (call again to drop what they leave in the free list).
        """
        with self._room:
            self.limit = int(limit)
            self._make_room(0)
            self._room.notify_all()
            return self._held <= self.limit and self._reserved <= self.limit

    # -- admission ----------------------------------------------------------------------
    @contextlib.contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold ``nbytes`` of the budget for a task while it runs; wait for room first."""
        self.admit(nbytes)
        try:
            yield
        finally:
            self.discharge(nbytes)

    def admit(self, nbytes: int) -> None:
        """Hold ``nbytes`` of the budget, waiting until other holders leave room (or none is
        left: a holder alone is always admitted)."""
        with self._room:
            while self._reserved and self._reserved + nbytes > self.limit:
                self._room.wait()
            self._reserved += nbytes

    def discharge(self, nbytes: int) -> None:
        """Give back ``nbytes`` held by :meth:`admit`."""
        with self._room:
            self._reserved -= nbytes
            self._room.notify_all()

    # -- buffers ------------------------------------------------------------------------
    def _record(self, event: str, key: Hashable) -> None:
        if self.stats.trace is not None:
            self.stats.trace.append((event, key))

    def _give_back(self, raw: np.ndarray) -> None:
        self._slack -= self._slack_of.pop(id(raw), 0)
        position = bisect.bisect(self._free_sizes, raw.nbytes)
        self._free_sizes.insert(position, raw.nbytes)
        self._free.insert(position, raw)

    def _discard(self, frame: _Frame) -> None:
        """Give back the memory of a chunk that left the pool: its buffer to the free list,
        or its mapping unmapped."""
        if frame.mapped:
            self._unmap(frame)
        else:
            self._give_back(frame.raw)

    def _unmap(self, frame: _Frame) -> None:
        """Close a mapped chunk's mapping and take its bytes out of the pool (or keep them
        counted while a view of it lives on, :meth:`_reap`)."""
        mapping, nbytes = frame.mapping, frame.mapped
        self._slack -= frame.slack
        frame.mapping, frame.value, frame.mapped, frame.slack = None, None, 0, 0
        if mapping is not None:
            self._lingering.append((mapping, nbytes))
        else:  # its load failed or never ran: nothing was mapped
            self._held -= nbytes
        self._reap()

    def _reap(self) -> None:
        """Close the mappings of chunks gone from the pool that no view holds any more."""
        if not self._lingering:
            return
        kept = []
        for mapping, nbytes in self._lingering:
            try:
                mapping.close()
            except BufferError:  # a view of it is still alive: it stays counted
                kept.append((mapping, nbytes))
            else:
                self._held -= nbytes
        self._lingering = kept

    def _hand_out(self, raw: np.ndarray, nbytes: int) -> np.ndarray:
        """Record ``raw`` as serving a request of ``nbytes`` (its slack, if larger)."""
        excess = raw.nbytes - nbytes
        if excess > 0:
            self._slack_of[id(raw)] = excess
            self._slack += excess
        return raw

    def set_reservation_ceiling(self, nbytes: int | None) -> None:
        """Say that the tasks to come reserve at most ``nbytes`` at once (None: up to the
        whole budget), which lets the pool hand out buffers larger than asked for in the
        rest; cached chunks whose buffers hold slack that no longer fits are evicted."""
        with self._lock:
            self._ceiling = nbytes
            while self._slack_room() < 0:
                candidates = [key for key, frame in self._frames.items() if frame.pins == 0
                              and frame.ready.is_set() and (frame.slack if frame.mapped else
                                                            id(frame.raw) in self._slack_of)]
                if not candidates:
                    break
                self._discard(self._evict(self.policy.victim(candidates)))

    def _slack_room(self) -> int:
        """Slack the pool may still hand out: the budget less what reservations may take
        and the slack handed out already."""
        ceiling = self.limit if self._ceiling is None else min(self._ceiling, self.limit)
        return self.limit - max(ceiling, self._reserved) - self._slack

    def _take_free(self, nbytes: int) -> np.ndarray | None:
        position = bisect.bisect_left(self._free_sizes, nbytes)
        if position < len(self._free) and _serves(self._free_sizes[position], nbytes) and \
                self._free_sizes[position] - nbytes <= max(0, self._slack_room()):
            self._free_sizes.pop(position)
            return self._free.pop(position)
        return None

    def _trim_free(self, target: int) -> None:
        while self._free and self._held > target:
            self._free_sizes.pop()
            self._held -= self._free.pop().nbytes

    def _evict_one(self) -> bool:
        candidates = [k for k, f in self._frames.items() if f.pins == 0 and f.ready.is_set()]
        if not candidates:
            return False
        self._discard(self._evict(self.policy.victim(candidates)))
        return True

    def _evict_fitting(self, nbytes: int) -> np.ndarray | None:
        """Evict the policy's victim among the cached chunks whose buffer would serve a
        request of ``nbytes``, and return that buffer; None if no such chunk is cached."""
        room = max(0, self._slack_room())
        candidates = [k for k, f in self._frames.items() if f.pins == 0 and f.ready.is_set()
                      and not f.mapped and _serves(f.raw.nbytes, nbytes)
                      and f.raw.nbytes - nbytes <= room]
        if not candidates:
            return None
        raw = self._evict(self.policy.victim(candidates)).raw
        self._slack -= self._slack_of.pop(id(raw), 0)
        return raw

    def _evict(self, key: Hashable) -> _Frame:
        """Evict chunk ``key`` (spilling it if it is an intermediate still to be read);
        return its frame, whose memory the caller gives back (:meth:`_discard`)."""
        frame = self._frames.pop(key)
        assert not (frame.mapped and frame.intermediate), "a mapped chunk is a stored input"
        # (A chunk read back from the spill store still has its file there.)
        if frame.intermediate and self._remaining[key] > 0 and key not in self._spilled:
            self.spill.write(key, frame.value)
            self._spilled.add(key)
            self.stats.bytes_spilled += frame.value.nbytes
            self._record("spill", key)
        self.policy.forget(key)
        self.stats.evictions += 1
        self._record("evict", key)
        return frame

    def _map_room(self, nbytes: int) -> None:
        """Make room for and count a mapping of ``nbytes``, as :meth:`_obtain` does for a new
        buffer (a mapping is never a free buffer, so none is reused)."""
        self._reap()
        ceiling = self._room_ceiling(nbytes)
        self._trim_free(max(0, ceiling - nbytes))
        while self._held + nbytes > ceiling and self._evict_one():
            self._trim_free(max(0, ceiling - nbytes))
        self._count_new(nbytes)

    def _room_ceiling(self, nbytes: int) -> int:
        """What the pool may hold once a new buffer or mapping of ``nbytes`` is in it: the
        budget, less the room kept for small requests when this one is large."""
        reserve = 0 if nbytes < SMALL_BYTES else \
            min(SMALL_RESERVE_BYTES, int(self.limit * SMALL_RESERVE_SHARE))
        return self.limit - reserve

    def _count_new(self, nbytes: int) -> None:
        """Count ``nbytes`` of new memory in the pool (and any overshoot of the budget)."""
        if self._held + nbytes > self.limit:
            self.overshoot_bytes = max(self.overshoot_bytes, self._held + nbytes - self.limit)
        self._held += nbytes
        self.stats.peak_bytes = max(self.stats.peak_bytes, self._held)

    def _obtain(self, nbytes: int) -> np.ndarray:
        self._reap()
        raw = self._take_free(nbytes)
        # A new buffer is rounded up to its size class only if the budget holds the slack.
        exact = size_class(nbytes) - nbytes > max(0, self._slack_room())
        size = nbytes if exact else size_class(nbytes)
        ceiling = self._room_ceiling(nbytes)
        if raw is None and nbytes >= MMAP_MIN_BYTES and self._held + size > ceiling:
            # A full pool serves a large request from a cached chunk of its size before it
            # drops free buffers of another size to map a new one: a mapping costs its page
            # faults again (about 20 ms for 72 MiB here), and a matmul alternates chunk
            # loads with tile-sized buffers, which would otherwise trade places in the pool
            # (8 GiB mapped in a 45 s run at n = 16384).
            raw = self._evict_fitting(nbytes)
        if raw is None:
            # Free buffers of the wrong size go before any live chunk: evicting a chunk may
            # cost a re-read or a spill, dropping an unusable buffer costs nothing.
            self._trim_free(max(0, ceiling - size))
        while raw is None and self._held + size > ceiling and self._evict_one():
            raw = self._take_free(nbytes)
            if raw is None:
                self._trim_free(max(0, ceiling - size))
        if raw is None:
            raw = new_buffer(nbytes, exact=True) if exact else new_buffer(nbytes)
            self._count_new(raw.nbytes)
        return self._hand_out(raw, nbytes)

    def _make_room(self, nbytes: int) -> None:
        """Trim free buffers, then evict, until ``nbytes`` more fit the budget (if they can)."""
        self._trim_free(max(0, self.limit - nbytes))
        while self._held + nbytes > self.limit and self._evict_one():
            self._trim_free(max(0, self.limit - nbytes))

    @contextlib.contextmanager
    def charge(self, nbytes: int) -> Iterator[None]:
        """Count ``nbytes`` that a library allocates outside the pool (a codec's compressed
        copy, for example) against the budget while the block runs."""
        if nbytes <= 0:
            yield
            return
        with self._lock:
            self._make_room(nbytes)
            self._held += nbytes
            self.stats.peak_bytes = max(self.stats.peak_bytes, self._held)
        try:
            yield
        finally:
            with self._lock:
                self._held -= nbytes

    def allocate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Return a scratch array from the pool; give it back with :meth:`release` or
        :meth:`adopt`."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        with self._lock:
            raw = self._obtain(nbytes)
            value = _view(raw, tuple(shape), dtype)
            self._scratch[id(value)] = raw
        return value

    @contextlib.contextmanager
    def borrow(self, nbytes: int) -> Iterator[np.ndarray]:
        """Lend a uint8 scratch buffer of ``nbytes`` from the pool for the ``with`` block.

        Inside a chunk loader (:meth:`pin`) or another :meth:`lending_charge` (a store's
        write), the buffer is counted in what the block was charged first: a store's
        ``read_scratch_outside_pool`` is part of its ``read_scratch_bytes``, not more. (The
        Zarr store of an array with edge chunks is charged a decoded chunk for every load,
        for the edge chunks that zarr decodes, and borrows the compressed chunk for the
        others: counted twice, a gather's two tasks held 3 chunks each where they had
        reserved 2 and overshot the budget by 8-28 %.)
        """
        covered = min(nbytes, getattr(self._loading, "charged", 0))
        if covered:
            self._loading.charged -= covered
            with self._lock:
                self._held -= covered  # the charge makes way for the buffer
        try:
            buffer = self.allocate((nbytes,), np.uint8)
            try:
                yield buffer
            finally:
                self.release(buffer)
        finally:
            if covered:
                with self._lock:
                    self._make_room(covered)
                    self._held += covered
                self._loading.charged += covered

    @contextlib.contextmanager
    def lending_charge(self, nbytes: int) -> Iterator[None]:
        """:meth:`charge` ``nbytes`` of scratch for the block (a chunk loader's read, a
        store's encoding) run in this thread; what it borrows meanwhile is counted in that
        charge first (:meth:`borrow`)."""
        with self.charge(nbytes):
            previous = getattr(self._loading, "charged", 0)
            self._loading.charged = nbytes
            try:
                yield
            finally:
                self._loading.charged = previous

    def release(self, value: np.ndarray) -> None:
        """Give back a scratch array from :meth:`allocate`."""
        with self._lock:
            raw = self._scratch.pop(id(value), None)
            if raw is not None:
                self._give_back(raw)

    # -- chunks -------------------------------------------------------------------------
    def adopt(self, key: Hashable, value: np.ndarray) -> None:
        """Make a scratch array from :meth:`allocate` the intermediate chunk ``key`` (unpinned)."""
        if self._shared_spill:
            self.spill.write(key, value)
        with self._lock:
            raw = self._scratch.pop(id(value))
            if self._shared_spill:
                self._spilled.add(key)
                self.stats.bytes_spilled += value.nbytes
            if self._remaining[key] <= 0:
                self._give_back(raw)
                return
            frame = _Frame(raw=raw, value=value, intermediate=True)
            frame.ready.set()
            self._frames[key] = frame
            self.policy.record_access(key)

    def pin(self, key: Hashable, shape: tuple[int, ...], dtype: np.dtype,
            loader: Loader | None = None, scratch: int = 0,
            mapper: tuple[int, Callable[[], tuple[object, np.ndarray]]] | None = None
            ) -> np.ndarray:
        """Return chunk ``key``, reading it with ``loader`` on a miss; it stays until unpinned.

        ``mapper``, if given, is (bytes, function returning (mapping, read-only view of the
        chunk on it)) for a stored chunk that may be mapped instead of read: on a miss the
        pool counts those bytes, makes room for them, and holds the view as the chunk until
        it is freed or evicted, when it closes the mapping. (It reads with ``loader`` when
        the mapping's bytes beyond the chunk's are more slack than the budget allows.)

        ``scratch`` is what ``loader`` allocates outside the pool while it runs; it is charged
        against the budget for that time, and what ``loader`` borrows from the pool is
        counted in it first (:meth:`borrow`).

        Raises
        ------
        KeyError
            If the chunk is neither in the pool nor spilled and there is no ``loader``.
        """
        with self._lock:
            frame = self._frames.get(key)
            self.policy.record_access(key)
            loading = frame is None
            if frame is not None:
                frame.pins += 1
                self.stats.hits += 1
                self._record("hit", key)
            else:
                from_spill = key in self._spilled or \
                    (self._shared_spill and loader is None and key in self.spill)
                if not from_spill and loader is None:
                    raise KeyError(f"chunk {key} is not in the pool")
                nbytes = math.prod(shape) * np.dtype(dtype).itemsize
                if mapper is not None and not from_spill and \
                        mapper[0] - nbytes <= max(0, self._slack_room()):
                    excess = max(0, mapper[0] - nbytes)
                    self._map_room(mapper[0])
                    self._slack += excess
                    frame = _Frame(raw=None, value=None, pins=1, mapped=mapper[0],
                                   slack=excess)
                else:
                    mapper = None
                    raw = self._obtain(nbytes)
                    frame = _Frame(raw=raw, value=_view(raw, tuple(shape), dtype), pins=1,
                                   intermediate=from_spill)
                self._frames[key] = frame
                self.stats.misses += 1
                self._record("miss", key)
        if not loading:
            frame.ready.wait()
            if frame.error is not None:
                self.unpin(key)
                raise frame.error
            return frame.value
        try:
            if frame.intermediate:
                self.spill.read(key, frame.value)
            elif mapper is not None:
                mapping, value = mapper[1]()
                frame.mapping = mapping
                if value.shape != tuple(shape) or value.dtype != np.dtype(dtype) or \
                        value.flags.writeable:
                    raise AssertionError(f"mapped chunk {key}: {value.shape} {value.dtype} "
                                         f"(writeable {value.flags.writeable}) where "
                                         f"{tuple(shape)} {np.dtype(dtype)} read-only is read")
                frame.value = value
                with self._lock:
                    self.stats.bytes_read += value.nbytes
            else:
                with self.lending_charge(scratch):
                    loader(frame.value)
                with self._lock:
                    self.stats.bytes_read += frame.value.nbytes
        except BaseException as error:
            frame.error = error
            with self._lock:
                self._frames.pop(key, None)
                self._discard(frame)
            frame.ready.set()
            raise
        frame.ready.set()
        return frame.value

    def unpin(self, key: Hashable) -> None:
        """Release one pin of chunk ``key``; an intermediate used for the last time is freed."""
        with self._lock:
            frame = self._frames.get(key)
            if frame is None:
                return
            frame.pins -= 1
            if frame.intermediate:
                self._remaining[key] -= 1
                dead = self._remaining[key] <= 0
            else:
                dead = not self.policy.used_again(key)
            if frame.pins == 0 and dead:
                # Nothing will read it again: its buffer goes back to the free list now, so
                # the pool stays near the working set instead of filling the budget with a
                # cache of the past.
                del self._frames[key]
                self.policy.forget(key)
                self._discard(frame)
                self.stats.freed += 1  # not an eviction: nothing needed room
                self._record("free", key)
                if key in self._spilled:
                    self._spilled.discard(key)
                    if not self._shared_spill:
                        self.spill.delete(key)
