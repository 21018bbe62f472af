"""A generalized-ufunc-like function applied over loop dimensions, whole along core dimensions.

``apply_gufunc(func, "(i),(i)->(i)", a, b)`` (xarray's ``apply_ufunc(...,
dask="parallelized")`` with core dimensions, ``xr.cross``) becomes one materialised node: a
task per block of the loop dimensions reads each input's block with its core dimensions whole,
calls ``func`` on the ndarrays and stores the output block. Core dimensions must be the
trailing axes (xarray puts them there), and one task holds them whole: a core dimension too
long for ``memory_limit`` is refused with a BudgetError before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ooarray.algorithms.mapped import GufuncNode
from ooarray.core.array import OOArray, check_dtype
from ooarray.ops._operands import as_operand

__all__ = ["parse_signature", "apply_gufunc"]

_ARGUMENT = re.compile(r"\(([^()]*)\)")


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


def apply_gufunc(func: Callable[..., Any], signature: str, *args: Any,
                 output_dtypes: Any = None, vectorize: bool | None = None,
                 output_sizes: dict[str, int] | None = None, **kwargs: Any) -> OOArray:
    """Apply ``func`` with gufunc ``signature`` to OOArrays, loop block by loop block.
    ``output_sizes`` gives the lengths of output core dimensions no input has (xarray's
    ``interp``: the new points).

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
    return OOArray(GufuncNode(func, operands, in_core, out_core[0], check_dtype(dtype), kwargs,
                              output_sizes))
