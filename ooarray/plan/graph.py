"""Plan nodes: array-level operations that know their shape, dtype and chunk grid.

Two kinds of node carry everything (Cubed's habit: few primitives, many compositions):

* a **region node** computes any rectangular region of its output from regions of its inputs
  (elementwise ops, slicing, transposes, broadcasts, fused numexpr expressions). Region nodes
  are never stored: a task evaluates a whole tree of them for one output chunk.
* a **materialised node** has chunks that live in the buffer pool: chunks read from a store
  (:class:`SourceNode`), or made by a chunk task of their own (reduction stages, and later
  matmul). A region node reads them through the task context.

``input_regions`` is the back-key function: from an output region to the input regions it
needs. The scheduler walks it to know every chunk access before anything runs.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from ooarray.chunks import Chunks, Region, block_region, iter_blocks, overlapping_blocks, \
    region_shape
from ooarray.store.base import ChunkStore

__all__ = [
    "Node", "RegionNode", "MaterializedNode", "SourceNode", "ConstantNode", "Operand",
    "EvaluationContext", "region_footprint", "leaf_chunks", "Leaf", "frozen", "is_frozen",
    "settle", "topological_order",
]

_ids = itertools.count()

#: An operand of a region node: a node, or a scalar that broadcasts.
Operand = Any


class EvaluationContext(Protocol):
    """What a task gives nodes while they evaluate (implemented by the executor)."""

    #: Cores the task may keep busy with threads of its own (see
    #: :attr:`MaterializedNode.library_threads`).
    cores: int

    def read(self, node: "MaterializedNode", region: Region) -> np.ndarray:
        """Return ``region`` of a materialised node, from chunks pinned in the pool."""

    def read_panel(self, node: "MaterializedNode", region: Region) -> np.ndarray:
        """Return ``region`` as one array: a view of its chunk, or a copy (scratch) whose
        chunks are unpinned once copied."""

    def allocate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Return a scratch array from the pool, freed when the task ends."""

    def charge(self, nbytes: int) -> "contextlib.AbstractContextManager[None]":
        """Count ``nbytes`` a library allocates itself (LAPACK's copies) while a block runs."""

    def prefetch_upcoming(self, max_bytes: int) -> None:
        """Start reading what the next task reads first (``opening_reads``), if its stored
        chunks take at most ``max_bytes``; the next task takes the reads over."""

    def finish_later(self, finish: Callable[[], None], nbytes: int) -> bool:
        """Offer to let the task end while work it started still runs (BLAS on its last
        step): ``finish`` waits for that work and releases the ``nbytes`` it holds; the
        executor calls it before the chunk is used. False: the task must call it itself."""

    def part(self) -> "EvaluationContext":
        """Return a context for one part of the task (a step whose reads other threads use
        after the task has moved on): its pins end with its ``close()``, not this one's."""

    def close(self) -> None:
        """Unpin every chunk and give back every scratch buffer."""


class Node:
    """An operation in the plan.

    Attributes
    ----------
    shape : tuple of int
    dtype : numpy.dtype
    chunks : tuple of tuple of int
        The grid in which the node's output is produced.
    inputs : tuple of Node
        Nodes whose outputs this one reads.
    id : int
        Unique within the process; chunk keys are ``(id, block index)``.
    """

    materialized = False
    #: Whether computing a region only views its input (nothing worth storing once).
    is_view = False

    def __init__(self, shape: Sequence[int], dtype: np.dtype, chunks: Chunks,
                 inputs: Sequence["Node"] = ()) -> None:
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.chunks = tuple(tuple(int(c) for c in axis) for axis in chunks)
        self.inputs = tuple(inputs)
        self.id = next(_ids)
        #: The longest chain of nodes below this one that are not yet stored.
        self.depth = 1 + max((node.depth for node in self.inputs), default=-1)
        if len(self.chunks) != len(self.shape):
            raise AssertionError(f"{type(self).__name__}: chunks {chunks} do not match {shape}")

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def label(self) -> str:
        """A short name for plan displays."""
        return type(self).__name__.removesuffix("Node").lower()

    def __repr__(self) -> str:
        return f"<{self.label} #{self.id} {self.shape} {self.dtype}>"


class RegionNode(Node):
    """A node that computes any region of its output from regions of its operands."""

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        """Return, for each node operand, the region of it that ``region`` needs."""
        raise NotImplementedError

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        """Return ``region`` of the output from the operand regions ``arrays``."""
        raise NotImplementedError

    def scratch_bytes(self, region: Region) -> int:
        """Bytes ``compute`` takes from the pool for ``region`` (its output, by default)."""
        return math.prod(region_shape(region)) * self.dtype.itemsize


