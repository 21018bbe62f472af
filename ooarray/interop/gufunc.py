"""A generalized-ufunc-like function applied over loop dimensions, whole along core dimensions.

``apply_gufunc(func, "(i),(i)->(i)", a, b)`` (xarray's ``apply_ufunc(...,
dask="parallelized")`` with core dimensions, ``xr.cross``) becomes one materialised node: a
task per block of the loop dimensions reads each input's block with its core dimensions whole,
calls ``func`` on the ndarrays and stores the output block. Core dimensions must be the
trailing axes (xarray puts them there), and one task holds them whole: a core dimension too
long for ``memory_limit`` is refused with a BudgetError before anything runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray.chunks import Region, block_region, region_shape
from ooarray.core.array import OOArray, check_dtype
from ooarray.ops._operands import as_operand
from ooarray.plan.graph import EvaluationContext, MaterializedNode, Node
from ooarray.plan.regions import broadcast_region

__all__ = ["parse_signature", "GufuncNode", "apply_gufunc"]

_ARGUMENT = re.compile(r"\(([^()]*)\)")
#: Temporaries a function may make, in output blocks (its result, a copy, one more).
SCRATCH_FACTOR = 3


def parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Return the core dimension names of each input and each output.

    Examples
    --------
    >>> parse_signature("(i),(i)->(i)")
    ([('i',), ('i',)], [('i',)])
    >>> parse_signature("(m,n),()->()")
    ([('m', 'n'), ()], [()])
    """
    if "->" not in signature:
        raise ValueError(f"not a gufunc signature: {signature!r}")
    inputs, outputs = signature.replace(" ", "").split("->")

    def dims(part: str) -> list[tuple[str, ...]]:
        return [tuple(d for d in group.split(",") if d) for group in _ARGUMENT.findall(part)]

    return dims(inputs), dims(outputs)


class GufuncNode(MaterializedNode):
    """``func`` over the loop blocks of its operands, core dimensions whole."""

    def __init__(self, func: Callable[..., Any], operands: Sequence[Any],
                 in_core: Sequence[tuple[str, ...]], out_core: tuple[str, ...],
                 dtype: np.dtype, kwargs: dict[str, Any]) -> None:
        nodes = [op for op in operands if isinstance(op, Node)]
        sizes: dict[str, int] = {}
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


def apply_gufunc(func: Callable[..., Any], signature: str, *args: Any,
                 output_dtypes: Any = None, vectorize: bool | None = None,
                 **kwargs: Any) -> OOArray:
    """Apply ``func`` with gufunc ``signature`` to OOArrays, loop block by loop block.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(12.0).reshape(4, 3), chunks=(2, 3))
    >>> apply_gufunc(lambda x: x.sum(-1), "(i)->()", a).tolist()
    [3.0, 12.0, 21.0, 30.0]
    """
    in_core, out_core = parse_signature(signature)
    if len(out_core) != 1:
        raise NotImplementedError(f"ooarray applies gufuncs with one output; got {signature!r}")
    if len(in_core) != len(args):
        raise ValueError(f"signature {signature!r} takes {len(in_core)} inputs; "
                         f"got {len(args)}")
    if vectorize:
        func = np.vectorize(func, signature=signature)
    operands = [as_operand(a) for a in args]
    if output_dtypes is None:
        probe = func(*(np.ones((1,) * (np.ndim(a) - len(c)) + tuple(a.shape[np.ndim(a) - len(c):]),
                               a.dtype) if hasattr(a, "dtype") else a
                       for a, c in zip(args, in_core, strict=True)), **kwargs)
        dtype = np.asarray(probe).dtype
    else:
        dtype = np.dtype(output_dtypes[0] if isinstance(output_dtypes, (list, tuple))
                         else output_dtypes)
    return OOArray(GufuncNode(func, operands, in_core, out_core[0], check_dtype(dtype), kwargs))
