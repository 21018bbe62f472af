"""Joining and splitting: concatenate, stack and its variants, block, split, pad.

Every join is one :class:`~ooarray.plan.concat.ConcatNode`: an output region reads the
regions of the inputs it spans, so nothing is copied beyond the region a task writes, and a
region inside one input is a view of it. The result dtype, the casting rules and the errors
are NumPy's: ``np.concatenate`` runs on zero-size stand-ins of the inputs (the joined axis
set to length 0, which costs nothing). Splits are slices. ``pad`` joins the array with the
pieces NumPy's pad writes (constants, edge broadcasts, reflected or wrapped slices, ramps,
statistics), axis by axis and in NumPy's order, so corners and large widths come out the same.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.exceptions import AxisError
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.chunks import target_chunk_bytes
from ooarray.core.dispatch import implements
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import asarray, full
from ooarray.ops.manipulation import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    expand_dims,
    ravel,
)
from ooarray.plan.concat import ConcatNode, concat_chunks, limit_chunks
from ooarray.plan.ramp import RampNode

__all__ = ["concatenate", "append", "unstack", "stack", "vstack", "hstack", "dstack",
           "column_stack", "block", "split", "array_split", "hsplit", "vsplit", "dsplit",
           "pad", "PAD_MODES"]


def _at(ndim: int, axis: int, item: Any) -> tuple:
    return tuple(item if a == axis else slice(None) for a in range(ndim))


def _stand_in(array: OOArray, axis: int | None) -> np.ndarray:
    """A zero-size array of ``array``'s dtype and shape with ``axis`` of length 0."""
    shape = list(array.shape)
    if shape:
        try:
            shape[normalize_axis_index(axis if axis is not None else 0, len(shape))] = 0
        except AxisError:
            shape = [0] * len(shape)  # NumPy raises for the axis whatever the lengths
    return np.empty(shape, array.dtype)


def _as_list(arrays: Any) -> list[OOArray]:
    if isinstance(arrays, OOArray):
        return list(arrays)
    return [asarray(x) for x in arrays]


# -- concatenate and stack ------------------------------------------------------------------
@implements(np.concatenate)
def concatenate(arrays: Any, /, axis: int | None = 0, out: Any = None, *, dtype: Any = None,
                casting: str = "same_kind") -> Any:
    """Join arrays along an existing axis, as ``np.concatenate``.

    Parameters
    ----------
    arrays : sequence of array_like
        OOArrays, ndarrays, lists; same shape except along ``axis``.
    axis : int or None
        None joins the flattened arrays.
    out : OOArray or ndarray, optional
    dtype : dtype, optional
        The result's dtype (not together with ``out``).
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}

    Returns
    -------
    OOArray

    Raises
    ------
    ValueError
        NumPy's: no arrays, 0-d arrays, shapes that differ off the axis.
    TypeError
        A cast the ``casting`` rule forbids, or both ``out`` and ``dtype``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.concatenate([oa.arange(3), np.arange(2)]).compute()
    array([0, 1, 2, 0, 1])
    """
    if out is not None and dtype is not None:
        raise TypeError("concatenate() only takes `out` or `dtype` as an argument, but both "
                        "were provided.")
    items = _as_list(arrays)
    if axis is None:
        items, axis = [ravel(x) for x in items], 0
    stand_ins = [_stand_in(x, axis) for x in items]
    probe = np.concatenate(stand_ins, axis=axis, dtype=dtype, casting=casting)
    if out is not None:  # NumPy's casting check into out's dtype
        target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
        np.concatenate(stand_ins, axis=axis, out=np.empty(probe.shape, target.dtype),
                       casting=casting)
    result_dtype = probe.dtype
    check_dtype(result_dtype)
    axis = normalize_axis_index(axis, probe.ndim)
    result = _join([x for x in items if x.shape[axis]] or items[:1], axis, result_dtype)
    return deliver_out(result, out, casting="unsafe")


