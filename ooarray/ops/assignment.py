"""Assignment: ``a[idx] = value``, ``np.copyto``, ``np.putmask``, ``np.place``.

Lazy and copy-on-write: an assignment builds a node whose output is the old array with some
positions replaced (:mod:`ooarray.algorithms.scatter`), and rebinds the OOArray to it. Arrays built
from the old one before (``b = a[1:]``, ``c = a + 1``) keep the old values; an assignment
whose value reads the array itself (``a[1:] = a[:-1]``) reads the old values, as NumPy's copy
of overlapping operands does.

NumPy raises the errors: index, broadcast and casting errors come from NumPy itself, run on
stand-ins of a zero-byte dtype (the shapes are real, the data costs nothing).
"""

from __future__ import annotations

import math
import operator
import os
import shutil
import tempfile
import warnings
import weakref
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements, implements_method
from ooarray.core.indexing import empty_masks_as_indices, is_basic_index, normalize_basic_index
from ooarray.ops._operands import IN_MEMORY_SHARE, compute_small, constant_node
from ooarray.plan.graph import Node, SourceNode
from ooarray.plan.regions import BroadcastNode, CastNode, SliceNode, TransposeNode
from ooarray.algorithms.scatter import (
    BlockCountNode,
    CyclicNode,
    Destinations,
    EntryCountNode,
    EntryPartitionNode,
    MaskedFillNode,
    MaskedValuesNode,
    ScatterNode,
    SetRegionNode,
    segment_lengths,
)
from ooarray.store.memmap import NpyStore

__all__ = ["setitem", "copyto", "putmask", "place"]

#: A dtype of zero bytes: stand-ins of any shape on which NumPy checks indices and shapes.
_NOTHING = np.dtype([])
_SCALARS = (bool, int, float, complex, np.generic)
#: Index arrays up to this many entries are checked by NumPy on a stand-in of their values.
SMALL_INDEX = 2**16


# -- small helpers ---------------------------------------------------------------------------
def _limit() -> int:
    return _config.get().memory_limit


def _shape_text(shape: tuple[int, ...]) -> str:
    """A shape as NumPy's assignment errors print it: ``(2,1,3)``, ``(2,)``."""
    return "(" + ",".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _stand_in(shape: tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, _NOTHING)


def _index_stand_in(item: Any) -> Any:
    """An index item NumPy can check: OOArrays become zero-strided arrays of their shape."""
    if isinstance(item, OOArray):
        return np.broadcast_to(np.zeros((), item.dtype), item.shape)
    return item


def _small(array: OOArray, what: str) -> np.ndarray:
    """Compute ``array`` if it fits a share of the budget, else refuse with TypeError."""
    allowed = int(_limit() * IN_MEMORY_SHARE)
    if array.nbytes > allowed:
        raise TypeError(f"{what} needs the whole of an OOArray of {array.nbytes} bytes in "
                        f"memory, above {allowed} bytes (a quarter of memory_limit); raise "
                        f"memory_limit or pass it as an ndarray")
    return array.compute()


def _oo(node: Node) -> OOArray:
    return OOArray(node)


def _full_slice(shape: tuple[int, ...]) -> list[Any]:
    return [(0, 1, n) for n in shape]


def _drop_leading(node: Any, count: int) -> Any:
    """Drop ``count`` leading axes of length 1 (a Node or an ndarray)."""
    if not count:
        return node
    if isinstance(node, Node):
        return SliceNode(node, [0] * count + _full_slice(node.shape[count:]))
    return node.reshape(node.shape[count:])


def _value(value: Any, dtype: np.dtype, advanced: bool = False) -> Any:
    """The value as a Node or an ndarray of ``dtype``, cast as NumPy's assignment casts.

    ``advanced``: the index takes NumPy's advanced path (a boolean mask, integer arrays, a
    bool scalar), which makes an array of a NumPy scalar value first, so the scalar is cast
    as a 0-d array is (np.int32(2**31 - 1) wraps to -1 in int8, np.float64(nan) becomes 0
    with NumPy's warning); the basic path (slices, integers, ``...``) converts it as a
    Python number (OverflowError, ValueError for NaN). Python numbers convert alike on both.
    """
    if isinstance(value, OOArray):
        if value.dtype.kind == "c" and dtype.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part",
                          np.exceptions.ComplexWarning, stacklevel=3)
        return value.node if value.dtype == dtype else CastNode(value.node, dtype)
    if advanced and isinstance(value, np.generic):
        value = np.asarray(value)
    converted = np.empty(np.shape(value), dtype)
    converted[...] = value  # NumPy's own conversion: OverflowError, ValueError for NaN, ...
    return converted


