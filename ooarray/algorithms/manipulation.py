"""Reshape as a region node: merging and splitting axes in row-major (C) order.

A reshape pairs the input and output axes into *groups* of equal size (``(2, 3, 4) ->
(6, 2, 2)`` is ``(2, 3) -> (6)`` and ``(4) -> (2, 2)``); axes of length 1 belong to no group.
Within a group an element has one flat index, and groups are independent, so a rectangular
output region maps, group by group, to a range of flat indices.

A flat range is a rectangle of a shape when it reads "fixed indices, one range, then whole
axes" (:func:`flat_box`). Usually a region reads, in each group, the smallest such box of the
input that covers it, and ``compute`` views that box as flat, cuts the range and views it as
the output: no copy unless the input region is not contiguous. Where that box would be much
larger than the region (a range that crosses a row of a coarse axis, a column strip of a
split axis), the region is cut into rows that are flat ranges, each range into a few exact
input boxes (:func:`flat_pieces`), and the pieces are gathered into a pooled buffer. So any
region works (matmul tiles, sink chunks, slices) and reads little more than it needs; the
output chunk grid (:func:`reshape_chunks`) makes the regions usually asked for, its chunks,
exact boxes on both sides.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ooarray.chunks import Chunks, Region, normalize_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["ReshapeNode", "axis_groups", "flat_box", "flat_pieces", "reshape_chunks"]

#: A mixed group (several axes on both sides) uses chunks that are boxes on both sides when
#: they reach this share of the target size; smaller ones would make too many tasks, so the
#: grid then follows the output alone and reads cover a little more than they use.
MIXED_MIN_SHARE = 1 / 16
#: A region is read as one input box (a view, no copy) while, in every group, the box is at
#: most this many times what the region needs; beyond, it is gathered from exact pieces.
MAX_BOX_WASTE = 2
#: A region that is not one flat range of its group (a column strip of a split axis) is
#: gathered row by row up to this many rows; more rows read the covering range instead.
MAX_SEGMENTS = 64


def axis_groups(in_shape: Sequence[int], out_shape: Sequence[int]
                ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pair the input and output axes of a reshape into groups of equal size.

    Axes of length 1 are left out. The shapes must have the same nonzero size.

    Examples
    --------
    >>> axis_groups((2, 3, 4), (6, 1, 2, 2))
    [((0, 1), (0,)), ((2,), (2, 3))]
    """
    ins = [a for a, n in enumerate(in_shape) if n != 1]
    outs = [a for a, n in enumerate(out_shape) if n != 1]
    groups = []
    i = j = 0
    while i < len(ins):
        gi, go = [ins[i]], [outs[j]]
        pi, po = in_shape[ins[i]], out_shape[outs[j]]
        i, j = i + 1, j + 1
        while pi != po:
            if pi < po:
                pi *= in_shape[ins[i]]
                gi.append(ins[i])
                i += 1
            else:
                po *= out_shape[outs[j]]
                go.append(outs[j])
                j += 1
        groups.append((tuple(gi), tuple(go)))
    return groups


def _strides(sizes: Sequence[int]) -> list[int]:
    """Row-major element strides of ``sizes``."""
    strides, step = [], 1
    for n in reversed(sizes):
        strides.append(step)
        step *= n
    return strides[::-1]


def flat_box(sizes: Sequence[int], lo: int, hi: int) -> list[slice]:
    """Return the smallest box of ``sizes`` whose flat indices are one range holding
    ``[lo, hi)``: fixed indices on the leading axes, a range on one, whole axes after it.

    Examples
    --------
    >>> flat_box((3, 4), 5, 7)
    [slice(1, 2, None), slice(1, 3, None)]
    >>> flat_box((3, 4), 3, 6)
    [slice(0, 2, None), slice(0, 4, None)]
    """
    box: list[slice] = []
    last = hi - 1
    for n, stride in zip(sizes, _strides(sizes)):
        a, b = lo // stride % n, last // stride % n
        if box and box[-1].stop - box[-1].start > 1:
            box.append(slice(0, n))
        elif a == b:
            box.append(slice(a, a + 1))
        else:
            box.append(slice(a, b + 1))
    return box


def _flat_start(box: Sequence[slice], sizes: Sequence[int]) -> int:
    return sum(s.start * stride for s, stride in zip(box, _strides(sizes)))


def _box_size(box: Sequence[slice]) -> int:
    return math.prod(s.stop - s.start for s in box)


