"""Turning the arguments NumPy passes us into plan operands."""

from __future__ import annotations

import mmap
import weakref
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.chunks import block_region, iter_blocks, normalize_chunks, target_chunk_bytes
from ooarray.errors import BudgetError, format_bytes
from ooarray.plan.graph import ConstantNode, Node, SourceNode, frozen, is_frozen
from ooarray.store.chunkfile import ChunkFile

__all__ = ["as_node", "as_operand", "wrap", "constant_node", "deliver_out", "compute_small",
           "IN_MEMORY_SHARE"]

_SCALARS = (bool, int, float, complex, np.generic)
#: Share of ``memory_limit`` that an operation may hold in memory whole: the small result of
#: a counting pass, a copy of an operand it needs whole (cycled values, a mask inside a tuple
#: index), or an input it hands to NumPy (``unique(axis=...)``, weighted quantiles).
IN_MEMORY_SHARE = 1 / 4


def compute_small(array: OOArray, what: str, advice: str) -> np.ndarray:
    """Compute ``array`` (the small result of a cheap pass), or raise BudgetError saying
    that ``what`` takes more than :data:`IN_MEMORY_SHARE` of ``memory_limit``, and
    ``advice``."""
    limit = _config.get().memory_limit
    if array.nbytes > limit * IN_MEMORY_SHARE:
        raise BudgetError(
            f"{what} takes {format_bytes(array.nbytes)}, over a quarter of memory_limit="
            f"{format_bytes(limit)}; {advice}",
            needed=int(array.nbytes / IN_MEMORY_SHARE), limit=limit)
    return array.compute()


def constant_node(array: np.ndarray, chunks: Any = None) -> Node:
    """Return a node over the values ``array`` holds now.

    A frozen array (read-only, and a view of nothing writable) is used in place. A writable
    one is copied, since NumPy's result is that of the moment of the call: into memory, or,
    for a file-backed array (``np.memmap``) larger than :data:`IN_MEMORY_SHARE` of
    ``memory_limit``, chunk by chunk into a snapshot file in ``spill_dir`` that is removed
    with the node.
    """
    check_dtype(array.dtype)
    settings = _config.get()
    grid = normalize_chunks(chunks, array.shape, array.dtype.itemsize,
                            target_chunk_bytes(settings.memory_limit))
    if not is_frozen(array) and _file_backed(array) and \
            array.nbytes > settings.memory_limit * IN_MEMORY_SHARE:
        node = SourceNode(_snapshot(array, grid, settings.spill_dir))
        weakref.finalize(node, node.store.remove)
        return node
    return ConstantNode(array, grid)


def _snapshot(array: np.ndarray, grid: Any, directory: str) -> ChunkFile:
    """Copy ``array`` chunk by chunk into a chunk file (one chunk in memory at a time)."""
    store = ChunkFile(array.shape, array.dtype, grid, directory, "snapshot")
    try:
        for index in iter_blocks(grid):
            store.write_chunk(index, array[block_region(grid, index)])
    except BaseException:
        store.remove()
        raise
    return store


def _file_backed(array: np.ndarray) -> bool:
    current: Any = array
    while isinstance(current, np.ndarray):
        if isinstance(current, np.memmap):
            return True
        current = current.base
    return isinstance(current, mmap.mmap)


def as_operand(value: Any) -> Any:
    """Return a node for arrays, and the value itself for scalars and 0-d arrays."""
    if isinstance(value, OOArray):
        return value.node
    if isinstance(value, _SCALARS):
        return value
    array = np.asarray(value)
    if array.ndim == 0:
        check_dtype(array.dtype)
        return frozen(array)
    return constant_node(array)


def as_node(value: Any) -> Node:
    """Return a node for any array-like or scalar."""
    operand = as_operand(value)
    if isinstance(operand, Node):
        return operand
    return constant_node(np.asarray(operand))


def wrap(node: Node) -> OOArray:
    """Return the OOArray of ``node``."""
    return OOArray(node)


def deliver_out(result: OOArray, out: Any, casting: str = "same_kind") -> Any:
    """Return ``result``, or put it into ``out=`` as NumPy would: an OOArray ``out`` is
    rebound to the lazy result (cast to its dtype), an ndarray is filled now."""
    if out is None:
        return result
    if isinstance(out, tuple):
        if len(out) != 1:
            raise ValueError(f"expected one out= array, got {len(out)}")
        out = out[0]
    if out.shape != result.shape:
        raise ValueError(f"output parameter has shape {out.shape}, expected {result.shape}")
    if isinstance(out, OOArray):
        out._node = result.astype(out.dtype, copy=False).node
        return out
    np.copyto(out, result.compute(), casting=casting)
    return out