def _as_node(value: Any) -> Node:
    return value if isinstance(value, Node) else constant_node(value)


def _operand(value: Any) -> Any:
    """A Node, or a 0-d ndarray (a broadcast scalar needs no node)."""
    if isinstance(value, Node) or value.ndim == 0:
        return value
    return constant_node(value)


def _strip(value: Any, ndim: int) -> Any:
    """Drop the leading axes of length 1 beyond ``ndim`` (NumPy's assignment allows them)."""
    extra = len(value.shape) - ndim
    while extra > 0 and value.shape[0] == 1:
        value, extra = _drop_leading(value, 1), extra - 1
    return value


# -- a[index] = value --------------------------------------------------------------------------
@implements_method("setitem")
def setitem(array: OOArray, index: Any, value: Any) -> None:
    """``array[index] = value``: rebind ``array`` to a node with the positions replaced.

    Parameters
    ----------
    array : OOArray
    index : basic index, integer arrays (lists, ndarrays, OOArrays, mixed with slices), or a
        boolean mask
    value : scalar, array-like or OOArray
        Cast to ``array.dtype`` as NumPy casts, broadcast to the indexed shape.

    Raises
    ------
    IndexError, ValueError, TypeError, OverflowError
        As NumPy raises them for the same index and value.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6), chunks=2)
    >>> b = a + 0
    >>> a[1:4] = -1
    >>> a[[0, 5]] = [10, 50]
    >>> a[a < 0] = 7
    >>> a.compute(), b.compute()
    (array([10,  7,  7,  7,  4, 50]), array([0, 1, 2, 3, 4, 5]))
    """
    if isinstance(index, OOArray) and index.dtype == np.bool_:
        if not index.size:  # an empty mask has no values to read: NumPy's rules for it below
            index = np.zeros(index.shape, np.bool_)
        else:
            array._node = _mask_assign(array, index, value)
            return
    if _full_integer_index(index, array.ndim):
        value = _packed(array, value)
    if not isinstance(index, OOArray) and is_basic_index(index):
        array._node = _basic_assign(array, index, value)
        return
    items = list(index) if isinstance(index, tuple) else [index]
    if len(items) == 1:
        _check_empty_full_mask(array, items[0], value)
    items = empty_masks_as_indices(items)
    lead = 0
    while lead < len(items) - 1 and _is_full_slice(items[lead]):
        lead += 1
    mask = _whole_mask(items[lead:], array.ndim - lead)
    if mask is not None and not lead:
        array._node = _mask_assign(array, mask, value)
    elif mask is not None and mask.ndim:
        array._node = _moved_mask_assign(array, items, lead, mask, value)
    else:
        array._node = _array_assign(array, items, value)


def _full_integer_index(index: Any, ndim: int) -> bool:
    """Whether ``index`` names one element by an integer per axis (``a[1]``, ``a[0, -1]``,
    ``a[()]`` of a 0-d array): NumPy's path that sets one element from a scalar."""
    items = index if isinstance(index, tuple) else (index,)
    if len(items) != ndim:
        return False
    for item in items:
        if isinstance(item, np.ndarray):
            if item.ndim or item.dtype.kind not in "iu":
                return False
        elif isinstance(item, (bool, np.bool_, OOArray)):
            return False
        else:
            try:
                operator.index(item)
            except TypeError:
                return False
    return True


def _packed(array: OOArray, value: Any) -> Any:
    """``value`` as NumPy sets one element of ``array`` from it: converted as a scalar by the
    dtype (``int(value)``, ``complex(value)``, ``bool(value)``), so a sequence or an array
    of any shape but () is NumPy's error (ValueError "setting an array element with a
    sequence"; TypeError for complex) at once, and a bool element takes its truth value."""
    holder = np.empty((), array.dtype)
    if isinstance(value, OOArray):
        if value.shape:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                holder[()] = np.zeros(value.shape, value.dtype)  # NumPy's error, if any
            return value.reshape(())  # one element: its truth value, for a bool target
        return value
    holder[()] = value
    return holder


def _check_empty_full_mask(array: OOArray, item: Any, value: Any) -> None:
    """NumPy's own error for a boolean mask of the array's whole shape that selects nothing.

    NumPy assigns through such a mask on its boolean path, which takes 0-d and 1-d values
    only, even when the mask is empty; any other empty mask reads as empty integer indices
    (``empty_masks_as_indices``), which broadcast any value of length-1 axes.
    """
    if getattr(item, "dtype", None) != np.bool_ or item.size or tuple(item.shape) != array.shape:
        return
    _check_mask_value(array, item, _value(value, array.dtype, advanced=True).shape, (), 0)


