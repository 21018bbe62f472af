"""The set family's nodes (``ops/sets``): membership against a sorted array of any size, and
``lexsort`` over lanes that fit a task.

* :class:`MemberNode` is ``isin`` against a sorted 1-D node too large for memory: each task
  takes one chunk of the elements and streams the sorted chunks one after the other; within
  a chunk, a binary search finds each element's insertion point and one comparison (``==``,
  NumPy's membership test: NaN is never a member, ``-0.0`` equals ``0.0``) says whether the
  value is there.
* :class:`LexLanesNode` runs ``np.lexsort`` on whole lanes of several key nodes at once (a
  region node: each region reads its lanes of every key); long 1-D keys are sorted by the
  sample sort of :mod:`ooarray.algorithms.sorting`, all keys at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ooarray.algorithms.sorting import SORT_SCRATCH_FACTOR
from ooarray.chunks import Chunks, Region, block_region, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode

__all__ = ["member_of_sorted", "MemberNode", "LexLanesNode"]

_INDEX = np.dtype(np.intp)


def member_of_sorted(table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` equals (``==``) an element of the sorted 1-D ``table``.

    Examples
    --------
    >>> member_of_sorted(np.array([1.0, 3.0, np.nan]), np.array([3.0, 2.0, np.nan, -0.0]))
    array([ True, False, False, False])
    """
    if not len(table):
        return np.zeros(np.shape(values), bool)
    position = np.minimum(np.searchsorted(table, values, side="left"), len(table) - 1)
    return np.equal(table[position], values)


class MemberNode(MaterializedNode):
    """``isin(v, a)`` (or its inversion) for a sorted 1-D node ``a`` of any size.

    Each task takes one chunk of ``v`` and ORs its membership in each chunk of ``a``, read one
    after the other.

    Parameters
    ----------
    table : Node
        Sorted, one axis, of ``values``' dtype.
    values : Node
        The elements to look up, any shape (at least one axis).
    invert : bool
        Return ``not in`` instead.
    """

    def __init__(self, table: Node, values: Node, invert: bool) -> None:
        super().__init__(values.shape, np.bool_, values.chunks, [table, values])
        self.invert = bool(invert)

    @property
    def label(self) -> str:
        return "isin"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        values = self.inputs[1]
        return [(values, block_region(values.chunks, index))]

    def streamed_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        table = self.inputs[0]
        return [(table, block_region(table.chunks, (i,))) for i in range(len(table.chunks[0]))
                if table.chunks[0][i]]

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        table = self.inputs[0]
        items = math.prod(region_shape(self.chunk_region(index)))
        largest = max(table.chunks[0], default=0) * table.dtype.itemsize
        # one table chunk, the positions, the looked-up values and the comparison
        return largest + items * (_INDEX.itemsize + table.dtype.itemsize + 1)

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        values = arrays[0]
        out = ctx.allocate(values.shape, np.bool_)
        out[...] = False
        with ctx.charge(values.size * (_INDEX.itemsize + values.dtype.itemsize + 1)):
            for node, region in self.streamed_inputs(index):
                with ctx.scope():
                    out |= member_of_sorted(ctx.evaluate(node, region), values)
        if self.invert:
            np.logical_not(out, out=out)
        return out


class LexLanesNode(RegionNode):
    """``np.lexsort(keys, axis)`` on whole lanes: every key has the same shape; the result's
    grid has one chunk along ``axis``.

    Parameters
    ----------
    keys : sequence of Node
        The sort keys, the last one primary, as NumPy's.
    axis : int
        The lane axis (non-negative).
    chunks : chunk grid
        The result's grid, one chunk along ``axis``.
    """

    def __init__(self, keys: Sequence[Node], axis: int, chunks: Chunks) -> None:
        super().__init__(keys[0].shape, _INDEX, chunks, list(keys))
        self.axis = axis

    @property
    def label(self) -> str:
        return "lexsort"

    def _lanes(self, region: Region) -> Region:
        region = list(region)
        region[self.axis] = slice(0, self.shape[self.axis])
        return tuple(region)

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        lanes = self._lanes(region)
        return [(key, lanes) for key in self.inputs]

    def _library_bytes(self, region: Region) -> int:
        items = math.prod(region_shape(self._lanes(region)))
        widest = max([_INDEX.itemsize] + [key.dtype.itemsize for key in self.inputs])
        return SORT_SCRATCH_FACTOR * items * widest

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        with ctx.charge(self._library_bytes(region)):
            order = np.lexsort(arrays, axis=self.axis)
            pick = [slice(None)] * len(self.shape)
            pick[self.axis] = region[self.axis]
            out = ctx.allocate(region_shape(region), _INDEX)
            out[...] = order[tuple(pick)]
        return out

    def scratch_bytes(self, region: Region) -> int:
        return super().scratch_bytes(region) + self._library_bytes(region)
