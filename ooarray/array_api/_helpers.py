"""Argument checks and conversions shared by the namespace's families."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.array_api._dtypes import KINDS
from ooarray.chunks import Chunks, normalize_chunks, target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.ops.creation import asarray

__all__ = ["as_array", "check_kind", "default_chunks", "check_device", "normalize_axes"]

_SCALARS = (bool, int, float, complex)


def default_chunks(shape: tuple[int, ...], dtype: np.dtype) -> Chunks:
    """Return the automatic chunk grid for a new array: ``config.chunk_bytes`` when set."""
    cfg = _config.get()
    target = cfg.chunk_bytes or target_chunk_bytes(cfg.memory_limit)
    return normalize_chunks("auto", shape, np.dtype(dtype).itemsize, target)


def as_array(x: Any, name: str = "x") -> OOArray:
    """Return ``x`` as an OOArray; an ndarray is wrapped in place on the default grid."""
    if isinstance(x, OOArray):
        return x
    if isinstance(x, np.ndarray):
        return asarray(x, chunks=default_chunks(x.shape, x.dtype))
    raise TypeError(f"{name} must be an array (OOArray); got {type(x).__name__}")


def as_operand(x: Any, name: str = "x") -> Any:
    """Return an OOArray for an array, or a Python scalar unchanged."""
    if isinstance(x, _SCALARS):
        return x
    return as_array(x, name)


def check_kind(x: OOArray, kind: str, func: str) -> None:
    """Raise TypeError unless ``x.dtype`` is of ``kind`` (a key of ``KINDS``)."""
    if x.dtype not in KINDS[kind]:
        raise TypeError(f"{func} takes an array of {kind} dtype; got {x.dtype}")


def check_device(device: Any) -> None:
    """Raise ValueError for any device but ``"cpu"`` (or None)."""
    if device not in (None, "cpu"):
        raise ValueError(f"ooarray arrays live on 'cpu'; got device {device!r}")


def normalize_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` as a tuple of non-negative axes (all of them for None)."""
    from numpy.lib.array_utils import normalize_axis_tuple

    if axis is None:
        return tuple(range(ndim))
    return normalize_axis_tuple(axis, ndim)
