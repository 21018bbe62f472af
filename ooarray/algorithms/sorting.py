"""The sorting family (``ops/sorting``, ``ops/unique_family``, ``ops/quantiles``).

Sort plans: lanes sorted in one task, and a count-first sample sort for lanes too long.

**Lanes that fit** (:class:`LaneNode`): a region node whose tasks read whole lanes along the
sorted axis and run a NumPy function on them (sort, argsort, partition, quantile), returning
the requested part of the lane result.

**A 1-D array too long for one task** is sorted by a *sample sort* with exact, known sizes;
so are several 1-D keys at once (``np.lexsort``: the elements are ordered by every key, the
last one primary, then by index):

1. samples (:class:`BlockMapNode`, small): each input chunk is sorted and every ``stride``-th
   element is kept with its keys and global index;
2. splitters: every ``q``-th sample in (keys, index) order. Keys end with the index, so
   every element is distinct and equal values (ties) never make a bucket overflow;
3. counts (:class:`BlockMapNode`, small): per input chunk, how many elements fall in each
   bucket (:func:`bucket_numbers`: binary searches among the splitters, key by key). The
   bucket sizes are then known exactly before the result node is built;
4. :class:`PieceNode`, one per *run* of consecutive input chunks (a share of the budget):
   one chunk per bucket with the run's elements in that bucket, in index order. Its tasks
   run one after the other and each streams the run's chunks that hold elements of its
   bucket, so the run stays in the pool between them; pieces are intermediates the pool
   spills if they must leave memory. Runs, rather than single input chunks, keep the
   number of pieces (chunks, tasks, trace entries) down: an argsort of 16 MiB under 4 MiB
   planned 5,504 pieces with one node per input chunk, 600 with runs of 8 chunks;
5. :class:`BucketNode`: one chunk per bucket; its task streams the bucket's pieces into one
   buffer per key and sorts it stably, which orders it by (keys, index): NumPy's stable
   order.

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

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from ooarray.chunks import Chunks, Region, block_region, offsets, region_shape
from ooarray.plan.graph import (
    EvaluationContext,
    MaterializedNode,
    Node,
    RegionNode,
    region_footprint,
)

__all__ = ["LaneNode", "BlockMapNode", "PieceNode", "BucketNode", "order_keys", "key_less",
           "lex_order_keys", "bucket_numbers", "record_dtype", "sample_sort",
           "SORT_SCRATCH_FACTOR", "OrderStatsNode", "RunStartsNode", "GapsNode", "SearchNode"]


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


def order_key_bytes(dtype: np.dtype) -> int:
    """Bytes per element that :func:`order_keys` allocates for ``dtype`` (0: a view)."""
    return 1 + np.dtype(dtype).itemsize if np.dtype(dtype).kind in "fc" else 0


def lex_order_keys(columns: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:func:`order_keys` of sort keys given as ``np.lexsort`` takes them (the last one
    primary), most significant first: their lexicographic order is ``np.lexsort``'s."""
    return [key for column in reversed(columns) for key in order_keys(column)]


def key_less(keys: Sequence[np.ndarray], start: int, split_keys: Sequence,
             split_index: int) -> np.ndarray:
    """Whether each (keys, index) element of a 1-D block is below the splitter
    (lexicographic, index last).

    The elements' indices are ``start, start + 1, ...``; an element equal to the splitter
    in every key is below it when its index is, so those are a prefix of the block.
    """
    shape = np.shape(keys[0])
    below = np.zeros(shape, bool)
    tied = np.ones(shape, bool)
    step = np.empty(shape, bool)
    for mine, theirs in zip(keys, split_keys, strict=True):
        np.less(mine, theirs, out=step)
        step &= tied
        below |= step
        np.equal(mine, theirs, out=step)
        tied &= step
    cut = min(max(int(split_index) - start, 0), len(below))
    below[:cut] |= tied[:cut]
    return below


def record_dtype(dtypes: Sequence[np.dtype]) -> np.dtype:
    """The record of a sample sort's element: every key (``k0``, ``k1``, ...: ``np.lexsort``'s
    order, the last primary) and its index ``i``."""
    return np.dtype([(f"k{j}", np.dtype(d)) for j, d in enumerate(dtypes)] + [("i", _INDEX)])


def _columns(record: np.ndarray) -> list[np.ndarray]:
    return [record[name] for name in record.dtype.names if name != "i"]