def _is_full_slice(item: Any) -> bool:
    return isinstance(item, slice) and item == slice(None)


def _basic_assign(array: OOArray, index: Any, value: Any) -> Node:
    entries = normalize_basic_index(index, array.shape)
    target = _stand_in(array.shape)
    converted = _value(value, array.dtype)
    shape = target[index].shape
    if isinstance(value, (list, tuple)) and len(converted.shape) > len(shape):
        # NumPy reads a nested sequence no deeper than the view it fills
        raise ValueError(f"setting an array element with a sequence. The requested array "
                         f"would exceed the maximum number of dimension of {len(shape)}.")
    target[index] = _stand_in(converted.shape)  # NumPy's broadcast error, if any
    return SetRegionNode(array.node, entries, _operand(_strip(converted, len(shape))))


def _whole_mask(items: list[Any], ndim: int) -> Any:
    """The boolean mask if the index is one mask (and full slices after it), else None."""
    first = items[0]
    if isinstance(first, (bool, np.bool_)):
        mask = np.asarray(first)
    elif isinstance(first, OOArray):
        mask = first if first.dtype == np.bool_ else None
    else:
        mask = np.asarray(first) if isinstance(first, (list, np.ndarray)) else None
        if mask is not None and mask.dtype != np.bool_:
            mask = None
    if mask is None:
        return None
    rest = items[1:]
    full = all(item is Ellipsis or _is_full_slice(item) for item in rest)
    ellipses = sum(item is Ellipsis for item in rest)
    if full and ellipses <= 1 and mask.ndim + len(rest) - ellipses <= ndim:
        return mask
    return None


def _mask_assign(array: OOArray, mask: Any, value: Any) -> Node:
    """``array[mask] = value`` for a boolean mask over the leading axes."""
    _stand_in(array.shape)[_index_stand_in(mask)]  # NumPy's IndexError for a wrong shape
    m = mask.ndim
    rest = array.shape[m:]
    converted = _value(value, array.dtype, advanced=True)
    if m == array.ndim:  # NumPy's path for a full mask takes 0-d and 1-d values only
        if len(converted.shape) > 1:
            _check_mask_value(array, mask, converted.shape, rest, 0)
    else:
        converted = _strip(converted, len(rest) + 1)
    vshape = converted.shape
    count_axis = len(vshape) - len(rest) - 1  # the axis of values along the mask, if any
    if count_axis < 0 or vshape[0] == 1:
        try:  # a value that needs no count: where(mask, value, array)
            _stand_in((2,) + rest)[np.ones(2, bool)] = _stand_in(vshape)
        except (ValueError, TypeError):
            _check_mask_value(array, mask, vshape, rest, _mask_count(mask))
            raise AssertionError("NumPy accepted the value with every count but one") from None
        if count_axis >= 0:
            converted = _drop_leading(converted, 1)
        mask_node = _mask_node(mask, (None,) * len(rest))
        return MaskedFillNode(array.node, _operand(converted), mask_node)
    mask_flat = _flat_mask(mask)
    old = array.node if m == 1 else np.reshape(array, (mask_flat.shape[0],) + rest).node
    counts = _oo(BlockCountNode(mask_flat, old.chunks[0])).compute()
    count = int(counts.sum())
    _check_mask_value(array, mask, vshape, rest, count)
    values = _as_node(converted)
    if values.shape != (count,) + rest:
        values = BroadcastNode(values, (count,) + rest, target_chunk_bytes(_limit()))
    node = MaskedValuesNode(old, mask_flat, values, counts)
    return node if m == 1 else np.reshape(_oo(node), array.shape).node


def _moved_mask_assign(array: OOArray, items: list[Any], lead: int, mask: Any,
                       value: Any) -> Node:
    """``array[:, ..., mask] = value`` (full slices before the mask): the masked axes are
    moved to the front, the mask assigned there, and the axes moved back, all lazily."""
    _stand_in(array.shape)[tuple(_index_stand_in(item) for item in items)]  # IndexError
    m, ndim = mask.ndim, array.ndim
    order = list(range(lead, lead + m)) + list(range(lead)) + list(range(lead + m, ndim))
    converted = _value(value, array.dtype, advanced=True)
    indexed = ndim - m + 1  # the leading axes, the count, the rest
    shape = converted.shape
    converted = _pad(_strip(converted, indexed), indexed)
    try:
        if len(converted.shape) > indexed:
            raise ValueError
        moved = [lead] + list(range(lead)) + list(range(lead + 1, indexed))
        values = TransposeNode(converted, moved) if isinstance(converted, Node) else \
            converted.transpose(moved)
        node = _mask_assign(OOArray(TransposeNode(array.node, order)), mask,
                            OOArray(values) if isinstance(values, Node) else values)
    except ValueError:  # NumPy's message is about the shapes as the user wrote them
        count = _mask_count(mask)
        raise ValueError(f"shape mismatch: value array of shape {_shape_text(shape)} could not "
                         f"be broadcast to indexing result of shape "
                         f"{_shape_text(array.shape[:lead] + (count,) + array.shape[lead + m:])}"
                         ) from None
    return TransposeNode(node, [int(i) for i in np.argsort(order)])


