"""The buffer pool's memory: huge pages for large buffers, and task contexts' reads."""

import mmap
import re
from pathlib import Path

import numpy as np
import pytest

from ooarray.buffer.manager import HUGE_PAGE_BYTES, BufferManager, new_buffer
from ooarray.execute.context import TaskContext
from ooarray.plan.graph import SourceNode
from ooarray.store.memory import MemoryStore


def _thp_eligible(buffer: np.ndarray) -> bool | None:
    """Whether the kernel may back ``buffer``'s mapping with huge pages (smaps)."""
    address = buffer.__array_interface__["data"][0]
    eligible = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        match = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
        if match:
            start, end = (int(group, 16) for group in match.groups())
            inside = start <= address < end
        elif inside and line.startswith("THPeligible:"):
            eligible = line.split()[1] == "1"
    return eligible


@pytest.mark.skipif(not Path("/proc/self/smaps").exists() or not hasattr(mmap, "MADV_HUGEPAGE"),
                    reason="Linux only: huge pages are asked for with madvise")
def test_large_buffers_ask_for_huge_pages_small_ones_do_not():
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    large, small = new_buffer(2 * HUGE_PAGE_BYTES), new_buffer(HUGE_PAGE_BYTES // 2)
    assert _thp_eligible(large) is ("[never]" not in mode)
    if "[madvise]" in mode:  # the machines this project runs on: only when asked
        assert _thp_eligible(small) is False


def test_read_panel_unpins_the_chunks_it_copies_unless_held_before():
    values = np.arange(48.0).reshape(6, 8)
    node = SourceNode(MemoryStore(values.shape, values.dtype, ((3, 3), (4, 4)), values))
    pool = BufferManager(10**6)
    ctx = TaskContext(pool)
    held = ctx.read(node, (slice(0, 3), slice(0, 4)))  # chunk (0, 0), pinned by the task
    panel = ctx.read_panel(node, (slice(1, 3), slice(2, 8)))  # chunks (0, 0) and (0, 1)
    np.testing.assert_array_equal(panel, values[1:3, 2:8])
    assert panel.flags.c_contiguous
    pins = {key: frame.pins for key, frame in pool._frames.items()}
    assert pins == {node.chunk_key((0, 0)): 1, node.chunk_key((0, 1)): 0}
    view = ctx.read_panel(node, (slice(3, 6), slice(4, 6)))  # inside chunk (1, 1): a view
    assert np.shares_memory(view, pool._frames[node.chunk_key((1, 1))].value)
    np.testing.assert_array_equal(held, values[:3, :4])
    ctx.close()
    assert all(frame.pins == 0 for frame in pool._frames.values())


def test_a_full_pool_reuses_a_cached_chunk_of_the_size_before_mapping_a_new_buffer(
        monkeypatch):
    """A chunk load in a full pool takes the buffer of an evicted chunk of its size, and the
    free buffer of another size (a matmul's tile) stays for the next request of that size."""
    from ooarray.buffer import manager
    from ooarray.buffer.policies import LRUPolicy
    from ooarray.buffer.stats import Stats

    mapped = []
    original = manager.new_buffer
    monkeypatch.setattr(manager, "new_buffer",
                        lambda nbytes: mapped.append(nbytes) or original(nbytes))
    chunk, tile = 2 << 20, 9 << 20  # 2 MiB chunks, a 9 MiB tile
    pool = BufferManager(1)
    pool.reset(3 * chunk + tile, LRUPolicy(), Stats())

    def load(key):
        pool.pin(key, (chunk,), np.uint8, lambda out: out.fill(key))
        pool.unpin(key)

    for key in range(3):
        load(key)
    pool.release(pool.allocate((tile,), np.uint8))  # now free, and the pool is full
    assert mapped == [chunk] * 3 + [tile]
    evicted = pool.stats.evictions  # (the tile took a chunk's room: the small reserve)
    load(3)  # evicts the least recent chunk and reuses its buffer
    tile_again = pool.allocate((tile,), np.uint8)  # the free tile buffer, not a new one
    assert mapped == [chunk] * 3 + [tile]
    assert pool.stats.evictions == evicted + 1 and pool.overshoot_bytes == 0
    pool.release(tile_again)


def test_a_buffer_the_system_cannot_map_is_a_memory_error(monkeypatch):
    import errno
    import mmap

    from ooarray.buffer import manager

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(manager.mmap, "mmap", refuse)
    with pytest.raises(MemoryError, match="cannot map a .*-byte chunk buffer"):
        manager.new_buffer(4 * manager.MMAP_MIN_BYTES)
    assert mmap.PAGESIZE  # the module itself is untouched
