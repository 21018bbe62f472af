"""``np.einsum`` out of core: diagonals, sums and pairwise matmul contractions.

NumPy first checks the subscripts and decides the result dtype on size-1 stand-ins of the
operands. Then each operand loses its repeated labels (a diagonal, a region node) and the
labels no other operand and not the output uses (a reduction). The operands are contracted
two at a time, always the pair whose result is smallest (greedy), each pair one
:func:`~ooarray.ops.linalg.contract` (a transpose, a reshape and one tiled matmul). The last
operand is summed and transposed to the output's labels, and broadcast if a label of
length 1 meets a longer one.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray
from ooarray.chunks import target_chunk_bytes
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray, zeros
from ooarray.ops.linalg import _deliver, contract, diagonal
from ooarray.plan.regions import BroadcastNode

__all__ = ["einsum", "parse_subscripts"]

#: Labels standing for the axes of ``...``: private characters no subscript can contain.
_ELLIPSIS_LABELS = "".join(chr(0x100 + i) for i in range(64))
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Term:
    """An operand and the label of each of its axes."""

    def __init__(self, array: OOArray, labels: str) -> None:
        self.array, self.labels = array, labels

    def size(self, label: str) -> int:
        return self.array.shape[self.labels.index(label)]


def _interleaved(args: tuple) -> tuple[str, list[Any]]:
    """Turn ``einsum(op0, sublist0, op1, sublist1, ..., [out])`` into a subscripts string."""
    def letters(sublist: Any) -> str:
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sublist)

    operands = list(args[0::2][:len(args) // 2])
    terms = [letters(s) for s in args[1::2][:len(args) // 2]]
    subscripts = ",".join(terms)
    if len(args) % 2:
        subscripts += "->" + letters(args[-1])
    return subscripts, operands


def _expand_ellipsis(term: str, ndim: int, width: int) -> str:
    if "..." not in term:
        return term
    count = ndim - (len(term) - 3)
    return term.replace("...", _ELLIPSIS_LABELS[width - count:width])


def parse_subscripts(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Return the labels of each operand and of the output, ``...`` expanded.

    Examples
    --------
    >>> parse_subscripts("ij,jk", [2, 2])
    (['ij', 'jk'], 'ik')
    """
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    width = max([n - (len(t) - 3) for t, n in zip(terms, ndims) if "..." in t], default=0)
    labels = [_expand_ellipsis(t, n, width) for t, n in zip(terms, ndims)]
    if arrow:
        # the output's ``...`` stands for every broadcast ellipsis axis, whatever its letters
        return labels, output.replace("...", _ELLIPSIS_LABELS[:width])
    counts = {c: "".join(labels).count(c) for c in "".join(labels) if c in _LETTERS}
    return labels, _ELLIPSIS_LABELS[:width] + "".join(sorted(c for c, n in counts.items()
                                                             if n == 1))


