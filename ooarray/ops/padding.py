"""Padding: ``np.pad`` in every mode, out of core.

A padded axis is the input joined with the pieces each mode makes: constant slabs, edges
broadcast, ramps (:class:`~ooarray.algorithms.padding.RampNode`), statistics of the input's ends,
and reflections or wraps folded from slices of the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.algorithms.padding import RampNode
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.ops.creation import asarray, full
from ooarray.ops.joining import _at, concatenate
from ooarray.ops.manipulation import (
    broadcast_to,
)

__all__ = ["pad", "PAD_MODES", "fold_runs"]


# -- pad ------------------------------------------------------------------------------------
#: Modes and the keyword arguments each takes (NumPy's table); 'median' and callables are
#: not supported.
PAD_MODES = {
    "constant": ["constant_values"], "empty": [], "edge": [], "wrap": [],
    "linear_ramp": ["end_values"], "maximum": ["stat_length"], "minimum": ["stat_length"],
    "mean": ["stat_length"], "reflect": ["reflect_type"], "symmetric": ["reflect_type"],
}
_NUMPY_ONLY_MODES = {"median": ["stat_length"]}


def _pad_pairs(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    from numpy.lib._arraypad_impl import _as_pairs  # NumPy's own broadcasting and checks

    if isinstance(pad_width, dict):
        seq = [(0, 0)] * ndim
        for axis, width in pad_width.items():
            seq[axis] = (width, width) if isinstance(width, int) else tuple(width)
        pad_width = seq
    widths = np.asarray(pad_width)
    if widths.dtype.kind != "i":
        raise TypeError("`pad_width` must be of integral type.")
    return [(int(a), int(b)) for a, b in _as_pairs(widths, ndim, as_index=True)]


def _value(value: Any, dtype: np.dtype) -> Any:
    """``value`` as NumPy assigns it into an array of ``dtype`` (its casting and errors)."""
    holder = np.empty((), dtype)
    holder[()] = value
    return holder[()]


def _slab_shape(array: OOArray, axis: int, width: int) -> tuple[int, ...]:
    return array.shape[:axis] + (width,) + array.shape[axis + 1:]


def _join_pad(array: OOArray, axis: int, left: OOArray | None, right: OOArray | None
              ) -> OOArray:
    parts = [p for p in (left, array, right) if p is not None and p.shape[axis]]
    if len(parts) > 1:
        return concatenate(parts, axis)
    # one non-empty part is the answer, whichever it is: padding an empty axis gives the
    # pad alone (np.pad(zeros((0, 0)), ((0, 0), (0, 1))) has shape (0, 1))
    return parts[0] if parts else array


def _filled(array: OOArray, axis: int, width: int, value: Any) -> OOArray | None:
    if not width:
        return None
    return full(_slab_shape(array, axis, width), _value(value, array.dtype), array.dtype)


def _edges(array: OOArray, axis: int, pair: tuple[int, int]) -> list[OOArray | None]:
    n, nd = array.shape[axis], array.ndim
    ends = (slice(0, 1), slice(n - 1, n))
    return [broadcast_to(array[_at(nd, axis, end)], _slab_shape(array, axis, width))
            if width else None for end, width in zip(ends, pair, strict=True)]


def _ramps(array: OOArray, axis: int, pair: tuple[int, int], ends: Any) -> list:
    n, nd = array.shape[axis], array.ndim
    target = target_chunk_bytes(_config.get().memory_limit)
    edges = (slice(0, 1), slice(n - 1, n))
    return [OOArray(RampNode(array[_at(nd, axis, edge)].node, axis, width, end, reverse,
                             target)) if width else None
            for edge, width, end, reverse in zip(edges, pair, ends, (False, True), strict=True)]


def _stats(array: OOArray, axis: int, pair: tuple[int, int], lengths: Any,
           mode: str) -> list:
    func = {"maximum": np.max, "minimum": np.min, "mean": np.mean}[mode]
    n, nd = array.shape[axis], array.ndim
    left_length, right_length = (n if x is None or x > n else int(x) for x in lengths)
    if 0 in (left_length, right_length) and mode != "mean":
        raise ValueError("stat_length of 0 yields no value for padding")

    def stat(part: slice) -> OOArray:
        value = func(array[_at(nd, axis, part)], axis=axis, keepdims=True)
        if np.issubdtype(array.dtype, np.integer) and value.dtype.kind in "fc":
            value = np.rint(value)
        return value.astype(array.dtype) if value.dtype != array.dtype else value

    left = stat(slice(0, left_length))
    right = left if left_length == right_length == n else stat(slice(n - right_length, n))
    return [broadcast_to(value, _slab_shape(array, axis, width)) if width else None
            for value, width in zip((left, right), pair, strict=True)]


def fold_runs(n: int, before: int, after: int, mode: str
              ) -> list[tuple[int, int, int, int]]:
    """The runs of input positions that fill a padded axis: ``(start, stop, step, round)``.

    Even reflection, symmetric reflection and wrapping map output position ``j`` (from
    ``-before``) to a fold of ``j`` modulo a period (``2(n-1)``, ``2n``, ``n``), which is
    what NumPy's repeated padding computes; runs of ascending or descending positions are
    slices of the input. ``round`` is ``j // period``: odd reflections add ``round`` times
    twice the difference of the last and first values.

    Examples
    --------
    >>> fold_runs(3, 2, 1, "reflect")  # [0, 1, 2] -> [2, 1, 0, 1, 2, 1]
    [(2, 3, 1, -1), (1, 0, -1, -1), (0, 3, 1, 0), (1, 0, -1, 0)]
    """
    period = {"reflect": 2 * (n - 1), "symmetric": 2 * n, "wrap": n}[mode]
    runs = []
    j, end = -before, n + after
    while j < end:
        turn, t = divmod(j, period)
        if t < n:
            count = min(n - t, end - j)
            runs.append((t, t + count, 1, turn))
        else:
            top = period - t if mode == "reflect" else period - 1 - t
            count = min(period - t, end - j)
            runs.append((top, top - count, -1, turn))
        j += count
    return runs


def _folded(array: OOArray, axis: int, pair: tuple[int, int], mode: str,
            odd: bool = False) -> OOArray:
    """The padded axis as one join of folded slices; odd reflections (the point reflection
    of the input about each end, extended) add ``2 * last - slice`` on descending runs and
    ``round * 2 * (last - first)``, in the array's dtype as NumPy's rounds compute them."""
    n, nd = array.shape[axis], array.ndim
    if odd:
        first = array[_at(nd, axis, slice(0, 1))]
        last = array[_at(nd, axis, slice(n - 1, n))]
        drift = 2 * (last - first)
    pieces = []
    for start, stop, step, turn in fold_runs(n, *pair, mode):
        piece = array[_at(nd, axis, slice(start, stop if stop >= 0 else None, step))]
        if odd:
            if step < 0:
                piece = 2 * last - piece
            if turn:
                piece = piece + drift * np.array(turn).astype(array.dtype)
            piece = piece.astype(array.dtype, copy=False)
        pieces.append(piece)
    return concatenate(pieces, axis) if len(pieces) > 1 else array


def _reflect_bool_odd(array: OOArray, axis: int, pair: tuple[int, int], period: int,
                      include_edge: bool) -> OOArray:
    """NumPy's rounds of odd reflection, for booleans: each round mirrors ``2 * edge -
    values`` of what is padded so far and casts back to bool, which no fold reproduces."""
    nd = array.ndim
    left, right = pair
    core = array
    while left > 0 or right > 0:
        length = core.shape[axis]
        if include_edge:
            span, offset = length // period * period, 1
        else:
            span, offset = (length - 1) // (period - 1) * (period - 1), 0
        pieces: list[OOArray | None] = [None, None]
        if left > 0:
            count = min(span, left)
            piece = core[_at(nd, axis, slice(1 - offset, count - offset + 1))]
            piece = piece[_at(nd, axis, slice(None, None, -1))]
            edge = core[_at(nd, axis, slice(0, 1))]
            pieces[0], left = (2 * edge - piece).astype(core.dtype), left - count
        if right > 0:
            count = min(span, right)
            stop = length - 1 + offset
            piece = core[_at(nd, axis, slice(stop - count, stop))]
            piece = piece[_at(nd, axis, slice(None, None, -1))]
            edge = core[_at(nd, axis, slice(length - 1, length))]
            pieces[1], right = (2 * edge - piece).astype(core.dtype), right - count
        core = _join_pad(core, axis, *pieces)
    return core


@implements(np.pad)
def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> OOArray:
    """Pad an array, as ``np.pad``, for the modes in :data:`PAD_MODES`.

    Axis by axis in NumPy's order, the array is joined with the pieces NumPy's pad writes:
    filled blocks (``constant``, ``empty``), broadcast edges (``edge``), mirrored or
    wrapped slices of what is padded so far (``reflect``, ``symmetric``, ``wrap``), ramps
    (``linear_ramp``), and reductions broadcast over the width (``maximum``, ``minimum``,
    ``mean``). Nothing is copied beyond the region a task writes.

    Raises
    ------
    ValueError
        NumPy's: an unknown mode, keyword arguments the mode does not take, negative
        widths, extending an empty axis with a mode other than 'constant' or 'empty'.
    TypeError
        A ``pad_width`` that is not integral.
    NotImplementedError
        ``mode="median"`` of a non-empty array, or a callable mode.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.pad(oa.arange(3), (2, 1), mode="reflect").compute()
    array([2, 1, 0, 1, 2, 1])
    """
    result = asarray(array)
    pairs = _pad_pairs(pad_width, result.ndim)
    # an empty array pads to an empty array (or NumPy's error) in every mode NumPy has, so
    # 'median' needs no out-of-core algorithm then
    empty_median = mode in _NUMPY_ONLY_MODES and result.size == 0
    if (callable(mode) or mode in _NUMPY_ONLY_MODES) and not empty_median:
        shown = "a callable" if callable(mode) else repr(mode)
        raise NotImplementedError(
            f"np.pad(mode={shown}) is not supported by ooarray out of core; supported modes: "
            f"{', '.join(PAD_MODES)} (or call np.pad on np.asarray(x) if it fits in memory)")
    allowed = _NUMPY_ONLY_MODES[mode] if empty_median else PAD_MODES.get(mode)
    if allowed is None:
        raise ValueError(f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - set(allowed)
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    from numpy.lib._arraypad_impl import _as_pairs

    original = result.shape
    if mode in ("constant", "empty") or result.size == 0:
        if mode not in ("constant", "empty"):
            for axis, widths in enumerate(pairs):
                if original[axis] == 0 and any(widths):
                    raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                     f"'constant' or 'empty'")
        values = _as_pairs(kwargs.get("constant_values", 0), result.ndim)
        for axis, (widths, value_pair) in enumerate(zip(pairs, values, strict=True)):
            result = _join_pad(result, axis, *(_filled(result, axis, w, v)
                                               for w, v in zip(widths, value_pair, strict=True)))
        return result
    if mode == "linear_ramp":
        ends = _as_pairs(kwargs.get("end_values", 0), result.ndim)
    elif mode in ("maximum", "minimum", "mean"):
        lengths = _as_pairs(kwargs.get("stat_length"), result.ndim, as_index=True)
    odd = mode != "wrap" and kwargs.get("reflect_type", "even") == "odd"
    for axis, widths in enumerate(pairs):
        if not any(widths):
            continue
        if mode == "edge" or (mode in ("reflect", "symmetric") and original[axis] == 1):
            result = _join_pad(result, axis, *_edges(result, axis, widths))
        elif mode == "linear_ramp":
            result = _join_pad(result, axis, *_ramps(result, axis, widths, ends[axis]))
        elif mode in ("maximum", "minimum", "mean"):
            result = _join_pad(result, axis, *_stats(result, axis, widths, lengths[axis],
                                                     mode))
        elif not odd or result.dtype != np.bool_:
            result = _folded(result, axis, widths, mode, odd)
        else:
            result = _reflect_bool_odd(result, axis, widths, original[axis],
                                       mode == "symmetric")
    return result
