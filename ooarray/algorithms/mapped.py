"""NumPy functions applied region by region or block by block, for functions that are not
ufuncs: :class:`MappedNode` (region by region, result copied into the pool),
:class:`KernelNode` (writing into a pooled buffer: ``where``, ``clip``, ``round``) and
:class:`GufuncNode` (a generalized ufunc over loop blocks, core dimensions whole).

``np.digitize`` against in-memory bins, a clip of real and imaginary parts, ``sqrt`` of a real
part: each output element depends only on the input elements at the same position, so any
region of the output is the function of the same region of the operands. The function's own
result is counted against the budget while it exists (``ctx.charge``), then copied into a
pooled buffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray.chunks import Region, block_region, region_shape
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node, RegionNode
from ooarray.plan.regions import ElementwiseNode, broadcast_region

__all__ = ["MappedNode", "KernelNode", "GufuncNode", "SCRATCH_FACTOR"]

#: Temporaries a gufunc's function may make, in output blocks (its result, a copy, one more).
SCRATCH_FACTOR = 3


class MappedNode(RegionNode):
    """``func(*operand_regions)`` for each region; operands of one shape, result of it too.

    Parameters
    ----------
    func : callable
        Takes one ndarray per operand, returns an ndarray of their shape (any dtype; it is
        cast to ``dtype``).
    operands : sequence of Node
    dtype : numpy.dtype
        The result's dtype.
    name : str
        For plan displays.
    temporaries : int
        How many arrays of the region's size (in ``dtype``) ``func`` allocates at once.
    """

    def __init__(self, func: Callable[..., np.ndarray], operands: Sequence[Node],
                 dtype: np.dtype, name: str, temporaries: int = 1) -> None:
        first = operands[0]
        if any(op.shape != first.shape for op in operands):
            raise AssertionError("MappedNode operands must have one shape")
        super().__init__(first.shape, dtype, first.chunks, operands)
        self.func, self.name, self.temporaries = func, name, temporaries

    @property
    def label(self) -> str:
        return self.name

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(op, region) for op in self.inputs]

    def _region_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        with ctx.charge(self.temporaries * self._region_bytes(region)):
            np.copyto(out, self.func(*arrays), casting="unsafe")
        return out

    def scratch_bytes(self, region: Region) -> int:
        return (1 + self.temporaries) * self._region_bytes(region)


class KernelNode(ElementwiseNode):
    """An elementwise function that writes into a pooled buffer: ``func(*args, out=out)``.

    Used for NumPy functions that are elementwise but not ufuncs (``where``, ``select``,
    ``clip`` with ``None`` bounds, ``round``): no temporary is made outside the pool, and the
    ufunc chains feeding the node are still fused (the node itself is not a numexpr ufunc).
    """

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        supplied = iter(arrays)
        args = [next(supplied) if isinstance(op, Node) else op for op in self.operands]
        out = ctx.allocate(region_shape(region), self.dtype)
        if out.size:
            self.func(*args, out=out, **self.kwargs)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return math.prod(region_shape(region)) * self.dtype.itemsize


class GufuncNode(MaterializedNode):
    """``func`` over the loop blocks of its operands, core dimensions whole."""

    def __init__(self, func: Callable[..., Any], operands: Sequence[Any],
                 in_core: Sequence[tuple[str, ...]], out_core: tuple[str, ...],
                 dtype: np.dtype, kwargs: dict[str, Any],
                 output_sizes: dict[str, int] | None = None) -> None:
        nodes = [op for op in operands if isinstance(op, Node)]
        sizes: dict[str, int] = dict(output_sizes or {})  # output-only core dimensions
        loops = []
        for op, core in zip(operands, in_core, strict=True):
            shape = op.shape if isinstance(op, Node) else np.shape(op)
            if len(shape) < len(core):
                raise ValueError(f"an operand of shape {shape} has fewer axes than its core "
                                 f"dimensions {core}")
            loops.append(shape[:len(shape) - len(core)])
            for name, n in zip(core, shape[len(shape) - len(core):], strict=True):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"core dimension {name!r} has sizes {sizes[name]} and {n}")
        missing = [name for name in out_core if name not in sizes]
        if missing:
            raise NotImplementedError(f"output core dimensions {missing} appear in no input")
        self.loop_shape = tuple(np.broadcast_shapes(*loops))
        loop_chunks = []
        for axis, n in enumerate(self.loop_shape):
            choice = (n,)
            for op, core in zip(operands, in_core, strict=True):
                if not isinstance(op, Node):
                    continue
                lead = len(self.loop_shape) - (op.ndim if hasattr(op, "ndim") else
                                               len(op.shape)) + len(core)
                if axis >= lead and op.shape[axis - lead] == n:
                    choice = op.chunks[axis - lead]
                    break
            loop_chunks.append(choice)
        core_shape = tuple(sizes[name] for name in out_core)
        super().__init__(self.loop_shape + core_shape, dtype,
                         tuple(loop_chunks) + tuple((n,) for n in core_shape), nodes)
        self.func, self.operands, self.in_core, self.kwargs = func, tuple(operands), \
            tuple(in_core), dict(kwargs)

    @property
    def label(self) -> str:
        return getattr(self.func, "__name__", "gufunc")

    def _loop_region(self, index: tuple[int, ...]) -> Region:
        return block_region(self.chunks, index)[:len(self.loop_shape)]

    def task_inputs(self, index: tuple[int, ...]) -> list[tuple[Node, Region]]:
        loop = self._loop_region(index)
        wanted = []
        for op, core in zip(self.operands, self.in_core, strict=True):
            if isinstance(op, Node):
                ncore = len(core)
                in_loop = op.shape[:len(op.shape) - ncore]
                region = broadcast_region(loop, self.loop_shape, in_loop) + tuple(
                    slice(0, n) for n in op.shape[len(op.shape) - ncore:])
                wanted.append((op, region))
        return wanted

    def compute_chunk(self, index: tuple[int, ...], arrays: list[np.ndarray],
                      ctx: EvaluationContext) -> np.ndarray:
        supplied = iter(arrays)
        args = [next(supplied) if isinstance(op, Node) else op for op in self.operands]
        result = np.asarray(self.func(*args, **self.kwargs))
        out = ctx.allocate(region_shape(block_region(self.chunks, index)), self.dtype)
        np.copyto(out, result, casting="unsafe")
        return out

    def chunk_scratch_bytes(self, index: tuple[int, ...]) -> int:
        items = math.prod(region_shape(block_region(self.chunks, index)))
        return SCRATCH_FACTOR * items * self.dtype.itemsize