def _join(items: list[OOArray], axis: int, dtype: np.dtype) -> OOArray:
    if len(items) == 1:
        return items[0] if items[0].dtype == dtype else items[0].astype(dtype)
    nodes = [x.node for x in items]
    widest = max(nodes, key=lambda node: node.nbytes)
    chunks = concat_chunks([widest] + nodes, axis)
    chunks = tuple(c if a != axis else concat_chunks(nodes, axis)[axis]
                   for a, c in enumerate(chunks))
    largest = max(math.prod(max(c) for c in node.chunks) * node.dtype.itemsize
                  for node in nodes)
    allowed = max(largest, target_chunk_bytes(_config.get().memory_limit))
    return OOArray(ConcatNode(nodes, axis, dtype, limit_chunks(chunks, dtype.itemsize, allowed)))


@implements(np.stack)
def stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None,
          casting: str = "same_kind") -> Any:
    """Join arrays of one shape along a new axis, as ``np.stack``.

    Raises
    ------
    ValueError
        No arrays, or arrays of different shapes.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.stack([oa.arange(2), oa.arange(2)], axis=1).compute()
    array([[0, 0],
           [1, 1]])
    """
    items = _as_list(arrays)
    if not items:
        raise ValueError("need at least one array to stack")
    if len({x.shape for x in items}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, items[0].ndim + 1)
    return concatenate([expand_dims(x, axis) for x in items], axis=axis, out=out, dtype=dtype,
                       casting=casting)


def _tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@implements(np.vstack)
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> OOArray:
    """Stack arrays as rows (axis 0 of their 2-D views), as ``np.vstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.vstack([oa.arange(2), [5, 6]]).compute()
    array([[0, 1],
           [5, 6]])
    """
    items = _as_list(tup)
    return concatenate(_tuple(atleast_2d(*items)) if items else [], 0, dtype=dtype,
                       casting=casting)


@implements(np.hstack)
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> OOArray:
    """Stack arrays as columns (axis 1, or axis 0 of 1-D arrays), as ``np.hstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.hstack([oa.arange(2), [5]]).compute()
    array([0, 1, 5])
    """
    items = _tuple(atleast_1d(*_as_list(tup))) if len(_as_list(tup)) else ()
    axis = 0 if items and items[0].ndim == 1 else 1
    return concatenate(list(items), axis, dtype=dtype, casting=casting)


@implements(np.dstack)
def dstack(tup: Any) -> OOArray:
    """Stack arrays along the third axis of their 3-D views, as ``np.dstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.dstack([oa.arange(2), oa.arange(2)]).shape
    (1, 2, 2)
    """
    items = _as_list(tup)
    return concatenate(list(_tuple(atleast_3d(*items))) if items else [], 2)


@implements(np.column_stack)
def column_stack(tup: Any) -> OOArray:
    """Stack 1-D arrays as columns of a 2-D array (others as they are), as
    ``np.column_stack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.column_stack([oa.arange(2), [5, 6]]).compute()
    array([[0, 5],
           [1, 6]])
    """
    columns = []
    for item in _as_list(tup):
        columns.append(atleast_2d(item).T if item.ndim < 2 else item)
    return concatenate(columns, 1)


@implements(np.append)
def append(arr: Any, values: Any, axis: int | None = None) -> OOArray:
    """Append ``values`` along ``axis`` (both flattened by default), as ``np.append``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.append(oa.arange(3), [[7, 8]]).compute()
    array([0, 1, 2, 7, 8])
    """
    array = asarray(arr)
    if axis is None:
        array, values, axis = ravel(array), ravel(asarray(values)), 0
    return concatenate((array, values), axis=axis)


