"""``a[idx] = value`` with integer index arrays (lists, ndarrays, OOArrays, mixed with
slices, integers and new axes): NumPy's checks on stand-ins, then a bucketed scatter
(:mod:`ooarray.algorithms.assignment`): the index entries are counted per output block, then
partitioned by block, and each output block takes its entries.

:func:`ooarray.ops.assignment.setitem` sends these indices here.
"""

from __future__ import annotations

import math
import operator
import os
import shutil
import tempfile
import weakref
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.algorithms.assignment import (
    Destinations,
    EntryCountNode,
    EntryPartitionNode,
    ScatterNode,
    segment_lengths,
)
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.ops._operands import IN_MEMORY_SHARE, compute_small, constant_node
from ooarray.ops.assignment_values import (
    _as_node,
    _broadcasts,
    _index_stand_in,
    _limit,
    _oo,
    _operand,
    _pad,
    _shape_text,
    _small,
    _stand_in,
    _strip,
    _value,
)
from ooarray.plan.graph import Node, SourceNode
from ooarray.plan.regions import BroadcastNode, SliceNode, TransposeNode
from ooarray.store.memmap import NpyStore

#: Index arrays up to this many entries are checked by NumPy on a stand-in of their values.
SMALL_INDEX = 2**16


def _array_assign(array: OOArray, items: list[Any], value: Any) -> Node:
    """``array[index] = value`` with integer arrays (and slices, integers, new axes)."""
    items = _expand(items, array)
    converted = _value(value, array.dtype, advanced=True)
    shape = _indexed_shape(array.shape, items, converted.shape)
    converted = _strip(converted, len(shape))
    if math.prod(shape) == 0:
        return array.node
    # Normalise: per axis of the array an index node, a (start, step, length) or None.
    advanced, slices, layout = [], {}, []
    axis = 0
    for item in items:
        if item is None:
            layout.append("new")
            continue
        if isinstance(item, slice):
            slices[axis] = item.indices(array.shape[axis])
            start, stop, step = slices[axis]
            slices[axis] = (start, step, len(range(start, stop, step)))
            layout.append("slice")
        else:
            advanced.append((axis, item))
            layout.append("advanced")
        axis += 1
    positions = [i for i, kind in enumerate(layout) if kind == "advanced"]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    first_with_new = positions[0] if adjacent else 0  # position in the indexed shape
    broadcast = np.broadcast_shapes(*[np.shape(_index_stand_in(i)) for _, i in advanced])
    n = math.prod(broadcast)
    axes = tuple(a for a, _ in advanced)
    indices = [_flat_index(item, broadcast, n) for _, item in advanced]
    # The value: the same for every entry (it broadcasts along the index axes) or one row each.
    width = len(broadcast)
    lead = len(shape) - len(converted.shape)
    varies = any(converted.shape[d - lead] != 1 for d in
                 range(max(first_with_new, lead), first_with_new + width))
    slice_shape = tuple(slices[a][2] for a in range(array.ndim) if a in slices)
    new_axes = [d for d, kind in enumerate(_indexed_layout(layout, first_with_new, width,
                                                           adjacent)) if kind == "new"]
    padded = _pad(converted, len(shape))
    block_dims = range(first_with_new, first_with_new + width)
    if varies:
        rows = _rows(padded, shape, block_dims, new_axes, n, slice_shape)
        uniform = None
    else:
        drop = [0 if d in block_dims or d in new_axes else (0, 1, padded.shape[d])
                for d in range(len(shape))]
        uniform = padded if isinstance(padded, np.ndarray) and padded.ndim == 0 else \
            _slice_any(padded, drop)
        if isinstance(uniform, np.ndarray):
            uniform = _operand(uniform)
        rows = None
    record = len(axes) * np.dtype(np.intp).itemsize + \
        (math.prod(slice_shape) * array.itemsize if rows is not None else 0)
    length = max(1, target_chunk_bytes(_limit()) // record)
    lengths = (length,) * (n // length) + ((n % length,) if n % length else ())
    destinations = Destinations(array.shape, array.chunks, axes)
    counted = compute_small(
        _oo(EntryCountNode(indices, lengths, destinations)),
        f"the table of counts for assigning {n} index entries into {destinations.buckets} "
        f"output blocks along the indexed axes",
        f"rechunk the array into fewer blocks along axes {axes} or raise memory_limit")
    buckets = destinations.buckets
    for position, axis in enumerate(axes):
        size = array.shape[axis]
        low = int(counted[:, buckets + 2 * position].min())
        high = int(counted[:, buckets + 2 * position + 1].max())
        for bad in (high if high >= size else None, low if low < -size else None):
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for axis {axis} with size "
                                 f"{size}")
    counts = counted[:, :buckets]
    partition = EntryPartitionNode(indices, rows, lengths, destinations, array.dtype,
                                   slice_shape)
    entries = _stored_partition(partition, counts) \
        if partition.nbytes > _limit() * IN_MEMORY_SHARE else partition
    return ScatterNode(array.node, entries, counts, lengths, destinations, axes, slices,
                       uniform)


def _stored_partition(partition: EntryPartitionNode, counts: np.ndarray) -> Node:
    """Write the partitioned entries to a raw file under ``spill_dir`` now, and return them
    as a source whose chunks are the (block, bucket) segments.

    In the pool, an output chunk's task would pin every partition block for the slice of it
    that lands in its bucket, and with blocks over the budget the pool would write them out
    and read them back once per bucket; from the file each task reads exactly its segments,
    so the entries are written once and read once. The file goes with the last array that
    uses it.
    """
    directory = tempfile.mkdtemp(prefix="ooarray-scatter-", dir=_config.get().spill_dir)
    path = os.path.join(directory, "entries.npy")
    written = _oo(partition).to_npy(path).node.store
    store = NpyStore(path, partition.shape, partition.dtype, written.data_offset,
                     (segment_lengths(counts),))
    source = SourceNode(store)
    weakref.finalize(source, shutil.rmtree, directory, True)
    return source


def _indexed_shape(shape: tuple[int, ...], items: list[Any],
                   value_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape ``items`` select, checked as NumPy checks it (IndexError, ValueError).

    NumPy itself checks a stand-in of zero-byte elements; for a large or lazy index, the
    index arrays are stood in for by one entry each (NumPy would copy them all), the
    broadcast and the value's shape are checked here with NumPy's messages.
    """
    stand_in = _stand_in(shape)
    advanced = [i for i, item in enumerate(items) if item is not None
                and not isinstance(item, slice)]
    shapes = [np.shape(_index_stand_in(items[i])) for i in advanced]
    try:
        broadcast = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         "with shapes " + "".join(_shape_text(s) + " " for s in shapes)
                         ) from None
    if math.prod(broadcast) <= SMALL_INDEX:
        checked = tuple(_index_stand_in(item) for item in items)
        selected = stand_in[checked].shape  # NumPy's IndexErrors
        stand_in[checked] = _stand_in(value_shape)  # NumPy's broadcast error
        return selected
    one = (1,) * len(broadcast)
    checked = tuple(np.broadcast_to(np.zeros((), _index_stand_in(item).dtype), one)
                    if i in advanced else item for i, item in enumerate(items))
    selected = stand_in[checked].shape  # NumPy's IndexErrors (too many indices, dtypes)
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    first = advanced[0] if adjacent else 0  # only new axes and slices come before it
    selected = selected[:first] + broadcast + selected[first + len(broadcast):]
    if not _broadcasts(value_shape, selected):
        raise ValueError(f"shape mismatch: value array of shape {_shape_text(value_shape)} "
                         f"could not be broadcast to indexing result of shape "
                         f"{_shape_text(selected)}")
    return selected


def _expand(items: list[Any], array: OOArray) -> list[Any]:
    """Expand ``...``; turn masks into integer arrays and integers into 0-d index arrays;
    check index dtypes as NumPy does."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, OOArray):
            if item.dtype == np.bool_:
                item = _small(item, "a boolean mask mixed with other indices")
            else:  # another dtype: NumPy's stand-in check raises its IndexError
                out.append(item)
                continue
        if isinstance(item, (list, np.ndarray)):
            converted = np.asarray(item)
            if isinstance(item, list) and converted.size == 0:  # NumPy: [] indexes nothing
                converted = converted.astype(np.intp)
            if converted.dtype == np.bool_:
                out.extend(np.nonzero(converted) if converted.ndim else
                           [np.asarray(converted, np.intp)])
                continue
            # a list of floats stays a list: NumPy's message differs for lists and arrays
            item = converted if converted.dtype.kind in "iu" else item
        elif isinstance(item, (bool, np.bool_)):
            raise TypeError("ooarray does not support a boolean scalar mixed with other "
                            "indices in an assignment; index with a boolean array instead")
        out.append(item)
    consuming = sum(1 for item in out if item is not None and item is not Ellipsis)
    if any(item is Ellipsis for item in out):
        where = next(i for i, item in enumerate(out) if item is Ellipsis)
        out[where:where + 1] = [slice(None)] * max(0, array.ndim - consuming)
    else:
        out += [slice(None)] * max(0, array.ndim - consuming)
    # NumPy treats integers next to index arrays as 0-d index arrays.
    return [np.asarray(operator.index(item), np.intp) if isinstance(item, (int, np.integer))
            else item for item in out]


def _indexed_layout(layout: list[str], first: int, width: int, adjacent: bool) -> list[str]:
    """Kind of each axis of the indexed shape: 'block' (index arrays), 'slice' or 'new'."""
    others = [k for k in layout if k != "advanced"]
    return others[:first] + ["block"] * width + others[first:] if adjacent else \
        ["block"] * width + others


def _slice_any(value: Any, entries: list[Any]) -> Any:
    if isinstance(value, Node):
        return SliceNode(value, entries)
    return value[tuple(e if isinstance(e, int) else slice(None) for e in entries)]


def _rows(padded: Any, shape: tuple[int, ...], block_dims: range, new_axes: list[int],
          n: int, slice_shape: tuple[int, ...]) -> Node:
    """The value as ``(entries, *sliced lengths)``: one row per index entry, in order."""
    node = _as_node(padded)
    if node.shape != shape:
        node = BroadcastNode(node, shape, target_chunk_bytes(_limit()))
    if new_axes:
        node = SliceNode(node, [0 if d in new_axes else (0, 1, shape[d])
                                for d in range(len(shape))])
    kept = [d for d in range(len(shape)) if d not in new_axes]
    blocks = [kept.index(d) for d in block_dims]
    order = blocks + [i for i in range(len(kept)) if i not in blocks]
    if order != list(range(len(kept))):
        node = TransposeNode(node, order)
    return np.reshape(_oo(node), (n,) + slice_shape).node


def _flat_index(item: Any, broadcast: tuple[int, ...], n: int) -> Node:
    """An index array broadcast to the index shape, as one line of ``n`` entries."""
    node = item.node if isinstance(item, OOArray) else constant_node(np.asarray(item))
    if node.shape != broadcast:
        node = BroadcastNode(node, broadcast, target_chunk_bytes(_limit()))
    if node.shape == (n,):
        return node
    return np.reshape(_oo(node), (n,)).node