def stable_order(columns: Sequence[np.ndarray]) -> np.ndarray:
    """The stable sort order of elements with these keys (``np.lexsort``'s; one key: a stable
    argsort)."""
    if len(columns) == 1:
        return np.argsort(columns[0], kind="stable")
    return np.lexsort(columns)


# -- small per-chunk passes ---------------------------------------------------------------
def _sort_scratch(widest: int, items: int) -> int:
    """What NumPy's stable sort of ``items`` elements allocates, at most."""
    return SORT_SCRATCH_FACTOR * items * widest


class BlockMapNode(MaterializedNode):
    """``func(block, offset)`` per chunk of a 1-D source, each giving a known number of items.

    Used for the samples and the bucket counts of a sample sort: small arrays that are
    computed before the sort's result node is built. With several sources (of one chunk
    grid), ``func`` receives the list of their blocks.
    """

    def __init__(self, source: Node | Sequence[Node],
                 func: Callable[[np.ndarray, int], np.ndarray], lengths: Sequence[int],
                 dtype: np.dtype, name: str,
                 scratch: Callable[[int], int] | None = None) -> None:
        lengths = tuple(int(n) for n in lengths)
        self.several = not isinstance(source, Node)
        sources = list(source) if self.several else [source]
        super().__init__((sum(lengths),), dtype, (lengths,), sources)
        self.func, self.name = func, name
        widest = max([_INDEX.itemsize] + [s.dtype.itemsize for s in sources])
        self.scratch = scratch or functools.partial(_sort_scratch, widest)

    @property
    def label(self) -> str:
        return self.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(source, block_region(source.chunks, index)) for source in self.inputs]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        return self.scratch(self.inputs[0].chunks[0][index[0]])

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        start = offsets(self.inputs[0].chunks[0])[index[0]]
        with ctx.charge(self.chunk_scratch_bytes(index)):
            result = self.func(arrays if self.several else arrays[0], start)
        out = ctx.allocate(region_shape(self.chunk_region(index)), self.dtype)
        out[...] = result
        return out


def sample_block(stride: int, dtypes: Sequence[np.dtype]
                 ) -> Callable[[list[np.ndarray], int], np.ndarray]:
    """Return the sampler: every ``stride``-th element of the sorted block, with its keys and
    index (:func:`record_dtype`)."""
    record = record_dtype(dtypes)

    def sample(columns: list[np.ndarray], start: int) -> np.ndarray:
        order = stable_order(columns)[::stride]
        out = np.empty(len(order), record)
        for j, column in enumerate(columns):
            out[f"k{j}"] = column[order]
        out["i"] = order + start
        return out
    return sample


#: Elements a bucket search takes at a time, at most (its scratch is a few intp arrays of
#: this size); at most an eighth of the input chunk, so that counting a chunk holds less
#: than sorting it for samples.
SEARCH_STEP = 1 << 12


