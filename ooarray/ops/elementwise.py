"""Every NumPy ufunc's ``__call__`` over OOArrays, ndarrays and scalars.

NumPy itself decides the result dtype and raises the errors, on zero-size stand-ins of the
operands (which cost nothing): so dtype promotion (NEP 50), casting errors and unsupported
type combinations are exactly NumPy's. In-place operators (``a += 1``) arrive with ``out=``
naming the OOArray; the array is rebound to the new lazy result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.chunks import Chunks, auto_chunks, target_chunk_bytes
from ooarray.core.dispatch import HANDLED_FUNCTIONS, implements_ufunc_method
from ooarray.ops._operands import as_operand
from ooarray.plan.graph import Node
from ooarray.plan.regions import BroadcastNode, CastNode, ElementwiseNode, broadcast_chunks

__all__ = ["ufunc_call", "output_chunks"]

#: ufunc keyword arguments passed through to every chunk's call.
_PASSED_KWARGS = ("dtype", "casting", "signature")
#: Keyword arguments that do not change values.
_IGNORED_KWARGS = ("order", "subok")


def _stand_in(operand: Any) -> Any:
    if isinstance(operand, Node):
        return np.empty((0,), operand.dtype)
    return operand


def output_chunks(shape: tuple[int, ...], nodes: list[Node],
                   dtypes: list[np.dtype]) -> Chunks:
    """The operands' chunk grid, refined where broadcasting multiplies chunk sizes.

    An outer product ``x[:, None] * y[None, :]`` of two one-chunk vectors would otherwise
    be one chunk of len(x) * len(y) elements, however small the memory budget.
    """
    chunks = broadcast_chunks(shape, nodes)
    itemsize = max(dt.itemsize for dt in dtypes)
    largest_input = max((math.prod(max(c) for c in node.chunks) * node.dtype.itemsize
                         for node in nodes), default=0)
    allowed = max(largest_input, target_chunk_bytes(_config.get().memory_limit))
    if math.prod(max(c) for c in chunks) * itemsize <= allowed:
        return chunks
    caps = auto_chunks(tuple(max(c) for c in chunks), itemsize, allowed)
    return tuple(tuple(piece for length in lengths
                       for piece in [cap] * (length // cap) + [length % cap] if piece)
                 or lengths for lengths, cap in zip(chunks, caps, strict=True))


def _bind_out(result: OOArray, out: OOArray, casting: str) -> None:
    shape = np.broadcast_shapes(result.shape, out.shape)
    if shape != out.shape:
        raise ValueError(f"non-broadcastable output operand with shape {out.shape} doesn't "
                         f"match the broadcast shape {shape}")
    node = result.node
    if node.shape != out.shape:
        node = BroadcastNode(node, out.shape, target_chunk_bytes(_config.get().memory_limit))
    if node.dtype != out.dtype:
        node = CastNode(node, out.dtype)
    out._node = node


def _masked_call(ufunc: np.ufunc, inputs: tuple, out: Any, where: Any,
                 kwargs: dict[str, Any]) -> Any:
    """``ufunc(..., where=mask)``: the ufunc's values where ``mask`` holds; elsewhere ``out``
    keeps its old values (without ``out``, NumPy leaves them uninitialised: zeros here)."""
    mask = where if isinstance(where, OOArray) else np.asarray(where)
    if mask.dtype != np.bool_:
        raise TypeError(f"Cannot cast array data from {mask.dtype!r} to dtype('bool') "
                        f"according to the rule 'safe'")
    outs = out if isinstance(out, tuple) else ((out,) if out is not None else ())
    if any(o is not None and not isinstance(o, OOArray) for o in outs):
        raise TypeError(f"numpy.{ufunc.__name__}(..., where=...) with an ndarray out= is not "
                        f"supported by ooarray; pass an OOArray out= or none")
    old = [OOArray(o.node) if o is not None else None for o in outs]
    results = ufunc_call(ufunc, *inputs, out=out, **kwargs)  # NumPy's casting checks, rebinds
    results = results if isinstance(results, tuple) else (results,)
    final = []
    for number, result in enumerate(results):
        previous = old[number] if number < len(old) else None
        if np.broadcast_shapes(mask.shape, result.shape) != result.shape:
            raise ValueError(f"non-broadcastable operand with shape {mask.shape} doesn't match "
                             f"the broadcast shape {result.shape}")
        fill = previous if previous is not None else np.zeros((), result.dtype)
        chosen = np.where(mask, result, fill).astype(result.dtype, copy=False)
        if previous is not None:
            _bind_out(chosen, result, "unsafe")
            final.append(result)
        else:
            final.append(chosen)
    return tuple(final) if ufunc.nout > 1 else final[0]


@implements_ufunc_method("__call__")
def ufunc_call(ufunc: np.ufunc, *inputs: Any, out: Any = None, where: Any = True,
               **kwargs: Any) -> Any:
    """Apply ``ufunc`` lazily; see the module docstring."""
    if ufunc.signature is not None:
        implementation = HANDLED_FUNCTIONS.get(ufunc)
        if implementation is not None:
            return implementation(*inputs, out=out, **kwargs)
        raise TypeError(f"numpy.{ufunc.__name__} is a generalized ufunc "
                        f"({ufunc.signature}); ooarray does not support it yet")
    if where is not True:
        return _masked_call(ufunc, inputs, out, where, kwargs)
    unknown = set(kwargs) - set(_PASSED_KWARGS) - set(_IGNORED_KWARGS)
    if unknown:
        raise TypeError(f"numpy.{ufunc.__name__}() got unsupported keyword argument(s) "
                        f"{sorted(unknown)}")
    passed = {k: kwargs[k] for k in _PASSED_KWARGS if k in kwargs}
    operands = [as_operand(x) for x in inputs]
    outs = out if isinstance(out, tuple) else (out,) * (1 if out is not None else 0)
    outs = tuple(o for o in outs) if outs else (None,) * ufunc.nout
    # NumPy resolves dtypes and raises its own errors on zero-size stand-ins.
    out_stand_ins = tuple(np.empty((0,), o.dtype) if o is not None else None for o in outs)
    shapes = [x.shape for x in operands if isinstance(x, Node)] + \
        [np.shape(x) for x in operands if not isinstance(x, Node)]
    # dtypes first, as NumPy: no loop for the dtypes, or an output cast the casting rule
    # refuses, is NumPy's TypeError even when the shapes do not broadcast either
    if any(o is not None for o in outs):
        probe = ufunc(*[_stand_in(x) for x in operands], out=out_stand_ins, **passed)
    else:
        probe = ufunc(*[_stand_in(x) for x in operands], **passed)
    np.broadcast_shapes(*shapes)  # ValueError naming the shapes if they do not broadcast
    probes = probe if isinstance(probe, tuple) else (probe,)
    dtypes = [np.asarray(p).dtype for p in probes]
    nodes = [x for x in operands if isinstance(x, Node)]
    shape = np.broadcast_shapes(*shapes)
    chunks = output_chunks(shape, nodes, dtypes)
    results = tuple(
        OOArray(ElementwiseNode(ufunc, operands, dtypes, output=i, kwargs=passed, shape=shape,
                                chunks=chunks))
        for i in range(ufunc.nout)
    )
    if all(o is None for o in outs):
        return results if ufunc.nout > 1 else results[0]
    final = []
    for result, target in zip(results, outs):
        if target is None:
            final.append(result)
        elif isinstance(target, OOArray):
            _bind_out(result, target, passed.get("casting", "same_kind"))
            final.append(target)
        elif isinstance(target, np.ndarray):
            np.copyto(target, np.broadcast_to(result.compute(), target.shape))
            final.append(target)
        else:
            raise TypeError(f"out= must be an OOArray or ndarray; got {type(target).__name__}")
    return tuple(final) if ufunc.nout > 1 else final[0]