def _mask_count(mask: Any) -> int:
    if isinstance(mask, OOArray):
        flat = _flat_mask(mask)
        return int(_oo(BlockCountNode(flat, flat.chunks[0])).compute().sum())
    return int(np.count_nonzero(mask))


def _check_mask_value(array: OOArray, mask: Any, vshape: tuple[int, ...],
                      rest: tuple[int, ...], count: int) -> None:
    """Raise NumPy's error if a value of ``vshape`` does not fit ``count`` masked places."""
    if mask.ndim == array.ndim:  # NumPy's own path for a full mask takes 0-d or 1-d values
        if len(vshape) > 1:
            raise TypeError("NumPy boolean array indexing assignment requires a 0 or "
                            f"1-dimensional input, input has {len(vshape)} dimensions")
        if vshape and vshape[0] not in (1, count):
            raise ValueError(f"NumPy boolean array indexing assignment cannot assign "
                             f"{vshape[0]} input values to the {count} output values where "
                             f"the mask is true")
        return
    try:
        np.broadcast_shapes(vshape, (count,) + rest)
        fits = np.broadcast_shapes(vshape, (count,) + rest) == (count,) + rest
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"shape mismatch: value array of shape {_shape_text(vshape)} could "
                         f"not be broadcast to indexing result of shape "
                         f"{_shape_text((count,) + rest)}")


def _mask_node(mask: Any, new_axes: tuple[None, ...]) -> Any:
    """The mask with trailing new axes, as a Node (or a 0-d ndarray)."""
    if isinstance(mask, OOArray):
        node = mask.node
        return SliceNode(node, _full_slice(node.shape) + list(new_axes)) if new_axes else node
    shaped = mask.reshape(mask.shape + (1,) * len(new_axes))
    return shaped if shaped.ndim == 0 else constant_node(shaped)


def _flat_mask(mask: Any) -> Node:
    """The mask as a 1-d boolean node (a 0-d mask becomes one element)."""
    if isinstance(mask, OOArray):
        return mask.node if mask.ndim == 1 else np.reshape(mask, (-1,)).node
    return constant_node(np.asarray(mask, bool).reshape(-1))