def _numpy_checks(subscripts: str, arrays: list[OOArray], dtype: Any, casting: str,
                  ) -> np.dtype:
    """NumPy's syntax errors and result dtype, from size-1 stand-ins of the operands."""
    stand_ins = [np.ones((1,) * a.ndim, a.dtype) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(np.einsum(subscripts, *stand_ins, dtype=dtype,
                                    casting=casting)).dtype


def _check_lengths(terms: list[_Term]) -> dict[str, int]:
    """Return each label's length; lengths of one broadcast, other differences raise."""
    lengths: dict[str, int] = {}
    for term in terms:
        for label, n in zip(term.labels, term.array.shape):
            known = lengths.get(label, n)
            if known != n and 1 not in (known, n):
                shapes = " ".join(str(t.array.shape) for t in terms)
                raise ValueError(f"operands could not be broadcast together: label "
                                 f"{label!r} has lengths {known} and {n} (shapes {shapes})")
            lengths[label] = max(known, n)
    return lengths


def _single_view_lengths(term: _Term) -> dict[str, int]:
    """Label lengths as NumPy's einsum takes them for one operand whose labels all reach the
    output (a strided view, no sum): a repeated label first seen with length 0 takes the
    next occurrence's length, so ``np.einsum('ii->i', zeros((0, 1)))`` has shape (1,)."""
    lengths: dict[str, int] = {}
    for label, n in zip(term.labels, term.array.shape):
        known = lengths.get(label, 0)
        if known and known != n:
            raise ValueError(f"dimensions in single operand for collapsing index '{label}' "
                             f"don't match ({known} != {n})")
        lengths[label] = n if not known else known
    return lengths


def _take_diagonals(term: _Term) -> _Term:
    """Replace each repeated label by the diagonal of its axes (moved last)."""
    array, labels = term.array, term.labels
    while len(set(labels)) < len(labels):
        label = next(c for c in labels if labels.count(c) > 1)
        first = labels.index(label)
        second = labels.index(label, first + 1)
        if array.shape[first] != array.shape[second]:
            raise ValueError(f"dimensions in operand for collapsing index '{label}' don't "
                             f"match ({array.shape[first]} != {array.shape[second]})")
        array = diagonal(array, 0, first, second)
        labels = labels[:first] + labels[first + 1:second] + labels[second + 1:] + label
    return _Term(array, labels)


def _sum_labels(term: _Term, labels: set[str], dtype: np.dtype, keepdims: bool = False
                ) -> _Term:
    axes = tuple(i for i, c in enumerate(term.labels) if c in labels)
    if not axes:
        return term
    array = np.sum(term.array, axis=axes, dtype=dtype, keepdims=keepdims)
    kept = term.labels if keepdims else "".join(c for c in term.labels if c not in labels)
    return _Term(array, kept)


def _needed(terms: list[_Term], output: str, skip: tuple[int, ...]) -> set[str]:
    """Labels that the output or any term but those in ``skip`` uses."""
    needed = set(output)
    for i, term in enumerate(terms):
        if i not in skip:
            needed.update(term.labels)
    return needed


def _pair(a: _Term, b: _Term, needed: set[str], dtype: np.dtype) -> _Term:
    """Contract two terms: shared labels still needed are batch axes, the others summed."""
    shared = [c for c in a.labels if c in b.labels]
    # a summed label of length 1 on one side: sum the other side over it first
    for label in [c for c in shared if c not in needed]:
        if a.size(label) != b.size(label):
            if a.size(label) == 1:
                b = _sum_labels(b, {label}, dtype, keepdims=True)
            else:
                a = _sum_labels(a, {label}, dtype, keepdims=True)
    batch = [(a.labels.index(c), b.labels.index(c)) for c in shared if c in needed]
    summed = [(a.labels.index(c), b.labels.index(c)) for c in shared if c not in needed]
    result = contract(a.array, b.array, batch, summed, dtype)
    labels = "".join(c for c in shared if c in needed) + \
        "".join(c for c in a.labels if c not in shared) + \
        "".join(c for c in b.labels if c not in shared)
    return _Term(result, labels)


def _result_size(a: _Term, b: _Term, needed: set[str], lengths: dict[str, int]) -> int:
    kept = {c for c in a.labels + b.labels if c in needed}
    return math.prod(lengths[c] for c in kept)


def _contract_all(terms: list[_Term], output: str, lengths: dict[str, int],
                  dtype: np.dtype) -> _Term:
    """Contract the terms pairwise, the pair with the smallest result first."""
    while True:
        terms = [_sum_labels(t, set(t.labels) - _needed(terms, output, (i,)), dtype)
                 for i, t in enumerate(terms)]
        if len(terms) == 1:
            return terms[0]
        i, j = min(itertools.combinations(range(len(terms)), 2),
                   key=lambda p: _result_size(terms[p[0]], terms[p[1]],
                                              _needed(terms, output, p), lengths))
        merged = _pair(terms[i], terms[j], _needed(terms, output, (i, j)), dtype)
        terms = [t for k, t in enumerate(terms) if k not in (i, j)] + [merged]


def _finish(term: _Term, output: str, lengths: dict[str, int], dtype: np.dtype) -> OOArray:
    array = term.array.transpose([term.labels.index(c) for c in output])
    if array.dtype != dtype:
        array = array.astype(dtype)
    shape = tuple(lengths[c] for c in output)
    if array.shape != shape:
        budget = target_chunk_bytes(_config.get().memory_limit)
        array = OOArray(BroadcastNode(array.node, shape, budget))
    return array


@implements(np.einsum)
def einsum(*operands: Any, out: Any = None, optimize: Any = False, dtype: Any = None,
           order: str = "K", casting: str = "safe") -> Any:
    """Einstein summation, as ``np.einsum``, out of core.

    Supports explicit (``->``) and implicit outputs, ``...`` broadcasting, repeated labels in
    one operand (diagonals and traces), sums, and contractions of any number of operands
    (pairwise, smallest result first; ``optimize`` is accepted and ignored).

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        NumPy's errors for bad subscripts and mismatched lengths.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6.0).reshape(2, 3))
    >>> np.einsum("ij,kj->ik", a, a).compute()
    array([[ 5., 14.],
           [14., 50.]])
    """
    if operands and isinstance(operands[0], str):
        subscripts, arrays = operands[0], [asarray(op) for op in operands[1:]]
    else:
        subscripts, raw = _interleaved(operands)
        arrays = [asarray(op) for op in raw]
    result_dtype = _numpy_checks(subscripts, arrays, dtype, casting)
    labels, output = parse_subscripts(subscripts, [a.ndim for a in arrays])
    if len(arrays) == 1 and set(labels[0]) <= set(output):
        lengths = _single_view_lengths(_Term(arrays[0], labels[0]))
        if arrays[0].size == 0 and any(
                lengths[c] != n for c, n in zip(labels[0], arrays[0].shape)):
            # NumPy's view of an empty operand with a longer diagonal: its values are read
            # past the end of the operand's (empty) buffer, so undefined; these are zeros
            return _deliver(zeros(tuple(lengths[c] for c in output), result_dtype), out)
    terms = [_take_diagonals(_Term(a.astype(result_dtype, copy=False), t))
             for a, t in zip(arrays, labels)]
    lengths = _check_lengths(terms)
    result = _finish(_contract_all(terms, output, lengths, result_dtype), output, lengths,
                     result_dtype)
    return _deliver(result, out)
