"""The ``fft`` extension, out of core: each transform is a chain of 1-D transforms along one
axis (:class:`~ooarray.algorithms.fft.AxisTransformNode`), which read strips that are
whole along that axis. A strip of one row must fit the budget; nothing else is held whole."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.array_api._creation_functions import arange
from ooarray.array_api._dtypes import DEFAULT_DTYPES, check_dtype
from ooarray.algorithms.fft import AxisTransformNode, transform_dtype
from ooarray.array_api._helpers import as_array, check_device, check_kind, normalize_axes
from ooarray.chunks import target_chunk_bytes
from ooarray.core.array import OOArray

__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")


def _one(func, x: OOArray, n: int | None, axis: int, norm: str, *,
         output_length=lambda n: n, default_n=lambda length: length) -> OOArray:
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}; got {norm!r}")
    if x.ndim == 0:
        raise ValueError(f"{func.__name__} takes an array of at least one dimension")
    axis = normalize_axis_index(axis, x.ndim)
    n_input = default_n(x.shape[axis]) if n is None else operator.index(n)
    if n_input < 1:
        raise ValueError(f"Invalid number of FFT data points ({n_input}) specified.")
    dtype = transform_dtype(func, x.dtype)
    target = _config.get().chunk_bytes or target_chunk_bytes(_config.get().memory_limit)
    return OOArray(AxisTransformNode(x.node, func, axis, output_length(n_input), n_input, norm,
                                     dtype, target))


def _complex(x: Any, func: str) -> OOArray:
    x = as_array(x)
    check_kind(x, "floating-point", func)
    return x


def _real(x: Any, func: str) -> OOArray:
    x = as_array(x)
    check_kind(x, "real floating-point", func)
    return x


def fft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
        norm: str = "backward") -> OOArray:
    """Return the 1-D discrete Fourier transform along ``axis``.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.fft.fft(xp.asarray([1.0, 0.0, 0.0, 0.0])).tolist()
    [(1+0j), (1+0j), (1+0j), (1+0j)]
    """
    return _one(np.fft.fft, _complex(x, "fft"), n, axis, norm)


def ifft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
         norm: str = "backward") -> OOArray:
    """Return the 1-D inverse discrete Fourier transform along ``axis``."""
    return _one(np.fft.ifft, _complex(x, "ifft"), n, axis, norm)


def rfft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
         norm: str = "backward") -> OOArray:
    """Return the 1-D transform of real input: the ``n // 2 + 1`` non-negative frequencies."""
    return _one(np.fft.rfft, _real(x, "rfft"), n, axis, norm,
                output_length=lambda n: n // 2 + 1)


def irfft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
          norm: str = "backward") -> OOArray:
    """Return the inverse of :func:`rfft`: ``n`` real values (``2 * (m - 1)`` by default)."""
    return _one(np.fft.irfft, _complex(x, "irfft"), n, axis, norm,
                default_n=lambda m: 2 * (m - 1))


def hfft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
         norm: str = "backward") -> OOArray:
    """Return the transform of a Hermitian-symmetric signal given by its first half."""
    return _one(np.fft.hfft, _complex(x, "hfft"), n, axis, norm,
                default_n=lambda m: 2 * (m - 1))


