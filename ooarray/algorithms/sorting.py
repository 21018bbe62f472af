"""The sorting family (``ops/sorting``, ``ops/unique_family``, ``ops/quantiles``).

Sort plans: lanes sorted in one task, and a count-first sample sort for lanes too long.

**Lanes that fit** (:class:`LaneNode`): a region node whose tasks read whole lanes along the
sorted axis and run a NumPy function on them (sort, argsort, partition, quantile), returning
the requested part of the lane result.

**A 1-D array too long for one task** is sorted by a *sample sort* with exact, known sizes:

1. samples (:class:`BlockMapNode`, small): each input chunk is sorted and every ``stride``-th
   element is kept with its global index;
2. splitters: every ``q``-th sample in (value, index) order. Keys are (value, index) pairs, so
   every element is distinct and equal values (ties) never make a bucket overflow;
3. counts (:class:`BlockMapNode`, small): per input chunk, how many elements fall in each
   bucket. The bucket sizes are then known exactly before the result node is built;
4. :class:`PieceNode`, one per input chunk: one chunk per bucket with the input chunk's
   elements in that bucket, in index order. Its tasks run one after the other, so the input
   chunk is read once; pieces are intermediates the pool spills if they must leave memory;
5. :class:`BucketNode`: one chunk per bucket; its task streams the bucket's pieces into one
   buffer and sorts it stably, which orders it by (value, index): NumPy's stable order.

Regular sampling bounds every bucket by ``(q + m) * stride`` elements for ``m`` input chunks
(Shi and Schaeffer's PSRS argument), so the plan sizes ``q`` and ``stride`` from the budget.
Steps 1 and 3 are computed when the sort is planned (``run`` callbacks); the result is lazy.

Selections over sorted data: order statistics, run starts, run lengths, binary search.

These nodes serve ``unique``, the quantiles and ``searchsorted``:

* :class:`OrderStatsNode` reads a few positions of a 1-D node (a sorted array) and finishes
  them with a small function (a quantile's interpolation): one task, a few chunks pinned at
  a time.
* :class:`RunStartsNode` flags the first element of each run of equal values (a region node:
  each region reads one element before it).
* The flagged elements, or their positions, are kept by the compaction of boolean masks
  (:class:`ooarray.algorithms.compact.CompactNode`, one output chunk per block).
* :class:`GapsNode` turns run starts into run lengths (the next start minus this one).
* :class:`SearchNode` is ``searchsorted`` over a sorted 1-D node of any size: a value's
  position is the sum over ``a``'s chunks of its position within each chunk, so each task
  streams ``a``'s chunks one at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Chunks, Region, block_region, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["LaneNode", "BlockMapNode", "PieceNode", "BucketNode", "order_keys", "key_less",
           "sample_sort", "SORT_SCRATCH_FACTOR", "OrderStatsNode", "RunStartsNode", "GapsNode",
           "SearchNode"]


_INDEX = np.dtype(np.intp)
#: A NumPy sort of a lane allocates at most about this many lane-sized copies (the argsort
#: permutation, the merge buffer of a stable sort, the result).
SORT_SCRATCH_FACTOR = 3


class LaneNode(RegionNode):
    """A function applied to whole lanes along ``axis``: ``func(block)`` sees every element of
    the lane and returns ``length`` elements along ``axis`` (sorted values, indices, quantiles).

    Parameters
    ----------
    source : Node
    axis : int
        The lane axis (non-negative).
    func : callable
        ``func(block) -> ndarray`` with ``block`` holding whole lanes along ``axis``.
    length : int
        Length of the result along ``axis``.
    dtype : numpy.dtype
        The result dtype.
    chunks : chunk grid
        The result's grid; one chunk along ``axis``.
    name : str
        For plan displays.
    """

    def __init__(self, source: Node, axis: int, func: Callable[[np.ndarray], np.ndarray],
                 length: int, dtype: np.dtype, chunks: Chunks, name: str = "lanes") -> None:
        shape = list(source.shape)
        shape[axis] = length
        super().__init__(shape, dtype, chunks, [source])
        self.axis, self.func, self.name = axis, func, name

    @property
    def label(self) -> str:
        return self.name

    def _lanes(self, region: Region) -> Region:
        region = list(region)
        region[self.axis] = slice(0, self.inputs[0].shape[self.axis])
        return tuple(region)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], self._lanes(region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        with ctx.charge(self._library_bytes(region)):
            whole = self.func(arrays[0])
            pick = [slice(None)] * len(self.shape)
            pick[self.axis] = region[self.axis]
            out = ctx.allocate(region_shape(region), self.dtype)
            np.copyto(out, whole[tuple(pick)], casting="unsafe")
        return out

    def _library_bytes(self, region: Region) -> int:
        lanes = math.prod(region_shape(self._lanes(region)))
        return SORT_SCRATCH_FACTOR * lanes * max(_INDEX.itemsize, self.inputs[0].dtype.itemsize)

    def scratch_bytes(self, region: Region) -> int:
        return super().scratch_bytes(region) + self._library_bytes(region)


# -- the order NumPy sorts in -------------------------------------------------------------
def order_keys(values: np.ndarray) -> list[np.ndarray]:
    """Return arrays whose lexicographic order (with ``<`` and ``==``) is NumPy's sort order.

    NaN sorts last; complex numbers sort by real then imaginary part, with NaN parts after:
    ``R + Rj``, ``R + nanj``, ``nan + Rj``, ``nan + nanj``. ``-0.0`` equals ``0.0``.

    Examples
    --------
    >>> [k.tolist() for k in order_keys(np.array([1.0, np.nan]))]
    [[0, 1], [1.0, 0.0]]
    """
    values = np.asarray(values)
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        return [nan.view(np.int8), np.where(nan, 0, values)]
    if values.dtype.kind == "c":
        re_nan, im_nan = np.isnan(values.real), np.isnan(values.imag)
        group = re_nan.astype(np.int8) * 2 + im_nan
        return [group, np.where(re_nan, 0, values.real), np.where(im_nan, 0, values.imag)]
    return [values]


def key_less(keys: Sequence[np.ndarray], start: int, split_keys: Sequence,
             split_index: int) -> np.ndarray:
    """Whether each (value, index) pair is below the splitter (lexicographic, index last).

    The elements' indices are ``start, start + 1, ...``; they are looked at only for values
    equal to the splitter's.
    """
    below = np.zeros(np.shape(keys[0]), bool)
    tied = np.ones(np.shape(keys[0]), bool)
    for mine, theirs in zip(keys, split_keys, strict=True):
        below |= tied & (mine < theirs)
        tied &= mine == theirs
    ties = np.flatnonzero(tied)
    if len(ties):
        below[ties] = ties + start < split_index
    return below


# -- small per-chunk passes ---------------------------------------------------------------
class BlockMapNode(MaterializedNode):
    """``func(block, offset)`` per chunk of a 1-D source, each giving a known number of items.

    Used for the samples and the bucket counts of a sample sort: small arrays that are
    computed before the sort's result node is built.
    """

    def __init__(self, source: Node, func: Callable[[np.ndarray, int], np.ndarray],
                 lengths: Sequence[int], dtype: np.dtype, name: str) -> None:
        lengths = tuple(int(n) for n in lengths)
        super().__init__((sum(lengths),), dtype, (lengths,), [source])
        self.func, self.name = func, name

    @property
    def label(self) -> str:
        return self.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        return [(source, block_region(source.chunks, index))]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        source = self.inputs[0]
        items = source.chunks[0][index[0]]
        return SORT_SCRATCH_FACTOR * items * max(_INDEX.itemsize, source.dtype.itemsize)

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        start = offsets(self.inputs[0].chunks[0])[index[0]]
        with ctx.charge(self.chunk_scratch_bytes(index)):
            result = self.func(arrays[0], start)
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        out[...] = result
        return out


def sample_block(stride: int, dtype: np.dtype) -> Callable[[np.ndarray, int], np.ndarray]:
    """Return the sampler: every ``stride``-th element of the sorted block, with its index."""
    record = np.dtype([("v", dtype), ("i", _INDEX)])

    def sample(block: np.ndarray, start: int) -> np.ndarray:
        order = np.argsort(block, kind="stable")[::stride]
        out = np.empty(len(order), record)
        out["v"], out["i"] = block[order], order + start
        return out
    return sample


def count_block(splitters: np.ndarray, total: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """Return the counter: how many elements of a block fall in each bucket.

    An element's bucket is the number of splitters at or below its (value, index) key: a
    binary search of the splitter values in NumPy's own order, and for values equal to
    splitters, a second search on (group, index) with ``group * (total + 1) + index``.
    """
    values = splitters["v"]
    group = np.searchsorted(values, values, side="left")
    composite = group * (total + 1) + splitters["i"]

    def count(block: np.ndarray, start: int) -> np.ndarray:
        bucket = np.searchsorted(values, block, side="left")
        above = np.searchsorted(values, block, side="right")
        ties = np.flatnonzero(above > bucket)
        if len(ties):
            bucket[ties] = np.searchsorted(composite, bucket[ties] * (total + 1) + ties + start,
                                           side="right")
        return np.bincount(bucket, minlength=len(splitters) + 1)
    return count


class PieceNode(MaterializedNode):
    """The elements of one input chunk that fall in each bucket, in index order.

    Chunk ``j`` holds bucket ``buckets[j]``; buckets with no element of this input chunk have
    no chunk. One node per input chunk keeps every node's grid short (the planner's region
    lookups walk a grid) and its tasks one after the other, so the input chunk is read once.
    """

    def __init__(self, source: Node, block: int, splitters: np.ndarray,
                 buckets: Sequence[tuple[int, int]], with_index: bool) -> None:
        self.block = block
        self.buckets = [b for b, _ in buckets]
        self.splitters = splitters
        self._split_keys = order_keys(splitters["v"])
        self.with_index = with_index
        dtype = np.dtype([("v", source.dtype), ("i", _INDEX)]) if with_index else source.dtype
        lengths = tuple(n for _, n in buckets)
        super().__init__((sum(lengths),), dtype, (lengths,), [source])

    @property
    def label(self) -> str:
        return "sort-pieces"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        return [(source, block_region(source.chunks, (self.block,)))]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        items = self.inputs[0].chunks[0][self.block]
        keys = 3 * items * max(8, self.inputs[0].dtype.itemsize)
        return keys + 3 * items  # order keys, and the masks

    def _below(self, keys, start: int, bucket: int) -> np.ndarray | bool:
        if bucket < 0:
            return False
        if bucket >= len(self.splitters):
            return True
        return key_less(keys, start, [k[bucket] for k in self._split_keys],
                        self.splitters["i"][bucket])

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        bucket, length = self.buckets[index[0]], self.chunks[0][index[0]]
        block = arrays[0]
        start = offsets(self.inputs[0].chunks[0])[self.block]
        with ctx.charge(self.chunk_scratch_bytes(index)):
            keys = order_keys(block)
            inside = np.logical_and(self._below(keys, start, bucket),
                                    np.logical_not(self._below(keys, start, bucket - 1)))
            # With one bucket (no splitters) both bounds are scalars: every element is in,
            # and a scalar True would index (and number) the block as one element.
            inside = np.broadcast_to(inside, block.shape)
            out = ctx.allocate((length,), self.dtype)
            if self.with_index:
                out["v"] = block[inside]
                out["i"] = np.flatnonzero(inside) + start
            else:
                out[...] = block[inside]
        return out


class BucketNode(MaterializedNode):
    """One chunk per bucket: its pieces gathered and sorted stably (values or indices)."""

    def __init__(self, pieces: Sequence[PieceNode], buckets: Sequence[Sequence[tuple[int, int]]],
                 kind: str) -> None:
        self.members = [tuple(b) for b in buckets]  # (piece node, chunk) of each bucket
        self.kind = kind  # "sort" or "argsort"
        self._starts = [offsets(p.chunks[0]) for p in pieces]
        lengths = tuple(sum(pieces[n].chunks[0][c] for n, c in b) for b in self.members)
        dtype = _INDEX if kind == "argsort" else pieces[0].dtype
        self._value_dtype = pieces[0].dtype["v"] if kind == "argsort" else pieces[0].dtype
        super().__init__((sum(lengths),), dtype, (lengths,), pieces)

    @property
    def label(self) -> str:
        return f"{self.kind}-buckets"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[n], (slice(self._starts[n][c], self._starts[n][c + 1]),))
                for n, c in self.members[index[0]]]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        items = self.chunks[0][index[0]]
        largest = max((self.inputs[n].chunks[0][c] * self.inputs[n].dtype.itemsize
                       for n, c in self.members[index[0]]), default=0)
        if self.kind == "argsort":
            return largest + items * (self._value_dtype.itemsize + 2 * _INDEX.itemsize)
        return largest + items * self.dtype.itemsize  # the stable sort's merge buffer

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        items = self.chunks[0][index[0]]
        out = ctx.allocate((items,), self.dtype)
        if self.kind == "argsort":
            values = ctx.allocate((items,), self._value_dtype)
            positions = ctx.allocate((items,), _INDEX)
        filled = 0
        for node, region in self.streamed_inputs(index):
            with ctx.scope():
                piece = ctx.evaluate(node, region)
                step = slice(filled, filled + len(piece))
                if self.kind == "argsort":
                    values[step], positions[step] = piece["v"], piece["i"]
                else:
                    out[step] = piece
                filled += len(piece)
        with ctx.charge(items * max(self.dtype.itemsize, _INDEX.itemsize)):
            if self.kind == "argsort":
                np.take(positions, np.argsort(values, kind="stable"), out=out)
            else:
                out.sort(kind="stable")
        return out


def sample_sort(source: Node, kind: str, bucket_items: int,
                run: Callable[[Node], np.ndarray]) -> BucketNode:
    """Plan the sample sort of 1-D ``source`` into buckets of at most ``bucket_items``.

    Parameters
    ----------
    source : Node
        A 1-D node.
    kind : {"sort", "argsort"}
    bucket_items : int
        The largest bucket the budget holds.
    run : callable
        Computes a small node now and returns its values (samples, then counts).

    Returns
    -------
    BucketNode
        The sorted values or the stable argsort, lazily.
    """
    lengths = source.chunks[0]
    blocks = len(lengths)
    stride = max(1, bucket_items // (4 * blocks))
    per_block = [-(-n // stride) for n in lengths]
    samples = run(BlockMapNode(source, sample_block(stride, source.dtype), per_block,
                               np.dtype([("v", source.dtype), ("i", _INDEX)]), "sort-samples"))
    keys = order_keys(samples["v"])
    samples = samples[np.lexsort([samples["i"], *reversed(keys)])]
    every = max(1, (bucket_items - blocks * stride) // stride)
    splitters = samples[every::every]
    buckets = len(splitters) + 1
    counts = run(BlockMapNode(source, count_block(splitters, source.shape[0]),
                              [buckets] * blocks,
                              _INDEX, "sort-counts")).reshape(blocks, buckets)
    with_index = kind == "argsort"
    piece_nodes: list[PieceNode] = []
    members: list[list[tuple[int, int]]] = [[] for _ in range(buckets)]
    for block in range(blocks):
        present = [(bucket, int(counts[block, bucket])) for bucket in range(buckets)
                   if counts[block, bucket]]
        for chunk, (bucket, _) in enumerate(present):
            members[bucket].append((len(piece_nodes), chunk))
        piece_nodes.append(PieceNode(source, block, splitters, present, with_index))
    return BucketNode(piece_nodes, [m for m in members if m], kind)




class OrderStatsNode(MaterializedNode):
    """``finish(values)`` of the elements of 1-D ``source`` at ``positions``, in one chunk.

    Parameters
    ----------
    source : Node
        A 1-D node (a sorted array).
    positions : sequence of int
        Non-negative positions to read.
    finish : callable
        ``finish(values) -> ndarray`` of ``shape`` and ``dtype``.
    """

    def __init__(self, source: Node, positions: Sequence[int],
                 finish: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...],
                 dtype: np.dtype, name: str = "order-stats") -> None:
        super().__init__(shape, dtype, tuple((n,) for n in shape), [source])
        self.positions = [int(p) for p in positions]
        self.finish, self.name = finish, name

    @property
    def label(self) -> str:
        return self.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def _spans(self) -> list[tuple[int, int]]:
        """One span per chunk of ``source`` holding wanted positions: each chunk is read once
        (the pool frees an intermediate chunk after the read the schedule counted)."""
        bounds = offsets(self.inputs[0].chunks[0])
        spans: dict[int, list[int]] = {}
        for p in self.positions:
            block = int(np.searchsorted(bounds, p, side="right")) - 1
            spans.setdefault(block, []).append(p)
        return [(min(ps), max(ps) + 1) for _, ps in sorted(spans.items())]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], (slice(lo, hi),)) for lo, hi in self._spans()]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        values = np.empty(len(self.positions), self.inputs[0].dtype)
        wanted = np.asarray(self.positions)
        for node, region in self.streamed_inputs(index):
            lo, hi = region[0].start, region[0].stop
            inside = (wanted >= lo) & (wanted < hi)
            with ctx.scope():
                values[inside] = ctx.evaluate(node, region)[wanted[inside] - lo]
        out = ctx.allocate(self.shape, self.dtype)
        out[...] = self.finish(values)
        return out


class RunStartsNode(RegionNode):
    """``True`` where a sorted 1-D array's element differs from the one before it.

    With ``equal_nan``, NaNs (complex: any part NaN) count as equal to each other.
    """

    def __init__(self, source: Node, equal_nan: bool) -> None:
        super().__init__(source.shape, np.bool_, source.chunks, [source])
        self.equal_nan = equal_nan

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[0]
        return [(self.inputs[0], (slice(max(sel.start - 1, 0), sel.stop),))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        values = arrays[0]
        out = ctx.allocate(region_shape(region), np.bool_)
        if not len(out):
            return out
        first = region[0].start == 0
        if first:
            out[0] = True
        current, previous = values[1:], values[:-1]
        target = out[1:] if first else out
        np.not_equal(current, previous, out=target)
        if self.equal_nan and values.dtype.kind in "fc":
            target &= ~(np.isnan(current) & np.isnan(previous))
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 3 * math.prod(region_shape(region))


class GapsNode(RegionNode):
    """Run lengths from run starts: ``starts[k + 1] - starts[k]``, and ``total - starts[-1]``."""

    def __init__(self, starts: Node, total: int) -> None:
        super().__init__(starts.shape, _INDEX, starts.chunks, [starts])
        self.total = int(total)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        sel = region[0]
        return [(self.inputs[0], (slice(sel.start, min(sel.stop + 1, self.shape[0])),))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        starts = arrays[0]
        out = ctx.allocate(region_shape(region), _INDEX)
        count = len(out)
        if not count:
            return out
        following = np.empty(count, _INDEX)
        following[:len(starts) - 1] = starts[1:]
        if len(starts) == count:  # the region ends at the last run
            following[-1] = self.total
        np.subtract(following, starts[:count], out=out)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return 2 * math.prod(region_shape(region)) * _INDEX.itemsize


class SearchNode(MaterializedNode):
    """``np.searchsorted(a, v, side)`` for a sorted 1-D node ``a`` of any size.

    Each task takes one chunk of ``v`` and adds up its positions within each chunk of ``a``,
    read one after the other.
    """

    def __init__(self, a: Node, v: Node, side: str) -> None:
        super().__init__(v.shape, _INDEX, v.chunks, [a, v])
        self.side = side

    @property
    def label(self) -> str:
        return "searchsorted"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        v = self.inputs[1]
        return [(v, block_region(v.chunks, index))]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        a = self.inputs[0]
        return [(a, block_region(a.chunks, (i,))) for i in range(len(a.chunks[0]))]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        a = self.inputs[0]
        items = math.prod(region_shape(self.chunk_region(index)))
        return max(a.chunks[0]) * a.dtype.itemsize + items * _INDEX.itemsize

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        values = arrays[0]
        out = ctx.allocate(values.shape, _INDEX)
        out[...] = 0
        for node, region in self.streamed_inputs(index):
            if region[0].stop == region[0].start:
                continue
            with ctx.scope():
                out += np.searchsorted(ctx.evaluate(node, region), values, side=self.side)
        return out