def _array_assign(array: OOArray, items: list[Any], value: Any) -> Node:
    """``array[index] = value`` with integer arrays (and slices, integers, new axes)."""
    items = _expand(items, array)
    converted = _value(value, array.dtype, advanced=True)
    shape = _indexed_shape(array.shape, items, converted.shape)
    converted = _strip(converted, len(shape))
    if math.prod(shape) == 0:
        return array.node
    # Normalise: per axis of the array an index node, a (start, step, length) or None.
    advanced, slices, layout = [], {}, []
    axis = 0
    for item in items:
        if item is None:
            layout.append("new")
            continue
        if isinstance(item, slice):
            slices[axis] = item.indices(array.shape[axis])
            start, stop, step = slices[axis]
            slices[axis] = (start, step, len(range(start, stop, step)))
            layout.append("slice")
        else:
            advanced.append((axis, item))
            layout.append("advanced")
        axis += 1
    positions = [i for i, kind in enumerate(layout) if kind == "advanced"]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    first_with_new = positions[0] if adjacent else 0  # position in the indexed shape
    broadcast = np.broadcast_shapes(*[np.shape(_index_stand_in(i)) for _, i in advanced])
    n = math.prod(broadcast)
    axes = tuple(a for a, _ in advanced)
    indices = [_flat_index(item, broadcast, n) for _, item in advanced]
    # The value: the same for every entry (it broadcasts along the index axes) or one row each.
    width = len(broadcast)
    lead = len(shape) - len(converted.shape)
    varies = any(converted.shape[d - lead] != 1 for d in
                 range(max(first_with_new, lead), first_with_new + width))
    slice_shape = tuple(slices[a][2] for a in range(array.ndim) if a in slices)
    new_axes = [d for d, kind in enumerate(_indexed_layout(layout, first_with_new, width,
                                                           adjacent)) if kind == "new"]
    padded = _pad(converted, len(shape))
    block_dims = range(first_with_new, first_with_new + width)
    if varies:
        rows = _rows(padded, shape, block_dims, new_axes, n, slice_shape)
        uniform = None
    else:
        drop = [0 if d in block_dims or d in new_axes else (0, 1, padded.shape[d])
                for d in range(len(shape))]
        uniform = padded if isinstance(padded, np.ndarray) and padded.ndim == 0 else \
            _slice_any(padded, drop)
        if isinstance(uniform, np.ndarray):
            uniform = _operand(uniform)
        rows = None
    record = len(axes) * np.dtype(np.intp).itemsize + \
        (math.prod(slice_shape) * array.itemsize if rows is not None else 0)
    length = max(1, target_chunk_bytes(_limit()) // record)
    lengths = (length,) * (n // length) + ((n % length,) if n % length else ())
    destinations = Destinations(array.shape, array.chunks, axes)
    counted = compute_small(
        _oo(EntryCountNode(indices, lengths, destinations)),
        f"the table of counts for assigning {n} index entries into {destinations.buckets} "
        f"output blocks along the indexed axes",
        f"rechunk the array into fewer blocks along axes {axes} or raise memory_limit")
    buckets = destinations.buckets
    for position, axis in enumerate(axes):
        size = array.shape[axis]
        low = int(counted[:, buckets + 2 * position].min())
        high = int(counted[:, buckets + 2 * position + 1].max())
        for bad in (high if high >= size else None, low if low < -size else None):
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for axis {axis} with size "
                                 f"{size}")
    counts = counted[:, :buckets]
    partition = EntryPartitionNode(indices, rows, lengths, destinations, array.dtype,
                                   slice_shape)
    entries = _stored_partition(partition, counts) \
        if partition.nbytes > _limit() * IN_MEMORY_SHARE else partition
    return ScatterNode(array.node, entries, counts, lengths, destinations, axes, slices,
                       uniform)


def _stored_partition(partition: EntryPartitionNode, counts: np.ndarray) -> Node:
    """Write the partitioned entries to a raw file under ``spill_dir`` now, and return them
    as a source whose chunks are the (block, bucket) segments.

    In the pool, an output chunk's task would pin every partition block for the slice of it
    that lands in its bucket, and with blocks over the budget the pool would write them out
    and read them back once per bucket; from the file each task reads exactly its segments,
    so the entries are written once and read once. The file goes with the last array that
    uses it.
    """
    directory = tempfile.mkdtemp(prefix="ooarray-scatter-", dir=_config.get().spill_dir)
    path = os.path.join(directory, "entries.npy")
    written = _oo(partition).to_npy(path).node.store
    store = NpyStore(path, partition.shape, partition.dtype, written.data_offset,
                     (segment_lengths(counts),))
    source = SourceNode(store)
    weakref.finalize(source, shutil.rmtree, directory, True)
    return source


def _indexed_shape(shape: tuple[int, ...], items: list[Any],
                   value_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape ``items`` select, checked as NumPy checks it (IndexError, ValueError).

    NumPy itself checks a stand-in of zero-byte elements; for a large or lazy index, the
    index arrays are stood in for by one entry each (NumPy would copy them all), the
    broadcast and the value's shape are checked here with NumPy's messages.
    """
    stand_in = _stand_in(shape)
    advanced = [i for i, item in enumerate(items) if item is not None
                and not isinstance(item, slice)]
    shapes = [np.shape(_index_stand_in(items[i])) for i in advanced]
    try:
        broadcast = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         "with shapes " + "".join(_shape_text(s) + " " for s in shapes)
                         ) from None
    if math.prod(broadcast) <= SMALL_INDEX:
        checked = tuple(_index_stand_in(item) for item in items)
        selected = stand_in[checked].shape  # NumPy's IndexErrors
        stand_in[checked] = _stand_in(value_shape)  # NumPy's broadcast error
        return selected
    one = (1,) * len(broadcast)
    checked = tuple(np.broadcast_to(np.zeros((), _index_stand_in(item).dtype), one)
                    if i in advanced else item for i, item in enumerate(items))
    selected = stand_in[checked].shape  # NumPy's IndexErrors (too many indices, dtypes)
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    first = advanced[0] if adjacent else 0  # only new axes and slices come before it
    selected = selected[:first] + broadcast + selected[first + len(broadcast):]
    if not _broadcasts(value_shape, selected):
        raise ValueError(f"shape mismatch: value array of shape {_shape_text(value_shape)} "
                         f"could not be broadcast to indexing result of shape "
                         f"{_shape_text(selected)}")
    return selected


def _expand(items: list[Any], array: OOArray) -> list[Any]:
    """Expand ``...``; turn masks into integer arrays and integers into 0-d index arrays;
    check index dtypes as NumPy does."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, OOArray):
            if item.dtype == np.bool_:
                item = _small(item, "a boolean mask mixed with other indices")
            else:  # another dtype: NumPy's stand-in check raises its IndexError
                out.append(item)
                continue
        if isinstance(item, (list, np.ndarray)):
            converted = np.asarray(item)
            if isinstance(item, list) and converted.size == 0:  # NumPy: [] indexes nothing
                converted = converted.astype(np.intp)
            if converted.dtype == np.bool_:
                out.extend(np.nonzero(converted) if converted.ndim else
                           [np.asarray(converted, np.intp)])
                continue
            # a list of floats stays a list: NumPy's message differs for lists and arrays
            item = converted if converted.dtype.kind in "iu" else item
        elif isinstance(item, (bool, np.bool_)):
            raise TypeError("ooarray does not support a boolean scalar mixed with other "
                            "indices in an assignment; index with a boolean array instead")
        out.append(item)
    consuming = sum(1 for item in out if item is not None and item is not Ellipsis)
    if any(item is Ellipsis for item in out):
        where = next(i for i, item in enumerate(out) if item is Ellipsis)
        out[where:where + 1] = [slice(None)] * max(0, array.ndim - consuming)
    else:
        out += [slice(None)] * max(0, array.ndim - consuming)
    # NumPy treats integers next to index arrays as 0-d index arrays.
    return [np.asarray(operator.index(item), np.intp) if isinstance(item, (int, np.integer))
            else item for item in out]


def _indexed_layout(layout: list[str], first: int, width: int, adjacent: bool) -> list[str]:
    """Kind of each axis of the indexed shape: 'block' (index arrays), 'slice' or 'new'."""
    others = [k for k in layout if k != "advanced"]
    return others[:first] + ["block"] * width + others[first:] if adjacent else \
        ["block"] * width + others


def _pad(value: Any, ndim: int) -> Any:
    """Give ``value`` leading axes of length 1 up to ``ndim``."""
    extra = ndim - len(value.shape)
    if not extra:
        return value
    if isinstance(value, Node):
        return SliceNode(value, [None] * extra + _full_slice(value.shape))
    return value.reshape((1,) * extra + value.shape)


def _slice_any(value: Any, entries: list[Any]) -> Any:
    if isinstance(value, Node):
        return SliceNode(value, entries)
    return value[tuple(e if isinstance(e, int) else slice(None) for e in entries)]


def _rows(padded: Any, shape: tuple[int, ...], block_dims: range, new_axes: list[int],
          n: int, slice_shape: tuple[int, ...]) -> Node:
    """The value as ``(entries, *sliced lengths)``: one row per index entry, in order."""
    node = _as_node(padded)
    if node.shape != shape:
        node = BroadcastNode(node, shape, target_chunk_bytes(_limit()))
    if new_axes:
        node = SliceNode(node, [0 if d in new_axes else (0, 1, shape[d])
                                for d in range(len(shape))])
    kept = [d for d in range(len(shape)) if d not in new_axes]
    blocks = [kept.index(d) for d in block_dims]
    order = blocks + [i for i in range(len(kept)) if i not in blocks]
    if order != list(range(len(kept))):
        node = TransposeNode(node, order)
    return np.reshape(_oo(node), (n,) + slice_shape).node


def _flat_index(item: Any, broadcast: tuple[int, ...], n: int) -> Node:
    """An index array broadcast to the index shape, as one line of ``n`` entries."""
    node = item.node if isinstance(item, OOArray) else constant_node(np.asarray(item))
    if node.shape != broadcast:
        node = BroadcastNode(node, broadcast, target_chunk_bytes(_limit()))
    if node.shape == (n,):
        return node
    return np.reshape(_oo(node), (n,)).node


# -- copyto, putmask, place ----------------------------------------------------------------
@implements(np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """Copy values from ``src`` into ``dst`` where ``where`` is true, as ``np.copyto``.

    An OOArray ``dst`` is rebound to the new values (lazily; arrays built from it before
    keep the old ones). An ndarray ``dst`` is filled now: ``src`` is computed, which must fit
    ``memory_limit``.

    Parameters
    ----------
    dst : OOArray or ndarray
    src : array_like or OOArray
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}
    where : bool array_like or OOArray

    Raises
    ------
    TypeError
        If ``src`` cannot be cast by the ``casting`` rule, or ``dst`` is not an array.
    ValueError
        If ``src`` or ``where`` do not broadcast to ``dst``'s shape.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.zeros(4, dtype=int)
    >>> np.copyto(a, [1, 2, 3, 4], where=[True, False, True, False])
    >>> a.compute()
    array([1, 0, 3, 0])
    """
    if not isinstance(dst, (OOArray, np.ndarray)):
        raise TypeError(f"copyto() argument 1 must be a numpy.ndarray, not "
                        f"{type(dst).__name__}")
    if not isinstance(dst, OOArray):
        values = src.compute() if isinstance(src, OOArray) else src
        mask = where.compute() if isinstance(where, OOArray) else where
        np.copyto(dst, values, casting=casting, where=mask)
        return
    src_in = src if isinstance(src, OOArray) else (
        src if isinstance(src, _SCALARS) else np.asarray(src))
    mask = where if isinstance(where, OOArray) or where is True else np.asarray(where, bool) \
        if isinstance(where, (list, tuple, bool)) else np.asarray(where)
    # NumPy's casting errors (and Python-integer overflow), on one-element stand-ins.
    np.copyto(np.empty((1,), dst.dtype), _element(src_in), casting=casting,
              where=True if mask is True else np.zeros((1,), mask.dtype))
    shape = np.shape(src_in) if not isinstance(src_in, OOArray) else src_in.shape
    if not _broadcasts(shape, dst.shape):
        raise ValueError(f"could not broadcast input array from shape {_shape_text(shape)} "
                         f"into shape {_shape_text(dst.shape)}")
    if mask is not True and not _broadcasts(mask.shape, dst.shape):
        raise ValueError(f"could not broadcast where mask from shape "
                         f"{_shape_text(mask.shape)} into shape {_shape_text(dst.shape)}")
    if isinstance(src_in, OOArray):
        value = src_in.node if src_in.dtype == dst.dtype else CastNode(src_in.node, dst.dtype)
    else:
        value = np.empty(np.shape(src_in), dst.dtype)
        np.copyto(value, src_in, casting=casting)
    value = _operand(_strip(value, dst.ndim))
    if mask is True:
        dst._node = MaskedFillNode(dst.node, value)
        return
    mask = _strip(mask.node if isinstance(mask, OOArray) else mask.astype(bool, copy=False),
                  dst.ndim)
    dst._node = MaskedFillNode(dst.node, value, _operand(mask))


def _element(value: Any) -> Any:
    """A one-element stand-in with ``value``'s dtype (a scalar stays itself: NEP 50)."""
    if isinstance(value, _SCALARS):
        return value
    return np.zeros((1,), value.dtype)


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (leading axes of length 1 are dropped)."""
    shape = tuple(shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1], strict=False))


def _flat_bool(mask: Any, size: int, what: str) -> Any:
    """``mask`` as booleans (an OOArray, or an ndarray), checked to have ``size`` elements."""
    if isinstance(mask, OOArray):
        if mask.size != size:
            raise ValueError(f"{what}: mask and data must be the same size")
        return mask if mask.dtype == np.bool_ else mask.astype(bool)
    mask = np.asarray(mask)
    if mask.size != size:
        raise ValueError(f"{what}: mask and data must be the same size")
    return mask.astype(bool, copy=False)


def _values_in_memory(values: Any, what: str) -> np.ndarray:
    return _small(values, what) if isinstance(values, OOArray) else np.asarray(values)


@implements(np.putmask)
def putmask(a: Any, mask: Any, values: Any) -> None:
    """Set ``a.flat[n] = values[n % len(values)]`` where ``mask.flat[n]`` is true, as
    ``np.putmask``.

    An OOArray ``a`` is rebound to the new values (lazily). The repeated values are read in
    memory unless ``values`` has as many elements as ``a`` (then it may be any OOArray).

    Parameters
    ----------
    a : OOArray
    mask : array_like or OOArray
        As many elements as ``a`` (true where to write).
    values : array_like or OOArray
        Cast to ``a.dtype`` with the ``'safe'`` rule (Python scalars: NumPy's rules).

    Raises
    ------
    ValueError
        ``putmask: mask and data must be the same size``.
    TypeError
        If ``values`` cannot be cast safely, or ``a`` is not an array.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6))
    >>> np.putmask(a, a % 2 == 0, [-1, -2])
    >>> a.compute()
    array([-1,  1, -1,  3, -1,  5])
    """
    if not isinstance(a, OOArray):
        if not isinstance(a, np.ndarray):
            raise TypeError("putmask: first argument must be an array")
        np.putmask(a, mask.compute() if isinstance(mask, OOArray) else mask,
                   _values_in_memory(values, "putmask of an ndarray"))
        return
    flat = _flat_bool(mask, a.size, "putmask")
    if isinstance(values, (OOArray, np.ndarray)):
        # arrays cast by the 'safe' rule: NumPy's TypeError on a stand-in
        np.putmask(np.empty((1,), a.dtype), np.zeros((1,), bool),
                   np.zeros((1,) if values.ndim else (), values.dtype))
    if isinstance(values, OOArray):
        if values.size == 0:
            return
        if values.size == a.size:
            source = np.reshape(values, a.shape) if values.shape != a.shape else values
            a._node = MaskedFillNode(a.node, _value(source, a.dtype), _shaped(flat, a.shape))
            return
        values = _values_in_memory(values, "putmask with fewer values than elements")
    if isinstance(values, np.ndarray):
        converted = values.astype(a.dtype)
    else:  # lists and scalars convert as in an assignment (OverflowError, NaN, ...)
        converted = np.empty(np.shape(values), a.dtype)
        converted[...] = values
    if converted.size == 0:
        return
    if converted.size == 1:
        value = converted.reshape(())
    elif converted.size == a.size:
        value = constant_node(converted.reshape(a.shape))
    else:
        value = CyclicNode(converted, a.shape, a.chunks)
    a._node = MaskedFillNode(a.node, value, _shaped(flat, a.shape))


def _shaped(mask: Any, shape: tuple[int, ...]) -> Any:
    """A flat-compatible mask given ``shape``, as a Node (or 0-d ndarray)."""
    if isinstance(mask, OOArray):
        return (mask if mask.shape == shape else np.reshape(mask, shape)).node
    return _operand(mask.reshape(shape))


@implements(np.place)
def place(arr: Any, mask: Any, vals: Any) -> None:
    """Put ``vals`` at the true positions of ``mask``, in order and repeated, as ``np.place``.

    The ``k``-th true position (in C order) takes ``vals[k % len(vals)]``. An OOArray
    ``arr`` is rebound to the new values (lazily); the mask is counted first, per chunk.

    Parameters
    ----------
    arr : OOArray
    mask : array_like or OOArray
        As many elements as ``arr``.
    vals : array_like or OOArray
        Read in memory unless it has at least as many elements as ``mask`` has true values.

    Raises
    ------
    ValueError
        ``place: mask and data must be the same size``; ``Cannot insert from an empty
        array!`` when ``vals`` is empty and the mask is not.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(6))
    >>> np.place(a, a > 2, [44, 55])
    >>> a.compute()
    array([ 0,  1,  2, 44, 55, 44])
    """
    if not isinstance(arr, OOArray):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"place() argument 1 must be numpy.ndarray, not "
                            f"{type(arr).__name__}")
        np.place(arr, mask.compute() if isinstance(mask, OOArray) else mask,
                 _values_in_memory(vals, "place into an ndarray"))
        return
    flat_mask = _flat_bool(mask, arr.size, "place")
    mask_node = flat_mask.node if isinstance(flat_mask, OOArray) else \
        constant_node(flat_mask.reshape(-1))
    if len(mask_node.shape) != 1:
        mask_node = np.reshape(_oo(mask_node), (-1,)).node
    old = arr.node if arr.ndim == 1 else np.reshape(arr, (-1,)).node
    counts = _oo(BlockCountNode(mask_node, old.chunks[0])).compute()
    count = int(counts.sum())
    if isinstance(vals, OOArray):
        np.place(np.empty((1,), arr.dtype), np.zeros((1,), bool), np.zeros((1,), vals.dtype))
        if vals.size >= count and count:
            flat_vals = vals if vals.ndim == 1 else np.reshape(vals, (-1,))
            values = _value(flat_vals[:count], arr.dtype)
            node = MaskedValuesNode(old, mask_node, values, counts)
            arr._node = node if arr.ndim == 1 else np.reshape(_oo(node), arr.shape).node
            return
        vals = _values_in_memory(vals, "place with fewer values than true positions")
    raw = np.asarray(vals)
    converted = np.empty(raw.shape, arr.dtype)
    converted[...] = vals  # NumPy's conversion errors (OverflowError, NaN to integer, ...)
    if count == 0:
        return
    if converted.size == 0:
        raise ValueError("Cannot insert from an empty array!")
    values = CyclicNode(converted, (count,), ((count,),))
    node = MaskedValuesNode(old, mask_node, values, counts)
    arr._node = node if arr.ndim == 1 else np.reshape(_oo(node), arr.shape).node

