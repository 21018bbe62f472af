"""Assignment: ``a[idx] = value``.

Lazy and copy-on-write: an assignment builds a node whose output is the old array with some
positions replaced (:mod:`ooarray.algorithms.assignment`), and rebinds the OOArray to it.
Arrays built from the old one before (``b = a[1:]``, ``c = a + 1``) keep the old values; an
assignment whose value reads the array itself (``a[1:] = a[:-1]``) reads the old values, as
NumPy's copy of overlapping operands does.

NumPy raises the errors: index, broadcast and casting errors come from NumPy itself, run on
stand-ins of a zero-byte dtype (the shapes are real, the data costs nothing).

Here: the index sorted into its path, basic indices (slices, integers, ``...``) and boolean
masks. Integer index arrays: :mod:`ooarray.ops.assignment_index_arrays`; the value's
conversion and the stand-ins: :mod:`ooarray.ops.assignment_values`; ``np.copyto``,
``np.putmask``, ``np.place``: :mod:`ooarray.ops.copyto_putmask_place`.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from ooarray.algorithms.assignment import (
    BlockCountNode,
    MaskedFillNode,
    MaskedValuesNode,
    SetRegionNode,
)
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements_method
from ooarray.core.indexing import empty_masks_as_indices, is_basic_index, normalize_basic_index
from ooarray.ops._operands import constant_node
from ooarray.ops.assignment_index_arrays import _array_assign
from ooarray.ops.assignment_values import (
    _as_node,
    _drop_leading,
    _full_slice,
    _index_stand_in,
    _limit,
    _oo,
    _operand,
    _pad,
    _shape_text,
    _stand_in,
    _strip,
    _value,
)
from ooarray.plan.graph import Node
from ooarray.plan.regions import BroadcastNode, SliceNode, TransposeNode

__all__ = ["setitem"]


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


# -- boolean masks ----------------------------------------------------------------------------
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
