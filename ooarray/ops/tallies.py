"""Tallies: the lazy :func:`tally` of whole arrays into a small result of a shape of its own
(:mod:`ooarray.algorithms.tallies`), and the helpers the counting functions share: one pass for
the count, min, max (and sum) of arrays, the check that a result held by one task fits its
share of the budget, and elementwise maps.

The histograms (:mod:`ooarray.ops.histograms`) and ``cov`` (:mod:`ooarray.ops.statistics`)
are tallies.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.algorithms.counting import BoundsSpec
from ooarray.algorithms.mapped import MappedNode
from ooarray.algorithms.tallies import TallyNode, TallyPartialNode
from ooarray.chunks import normalize_chunks, target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.errors import BudgetError, format_bytes

__all__ = ["tally"]

#: Groups of input blocks a tally adds up in parallel (each keeps one copy of the result).
TALLY_GROUPS = 8
#: The groups' copies of a tally's result take at most this share of memory_limit.
PARTIAL_SHARE = 1 / 4
#: A histogram's counts (held whole by one task) may take at most this share of memory_limit.
RESULT_SHARE = 1 / 8


# -- tallies ------------------------------------------------------------------------------
def tally(operands: list[OOArray], spec: Any, chunked: bool = False) -> OOArray:
    """Return the lazy tally of ``operands`` (one shape) described by ``spec``.

    Parameters
    ----------
    operands : list of OOArray
        Blocks of the first one's chunk grid are read from all of them.
    spec : TallySpec
        What a block adds into the result (see :mod:`ooarray.algorithms.counting`).
    chunked : bool
        Cut a large result into chunks (each chunk's task reads the whole input); otherwise
        one task holds the whole result.

    Returns
    -------
    OOArray
        Of shape ``spec.shape`` and dtype ``spec.dtype``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> from ooarray.algorithms.counting import BincountSpec
    >>> x = oa.asarray(np.array([0, 1, 1, 3]), chunks=2)
    >>> tally([x], BincountSpec(4, weighted=False)).compute()
    array([1, 2, 0, 1])
    """
    limit = _config.get().memory_limit
    itemsize = spec.dtype.itemsize
    if chunked:
        out_chunks = normalize_chunks("auto", spec.shape, itemsize, target_chunk_bytes(limit))
    else:
        out_chunks = tuple((n,) for n in spec.shape)
    chunk_bytes = math.prod(max(c) for c in out_chunks) * itemsize
    pieces = math.prod(len(c) for c in out_chunks)
    groups = TALLY_GROUPS if pieces == 1 else 1
    groups = max(1, min(groups, int(limit * PARTIAL_SHARE) // max(1, chunk_bytes)))
    partial = TallyPartialNode([op.node for op in operands], spec, groups, out_chunks)
    if len(partial.groups) == 1:
        return OOArray(partial)[0]
    return OOArray(TallyNode(partial))


def _bounds(operands: list[OOArray], bounds: tuple[Any, Any] | None = None,
            with_sum: bool = False) -> np.ndarray:
    """Compute count, min, max (and sum) of each operand, in one pass over all of them."""
    spec = BoundsSpec(operands[0].dtype, len(operands), bounds, with_sum)
    return tally(operands, spec).compute()


def _check_result_size(what: str, items: int, dtype: Any) -> None:
    limit = _config.get().memory_limit
    nbytes = items * np.dtype(dtype).itemsize
    if nbytes > limit * RESULT_SHARE:
        raise BudgetError(
            f"{what} needs {format_bytes(nbytes)} of counts in one task, more than "
            f"{RESULT_SHARE:.3g} of memory_limit={format_bytes(limit)}; use fewer bins or "
            f"raise memory_limit", needed=int(nbytes / RESULT_SHARE), limit=limit)


def _in_memory(value: Any) -> np.ndarray:
    """Small arguments (bin edges) as ndarrays: an OOArray is computed."""
    return value.compute() if isinstance(value, OOArray) else np.asarray(value)


def _mapped(func, operands: list[OOArray], dtype: Any, name: str,
            temporaries: int = 1) -> OOArray:
    return OOArray(MappedNode(func, [op.node for op in operands], np.dtype(dtype), name,
                              temporaries))
