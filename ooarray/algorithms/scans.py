"""Scans along an axis (cumsum, cumprod) as a two-pass plan.

A scan is three nodes:

* :class:`ScanTotalsNode` (materialised): each input block reduced along the axis, one small
  record per block and kept position;
* :class:`ScanCarryNode` (materialised): the exclusive prefix of those totals along the axis,
  i.e. for each block the combined total of all blocks before it. Its chunks group many
  blocks' records; a group's task streams the totals of earlier groups one group at a time;
* :class:`ScanNode` (a region node): any region of the output is the local scan of the input
  from the start of the block holding the region's first element, combined with that block's
  carry. A region aligned with the input's blocks reads exactly one block's worth.

No step holds more than one input block (and a group of small records), whatever the length
of the axis. Integer results are exact (wrapping sums and products are associative); float
results differ from NumPy's sequential loop only by rounding order.

:class:`DiffNode` (``np.diff``) is a region node of the same family: a region reads ``n``
elements past its end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.chunks import Chunks, Region, block_region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["ScanTotalsNode", "ScanCarryNode", "ScanNode", "DiffNode", "scan"]


def _with_axis(region: Region, axis: int, sel: slice) -> Region:
    return region[:axis] + (sel,) + region[axis + 1:]


class ScanTotalsNode(MaterializedNode):
    """``ufunc.reduce`` of each input block along ``axis`` (kept as length 1), in ``dtype``."""

    def __init__(self, source: Node, ufunc: np.ufunc, axis: int, dtype: np.dtype) -> None:
        self.ufunc, self.axis = ufunc, axis
        blocks = len(source.chunks[axis])
        shape = source.shape[:axis] + (blocks,) + source.shape[axis + 1:]
        chunks = source.chunks[:axis] + ((1,) * blocks,) + source.chunks[axis + 1:]
        super().__init__(shape, dtype, chunks, [source])

    @property
    def label(self) -> str:
        return f"{self.ufunc.__name__}-scan-totals"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        return [(source, block_region(source.chunks, index))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        self.ufunc.reduce(arrays[0], axis=self.axis, dtype=self.dtype, keepdims=True, out=out)
        return out


def _group_lengths(blocks: int, group: int) -> tuple[int, ...]:
    group = max(1, min(group, blocks))
    full, rest = divmod(blocks, group)
    return (group,) * full + ((rest,) if rest else ())


class ScanCarryNode(MaterializedNode):
    """For each input block, the combined totals of the blocks before it along the axis.

    Parameters
    ----------
    totals : ScanTotalsNode
    group_bytes : int
        Size a chunk (a group of blocks' records) aims for.
    """

    def __init__(self, totals: ScanTotalsNode, group_bytes: int) -> None:
        self.ufunc, self.axis = totals.ufunc, totals.axis
        axis = self.axis
        across = math.prod(max(c) for i, c in enumerate(totals.chunks) if i != axis)
        group = max(1, group_bytes // max(1, across * totals.dtype.itemsize))
        chunks = totals.chunks[:axis] + (_group_lengths(totals.shape[axis], group),) + \
            totals.chunks[axis + 1:]
        super().__init__(totals.shape, totals.dtype, chunks, [totals])

    @property
    def label(self) -> str:
        return f"{self.ufunc.__name__}-scan-carry"

    def _pieces(self, index: tuple[int, ...]) -> list[Region]:
        """The earlier groups' totals, one region per group, in order."""
        region = self.chunk_region(index)
        bounds = offsets(self.chunks[self.axis])
        return [_with_axis(region, self.axis, slice(bounds[k], bounds[k + 1]))
                for k in range(index[self.axis])]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], self.chunk_region(index))]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], piece) for piece in self._pieces(index)]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        shape = region_shape(self.chunk_region(index))
        row = math.prod(shape) // max(1, shape[self.axis]) * self.dtype.itemsize
        # one earlier group (assembled from its records) and its total
        return (math.prod(shape) * self.dtype.itemsize + row) if index[self.axis] else 0

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        axis, own = self.axis, arrays[0]
        everything = (slice(None),) * own.ndim
        out = ctx.allocate(own.shape, self.dtype)
        if not out.size:
            return out
        head = _with_axis(everything, axis, slice(0, 1))
        running = out[head]
        pieces = self._pieces(index)
        if not pieces:
            running[...] = self.ufunc.identity
        for number, piece in enumerate(pieces):
            with ctx.scope():
                part = ctx.evaluate(self.inputs[0], piece)
                total = self.ufunc.reduce(part, axis=axis, dtype=self.dtype, keepdims=True)
                if number:
                    self.ufunc(running, total, out=running)
                else:
                    running[...] = total
        if own.shape[axis] > 1:
            # out[i] = out[i - 1] (+) own[i - 1], in NumPy's order: seed, then accumulate
            rest = out[_with_axis(everything, axis, slice(1, None))]
            np.copyto(rest, own[_with_axis(everything, axis, slice(0, -1))], casting="unsafe")
            if pieces:
                second = rest[head]
                self.ufunc(running, second, out=second)
            self.ufunc.accumulate(rest, axis=axis, dtype=self.dtype, out=rest)
        return out