@implements(np.unstack)
def unstack(x: Any, /, *, axis: int = 0) -> tuple[OOArray, ...]:
    """Split along ``axis`` into the arrays ``np.stack`` would join, as ``np.unstack``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [u.shape for u in np.unstack(oa.ones((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    array = asarray(x)
    if array.ndim == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = normalize_axis_index(axis, array.ndim)
    return tuple(array[_at(array.ndim, axis, i)] for i in range(array.shape[axis]))


# -- block ----------------------------------------------------------------------------------
def _path(index: list[int]) -> str:
    return "arrays" + "".join(f"[{i}]" for i in index)


def _block_depths(x: Any, index: list[int]) -> tuple[list[int], int]:
    """Check nested lists as ``np.block`` does; return the first leaf's index and the
    largest ndim of a leaf."""
    if type(x) is tuple:
        raise TypeError(f"{_path(index)} is a tuple. Only lists can be used to arrange "
                        f"blocks, and np.block does not allow implicit conversion from tuple "
                        f"to ndarray.")
    if type(x) is not list:
        return index, asarray(x).ndim
    if not x:
        raise ValueError(f"List at {_path(index)} cannot be empty")
    first: list[int] | None = None
    ndim = 0
    for i, item in enumerate(x):
        leaf, item_ndim = _block_depths(item, index + [i])
        if first is None:
            first = leaf
        elif len(leaf) != len(first):
            raise ValueError(f"List depths are mismatched. First element was at depth "
                             f"{len(first)}, but there is an element at depth {len(leaf)} "
                             f"({_path(leaf)})")
        ndim = max(ndim, item_ndim)
    return first, ndim


def _block(x: Any, depth: int, list_ndim: int, ndim: int) -> OOArray:
    if depth < list_ndim:
        return concatenate([_block(item, depth + 1, list_ndim, ndim) for item in x],
                           axis=-(list_ndim - depth))
    array = asarray(x)
    return array[(None,) * (ndim - array.ndim) + (Ellipsis,)] if array.ndim < ndim else array


@implements(np.block)
def block(arrays: Any) -> OOArray:
    """Assemble an array from nested lists of blocks, as ``np.block``: the innermost lists
    join along the last axis, the next along the one before, and so on.

    Raises
    ------
    ValueError
        Empty lists, or lists nested to different depths.
    TypeError
        Tuples in place of lists.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> np.block([[oa.ones((1, 2), int), np.zeros((1, 1), int)], [np.zeros((1, 3), int)]]).compute()
    array([[1, 1, 0],
           [0, 0, 0]])
    """
    first, ndim = _block_depths(arrays, [])
    list_ndim = len(first)
    return _block(arrays, 0, list_ndim, max(list_ndim, ndim))


# -- split ----------------------------------------------------------------------------------
@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[OOArray]:
    """Split into sub-arrays (of near-equal lengths for a count), as ``np.array_split``;
    each is a slice.

    Raises
    ------
    ValueError
        A section count below 1.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [x.shape for x in np.array_split(oa.arange(5), 2)]
    [(3,), (2,)]
    """
    array = asarray(ary)
    axis = normalize_axis_index(operator.index(axis), array.ndim)
    total = array.shape[axis]
    try:
        points = [0] + list(indices_or_sections) + [total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [array[_at(array.ndim, axis, slice(int(points[i]), int(points[i + 1])))]
            for i in range(len(points) - 1)]


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[OOArray]:
    """Split into equal sub-arrays or at indices, as ``np.split``.

    Raises
    ------
    ValueError
        A section count that does not divide the axis.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> [x.compute().tolist() for x in np.split(oa.arange(4), [1])]
    [[0], [1, 2, 3]]
    """
    array = asarray(ary)
    try:
        len(indices_or_sections)
    except TypeError:
        sections = indices_or_sections
        if array.shape[normalize_axis_index(operator.index(axis), array.ndim)] % sections:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(array, indices_or_sections, axis)


def _split_at_least(name: str, ndim: int, axis: int):
    def splitter(ary: Any, indices_or_sections: Any) -> list[OOArray]:
        array = asarray(ary)
        if array.ndim < ndim:
            raise ValueError(f"{name} only works on arrays of {ndim} or more dimensions")
        return split(array, indices_or_sections, axis if array.ndim > 1 else 0)
    splitter.__name__ = name
    splitter.__doc__ = (f"Split along axis {axis} (axis 0 of 1-D arrays), as ``np.{name}``."
                        "\n\nExamples\n--------\n>>> import numpy as np, ooarray as oa\n"
                        f">>> len(np.{name}(oa.ones((2, 2, 2)), 2))\n2\n")
    return splitter


hsplit = implements(np.hsplit)(_split_at_least("hsplit", 1, 1))
vsplit = implements(np.vsplit)(_split_at_least("vsplit", 2, 0))
dsplit = implements(np.dsplit)(_split_at_least("dsplit", 3, 2))


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
