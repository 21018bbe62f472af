"""Writing into arrays: the plan nodes behind ``a[idx] = value``, copyto, putmask and place.

Assignment never changes a node: it builds a new node whose output is the old array with some
positions replaced, and the OOArray is rebound to it (copy-on-write). Four shapes of writing:

* :class:`SetRegionNode` (basic index): a region node; for an output region it takes the
  overlap with the indexed box from the value and the rest from the old array.
* :class:`MaskedFillNode` (``copyto``, ``a[mask] = scalar``, ``putmask``): elementwise
  ``where``, a region node.
* :class:`MaskedValuesNode` (``a[mask] = values``, ``place``): the mask is counted per chunk
  first (:class:`BlockCountNode`, small), so chunk ``i`` knows the range of values it takes.
* Integer-array indices: :class:`EntryCountNode` counts, per block of index entries, how many
  land in each destination bucket (a block of the output along the indexed axes);
  :class:`EntryPartitionNode` sorts each block of entries (coordinates and value rows) by
  bucket, stably; :class:`ScatterNode` makes each output chunk from the old chunk and the
  slices of the partitioned blocks that hold its entries, streamed one at a time, in the
  original order (so the last of duplicate indices wins, as in NumPy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ooarray.chunks import Chunks, Region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode, frozen
from ooarray.plan.regions import broadcast_region

__all__ = [
    "slice_overlap", "SetRegionNode", "MaskedFillNode", "CyclicNode", "BlockCountNode",
    "MaskedValuesNode", "EntryCountNode", "EntryPartitionNode", "ScatterNode",
    "Destinations", "segment_lengths",
]


def slice_overlap(start: int, step: int, length: int, lo: int, hi: int
                  ) -> tuple[int, int, slice] | None:
    """Return where the positions ``start + k * step`` (``0 <= k < length``) meet ``[lo, hi)``.

    Returns ``(k_first, k_stop, local)``: the range of ``k`` that lands in ``[lo, hi)`` and
    the slice of those positions relative to ``lo``; None if none lands there.

    Examples
    --------
    >>> slice_overlap(1, 3, 4, 3, 9)     # positions 1, 4, 7, 10
    (1, 3, slice(1, 7, 3))
    >>> slice_overlap(9, -2, 5, 0, 4)    # positions 9, 7, 5, 3, 1
    (3, 5, slice(3, None, -2))
    """
    if length <= 0 or hi <= lo:
        return None
    if step > 0:
        first = -((start - lo) // step)  # ceil((lo - start) / step)
        stop = -((start - hi) // step)
    else:
        first = (start - hi) // -step + 1
        stop = (start - lo) // -step + 1
    first, stop = max(first, 0), min(stop, length)
    if first >= stop:
        return None
    begin = start + first * step - lo
    end = begin + (stop - first) * step
    return first, stop, slice(begin, end if end >= 0 else None, step)


def _read_value(value: Any, arrays: list[np.ndarray], position: int) -> np.ndarray:
    return arrays[position] if isinstance(value, Node) else value


class SetRegionNode(RegionNode):
    """``old[index] = value`` for a basic index: slices (any step), integers, new axes.

    Parameters
    ----------
    old : Node
    index : list
        As :func:`ooarray.core.indexing.normalize_basic_index` gives it: per axis of ``old``
        a ``(start, step, length)`` tuple or an int, and None for each new axis.
    value : Node or 0-d ndarray
        Already of ``old.dtype``; its shape broadcasts to the indexed shape (at most as many
        axes, the caller strips leading axes of length 1).
    """

    def __init__(self, old: Node, index: Sequence[Any], value: Any) -> None:
        self.index = list(index)
        self.target_shape = tuple(1 if e is None else e[2] for e in self.index
                                  if not isinstance(e, int))
        self.value = frozen(value) if isinstance(value, np.ndarray) else value
        inputs = [old] + ([value] if isinstance(value, Node) else [])
        super().__init__(old.shape, old.dtype, old.chunks, inputs)

    @property
    def label(self) -> str:
        return "setitem"

    def _overlap(self, region: Region) -> tuple[tuple, Region] | None:
        """The local target index inside ``region`` and the region of the indexed shape."""
        local: list[Any] = []
        target: list[slice] = []
        axis = 0
        for entry in self.index:
            if entry is None:
                target.append(slice(0, 1))
                continue
            sel = region[axis]
            axis += 1
            if isinstance(entry, int):
                if not sel.start <= entry < sel.stop:
                    return None
                local.append(entry - sel.start)
                continue
            found = slice_overlap(*entry, sel.start, sel.stop)
            if found is None:
                return None
            local.append(found[2])
            target.append(slice(found[0], found[1]))
        return tuple(local), tuple(target)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        pairs = [(self.inputs[0], region)]
        overlap = self._overlap(region)
        if overlap is not None and isinstance(self.value, Node):
            pairs.append((self.value, broadcast_region(overlap[1], self.target_shape,
                                                       self.value.shape)))
        return pairs

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        overlap = self._overlap(region)
        if overlap is None:
            return arrays[0]
        local, target = overlap
        out = ctx.allocate(region_shape(region), self.dtype)
        np.copyto(out, arrays[0])
        piece = np.broadcast_to(_read_value(self.value, arrays, 1), region_shape(target))
        drop_new_axes = tuple(0 if e is None else slice(None) for e in self.index
                              if not isinstance(e, int))
        out[local] = piece[drop_new_axes]
        return out


class MaskedFillNode(RegionNode):
    """``where(mask, value, old)``: ``copyto(where=)``, ``a[mask] = scalar``, ``putmask``.

    ``value`` and ``mask`` (a Node, a 0-d array, or None for everywhere) broadcast to
    ``old``'s shape; ``value`` is already of ``old.dtype``.
    """

    def __init__(self, old: Node, value: Any, mask: Any = None) -> None:
        self.value, self.mask = (frozen(x) if isinstance(x, np.ndarray) else x
                                 for x in (value, mask))
        inputs = [old] + [x for x in (value, mask) if isinstance(x, Node)]
        super().__init__(old.shape, old.dtype, old.chunks, inputs)

    @property
    def label(self) -> str:
        return "masked-fill"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(node, broadcast_region(region, self.shape, node.shape))
                for node in self.inputs]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        supplied = iter(arrays[1:])
        value = next(supplied) if isinstance(self.value, Node) else self.value
        mask = next(supplied) if isinstance(self.mask, Node) else self.mask
        out = ctx.allocate(region_shape(region), self.dtype)
        if mask is None:
            np.copyto(out, value)
        else:
            np.copyto(out, arrays[0])
            np.copyto(out, value, where=mask)
        return out


class CyclicNode(RegionNode):
    """An array of ``shape`` whose element at flat (C-order) position ``n`` is
    ``values[n % len(values)]``: the repeated values of ``putmask`` and ``place``."""

    def __init__(self, values: np.ndarray, shape: tuple[int, ...], chunks: Chunks) -> None:
        super().__init__(shape, values.dtype, chunks)
        self.values = frozen(np.ascontiguousarray(values).reshape(-1))

    @property
    def label(self) -> str:
        return "cyclic"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return []

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        shape = region_shape(region)
        flat = ctx.allocate(shape, np.intp)
        flat[...] = 0
        stride = 1
        for axis in reversed(range(len(shape))):
            line = np.arange(region[axis].start, region[axis].stop, dtype=np.intp) * stride
            flat += line.reshape((-1,) + (1,) * (len(shape) - axis - 1))
            stride *= self.shape[axis]
        np.remainder(flat, len(self.values), out=flat)
        out = ctx.allocate(shape, self.dtype)
        np.take(self.values, flat, out=out)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * (self.dtype.itemsize + np.dtype(np.intp).itemsize)


class BlockCountNode(MaterializedNode):
    """The number of True values of a 1-d ``mask`` in each block of ``lengths``."""

    def __init__(self, mask: Node, lengths: Sequence[int]) -> None:
        self.bounds = offsets(lengths)
        count = len(lengths)
        super().__init__((count,), np.int64, ((1,) * count,), [mask])

    @property
    def label(self) -> str:
        return "count-true"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        i = index[0]
        return [(self.inputs[0], (slice(self.bounds[i], self.bounds[i + 1]),))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate((1,), self.dtype)
        out[0] = np.count_nonzero(arrays[0])
        return out


class MaskedValuesNode(MaterializedNode):
    """``old[mask] = values`` along the first axis, values in mask order.

    ``old`` has shape ``(N, *rest)``, ``mask`` shape ``(N,)`` and ``values`` shape
    ``(count, *rest)``; ``counts[i]`` is the number of True values of ``mask`` in block ``i``
    of ``old``'s first axis (counted first, so each block knows its range of values).
    """

    def __init__(self, old: Node, mask: Node, values: Node, counts: np.ndarray) -> None:
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        super().__init__(old.shape, old.dtype, old.chunks, [old, mask, values])

    @property
    def label(self) -> str:
        return "masked-values"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        old, mask, values = self.inputs
        region = self.chunk_region(index)
        first, stop = int(self.starts[index[0]]), int(self.starts[index[0] + 1])
        pairs = [(old, region), (mask, region[:1])]
        if stop > first:
            pairs.append((values, (slice(first, stop),) + region[1:]))
        return pairs

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        np.copyto(out, arrays[0])
        if len(arrays) > 2:
            out[arrays[1]] = arrays[2]
        return out


# -- integer-array indices --------------------------------------------------------------------
class Destinations:
    """Where index entries go: normalised coordinates and the bucket (output block along the
    indexed axes) of each."""

    def __init__(self, shape: tuple[int, ...], chunks: Chunks, axes: Sequence[int]) -> None:
        self.axes = tuple(axes)
        self.sizes = tuple(shape[a] for a in self.axes)
        self.starts = [np.asarray(offsets(chunks[a])[1:-1], np.intp) for a in self.axes]
        self.blocks = tuple(len(chunks[a]) for a in self.axes)
        self.buckets = math.prod(self.blocks)

    def coordinates(self, raw: Sequence[np.ndarray]) -> list[np.ndarray]:
        coords = []
        for values, size in zip(raw, self.sizes, strict=True):
            values = values.astype(np.intp, copy=True)
            values[values < 0] += size
            np.clip(values, 0, max(size - 1, 0), out=values)  # out of bounds: refused upstream
            coords.append(values)
        return coords

    def bucket(self, coords: Sequence[np.ndarray]) -> np.ndarray:
        bucket = np.zeros(len(coords[0]) if coords else 0, np.intp)
        for values, starts, blocks in zip(coords, self.starts, self.blocks, strict=True):
            bucket *= blocks
            bucket += np.searchsorted(starts, values, side="right")
        return bucket


class EntryCountNode(MaterializedNode):
    """Per block of index entries: the count landing in each bucket, then the smallest and
    largest raw index along each indexed axis (so bounds are checked before any writing).

    ``indices`` are 1-d nodes of the same length (one per indexed axis); ``lengths`` is the
    block grid of the entries.
    """

    def __init__(self, indices: Sequence[Node], lengths: Sequence[int],
                 destinations: Destinations) -> None:
        self.bounds = offsets(lengths)
        self.destinations = destinations
        width = destinations.buckets + 2 * len(indices)
        super().__init__((len(lengths), width), np.int64, ((1,) * len(lengths), (width,)),
                         indices)

    @property
    def label(self) -> str:
        return "scatter-count"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        i = index[0]
        return [(node, (slice(self.bounds[i], self.bounds[i + 1]),)) for node in self.inputs]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(self.chunks[0][:1] + self.chunks[1], self.dtype)
        buckets = self.destinations.buckets
        out[0, :buckets] = np.bincount(
            self.destinations.bucket(self.destinations.coordinates(arrays)), minlength=buckets)
        for position, raw in enumerate(arrays):
            out[0, buckets + 2 * position] = raw.min() if raw.size else 0
            out[0, buckets + 2 * position + 1] = raw.max() if raw.size else 0
        return out

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        length = self.bounds[index[0] + 1] - self.bounds[index[0]]
        return 2 * length * np.dtype(np.intp).itemsize * (len(self.inputs) + 1)


class EntryPartitionNode(MaterializedNode):
    """Index entries sorted by bucket within each block (stable): records of coordinates
    (``c0``, ``c1``, ...) and, when the value varies along the entries, the value row ``v``."""

    def __init__(self, indices: Sequence[Node], rows: Node | None, lengths: Sequence[int],
                 destinations: Destinations, dtype: np.dtype,
                 row_shape: tuple[int, ...]) -> None:
        self.bounds = offsets(lengths)
        self.destinations = destinations
        fields = [(f"c{i}", np.intp) for i in range(len(indices))]
        if rows is not None:
            fields.append(("v", dtype, row_shape))
        self.rows = rows
        inputs = list(indices) + ([rows] if rows is not None else [])
        n = self.bounds[-1]
        super().__init__((n,), np.dtype(fields), (tuple(lengths),), inputs)

    @property
    def label(self) -> str:
        return "scatter-partition"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        i = index[0]
        entries = slice(self.bounds[i], self.bounds[i + 1])
        pairs = [(node, (entries,)) for node in self.inputs[:len(self.destinations.axes)]]
        if self.rows is not None:
            pairs.append((self.rows, (entries,) + tuple(slice(0, n)
                                                        for n in self.rows.shape[1:])))
        return pairs

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        k = len(self.destinations.axes)
        coords = self.destinations.coordinates(arrays[:k])
        order = np.argsort(self.destinations.bucket(coords), kind="stable")
        out = ctx.allocate((len(order),), self.dtype)
        for position, values in enumerate(coords):
            np.take(values, order, out=out[f"c{position}"])
        if self.rows is not None:
            np.take(arrays[k], order, axis=0, out=out["v"])
        return out

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        length = self.bounds[index[0] + 1] - self.bounds[index[0]]
        return 4 * length * np.dtype(np.intp).itemsize * (len(self.destinations.axes) + 1)


def segment_lengths(counts: np.ndarray) -> tuple[int, ...]:
    """The lengths of the (block, bucket) segments of a partition, in order, empty ones left
    out: a chunk grid in which each output chunk's entries are whole chunks."""
    return tuple(int(c) for c in counts.reshape(-1) if c) or (0,)