class ScanNode(RegionNode):
    """The inclusive scan of ``source`` along ``axis``, from its carry.

    Parameters
    ----------
    source : Node
    carry : ScanCarryNode
    initial : bool
        Put the identity first (NumPy 2's ``include_initial``): the axis is one longer.
    """

    def __init__(self, source: Node, carry: ScanCarryNode, initial: bool = False) -> None:
        self.ufunc, self.axis, self.initial = carry.ufunc, carry.axis, bool(initial)
        axis = self.axis
        shape = list(source.shape)
        lengths = source.chunks[axis]
        if self.initial:
            shape[axis] += 1
            lengths = (lengths[0] + 1,) + lengths[1:]
        chunks: Chunks = source.chunks[:axis] + (lengths,) + source.chunks[axis + 1:]
        super().__init__(shape, carry.dtype, chunks, [source, carry])
        self._starts = offsets(source.chunks[axis])

    @property
    def label(self) -> str:
        return f"{self.ufunc.__name__}-scan"

    def _source_span(self, sel: slice) -> tuple[int, int, int]:
        """(block, first source index read, first source index wanted) for output ``sel``."""
        wanted = max(sel.start - self.initial, 0)
        block = int(np.searchsorted(self._starts, wanted, side="right")) - 1
        block = min(max(block, 0), len(self._starts) - 2)
        return block, self._starts[block], wanted

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[self.axis]
        block, first, wanted = self._source_span(sel)
        stop = max(sel.stop - self.initial, wanted)
        source_sel = slice(first, stop) if stop > wanted else slice(wanted, wanted)
        return [(self.inputs[0], _with_axis(region, self.axis, source_sel)),
                (self.inputs[1], _with_axis(region, self.axis, slice(block, block + 1)))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        axis, (source, carry) = self.axis, arrays
        out = ctx.allocate(region_shape(region), self.dtype)
        if not out.size:
            return out
        sel = region[axis]
        everything = (slice(None),) * out.ndim
        lead = 1 if self.initial and sel.start == 0 else 0
        if lead:
            out[_with_axis(everything, axis, slice(0, 1))] = self.ufunc.identity
        if source.shape[axis] == 0:
            return out
        block, first, wanted = self._source_span(sel)
        target = out[_with_axis(everything, axis, slice(lead, None))]
        scanned = target if wanted == first else ctx.allocate(source.shape, self.dtype)
        # Seed the block's first element with the carry, then accumulate in place: the same
        # sequence of operations as NumPy's loop (combining with an identity carry is not a
        # no-op for complex infinities, so the first block is not seeded).
        np.copyto(scanned, source, casting="unsafe")
        if block:
            head = scanned[_with_axis(everything, axis, slice(0, 1))]
            self.ufunc(carry, head, out=head)
        self.ufunc.accumulate(scanned, axis=axis, dtype=self.dtype, out=scanned)
        if scanned is not target:
            target[...] = scanned[_with_axis(everything, axis, slice(wanted - first, None))]
        return out

    def scratch_bytes(self, region: Region) -> int:
        out = math.prod(region_shape(region)) * self.dtype.itemsize
        block, first, wanted = self._source_span(region[self.axis])
        if wanted == first:
            return out
        return out + out // max(1, region_shape(region)[self.axis]) * \
            (region[self.axis].stop - self.initial - first)


def scan(source: Node, ufunc: np.ufunc, axis: int, dtype: np.dtype, group_bytes: int,
         initial: bool = False) -> ScanNode:
    """Return the node of ``ufunc.accumulate(source, axis, dtype)`` planned in two passes."""
    totals = ScanTotalsNode(source, ufunc, axis, np.dtype(dtype))
    return ScanNode(source, ScanCarryNode(totals, group_bytes), initial)


class DiffNode(RegionNode):
    """The ``n``-th difference along ``axis`` of ``parts`` joined along that axis.

    ``parts`` are ``prepend``, the array and ``append`` (each already of the array's shape but
    for the axis); an output region reads the same region of the joined input, ``n`` elements
    longer along the axis. The output's chunks along the axis are the joined input's, cut to
    its length, unless ``axis_chunks`` gives them (``unwrap`` puts them on the grid of
    ``a[1:]``, to which it adds them).
    """

    def __init__(self, parts: Sequence[Node], axis: int, n: int, joined: np.dtype,
                 dtype: np.dtype, axis_chunks: tuple[int, ...] | None = None) -> None:
        self.axis, self.n, self.joined = axis, n, np.dtype(joined)
        self.starts = offsets([p.shape[axis] for p in parts])
        joined = list(parts[0].shape)
        joined[axis] = self.starts[-1]
        length = max(joined[axis] - n, 0)
        lengths: list[int] = []
        for part in parts:
            lengths.extend(c for c in part.chunks[axis] if c)
        trimmed, left = [], length  # the joined grid, cut to the output length
        for c in lengths:
            if left <= 0:
                break
            trimmed.append(min(c, left))
            left -= trimmed[-1]
        if axis_chunks is not None:
            if sum(axis_chunks) != length:
                raise ValueError(f"chunks {axis_chunks} do not cover the {length} differences")
            trimmed = list(axis_chunks)
        shape = joined[:axis] + [length] + joined[axis + 1:]
        main = max(parts, key=lambda p: p.shape[axis])
        chunks = main.chunks[:axis] + (tuple(trimmed) or (0,),) + main.chunks[axis + 1:]
        super().__init__(shape, dtype, chunks, parts)
        self.subtract = np.not_equal if self.joined == np.bool_ else np.subtract

    def _joined(self, region: Region) -> slice:
        sel = region[self.axis]
        return slice(sel.start, sel.stop + self.n if sel.stop > sel.start else sel.start)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        wanted = self._joined(region)
        pieces = []
        for part, start, stop in zip(self.inputs, self.starts, self.starts[1:], strict=False):
            lo, hi = max(wanted.start, start), min(wanted.stop, stop)
            if hi > lo:
                pieces.append((part, region[:self.axis] + (slice(lo - start, hi - start),)
                               + region[self.axis + 1:]))
        return pieces

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        axis = self.axis
        if len(arrays) == 1 and arrays[0].dtype == self.joined:
            values = arrays[0]
        else:
            shape = list(region_shape(region))
            shape[axis] = sum(a.shape[axis] for a in arrays)
            values = ctx.allocate(tuple(shape), self.joined)
            at = 0
            for piece in arrays:
                step = piece.shape[axis]
                index = (slice(None),) * axis + (slice(at, at + step),)
                values[index] = piece
                at += step
        everything = (slice(None),) * values.ndim
        for _ in range(self.n):
            length = values.shape[axis]
            shape = values.shape[:axis] + (max(length - 1, 0),) + values.shape[axis + 1:]
            result = ctx.allocate(shape, self.dtype)
            upper = everything[:axis] + (slice(1, None),)
            lower = everything[:axis] + (slice(None, -1),)
            self.subtract(values[upper], values[lower], out=result)
            values = result
        return values

    def scratch_bytes(self, region: Region) -> int:
        rows = math.prod(region_shape(region)) // max(1, region_shape(region)[self.axis])
        length = region_shape(region)[self.axis]
        total = rows * (length + self.n) * self.joined.itemsize \
            if any(p.dtype != self.joined for p in self.inputs) or len(self.inputs) > 1 else 0
        return total + sum(rows * (length + self.n - k) * self.dtype.itemsize
                           for k in range(1, self.n + 1))