def flat_pieces(sizes: Sequence[int], lo: int, hi: int) -> list[list[slice]]:
    """Split the flat range ``[lo, hi)`` of ``sizes`` into boxes, in order (at most two per
    axis): the partial rows before the first whole one, the whole rows, the rest.

    Examples
    --------
    >>> flat_pieces((3, 4), 3, 10)
    [[slice(0, 1, None), slice(3, 4, None)], [slice(1, 2, None), slice(0, 4, None)], \
[slice(2, 3, None), slice(0, 2, None)]]
    """
    if lo >= hi:
        return []
    box = flat_box(sizes, lo, hi)
    if _box_size(box) == hi - lo:
        return [box]
    varying = next(a for a, part in enumerate(box) if part.stop - part.start > 1)
    stride = _strides(sizes)[varying]
    head, tail = -(-lo // stride) * stride, hi // stride * stride
    return flat_pieces(sizes, lo, head) + flat_pieces(sizes, head, tail) + \
        flat_pieces(sizes, tail, hi)


class _Segment(NamedTuple):
    """A box of a group's output axes that is one flat range, and the input boxes that hold
    it, each with its offset in the range."""

    out_box: list[slice]
    count: int
    pieces: list[tuple[list[slice], int]]


def _covering_box(part: Sequence[slice], sizes: Sequence[int]) -> list[slice]:
    """The smallest flat range of ``sizes`` (as a box) that holds the box ``part``."""
    strides = _strides(sizes)
    lo = sum(p.start * t for p, t in zip(part, strides))
    hi = sum((p.stop - 1) * t for p, t in zip(part, strides)) + 1
    return flat_box(sizes, lo, hi)


def _exact_segment(box: list[slice], in_sizes: Sequence[int],
                   out_sizes: Sequence[int]) -> _Segment:
    """A flat-range box of the output and the exact input pieces that hold it."""
    first, count = _flat_start(box, out_sizes), _box_size(box)
    pieces = [(piece, _flat_start(piece, in_sizes) - first)
              for piece in flat_pieces(in_sizes, first, first + count)]
    return _Segment(box, count, pieces)


def _segment_items(segments: list[list[_Segment]]) -> int:
    """The largest gather buffer: one segment of every group at once."""
    return max(math.prod(s.count for s in combo) for combo in itertools.product(*segments))


def _row_boxes(region: Sequence[slice], sizes: Sequence[int]) -> list[list[slice]]:
    """Split a box into flat ranges: one per index of the axes before the last partial one."""
    partial = [a for a, (part, n) in enumerate(zip(region, sizes)) if part != slice(0, n)]
    last = partial[-1] if partial else 0
    rows = itertools.product(*[range(part.start, part.stop) for part in region[:last]])
    return [[slice(i, i + 1) for i in row] + list(region[last:]) for row in rows]


def _regular(length: int, size: int) -> tuple[int, ...]:
    return normalize_chunks((max(1, size),), (length,), 1)[0]


def _box_chunks(sizes: Sequence[int], target: int,
                prefer: Sequence[tuple[int, ...]] | None = None
                ) -> tuple[int, list[tuple[int, ...]]]:
    """Chunks of a group's axes whose blocks are boxes of about ``target`` elements: length 1
    on the leading axes, a range on one axis ``k``, whole axes after it.

    Returns ``k`` and the chunks. ``prefer`` gives chunk lengths per axis to keep on axis
    ``k`` if they fit (the input's, so that the grid stays aligned with its chunks).
    """
    strides = _strides(sizes)
    k = next(a for a, stride in enumerate(strides) if stride <= target)
    room = max(1, target // strides[k])
    chunks = [(1,) * n for n in sizes[:k]]
    if prefer is not None and max(prefer[k]) <= room:
        chunks.append(tuple(prefer[k]))
    else:
        chunks.append(_regular(sizes[k], room))
    chunks += [(n,) for n in sizes[k + 1:]]
    return k, chunks


def _flat_lengths(k: int, chunks: Sequence[tuple[int, ...]],
                  sizes: Sequence[int]) -> tuple[int, ...]:
    """The flat lengths of a box grid from :func:`_box_chunks`, in row-major block order."""
    inner = math.prod(sizes[k + 1:])
    return tuple(c * inner for c in chunks[k]) * math.prod(sizes[:k])


def _safe_lengths(sizes: Sequence[int]) -> set[int]:
    """Flat lengths ``L`` such that every aligned range ``[t L, (t + 1) L)`` is a box."""
    lengths = set()
    for n, stride in zip(sizes, _strides(sizes)):
        lengths.update(m * stride for m in range(1, n + 1) if n % m == 0)
    return lengths


def _mixed_chunks(in_sizes: Sequence[int], out_sizes: Sequence[int],
                  target: int) -> list[tuple[int, ...]]:
    """Output chunks for a group with several axes on both sides."""
    common = {n for n in _safe_lengths(in_sizes) & _safe_lengths(out_sizes) if n <= target}
    best = max(common, default=1)
    if best >= target * MIXED_MIN_SHARE or best == math.prod(out_sizes):
        return _box_chunks(out_sizes, best)[1]
    return _box_chunks(out_sizes, target)[1]


def reshape_chunks(source: Node, shape: tuple[int, ...]) -> Chunks:
    """Return an output grid for reshaping ``source`` to ``shape``.

    Groups of one axis on each side keep the input's chunks; merges follow the input's
    chunks on the axis where the output range runs; splits and mixed groups take boxes of
    about the size of the input's blocks in the group.
    """
    chunks: list[tuple[int, ...]] = [(1,) if n == 1 else (n,) for n in shape]
    if math.prod(shape) == 0:
        return tuple((0,) if n == 0 else (n,) for n in shape)
    for in_axes, out_axes in axis_groups(source.shape, shape):
        in_sizes = [source.shape[a] for a in in_axes]
        out_sizes = [shape[a] for a in out_axes]
        target = math.prod(max(source.chunks[a]) for a in in_axes)
        if len(in_axes) == 1 and len(out_axes) == 1:
            grid = [source.chunks[in_axes[0]]]
        elif len(out_axes) == 1:
            k, in_grid = _box_chunks(in_sizes, target, [source.chunks[a] for a in in_axes])
            grid = [_flat_lengths(k, in_grid, in_sizes)]
        elif len(in_axes) == 1:
            grid = _box_chunks(out_sizes, target)[1]
        else:
            grid = _mixed_chunks(in_sizes, out_sizes, target)
        for axis, lengths in zip(out_axes, grid):
            chunks[axis] = lengths
    return tuple(chunks)


class ReshapeNode(RegionNode):
    """``np.reshape`` in C order: a view of one input box where the layout allows, else a
    gather of exact pieces.

    Parameters
    ----------
    source : Node
    shape : tuple of int
        The new shape, already validated (same size, no ``-1``).
    chunks : chunk grid, optional
        The output grid; by default :func:`reshape_chunks`.
    """

    def __init__(self, source: Node, shape: tuple[int, ...],
                 chunks: Chunks | None = None) -> None:
        shape = tuple(int(n) for n in shape)
        if math.prod(shape) != math.prod(source.shape):
            raise AssertionError(f"cannot reshape {source.shape} into {shape}")
        super().__init__(shape, source.dtype, chunks or reshape_chunks(source, shape), [source])
        self.empty = math.prod(shape) == 0
        self.groups = [] if self.empty else axis_groups(source.shape, shape)

    def _group_ranges(self, region: Region) -> list[tuple[list[int], list[int], list[slice]]]:
        """For each group: input sizes, output sizes, and the region on its output axes."""
        src = self.inputs[0].shape
        return [([src[a] for a in in_axes], [self.shape[a] for a in out_axes],
                 [region[a] for a in out_axes]) for in_axes, out_axes in self.groups]

    def _reads(self, region: Region) -> tuple[bool, list[list[_Segment]]]:
        """What ``region`` reads, group by group, and whether it is one box of the input.

        One box: each group has one segment with one covering input box (offset: where the
        range starts in the box). Otherwise each group has segments (rows of the region, or
        the range covering it) made of exact pieces (offset: where the piece starts in the
        segment).
        """
        groups = self._group_ranges(region)
        covers = []
        for in_sizes, out_sizes, part in groups:
            out_box = _covering_box(part, out_sizes)
            first, count = _flat_start(out_box, out_sizes), _box_size(out_box)
            box = flat_box(in_sizes, first, first + count)
            covers.append((out_box, count, box, first - _flat_start(box, in_sizes)))
        if all(_box_size(box) <= MAX_BOX_WASTE * _box_size(part) and
               count <= MAX_BOX_WASTE * _box_size(part)
               for (_, count, box, _), (_, _, part) in zip(covers, groups)):
            return True, [[_Segment(out_box, count, [(box, offset)])]
                          for out_box, count, box, offset in covers]
        segments = []
        for (in_sizes, out_sizes, part), (out_box, _, _, _) in zip(groups, covers):
            rows = _row_boxes(part, out_sizes)
            boxes = rows if len(rows) <= MAX_SEGMENTS else [out_box]
            segments.append([_exact_segment(box, in_sizes, out_sizes) for box in boxes])
        return False, segments

    def _gather(self, segments: list[list[_Segment]]):
        """Yield (segment combination, piece combination) in the order of the reads."""
        for combo in itertools.product(*segments):
            for pieces in itertools.product(*[segment.pieces for segment in combo]):
                yield combo, pieces

    def _input_region(self, boxes: Sequence[list[slice]]) -> Region:
        in_region = [slice(0, 1)] * len(self.inputs[0].shape)
        for (in_axes, _), box in zip(self.groups, boxes):
            for axis, part in zip(in_axes, box):
                in_region[axis] = part
        return tuple(in_region)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        if self.empty or 0 in region_shape(region):
            return [(source, tuple(slice(0, 0) for _ in source.shape))]
        _, segments = self._reads(region)
        return [(source, self._input_region([box for box, _ in pieces]))
                for _, pieces in self._gather(segments)]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        shape = region_shape(region)
        if self.empty or 0 in shape:
            return ctx.allocate(shape, self.dtype)
        one_box, segments = self._reads(region)
        if one_box:
            return self._view(arrays[0], [group[0] for group in segments], region, ctx)
        return self._assemble(arrays, segments, region, ctx)

    def _select(self, region: Region, out_boxes: Sequence[list[slice]]
                ) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """Where the output boxes meet ``region``: (in the boxes, in the region)."""
        inside, placed = [], []
        for (_, out_axes), out_box in zip(self.groups, out_boxes):
            for axis, part in zip(out_axes, out_box):
                lo, hi = max(part.start, region[axis].start), min(part.stop, region[axis].stop)
                inside.append(slice(lo - part.start, hi - part.start))
                placed.append(slice(lo - region[axis].start, hi - region[axis].start))
        return tuple(inside), tuple(placed)

    def _view(self, block: np.ndarray, segments: list[_Segment], region: Region,
              ctx: EvaluationContext) -> np.ndarray:
        """``region`` from one input box: a view, unless the box must be copied to merge."""
        merged = [_box_size(segment.pieces[0][0]) for segment in segments]
        try:
            flat = np.reshape(block, merged, copy=False)
        except ValueError:  # not contiguous enough to view: copy into a pooled buffer
            buffer = ctx.allocate(block.shape, self.dtype)
            np.copyto(buffer, block)
            flat = buffer.reshape(merged)
        cut = tuple(slice(s.pieces[0][1], s.pieces[0][1] + s.count) for s in segments)
        split = [part.stop - part.start for s in segments for part in s.out_box]
        inside, _ = self._select(region, [s.out_box for s in segments])
        return flat[cut].reshape(split)[inside].reshape(region_shape(region))

    def _assemble(self, arrays: list[np.ndarray], segments: list[list[_Segment]],
                  region: Region, ctx: EvaluationContext) -> np.ndarray:
        """``region`` gathered from exact pieces, segment by segment, into a pooled buffer."""
        out = ctx.allocate(region_shape(region), self.dtype)
        core = out.reshape([region[a].stop - region[a].start
                            for _, out_axes in self.groups for a in out_axes])
        scratch = ctx.allocate((_segment_items(segments),), self.dtype)
        supplied = iter(arrays)
        for combo in itertools.product(*segments):  # the order of _gather
            buffer = scratch[:math.prod(s.count for s in combo)].reshape(
                [s.count for s in combo])
            for pieces in itertools.product(*[segment.pieces for segment in combo]):
                slots = tuple(slice(offset, offset + _box_size(box)) for box, offset in pieces)
                lengths = [part.stop - part.start for box, _ in pieces for part in box]
                np.copyto(buffer[slots].reshape(lengths), next(supplied).reshape(lengths))
            split = [part.stop - part.start for s in combo for part in s.out_box]
            inside, placed = self._select(region, [s.out_box for s in combo])
            np.copyto(core[placed], buffer.reshape(split)[inside])
        return out

    def scratch_bytes(self, region: Region) -> int:
        """The input box, in case it must be copied to be viewed flat; or the output and the
        buffer a segment is gathered in."""
        if self.empty or 0 in region_shape(region):
            return 0
        one_box, segments = self._reads(region)
        if one_box:
            items = math.prod(_box_size(group[0].pieces[0][0]) for group in segments)
        else:
            items = math.prod(region_shape(region)) + _segment_items(segments)
        return items * self.dtype.itemsize