class MaterializedNode(Node):
    """A node whose chunks live in the pool: read from a store or made by a chunk task."""

    materialized = True

    def chunk_key(self, index: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        return (self.id, tuple(index))

    def chunk_region(self, index: tuple[int, ...]) -> Region:
        return block_region(self.chunks, index)

    #: Whether the chunks are read from a store (a source), rather than made by tasks and
    #: held in the pool (or its spill).
    stored = False

    def chunk_loader(self, index: tuple[int, ...], borrow: Callable
                     ) -> tuple[Callable[[np.ndarray], None] | None, int]:
        """How the pool fills chunk ``index`` on a miss: a function writing it into the
        buffer given (``borrow`` lends pool scratch), and the bytes it allocates outside the
        pool; None for a chunk a task makes (it is in the pool or spilled)."""
        return None, 0

    # Nodes made by tasks implement these two; sources have a store instead.
    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        """Return the (node, region) pairs that the task making chunk ``index`` evaluates."""
        raise NotImplementedError

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        """Return chunk ``index``, allocated with ``ctx.allocate``."""
        raise NotImplementedError

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        """Pool bytes ``compute_chunk`` takes besides its inputs and its output."""
        return 0

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple["Node", Region]]:
        """(node, region) pairs the task reads one after another through ``ctx``, in order.

        They are not held all at once (``chunk_scratch_bytes`` covers what is), but they are
        part of the task's accesses, so the schedule's trace lists them.
        """
        return []

    def opening_reads(self, index: tuple[int, ...]) -> list[tuple["Node", Region]]:
        """(node, region) pairs the task reads first, which the task before it in a serial
        stage may prefetch while it ends (``ctx.prefetch_upcoming``); none by default."""
        return []

    def block_order(self) -> Iterator[tuple[int, ...]]:
        """The order in which the node's tasks run (the schedule's, hence Belady's future):
        C order of the blocks by default."""
        return iter_blocks(self.chunks)

    @property
    def store_chunks(self) -> Chunks:
        """The chunk grid ``to_zarr`` writes the node's output in when not told one: its own
        by default; a node whose task blocks are an execution detail (a matmul's tiles)
        gives a finer grid that refines them."""
        return self.chunks

    #: Tasks of this node that may run at once (None: the executor's ``num_threads``). A
    #: node whose tasks use every core themselves (BLAS) says 1.
    task_threads: int | None = None
    #: Threads BLAS and numexpr get while this node's tasks run (None: the cores shared out
    #: over the tasks running at once). A node whose task spreads its library calls over
    #: ``ctx.cores`` threads of its own says 1, so the two never oversubscribe the cores.
    library_threads: int | None = None


class SourceNode(MaterializedNode):
    """An array in a chunk store (Zarr, ``.npy``, generated data)."""

    stored = True

    def __init__(self, store: ChunkStore) -> None:
        super().__init__(store.shape, store.dtype, store.chunks)
        self.store = store

    def chunk_loader(self, index: tuple[int, ...], borrow: Callable
                     ) -> tuple[Callable[[np.ndarray], None] | None, int]:
        store = self.store
        return ((lambda out: store.read_chunk(index, out, borrow)),
                store.read_scratch_outside_pool())

    def chunk_mapper(self, index: tuple[int, ...]
                     ) -> tuple[int, Callable[[], tuple[object, np.ndarray]]] | None:
        """How the pool maps chunk ``index`` read-only instead of reading it: the bytes the
        mapping takes and a function returning (mapping, read-only view); None if the
        store reads the chunk by copy (:meth:`ChunkStore.mapped_bytes`)."""
        store = self.store
        nbytes = store.mapped_bytes(index)
        if nbytes is None:
            return None
        return nbytes, (lambda: store.map_chunk(index))

    @property
    def label(self) -> str:
        return self.store.description


def is_frozen(array: np.ndarray) -> bool:
    """Whether nobody can change ``array``'s values: it and every ndarray it is a view of
    are read-only, and so is the buffer under them (``bytes``, a read-only mapping; not a
    ``bytearray`` or a writable mapping). A read-only view of a writable array is not
    frozen."""
    current: Any = array
    while isinstance(current, np.ndarray):
        if current.flags.writeable:
            return False
        current = current.base
    if current is None:
        return True
    try:
        with memoryview(current) as buffer:
            return buffer.readonly
    except TypeError:  # an object we cannot ask: someone may write it
        return False