class ScatterNode(MaterializedNode):
    """``old[index] = value`` for integer-array indices, mixed with slices.

    Parameters
    ----------
    old : Node
    entries : Node
        The partitioned entries: an :class:`EntryPartitionNode`, or the same records read
        from a store (any chunk grid).
    counts : ndarray
        ``counts[c, b]``: entries of partition block ``c`` in bucket ``b``.
    block_lengths : tuple of int
        The partition's blocks of entries (the rows of ``counts``).
    destinations : Destinations
        The buckets.
    axes : tuple of int
        The indexed axes of ``old`` (in order); the others are sliced.
    slices : dict
        ``(start, step, length)`` for each sliced axis.
    value : Node, 0-d ndarray or None
        When the value does not vary along the entries: its shape broadcasts to the sliced
        axes' lengths (in axis order). None when the rows are in the partition.
    """

    def __init__(self, old: Node, entries: Node, counts: np.ndarray,
                 block_lengths: Sequence[int], destinations: Destinations,
                 axes: Sequence[int], slices: dict[int, tuple[int, int, int]],
                 value: Any) -> None:
        self.axes = tuple(axes)
        self.sliced = tuple(a for a in range(len(old.shape)) if a not in self.axes)
        self.slices = dict(slices)
        self.value = value
        self.slice_shape = tuple(self.slices[a][2] for a in self.sliced)
        self.destinations = destinations
        starts = offsets(block_lengths)
        within = np.concatenate([np.zeros((counts.shape[0], 1), np.int64),
                                 np.cumsum(counts, axis=1)], axis=1)
        self.pieces: dict[int, list[tuple[int, int]]] = {}
        for c, b in zip(*np.nonzero(counts), strict=True):
            first = starts[c] + int(within[c, b])
            self.pieces.setdefault(int(b), []).append((first, first + int(counts[c, b])))
        self.largest_block = max(entries.chunks[0]) * entries.dtype.itemsize
        inputs = [old, entries] + ([value] if isinstance(value, Node) else [])
        super().__init__(old.shape, old.dtype, old.chunks, inputs)

    @property
    def label(self) -> str:
        return "scatter"

    def _bucket(self, index: tuple[int, ...]) -> int:
        bucket = 0
        for axis, blocks in zip(self.axes, self.destinations.blocks, strict=True):
            bucket = bucket * blocks + index[axis]
        return bucket

    def _overlap(self, region: Region) -> tuple[list[slice], list[slice]] | None:
        local, rows = [], []
        for axis in self.sliced:
            found = slice_overlap(*self.slices[axis], region[axis].start, region[axis].stop)
            if found is None:
                return None
            rows.append(slice(found[0], found[1]))
            local.append(found[2])
        return local, rows

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        region = self.chunk_region(index)
        pairs = [(self.inputs[0], region)]
        overlap = self._overlap(region)
        if overlap is not None and isinstance(self.value, Node) \
                and self.pieces.get(self._bucket(index)):
            pairs.append((self.value, broadcast_region(tuple(overlap[1]), self.slice_shape,
                                                       self.value.shape)))
        return pairs

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        if self._overlap(self.chunk_region(index)) is None:
            return []
        return [(self.inputs[1], (slice(first, stop),))
                for first, stop in self.pieces.get(self._bucket(index), [])]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        region = self.chunk_region(index)
        out = ctx.allocate(region_shape(region), self.dtype)
        np.copyto(out, arrays[0])
        overlap = self._overlap(region)
        if overlap is None:
            return out
        local, rows = overlap
        moved = out.transpose(self.axes + self.sliced)
        uniform = arrays[1] if len(arrays) > 1 else self.value
        for _, piece in self.streamed_inputs(index):
            with ctx.scope():
                records = ctx.evaluate(self.inputs[1], piece)
                coords = tuple(records[f"c{i}"] - region[axis].start
                               for i, axis in enumerate(self.axes))
                values = records["v"][(slice(None), *rows)] if uniform is None else uniform
                moved[coords + tuple(local)] = values
        return out

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        # one partition block pinned at a time, and the local coordinates made from it
        return 2 * self.largest_block
