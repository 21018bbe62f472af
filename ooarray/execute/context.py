"""The task context: what a running task uses to read chunks and take scratch memory.

It knows the plan and its nodes only by what they offer (execution imports no plan module):
a node's ``chunks``, ``dtype``, ``chunk_key``, ``chunk_region``, ``chunk_loader`` and
``stored``; the plan's ``leaf_blocks``, ``footprint`` and ``evaluate``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
from collections.abc import Callable, Hashable, Iterator

import numpy as np

from ooarray.buffer.manager import BufferManager
from ooarray.chunks import Region, overlapping_blocks, region_shape

__all__ = ["TaskContext", "release_reads"]


@functools.cache
def _io() -> concurrent.futures.ThreadPoolExecutor:
    """The I/O thread that reads prefetched chunks while a task computes."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ooarray-io")


def release_reads(pool: BufferManager,
                  reads: dict[Hashable, concurrent.futures.Future]) -> None:
    """Unpin the chunks of started reads nobody took over (waiting for them to end)."""
    for key, future in reads.items():
        if future.exception() is None:  # a failed read pinned nothing
            pool.unpin(key)
    reads.clear()


class TaskContext:
    """Pins, scratch buffers and the evaluation cache of one task; all released by :meth:`close`.

    Parameters
    ----------
    pool : BufferManager
    plan : Plan, optional
        Lets nodes that stream their inputs evaluate regions themselves (:meth:`evaluate`).
    cores : int
        Cores the task may keep busy with threads of its own.
    prefetched : dict, optional
        Reads already started for this task (by the task before it), or shared with the task
        this context is a :meth:`part` of.
    upcoming : list of (node, region), optional
        What the next task reads first (:meth:`prefetch_upcoming`).
    owner : bool
        Whether :meth:`close` releases the reads in ``prefetched`` nobody took over (not for
        a part).
    defers : bool
        Whether the executor takes work the task leaves running (:meth:`finish_later`).
    """

    def __init__(self, pool: BufferManager, plan=None, cores: int = 1,
                 prefetched: dict[Hashable, concurrent.futures.Future] | None = None,
                 upcoming: list | None = None, owner: bool = True,
                 defers: bool = False) -> None:
        self.pool = pool
        self.plan = plan
        self.cores = max(1, cores)
        self.cache: dict = {}
        self._pinned: dict[Hashable, np.ndarray] = {}
        self._scratch: list[np.ndarray] = []
        # Prefetched chunks, pinned by the I/O thread; a read takes the pin over, so each
        # access of the trace is recorded once. A task starts with those the task before it
        # prefetched for it; its parts share its own.
        self._prefetched: dict[Hashable, concurrent.futures.Future] = \
            {} if prefetched is None else prefetched
        self._owner = owner
        # What the next task reads first, and the reads started for it (handed over by
        # the executor).
        self._upcoming = upcoming or []
        self.handoff: dict[Hashable, concurrent.futures.Future] = {}
        self.handoff_bytes = 0
        self._defers = defers
        # Work left running when the task returned, and the bytes it holds (finish_later).
        self.unfinished: tuple[Callable[[], None], int] | None = None

    def finish_later(self, finish: Callable[[], None], nbytes: int) -> bool:
        """Let the task return while work it started still runs, if the executor allows it:
        ``finish`` waits for that work and releases the ``nbytes`` it holds; the executor
        calls it (on the writer thread) before the chunk is written."""
        if not self._defers:
            return False
        self.unfinished = (finish, nbytes)
        return True

    def part(self) -> TaskContext:
        """Return a context for one part of this task (a matmul step that BLAS lanes still
        read while the task reads the next step): it takes over this task's prefetched
        chunks, and its own :meth:`close` releases what it pinned and allocated."""
        return TaskContext(self.pool, self.plan, self.cores, self._prefetched, owner=False)

    def prefetch_upcoming(self, max_bytes: int) -> None:
        """Start reading, on the I/O thread, what the next task reads first, if its stored
        chunks take at most ``max_bytes`` (what this task's last step leaves of its own
        reservation); the executor hands the reads to the next task."""
        upcoming, self._upcoming = self._upcoming, []
        needed = sum(self.plan.footprint(node, region) for node, region in upcoming)
        if self.plan is None or not upcoming or needed > max_bytes:
            return
        for node, region in upcoming:
            self._start_reads(self.handoff, node, region)
        self.handoff_bytes = needed

    def evaluate(self, node, region: Region) -> np.ndarray:
        """Return ``region`` of ``node`` (evaluated through the plan, fused)."""
        return self.plan.evaluate(node, region, self)

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Release what is pinned, allocated or cached inside the block when it ends.

        A node that streams its inputs reads one piece per step inside a scope, so the task
        holds one step's inputs at a time.
        """
        pinned = set(self._pinned)
        scratch = {id(a) for a in self._scratch}
        cached = set(self.cache)
        try:
            yield
        finally:
            for key in [k for k in self._pinned if k not in pinned]:
                del self._pinned[key]
                self.pool.unpin(key)
            keep = []
            for array in self._scratch:
                if id(array) in scratch:
                    keep.append(array)
                else:
                    self.pool.release(array)
            self._scratch = keep
            for key in [k for k in self.cache if k not in cached]:
                del self.cache[key]

    def prefetch(self, node, region: Region) -> None:
        """Start reading, on the I/O thread, the stored chunks that ``region`` of ``node`` needs."""
        if self.plan is not None:
            self._start_reads(self._prefetched, node, region)

    def _start_reads(self, into: dict, node, region: Region) -> None:
        for leaf, block in self.plan.leaf_blocks(node, region):
            key = leaf.chunk_key(block)
            if leaf.stored and key not in self._pinned and key not in into:
                into[key] = _io().submit(self._pin, leaf, block)

    def _pin(self, node, block: tuple[int, ...]) -> np.ndarray:
        loader, scratch = node.chunk_loader(block, self.pool.borrow)
        mapper = getattr(node, "chunk_mapper", None)
        return self.pool.pin(node.chunk_key(block), region_shape(node.chunk_region(block)),
                             node.dtype, loader, scratch,
                             mapper=mapper(block) if mapper is not None else None)

    def _chunk(self, node, block: tuple[int, ...]) -> np.ndarray:
        key = node.chunk_key(block)
        chunk = self._pinned.get(key)
        if chunk is None:
            prefetched = self._prefetched.pop(key, None)
            chunk = prefetched.result() if prefetched is not None else self._pin(node, block)
            self._pinned[key] = chunk
        return chunk

    def read(self, node, region: Region) -> np.ndarray:
        """Return ``region`` of ``node``: a view of one pinned chunk, or an assembled copy."""
        blocks = overlapping_blocks(node.chunks, region)
        if len(blocks) == 1:
            block, in_block, _ = blocks[0]
            return self._chunk(node, block)[in_block]
        out = self.allocate(region_shape(region), node.dtype)
        for block, in_block, in_region in blocks:
            out[in_region] = self._chunk(node, block)[in_block]
        return out

    def read_panel(self, node, region: Region) -> np.ndarray:
        """Return ``region`` of ``node`` as one array: a view of the chunk that holds it, or
        a copy from the pool whose chunks are unpinned once copied (unless this context held
        them before), so the copy replaces them in the task's working set and the pool may
        keep them as cache."""
        blocks = overlapping_blocks(node.chunks, region)
        if len(blocks) == 1:
            return self.read(node, region)
        out = self.allocate(region_shape(region), node.dtype)
        for block, in_block, in_region in blocks:
            key = node.chunk_key(block)
            held = key in self._pinned
            out[in_region] = self._chunk(node, block)[in_block]
            if not held:
                del self._pinned[key]
                self.pool.unpin(key)
        return out

    def charge(self, nbytes: int) -> contextlib.AbstractContextManager[None]:
        """Count ``nbytes`` a library allocates outside the pool against the budget."""
        return self.pool.charge(nbytes)

    def allocate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Return a scratch array from the pool, given back when the task ends."""
        array = self.pool.allocate(tuple(shape), dtype)
        self._scratch.append(array)
        return array

    def keep(self, key: Hashable, array: np.ndarray) -> None:
        """Hand scratch ``array`` to the pool as intermediate chunk ``key``."""
        for position, candidate in enumerate(self._scratch):
            if candidate is array:
                del self._scratch[position]
                self.pool.adopt(key, array)
                return
        raise AssertionError("keep() takes an array from allocate()")

    def detach(self, array: np.ndarray) -> np.ndarray:
        """Take scratch ``array`` out of the task: :meth:`close` leaves it allocated, and the
        caller gives it back with ``pool.release`` (a chunk still being written)."""
        for position, candidate in enumerate(self._scratch):
            if candidate is array:
                del self._scratch[position]
                return array
        raise AssertionError("detach() takes an array from allocate()")

    def close(self) -> None:
        """Unpin every chunk and give back every scratch buffer."""
        if self._owner:
            release_reads(self.pool, self._prefetched)
        self.cache.clear()
        for key in self._pinned:
            self.pool.unpin(key)
        self._pinned.clear()
        for array in self._scratch:
            self.pool.release(array)
        self._scratch.clear()