def search_step(items: int) -> int:
    """Elements a bucket search of an input chunk of ``items`` takes at a time."""
    return max(1, min(SEARCH_STEP, items // 8))


def _equal_at(sorted_values: np.ndarray, position: np.ndarray, values: np.ndarray
              ) -> np.ndarray:
    """Whether ``sorted_values[position]`` equals ``values`` in NumPy's sort order (NaNs equal
    to each other, as :func:`order_keys` compares them); a position past the end is not."""
    if not len(sorted_values):
        return np.zeros(len(values), bool)
    inside = position < len(sorted_values)
    found = sorted_values[np.minimum(position, len(sorted_values) - 1)]
    if values.dtype.kind not in "fc":
        return inside & (found == values)
    same = inside
    for mine, theirs in zip(order_keys(found), order_keys(values), strict=True):
        same = same & (mine == theirs)
    return same


def bucket_numbers(columns: Sequence[np.ndarray], start: int, splitters: np.ndarray,
                   total: int) -> np.ndarray:
    """The bucket of each element of a 1-D block: how many splitters are at or below its
    (keys, index) key.

    A binary search of the primary key in the splitters' (NumPy's own order); for elements
    equal to splitters there, a search of the next key among those splitters only, as
    ``group * (count + 1) + rank`` (``group``: the first splitter of the elements' tie,
    ``rank``: the key's rank among the splitters' values), and so on down the keys; last,
    the index, as ``group * (total + 1) + index``.
    """
    count = len(splitters)
    names = [f"k{j}" for j in range(len(columns))]
    primary = splitters[names[-1]]
    bucket = np.searchsorted(primary, columns[-1], side="left")
    tied = np.flatnonzero(_equal_at(primary, bucket, columns[-1]))
    group = np.searchsorted(primary, primary, side="left")
    width = count + 1
    for j in range(len(columns) - 2, -1, -1):
        if not len(tied):
            return bucket
        theirs = splitters[names[j]]
        ranks = np.sort(theirs)
        composite = group * width + np.searchsorted(ranks, theirs, side="left")
        mine = columns[j][tied]
        low = np.searchsorted(ranks, mine, side="left")
        present = _equal_at(ranks, low, mine)
        key = bucket[tied] * width + low
        first = np.searchsorted(composite, key, side="left")
        bucket[tied] = first
        tied = tied[present & _equal_at(composite, first, key)]
        group = np.searchsorted(composite, composite, side="left")
    if len(tied):
        composite = group * (total + 1) + splitters["i"]
        bucket[tied] = np.searchsorted(composite, bucket[tied] * (total + 1) + tied + start,
                                       side="right")
    return bucket


def count_block(splitters: np.ndarray, total: int
                ) -> Callable[[list[np.ndarray], int], np.ndarray]:
    """Return the counter: how many elements of a block fall in each bucket
    (:func:`bucket_numbers`, :func:`search_step` elements at a time)."""
    def count(columns: list[np.ndarray], start: int) -> np.ndarray:
        counts = np.zeros(len(splitters) + 1, _INDEX)
        step = search_step(len(columns[0]))
        for lo in range(0, len(columns[0]), step):
            part = [column[lo:lo + step] for column in columns]
            counts += np.bincount(bucket_numbers(part, start + lo, splitters, total),
                                  minlength=len(splitters) + 1)
        return counts
    return count


def count_scratch(dtypes: Sequence[np.dtype]) -> Callable[[int], int]:
    """Return the bytes counting a block of ``items`` holds besides the block: a few intp
    arrays, a key's values and their order keys, for :func:`search_step` elements at most."""
    widest = max(np.dtype(d).itemsize for d in dtypes)
    per_item = 8 * _INDEX.itemsize + 3 * widest + 8
    return lambda items: min(items, search_step(items)) * per_item


class PieceNode(MaterializedNode):
    """The elements of a run of consecutive input chunks that fall in each bucket, in index
    order.

    Chunk ``j`` holds bucket ``buckets[j]``; buckets with no element of these input chunks
    have no chunk. A task streams the input chunks that hold elements of its bucket (the
    counts say which), one at a time with every key's chunk, and keeps the elements between
    the bucket's two splitters. The tasks of one node run one after the other, so the run
    of input chunks (a share of the budget) stays in the pool between them; pieces are
    intermediates the pool spills if they must leave memory.

    Parameters
    ----------
    keys : sequence of Node
        1-D, one chunk grid; ``np.lexsort``'s order (the last primary).
    blocks : range
        The input chunks of the run.
    splitters : ndarray
        The splitters' records (:func:`record_dtype`), in sort order.
    buckets : sequence of int
        The buckets with elements here.
    counts : ndarray
        ``counts[b, j]``: the elements of input chunk ``blocks[b]`` in bucket ``buckets[j]``.
    with_index : bool
        Pieces of records with every key and the index (an argsort), or of the values of
        the one key (a sort).
    """

    def __init__(self, keys: Sequence[Node], blocks: range, splitters: np.ndarray,
                 buckets: Sequence[int], counts: np.ndarray, with_index: bool) -> None:
        self.blocks = blocks
        self.buckets = np.asarray(buckets, _INDEX)
        self.counts = np.ascontiguousarray(counts, dtype=_INDEX)
        self.splitters = splitters
        self._split_keys = lex_order_keys(_columns(splitters))
        self.with_index = with_index
        self._read_bytes: dict[int, int] = {}
        dtype = record_dtype([k.dtype for k in keys]) if with_index else keys[0].dtype
        lengths = tuple(int(n) for n in self.counts.sum(axis=0))
        super().__init__((sum(lengths),), dtype, (lengths,), keys)

    @property
    def label(self) -> str:
        return "sort-pieces"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def _blocks_of(self, index: tuple[int, ...]) -> list[int]:
        """The input chunks with elements in the bucket of chunk ``index``."""
        return [self.blocks[b] for b in np.flatnonzero(self.counts[:, index[0]])]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(key, block_region(key.chunks, (block,)))
                for block in self._blocks_of(index) for key in self.inputs]

    def _reads(self, block: int) -> int:
        """Pool bytes reading every key's region of input chunk ``block`` takes."""
        found = self._read_bytes.get(block)
        if found is None:
            region = block_region(self.inputs[0].chunks, (block,))
            found = self._read_bytes[block] = sum(sum(region_footprint(key, region))
                                                  for key in self.inputs)
        return found

    def _scratch(self, block: int) -> int:
        """Bytes one step takes besides its reads: the order keys, the two bounds' masks, a
        step mask and the mask kept, and the picked values and positions before they land."""
        widest = max(key.dtype.itemsize for key in self.inputs)
        keys = sum(order_key_bytes(key.dtype) for key in self.inputs)
        return self.inputs[0].chunks[0][block] * (keys + 4 + widest + _INDEX.itemsize)

    def _step_bytes(self, block: int) -> int:
        return self._reads(block) + self._scratch(block)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        return max((self._step_bytes(block) for block in self._blocks_of(index)), default=0)

    def _below(self, keys, start: int, bucket: int) -> np.ndarray | bool:
        if bucket < 0:
            return False
        if bucket >= len(self.splitters):
            return True
        return key_less(keys, start, [k[bucket] for k in self._split_keys],
                        self.splitters["i"][bucket])

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        bucket = int(self.buckets[index[0]])
        out = ctx.allocate((self.chunks[0][index[0]],), self.dtype)
        starts = offsets(self.inputs[0].chunks[0])
        filled = 0
        for block in self._blocks_of(index):
            region = block_region(self.inputs[0].chunks, (block,))
            with ctx.scope():
                columns = [ctx.evaluate(key, region) for key in self.inputs]
                start = starts[block]
                with ctx.charge(self._scratch(block)):
                    keys = lex_order_keys(columns)
                    inside = np.logical_and(self._below(keys, start, bucket),
                                            np.logical_not(self._below(keys, start, bucket - 1)))
                    del keys
                    # With one bucket (no splitters) both bounds are scalars: every element is
                    # in, and a scalar True would index (and number) the block as one element.
                    inside = np.broadcast_to(inside, columns[0].shape)
                    step = slice(filled, filled + int(np.count_nonzero(inside)))
                    if self.with_index:
                        for j, column in enumerate(columns):
                            out[f"k{j}"][step] = column[inside]
                        out["i"][step] = np.flatnonzero(inside) + start
                    else:
                        out[step] = columns[0][inside]
                filled = step.stop
        return out


class BucketNode(MaterializedNode):
    """One chunk per bucket: its pieces gathered and sorted stably (values, or the indices of
    records sorted by their keys)."""

    def __init__(self, pieces: Sequence[PieceNode], buckets: Sequence[Sequence[tuple[int, int]]],
                 kind: str) -> None:
        self.members = [tuple(b) for b in buckets]  # (piece node, chunk) of each bucket
        self.kind = kind  # "sort" or "argsort"
        self._starts = [offsets(p.chunks[0]) for p in pieces]
        lengths = tuple(sum(pieces[n].chunks[0][c] for n, c in b) for b in self.members)
        dtype = _INDEX if kind == "argsort" else pieces[0].dtype
        self._key_dtypes = [pieces[0].dtype[name] for name in pieces[0].dtype.names
                            if name != "i"] if kind == "argsort" else [pieces[0].dtype]
        super().__init__((sum(lengths),), dtype, (lengths,), pieces)

    @property
    def label(self) -> str:
        return f"{self.kind}-buckets"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return []

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        return [(self.inputs[n], (slice(self._starts[n][c], self._starts[n][c + 1]),))
                for n, c in self.members[index[0]]]

    def _sort_bytes(self, items: int) -> int:
        """What NumPy's stable sort allocates: the order and a merge buffer (argsort), or a
        merge buffer (sort)."""
        if self.kind == "argsort":
            return items * 2 * _INDEX.itemsize
        return items * max(self.dtype.itemsize, _INDEX.itemsize)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        items = self.chunks[0][index[0]]
        largest = max((self.inputs[n].chunks[0][c] * self.inputs[n].dtype.itemsize
                       for n, c in self.members[index[0]]), default=0)
        held = items * (sum(d.itemsize for d in self._key_dtypes) + _INDEX.itemsize) \
            if self.kind == "argsort" else 0  # every key's values and the positions
        return largest + held + self._sort_bytes(items)

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        items = self.chunks[0][index[0]]
        out = ctx.allocate((items,), self.dtype)
        if self.kind == "argsort":
            columns = [ctx.allocate((items,), dtype) for dtype in self._key_dtypes]
            positions = ctx.allocate((items,), _INDEX)
        filled = 0
        for node, region in self.streamed_inputs(index):
            with ctx.scope():
                piece = ctx.evaluate(node, region)
                step = slice(filled, filled + len(piece))
                if self.kind == "argsort":
                    for j, column in enumerate(columns):
                        column[step] = piece[f"k{j}"]
                    positions[step] = piece["i"]
                else:
                    out[step] = piece
                filled += len(piece)
        with ctx.charge(self._sort_bytes(items)):
            # The pieces come in input order, each in index order: a stable sort by the keys
            # orders ties by index, NumPy's stable order.
            if self.kind == "argsort":
                np.take(positions, stable_order(columns), out=out)
            else:
                out.sort(kind="stable")
        return out


def sample_sort(keys: Node | Sequence[Node], kind: str, bucket_items: int, run_items: int,
                run: Callable[[Node], np.ndarray]) -> BucketNode:
    """Plan the sample sort of 1-D ``keys`` into buckets of at most ``bucket_items``.

    Parameters
    ----------
    keys : Node or sequence of Node
        A 1-D node, or several of one length and one chunk grid, ``np.lexsort``'s keys (the
        last one primary).
    kind : {"sort", "argsort"}
        "sort" takes one key.
    bucket_items : int
        The largest bucket the budget holds.
    run_items : int
        The elements of a run of consecutive input chunks whose pieces are one node: its
        tasks read the run again for each bucket, so it should stay in the pool (a share of
        the budget); the larger, the fewer pieces.
    run : callable
        Computes a small node now and returns its values (samples, then counts).

    Returns
    -------
    BucketNode
        The sorted values or the stable argsort (lexsort), lazily.
    """
    keys = [keys] if isinstance(keys, Node) else list(keys)
    dtypes = [key.dtype for key in keys]
    lengths = keys[0].chunks[0]
    blocks = len(lengths)
    stride = max(1, bucket_items // (4 * blocks))
    per_block = [-(-n // stride) for n in lengths]
    samples = run(BlockMapNode(keys, sample_block(stride, dtypes), per_block,
                               record_dtype(dtypes), "sort-samples"))
    samples = samples[np.lexsort([samples["i"], *_columns(samples)])]
    every = max(1, (bucket_items - blocks * stride) // stride)
    splitters = samples[every::every].copy()  # not a view keeping every sample
    del samples
    buckets = len(splitters) + 1
    counts = run(BlockMapNode(keys, count_block(splitters, keys[0].shape[0]),
                              [buckets] * blocks, _INDEX, "sort-counts",
                              count_scratch(dtypes))).reshape(blocks, buckets)
    with_index = kind == "argsort"
    piece_nodes: list[PieceNode] = []
    members: list[list[tuple[int, int]]] = [[] for _ in range(buckets)]
    for run_blocks in _runs(lengths, run_items):
        totals = counts[run_blocks.start:run_blocks.stop].sum(axis=0)
        present = np.flatnonzero(totals)
        for chunk, bucket in enumerate(present):
            members[bucket].append((len(piece_nodes), chunk))
        piece_nodes.append(PieceNode(keys, run_blocks, splitters, present,
                                     counts[run_blocks.start:run_blocks.stop][:, present],
                                     with_index))
    return BucketNode(piece_nodes, [m for m in members if m], kind)


def _runs(lengths: Sequence[int], run_items: int) -> list[range]:
    """Consecutive chunks grouped into runs of at most ``run_items`` elements (at least one
    chunk each)."""
    runs, first, items = [], 0, 0
    for block, length in enumerate(lengths):
        if block > first and items + length > run_items:
            runs.append(range(first, block))
            first, items = block, 0
        items += length
    runs.append(range(first, len(lengths)))
    return runs


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