def ihfft(x: OOArray, /, *, n: int | None = None, axis: int = -1,
          norm: str = "backward") -> OOArray:
    """Return the inverse of :func:`hfft` for real input."""
    return _one(np.fft.ihfft, _real(x, "ihfft"), n, axis, norm,
                output_length=lambda n: n // 2 + 1)


def _axes_and_lengths(x: OOArray, s: Sequence[int] | None,
                      axes: Sequence[int] | None) -> tuple[list[int], list[int | None]]:
    if axes is None:
        axes = list(range(x.ndim)) if s is None else list(range(x.ndim - len(s), x.ndim))
    axes = [normalize_axis_index(a, x.ndim) for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axes in an n-D transform")
    if s is not None and len(s) != len(axes):
        raise ValueError(f"s has {len(s)} entries but there are {len(axes)} axes")
    lengths = list(s) if s is not None else [None] * len(axes)
    lengths = [None if n == -1 else n for n in lengths]
    return axes, lengths


def fftn(x: OOArray, /, *, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str = "backward") -> OOArray:
    """Return the n-D discrete Fourier transform (1-D transforms along each axis)."""
    x = _complex(x, "fftn")
    for axis, n in zip(*_axes_and_lengths(x, s, axes), strict=True):
        x = _one(np.fft.fft, x, n, axis, norm)
    return x


def ifftn(x: OOArray, /, *, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str = "backward") -> OOArray:
    """Return the n-D inverse discrete Fourier transform."""
    x = _complex(x, "ifftn")
    for axis, n in zip(*_axes_and_lengths(x, s, axes), strict=True):
        x = _one(np.fft.ifft, x, n, axis, norm)
    return x


def rfftn(x: OOArray, /, *, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str = "backward") -> OOArray:
    """Return the n-D transform of real input (halved along the last of ``axes``)."""
    x = _real(x, "rfftn")
    axes, lengths = _axes_and_lengths(x, s, axes)
    x = _one(np.fft.rfft, x, lengths[-1], axes[-1], norm, output_length=lambda n: n // 2 + 1)
    for axis, n in zip(axes[:-1], lengths[:-1], strict=True):
        x = _one(np.fft.fft, x, n, axis, norm)
    return x


def irfftn(x: OOArray, /, *, s: Sequence[int] | None = None,
           axes: Sequence[int] | None = None, norm: str = "backward") -> OOArray:
    """Return the inverse of :func:`rfftn` (real output)."""
    x = _complex(x, "irfftn")
    axes, lengths = _axes_and_lengths(x, s, axes)
    for axis, n in zip(axes[:-1], lengths[:-1], strict=True):
        x = _one(np.fft.ifft, x, n, axis, norm)
    return _one(np.fft.irfft, x, lengths[-1], axes[-1], norm, default_n=lambda m: 2 * (m - 1))


def _frequencies(count: int, n: int, d: float, dtype: Any, device: Any,
                 negative: bool) -> OOArray:
    check_device(device)
    if n < 1:
        raise ValueError(f"n must be a positive integer; got {n}")
    dtype = check_dtype(dtype) if dtype is not None else DEFAULT_DTYPES["real floating"]
    if dtype.kind != "f":
        raise TypeError(f"frequencies are real floating-point; got dtype {dtype}")
    k = arange(count, dtype=dtype)
    if negative:
        k = np.where(k < (n + 1) // 2, k, k - n)
    return np.multiply(k, dtype.type(1.0 / (n * d))).astype(dtype, copy=False)


def fftfreq(n: int, /, *, d: float = 1.0, dtype: Any = None, device: Any = None) -> OOArray:
    """Return the sample frequencies of an ``n``-point transform, in cycles per unit of ``d``.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.fft.fftfreq(4).tolist()
    [0.0, 0.25, -0.5, -0.25]
    """
    n = operator.index(n)
    return _frequencies(n, n, d, dtype, device, negative=True)


def rfftfreq(n: int, /, *, d: float = 1.0, dtype: Any = None, device: Any = None) -> OOArray:
    """Return the ``n // 2 + 1`` non-negative sample frequencies of an :func:`rfft`."""
    n = operator.index(n)
    return _frequencies(n // 2 + 1, n, d, dtype, device, negative=False)


def _shift(x: OOArray, axes: Any, sign: int) -> OOArray:
    x = as_array(x)
    axes = normalize_axes(axes, x.ndim)
    if not axes:
        return x
    return np.roll(x, [sign * (x.shape[a] // 2) for a in axes], axis=axes)


def fftshift(x: OOArray, /, *, axes: Any = None) -> OOArray:
    """Move the zero frequency to the centre of ``axes`` (all by default)."""
    return _shift(x, axes, 1)


def ifftshift(x: OOArray, /, *, axes: Any = None) -> OOArray:
    """Undo :func:`fftshift`."""
    return _shift(x, axes, -1)
