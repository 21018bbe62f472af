"""Nodes of the polynomial and function-application family (``ops/polynomials.py``):
:class:`PiecewiseNode` (``np.piecewise``, chunk by chunk) and :class:`LaneApplyNode`
(``np.apply_along_axis``, whole lanes along an axis per task).

Both call a user's Python function on ndarrays inside a task. Its temporaries are not pool
buffers, so they are declared with ``ctx.charge`` and bounded by the ``*_scratch_bytes``
methods, in multiples (:data:`SCRATCH_FACTOR`) of what the function is handed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray.algorithms.mapped import KernelNode
from ooarray.chunks import Chunks, Region, block_region, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node

__all__ = ["PiecewiseNode", "LaneApplyNode", "SCRATCH_FACTOR"]

#: Temporaries a user's function may make, in multiples of its input (a selection, its
#: result, one intermediate).
SCRATCH_FACTOR = 3


def piecewise_kernel(x: np.ndarray, *conditions: np.ndarray, out: np.ndarray,
                     funcs: Sequence[Any], otherwise: bool, args: tuple,
                     kw: dict[str, Any]) -> None:
    """NumPy's ``piecewise`` on one region: later conditions overwrite earlier ones."""
    out[...] = 0
    conds = list(conditions)
    if otherwise:
        conds.append(~np.any(np.asarray(conds, dtype=bool).reshape((len(conds),) + x.shape),
                             axis=0))
    for cond, func in zip(conds, funcs, strict=True):
        if not callable(func):
            out[cond] = func
            continue
        values = x[cond]
        if values.size > 0:
            out[cond] = func(values, *args, **kw)


class PiecewiseNode(KernelNode):
    """``np.piecewise`` over one region: the functions see the region's selected elements.

    A :class:`~ooarray.algorithms.mapped.KernelNode` whose function's temporaries (the
    selections ``x[cond]`` and the functions' results) are charged to the task.
    """

    @property
    def label(self) -> str:
        return "piecewise"

    def _temporaries(self, region: Region) -> int:
        return SCRATCH_FACTOR * math.prod(region_shape(region)) * max(
            self.dtype.itemsize, np.dtype(np.complex128).itemsize)

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        with ctx.charge(self._temporaries(region)):
            return super().compute(arrays, region, ctx)

    def scratch_bytes(self, region: Region) -> int:
        return super().scratch_bytes(region) + self._temporaries(region)


class LaneApplyNode(MaterializedNode):
    """``func1d`` applied to every 1-D lane along ``axis`` of ``source``.

    The node's shape is the source's shape without ``axis`` (the loop dimensions) followed
    by ``result_shape`` (what ``func1d`` returns for one lane); ``ops`` transposes it into
    NumPy's order. A task makes one block of the loop dimensions: it reads those lanes whole
    and calls ``func1d`` once per lane.

    Parameters
    ----------
    source : Node
    axis : int
        Non-negative.
    func1d : callable
    args, kwargs
        Passed to every call.
    result_shape : tuple of int
    dtype : numpy.dtype
        Of the first lane's result (NumPy's rule); other lanes are cast to it.
    loop_chunks : chunk grid of the loop dimensions
    """

    def __init__(self, source: Node, axis: int, func1d: Callable[..., Any], args: tuple,
                 kwargs: dict[str, Any], result_shape: tuple[int, ...], dtype: np.dtype,
                 loop_chunks: Chunks) -> None:
        loop_shape = source.shape[:axis] + source.shape[axis + 1:]
        super().__init__(tuple(loop_shape) + tuple(result_shape), dtype,
                         tuple(loop_chunks) + tuple((n,) for n in result_shape), [source])
        self.axis, self.func1d, self.args, self.kwargs = axis, func1d, tuple(args), dict(kwargs)
        self.loop_ndim, self.result_shape = len(loop_shape), tuple(result_shape)

    @property
    def label(self) -> str:
        return getattr(self.func1d, "__name__", "apply_along_axis")

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        loop = list(block_region(self.chunks, index)[:self.loop_ndim])
        loop.insert(self.axis, slice(0, source.shape[self.axis]))
        return [(source, tuple(loop))]

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        lanes = np.moveaxis(arrays[0], self.axis, -1)
        out = ctx.allocate(region_shape(block_region(self.chunks, index)), self.dtype)
        with ctx.charge(self._per_call_bytes()):
            for ind in np.ndindex(lanes.shape[:-1]):
                out[ind + (Ellipsis,)] = np.asanyarray(
                    self.func1d(lanes[ind + (Ellipsis,)], *self.args, **self.kwargs))
        return out

    def _per_call_bytes(self) -> int:
        source = self.inputs[0]
        lane = source.shape[self.axis] * source.dtype.itemsize
        result = math.prod(self.result_shape) * self.dtype.itemsize
        return SCRATCH_FACTOR * (lane + result)

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        return self._per_call_bytes()
