"""Reduction stages: a partial result per input block, then a combine per output chunk.

Every reduction is two materialised nodes. :class:`PartialReduceNode` evaluates one input block
(through any fused chain above it) and reduces it to a small record per kept position, with the
reduced axes kept as length 1; its chunks form an array with one entry per input block along
the reduced axes. :class:`CombineReduceNode` reads all partials along the reduced axes for one
output chunk, combines them (pairwise sums, Chan's formula, ...) and finalises. What the record
holds and how it combines is a :class:`ReductionSpec`, defined per operation in ``ops``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ooarray.chunks import Region, block_region, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node

__all__ = ["ReductionSpec", "PartialReduceNode", "CombineReduceNode"]


class ReductionSpec(Protocol):
    """How one reduction makes, combines and finalises partial records."""

    name: str
    #: Structured dtype of a partial record.
    partial_dtype: np.dtype
    #: dtype of the result.
    dtype: np.dtype

    def partial(self, block: np.ndarray, axes: tuple[int, ...], region: Region,
                shape: tuple[int, ...], allocate=np.empty) -> np.ndarray:
        """Reduce ``block`` (at ``region`` of an input of ``shape``) over ``axes``, keepdims.

        Temporaries of the block's size come from ``allocate(shape, dtype)`` (the pool)."""

    def scratch_bytes(self, items: int, dtype: np.dtype) -> int:
        """Bytes ``partial`` allocates for a block of ``items`` elements of ``dtype``."""

    def combine(self, parts: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        """Combine partial records along ``axes`` into one record per kept position."""

    def finalize(self, part: np.ndarray) -> np.ndarray:
        """Turn combined records into the result values."""


def _copy_into(ctx: EvaluationContext, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    out = ctx.allocate(value.shape, dtype)
    out[...] = value
    return out


class PartialReduceNode(MaterializedNode):
    """One partial record per input block and kept position."""

    def __init__(self, source: Node, spec: ReductionSpec, axes: Sequence[int]) -> None:
        self.spec, self.axes = spec, tuple(axes)
        shape = [len(c) if axis in self.axes else n
                 for axis, (n, c) in enumerate(zip(source.shape, source.chunks))]
        chunks = [(1,) * len(c) if axis in self.axes else c
                  for axis, c in enumerate(source.chunks)]
        super().__init__(shape, spec.partial_dtype, chunks, [source])

    @property
    def label(self) -> str:
        return f"{self.spec.name}-partial"

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        return [(source, block_region(source.chunks, index))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        source = self.inputs[0]
        region = block_region(source.chunks, index)
        record = self.spec.partial(arrays[0], self.axes, region, source.shape, ctx.allocate)
        return _copy_into(ctx, record, self.dtype)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        source = self.inputs[0]
        items = math.prod(region_shape(block_region(source.chunks, index)))
        return self.spec.scratch_bytes(items, source.dtype)


class CombineReduceNode(MaterializedNode):
    """The reduction's result with the reduced axes kept as length 1."""

    def __init__(self, partial: PartialReduceNode) -> None:
        self.spec, self.axes = partial.spec, partial.axes
        shape = [1 if axis in self.axes else n for axis, n in enumerate(partial.shape)]
        chunks = [(1,) if axis in self.axes else c for axis, c in enumerate(partial.chunks)]
        super().__init__(shape, self.spec.dtype, chunks, [partial])

    @property
    def label(self) -> str:
        return self.spec.name

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        partial = self.inputs[0]
        region = self.chunk_region(index)
        wanted = tuple(slice(0, partial.shape[axis]) if axis in self.axes else sel
                       for axis, sel in enumerate(region))
        return [(partial, wanted)]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        combined = self.spec.combine(arrays[0], self.axes)
        return _copy_into(ctx, self.spec.finalize(combined), self.dtype)