def frozen(array: np.ndarray) -> np.ndarray:
    """Return ``array`` if it is frozen, else a read-only copy of its values now.

    NumPy computes at the moment of a call, so a plan that holds a writable array would
    change its answer when the array is written later. A broadcast view is copied compactly
    (its zero-strided axes stay zero-strided), so a scalar filled over a huge shape stays one
    element.
    """
    if is_frozen(array):
        return array
    compact = tuple(slice(0, 1) if stride == 0 and length > 1 else slice(None)
                    for stride, length in zip(array.strides, array.shape))
    copy = np.array(array[compact], copy=True)
    copy.flags.writeable = False
    return copy if copy.shape == array.shape else np.broadcast_to(copy, array.shape)


class ConstantNode(RegionNode):
    """An array already in memory (the user's ndarray, or a broadcast scalar): read as views.

    The node holds a frozen array (:func:`frozen`): a writable one is copied when the node is
    made, so the plan's values are those of the moment of the call.
    """

    is_view = True

    def __init__(self, array: np.ndarray, chunks: Chunks) -> None:
        super().__init__(array.shape, array.dtype, chunks)
        self.array = frozen(array)

    @classmethod
    def whole(cls, array: np.ndarray) -> "ConstantNode":
        """A node over a frozen ``array`` in one chunk (the eager path's results: built in a
        few hundred nanoseconds, where the general constructor normalises its arguments)."""
        node = cls.__new__(cls)
        node.shape, node.dtype, node.array = array.shape, array.dtype, array
        node._chunks = None  # one chunk, made when asked for
        node.inputs = ()
        node.id = next(_ids)
        node.depth = 0
        return node

    @property
    def chunks(self) -> Chunks:
        if self._chunks is None:
            self._chunks = tuple((n,) for n in self.shape)
        return self._chunks

    @chunks.setter
    def chunks(self, grid: Chunks) -> None:
        self._chunks = grid

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return []

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        return self.array[region]

    def scratch_bytes(self, region: Region) -> int:
        return 0

    @property
    def label(self) -> str:
        return "in-memory" if self.array.strides.count(0) < self.array.ndim or not \
            self.array.ndim else "filled"


def settle(node: Node, values: Node) -> None:
    """Make ``node`` stand for ``values`` (a constant or a source holding its computed values).

    The node object keeps its identity and id, so every plan that holds it, through any
    consumer, now reads the stored values; it drops its inputs, so the work upstream of it
    can be freed.
    """
    if (values.shape, values.dtype) != (node.shape, node.dtype) or values.inputs:
        raise AssertionError(f"cannot settle {node!r} on {values!r}")
    state = dict(values.__dict__)
    state["id"] = node.id
    node.__class__ = type(values)
    node.__dict__ = state


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` depends on, once each, inputs before the nodes that read them
    (an explicit stack: plans thousands of nodes deep are walked without recursion)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node.id in seen:
            continue
        seen.add(node.id)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.inputs))
    return order


#: A materialised chunk: its node and block index.
Leaf = tuple[MaterializedNode, tuple[int, ...]]


def leaf_chunks(node: Node, region: Region) -> set[Leaf]:
    """The materialised chunks that evaluating ``region`` of ``node`` pins (walking region
    nodes without fusion, which reads the same chunks)."""
    found: set[Leaf] = set()
    pending = [(node, region)]
    while pending:
        current, current_region = pending.pop()
        if current.materialized:
            found.update((current, block) for block, _, _ in
                         overlapping_blocks(current.chunks, current_region))
        else:
            pending.extend(current.input_regions(current_region))
    return found


def region_footprint(node: Node, region: Region) -> tuple[int, int]:
    """Return (bytes of stored chunks pinned, bytes built) to evaluate ``region`` of ``node``.

    Walks region nodes down to the materialised chunks they read (without fusion, which only
    saves temporaries, so the figure is an upper bound).
    """
    pinned = built = 0
    counted: set[tuple[int, tuple[int, ...]]] = set()  # a chunk is pinned once per task
    pending = [(node, region)]
    while pending:
        current, current_region = pending.pop()
        if current.materialized:
            blocks = overlapping_blocks(current.chunks, current_region)
            for block, _, _ in blocks:
                if current.chunk_key(block) not in counted:
                    counted.add(current.chunk_key(block))
                    pinned += math.prod(region_shape(block_region(current.chunks, block))) \
                        * current.dtype.itemsize
            if len(blocks) > 1:
                built += math.prod(region_shape(current_region)) * current.dtype.itemsize
        else:
            built += current.scratch_bytes(current_region)
            pending.extend(current.input_regions(current_region))
    return pinned, built
