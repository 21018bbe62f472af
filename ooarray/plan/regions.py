"""Region-node primitives: elementwise functions, basic slicing, transpose, broadcast, cast.

Each maps an output region to the input regions it needs (``input_regions``) and computes the
output from them (``compute``); slicing, transposes and broadcasts return views and take no
memory of their own.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray.chunks import Chunks, Region, normalize_chunks, offsets, region_shape
from ooarray.plan.graph import EvaluationContext, Node, RegionNode, frozen

__all__ = [
    "ElementwiseNode", "SliceNode", "TransposeNode", "BroadcastNode", "CastNode",
    "broadcast_region", "broadcast_chunks",
]


def broadcast_region(region: Region, out_shape: tuple[int, ...],
                     in_shape: tuple[int, ...]) -> Region:
    """Return the region of an operand of ``in_shape`` that broadcasts onto ``region``."""
    lead = len(out_shape) - len(in_shape)
    return tuple(
        slice(0, 1) if length == 1 and out_shape[lead + axis] != 1 else region[lead + axis]
        for axis, length in enumerate(in_shape)
    )


def broadcast_chunks(shape: tuple[int, ...], operands: Sequence[Any]) -> Chunks:
    """Return a chunk grid for a broadcast result: each axis from the first operand spanning it."""
    chunks = []
    for axis, length in enumerate(shape):
        choice = None
        for op in operands:
            if not isinstance(op, Node):
                continue
            in_axis = axis - (len(shape) - len(op.shape))
            if in_axis >= 0 and op.shape[in_axis] == length:
                choice = op.chunks[in_axis]
                break
        chunks.append(choice if choice is not None else (length,))
    return tuple(chunks)


class ElementwiseNode(RegionNode):
    """A NumPy ufunc (or elementwise function) over nodes and scalars, with broadcasting.

    Parameters
    ----------
    func : numpy.ufunc or callable
        A ufunc is called with ``out=`` pool buffers; another callable's result is copied in.
    operands : sequence
        Nodes and scalars, in the order ``func`` takes them.
    dtypes : sequence of numpy.dtype
        The dtype of each of ``func``'s outputs (NumPy's, resolved by the caller).
    output : int
        Which output this node is.
    kwargs : dict
        Passed to ``func`` on every call (``dtype``, ``casting``, ...).
    """

    def __init__(self, func: np.ufunc | Callable[..., Any], operands: Sequence[Any],
                 dtypes: Sequence[np.dtype], output: int = 0,
                 kwargs: dict[str, Any] | None = None, shape: tuple[int, ...] | None = None,
                 chunks: Chunks | None = None) -> None:
        nodes = [op for op in operands if isinstance(op, Node)]
        if shape is None:
            shape = np.broadcast_shapes(*[op.shape for op in nodes], *[np.shape(op) for op in
                                                                      operands if op not in nodes])
        shape = tuple(shape)
        super().__init__(shape, dtypes[output], chunks or broadcast_chunks(shape, nodes), nodes)
        self.func = func
        # A 0-d ndarray operand is held frozen: its later writes must not reach the plan.
        self.operands = tuple(frozen(op) if isinstance(op, np.ndarray) else op
                              for op in operands)
        self.dtypes = tuple(np.dtype(d) for d in dtypes)
        self.output = output
        self.kwargs = dict(kwargs or {})

    @property
    def label(self) -> str:
        """The function's name: a ufunc's, or the NumPy function a kernel stands for
        (``_where_kernel`` is ``where``; a ``functools.partial`` is named for its function)."""
        func = self.func
        while isinstance(func, functools.partial):
            func = func.func
        name = getattr(func, "__name__", "elementwise")
        return name.strip("_").removesuffix("_kernel") or "elementwise"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(op, broadcast_region(region, self.shape, op.shape)) for op in self.inputs]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        supplied = iter(arrays)
        args = [next(supplied) if isinstance(op, Node) else op for op in self.operands]
        shape = region_shape(region)
        if isinstance(self.func, np.ufunc):
            outs = tuple(ctx.allocate(shape, dt) for dt in self.dtypes)
            self.func(*args, out=outs, **self.kwargs)
            return outs[self.output]
        result = self.func(*args, **self.kwargs)
        if isinstance(result, tuple):
            result = result[self.output]
        out = ctx.allocate(shape, self.dtype)
        np.copyto(out, result, casting="unsafe")
        return out

    def scratch_bytes(self, region: Region) -> int:
        count = math.prod(region_shape(region))
        return sum(count * dt.itemsize for dt in self.dtypes)


def _slice_chunk_lengths(in_chunks: tuple[int, ...], start: int, step: int,
                         count: int) -> tuple[int, ...]:
    """Return the output chunk lengths of a slice: one per input chunk it touches."""
    if count == 0:
        return (0,)
    bounds = offsets(in_chunks)
    if step > 0:
        below = [min(count, max(0, -((start - x) // step))) for x in bounds]  # k: start+k*step < x
        lengths = [below[i + 1] - below[i] for i in range(len(in_chunks))]
    else:
        at_least = [min(count, max(0, (start - x) // -step + 1)) for x in bounds]
        lengths = [at_least[i] - at_least[i + 1] for i in range(len(in_chunks))][::-1]
    # A coarse step leaves tiny chunks: merge neighbours, but only while one output chunk
    # still reads at most about one input chunk's span; merging to a fixed output length
    # made a[::10**4] read the whole input in one task.
    typical = max(in_chunks)
    merged: list[int] = []
    for n in lengths:
        if not n:
            continue
        if merged and (merged[-1] + n - 1) * abs(step) + 1 <= typical:
            merged[-1] += n
        else:
            merged.append(n)
    return tuple(merged)


class SliceNode(RegionNode):
    """Basic indexing: slices with any step, integers, ``None`` (``...`` already expanded).

    Parameters
    ----------
    source : Node
    index : tuple
        One entry per input axis or new axis: ``slice`` objects with normalised ``start``,
        ``step`` and a length (``(start, step, length)`` tuples), ``int`` or ``None``.
    """

    is_view = True

    def __init__(self, source: Node, index: Sequence[Any]) -> None:
        self.items: list[tuple[Any, ...]] = []
        shape: list[int] = []
        chunks: list[tuple[int, ...]] = []
        in_axis = 0
        for entry in index:
            if entry is None:
                self.items.append(("new",))
                shape.append(1)
                chunks.append((1,))
            elif isinstance(entry, tuple):
                start, step, length = entry
                self.items.append(("slice", in_axis, start, step, length))
                shape.append(length)
                chunks.append(_slice_chunk_lengths(source.chunks[in_axis], start, step, length))
                in_axis += 1
            else:
                self.items.append(("int", in_axis, int(entry)))
                in_axis += 1
        if in_axis != len(source.shape):
            raise AssertionError("SliceNode index does not cover every input axis")
        super().__init__(shape, source.dtype, tuple(chunks), [source])

    @property
    def label(self) -> str:
        """``slice``; ``squeeze`` when it only drops axes of length 1 (a reduction's result
        without its kept axes), ``expand_dims`` when it only adds axes, ``reshape`` when it
        does both."""
        source = self.inputs[0]
        kinds = set()
        for item in self.items:
            if item[0] == "slice":
                _, axis, start, step, length = item
                if (start, step, length) != (0, 1, source.shape[axis]):
                    return "slice"
            elif item[0] == "int" and source.shape[item[1]] != 1:
                return "slice"
            kinds.add(item[0])
        if "int" in kinds:
            return "reshape" if "new" in kinds else "squeeze"
        return "expand_dims" if "new" in kinds else "slice"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        in_region = [slice(0, 0)] * len(source.shape)
        out_axis = 0
        for item in self.items:
            if item[0] == "new":
                out_axis += 1
            elif item[0] == "int":
                in_region[item[1]] = slice(item[2], item[2] + 1)
            else:
                _, axis, start, step, _ = item
                sel = region[out_axis]
                out_axis += 1
                if sel.stop <= sel.start:
                    in_region[axis] = slice(0, 0)
                    continue
                first, last = start + sel.start * step, start + (sel.stop - 1) * step
                lo, hi = min(first, last), max(first, last)
                in_region[axis] = slice(lo, hi + 1)
        return [(source, tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        post: list[Any] = []
        for item in self.items:
            if item[0] == "new":
                post.append(None)
            elif item[0] == "int":
                post.append(0)
            else:
                post.append(slice(None, None, item[3]))
        return arrays[0][tuple(post)]

    def scratch_bytes(self, region: Region) -> int:
        return 0


class TransposeNode(RegionNode):
    """``np.transpose`` with an axes permutation."""

    is_view = True

    def __init__(self, source: Node, axes: Sequence[int]) -> None:
        self.axes = tuple(axes)
        super().__init__([source.shape[a] for a in self.axes], source.dtype,
                         [source.chunks[a] for a in self.axes], [source])

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        in_region = [slice(0, 0)] * len(self.axes)
        for out_axis, in_axis in enumerate(self.axes):
            in_region[in_axis] = region[out_axis]
        return [(self.inputs[0], tuple(in_region))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        return arrays[0].transpose(self.axes)

    def scratch_bytes(self, region: Region) -> int:
        return 0


class BroadcastNode(RegionNode):
    """``np.broadcast_to``: a read-only view, no memory of its own."""

    is_view = True

    def __init__(self, source: Node, shape: tuple[int, ...], target_bytes: int) -> None:
        shape = tuple(shape)
        lead = len(shape) - len(source.shape)
        fixed: list[Any] = []
        for axis, length in enumerate(shape):
            in_axis = axis - lead
            if in_axis >= 0 and source.shape[in_axis] == length:
                fixed.append(source.chunks[in_axis])
            else:
                fixed.append("auto")
        chunks = normalize_chunks(tuple(fixed), shape, source.dtype.itemsize, target_bytes)
        super().__init__(shape, source.dtype, chunks, [source])

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        source = self.inputs[0]
        return [(source, broadcast_region(region, self.shape, source.shape))]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        return np.broadcast_to(arrays[0], region_shape(region))

    def scratch_bytes(self, region: Region) -> int:
        return 0


class CastNode(RegionNode):
    """``astype``: a copy in another dtype (unsafe casting, as ``ndarray.astype``)."""

    def __init__(self, source: Node, dtype: np.dtype, casting: str = "unsafe") -> None:
        super().__init__(source.shape, dtype, source.chunks, [source])
        self.casting = casting

    @property
    def label(self) -> str:
        return f"astype[{self.dtype}]"

    def input_regions(self, region: Region) -> list[tuple[Node, Region]]:
        return [(self.inputs[0], region)]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        np.copyto(out, arrays[0], casting=self.casting)
        return out
