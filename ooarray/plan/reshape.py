"""Reshape as a region node: merging and splitting axes in row-major (C) order.

A reshape pairs the input and output axes into *groups* of equal size (``(2, 3, 4) ->
(6, 2, 2)`` is ``(2, 3) -> (6)`` and ``(4) -> (2, 2)``); axes of length 1 belong to no group.
Within a group an element has one flat index, and groups are independent, so a rectangular
output region maps, group by group, to a range of flat indices.

A flat range is a rectangle of a shape when it reads "fixed indices, one range, then whole
axes" (:func:`flat_box`). ``input_regions`` returns, for each group, the smallest such box of
the input that covers the output region; ``compute`` views it as flat, cuts the range, and
views that as the output box. Any region therefore works (matmul tiles, sink chunks), and the
output chunk grid is chosen so that the regions usually asked for, its chunks, are exact
boxes on both sides: nothing is read twice and nothing is copied unless the input region is
not contiguous.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.core.chunks import Chunks, Region, normalize_chunks, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode

__all__ = ["ReshapeNode", "axis_groups", "flat_box", "reshape_chunks"]

#: A mixed group (several axes on both sides) uses chunks that are boxes on both sides when
#: they reach this share of the target size; smaller ones would make too many tasks, so the
#: grid then follows the output alone and reads cover a little more than they use.
MIXED_MIN_SHARE = 1 / 16


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
    """``np.reshape`` in C order: a view of the input region where its layout allows.

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

    def _plan(self, region: Region) -> list[tuple[list[slice], int, list[slice]]]:
        """For each group: the input box, the offset of the output box's flat start in it,
        and the output box."""
        plans = []
        src = self.inputs[0].shape
        for in_axes, out_axes in self.groups:
            in_sizes = [src[a] for a in in_axes]
            out_sizes = [self.shape[a] for a in out_axes]
            starts = [region[a].start for a in out_axes]
            lasts = [region[a].stop - 1 for a in out_axes]
            lo = sum(s * t for s, t in zip(starts, _strides(out_sizes)))
            hi = sum(s * t for s, t in zip(lasts, _strides(out_sizes))) + 1
            out_box = flat_box(out_sizes, lo, hi)
            first = _flat_start(out_box, out_sizes)
            count = math.prod(s.stop - s.start for s in out_box)
            in_box = flat_box(in_sizes, first, first + count)
            plans.append((in_box, first - _flat_start(in_box, in_sizes), out_box))
        return plans

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        if self.empty or 0 in region_shape(region):
            return [(source, tuple(slice(0, 0) for _ in source.shape))]
        in_region = [slice(0, 1)] * len(source.shape)
        for (in_axes, _), (in_box, _, _) in zip(self.groups, self._plan(region)):
            for axis, part in zip(in_axes, in_box):
                in_region[axis] = part
        return [(source, tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        shape = region_shape(region)
        if self.empty or 0 in shape:
            return ctx.allocate(shape, self.dtype)
        plans = self._plan(region)
        block = arrays[0]
        merged = [math.prod(s.stop - s.start for s in in_box) for in_box, _, _ in plans]
        try:
            flat = np.reshape(block, merged, copy=False)
        except ValueError:  # not contiguous enough to view: copy into a pooled buffer
            buffer = ctx.allocate(block.shape, self.dtype)
            np.copyto(buffer, block)
            flat = buffer.reshape(merged)
        cut, split, select = [], [], []
        for _, offset, out_box in plans:
            count = math.prod(s.stop - s.start for s in out_box)
            cut.append(slice(offset, offset + count))
            split += [s.stop - s.start for s in out_box]
        for (_, out_axes), (_, _, out_box) in zip(self.groups, plans):
            for axis, part in zip(out_axes, out_box):
                select.append(slice(region[axis].start - part.start,
                                    region[axis].stop - part.start))
        view = flat[tuple(cut)].reshape(split)[tuple(select)]
        return view.reshape(shape)

    def scratch_bytes(self, region: Region) -> int:
        """The input box, in case it must be copied to be viewed flat."""
        if self.empty or 0 in region_shape(region):
            return 0
        (_, in_region), = self.input_regions(region)
        return math.prod(region_shape(in_region)) * self.dtype.itemsize
