"""``numpy.fft`` on OOArrays: every transform is a chain of 1-D transforms along one axis
(:class:`~ooarray.algorithms.fft.AxisTransformNode`, which the Array API's ``fft`` extension
uses too), each reading strips whole along its axis; n-D transforms go axis by axis in NumPy's
order. NumPy's own argument handling decides lengths, axes, dtypes and errors: on a small
stand-in of the input for the 1-D transforms, and through ``numpy.fft``'s own ``s``/``axes``
rules for the n-D ones.

A strip of one row along the transformed axis is one task. An axis too long for that is
transformed in four steps (Bailey's): its ``n = n1 * n2`` values as an ``n1 x n2``
matrix, ``n2`` transforms of length ``n1`` down the columns, a twiddle factor
``exp(-2 pi i k1 j2 / n)`` per element, ``n1`` transforms of length ``n2`` along the rows, and
the transpose read back as one axis; the transposes go through the pool (stored passes and
staged rechunks, as between the passes of an n-D transform), and a row still too long is
split again. A prime length has no such split and is refused.

Between the passes of an n-D transform of an array larger than :data:`IN_ONE_PASS_SHARE` of
the budget, each pass is stored strip by strip and its values
are transposed through the pool onto strips whole along the next axis (a staged rechunk), so
no task reads more than a strip of the pass before.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.fft import _pocketfft
from numpy.lib.array_utils import normalize_axis_index

from ooarray import config as _config
from ooarray.algorithms.fft import FFT_COPIES, AxisTransformNode, transform_dtype
from ooarray.algorithms.rechunk import RechunkStageNode, plan_rechunk
from ooarray.chunks import normalize_chunks, target_chunk_bytes
from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements
from ooarray.errors import BudgetError, format_bytes
from ooarray.ops._operands import deliver_out
from ooarray.ops.creation import arange, asarray, zeros

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "fftn", "ifftn",
           "rfft2", "irfft2", "rfftn", "irfftn", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")
#: An n-D transform of an array up to this share of ``memory_limit`` reads the pass before
#: as it is; a larger one is stored and transposed between passes.
IN_ONE_PASS_SHARE = 1 / 8


def _check_norm(norm: Any) -> str:
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or '
                         f'"forward".')
    return norm or "backward"


def _one(func: Callable[..., np.ndarray], x: OOArray, n: int | None, axis: int, norm: Any,
         *, halved_output: bool = False, real_output: bool = False) -> OOArray:
    """``func`` along ``axis``: NumPy checks the arguments on a stand-in first."""
    norm = _check_norm(norm)
    if x.ndim == 0:
        func(np.zeros((), x.dtype), n=n, axis=axis, norm=norm)  # NumPy's error
    axis = normalize_axis_index(axis, x.ndim)
    length = x.shape[axis]
    if n is None:
        n_input = 2 * (length - 1) if real_output else length
    else:
        n_input = operator.index(n)
    if n_input < 1:
        raise ValueError(f"Invalid number of FFT data points ({n_input}) specified.")
    if real_output and n is None and length < 1:
        raise ValueError(f"Invalid number of FFT data points ({n_input}) specified.")
    output = n_input // 2 + 1 if halved_output else n_input
    dtype = transform_dtype(func, x.dtype)
    settings = _config.get()
    target = settings.chunk_bytes or target_chunk_bytes(settings.memory_limit)
    return OOArray(AxisTransformNode(x.node, func, axis, output, n_input, norm, dtype, target))


#: Bytes per value of the transformed axis that one strip of one row holds: pocketfft's
#: copies, and the strip's input and output in the pool.
_STRIP_BYTES_PER_VALUE = (FFT_COPIES + 2) * 16
#: A strip of one row may take this share of ``memory_limit``.
STRIP_SHARE = 1 / 4


def _strip_fits(length: int) -> bool:
    return length * _STRIP_BYTES_PER_VALUE <= _config.get().memory_limit * STRIP_SHARE


def _split(n: int) -> tuple[int, int]:
    """``n = n1 * n2`` with ``n1 <= n2`` as close to the square root as ``n`` allows."""
    n1 = max((d for d in range(1, math.isqrt(n) + 1) if n % d == 0), default=1)
    return n1, n // n1


def _four_step(x: OOArray, n: int, norm: str, inverse: bool) -> OOArray:
    """The transform along the last axis of ``x`` (already ``n`` long) in four steps."""
    n1, n2 = _split(n)
    if n1 == 1:
        needed, limit = n * _STRIP_BYTES_PER_VALUE, _config.get().memory_limit
        raise BudgetError(
            f"an FFT of length {n} (a prime) does not fit one task of memory_limit="
            f"{format_bytes(limit)} ({format_bytes(needed)} per row) and has no factors to "
            f"split it into; pass n= to pad it to a composite length, or raise memory_limit",
            needed=needed, limit=limit)
    lead = x.shape[:-1]
    step = ifft if inverse else fft
    matrix = x.reshape(lead + (n1, n2))  # matrix[..., j1, j2] = x[..., j1 * n2 + j2]
    columns = step(_strips_along(matrix, -2), axis=-2, norm=norm)  # over j1: k1
    sign = 1.0 if inverse else -1.0
    # The twiddle factors on the columns' grid: a stored copy of them (a checkpoint) is then
    # read column by column too, not a column out of every row chunk.
    k1 = arange(n1, dtype=np.int64, chunks=(columns.chunks[-2],)).reshape(n1, 1)
    j2 = arange(n2, dtype=np.int64, chunks=(columns.chunks[-1],)).reshape(1, n2)
    angle = (k1 * j2 % n).astype(np.float64) * (sign * 2 * math.pi / n)
    twisted = columns * (np.cos(angle) + 1j * np.sin(angle))
    rows = step(_strips_along(twisted, -1), axis=-1, norm=norm)  # over j2: k2
    # X[..., k1 + n1 * k2] = rows[..., k1, k2]: the transpose, read back as one axis.
    flipped = _strips_along(np.swapaxes(rows, -1, -2), -1)
    return flipped.reshape(lead + (n,))


def _swap_direction(norm: str) -> str:
    """``norm`` for the transform in the other direction (NumPy's ``hfft``/``ihfft`` rule)."""
    return {"backward": "forward", "forward": "backward"}.get(norm, norm)


def _padded_to(x: OOArray, length: int) -> OOArray:
    """``x`` cut or zero-padded along its last axis to ``length`` values."""
    if length < x.shape[-1]:
        return x[..., :length]
    if length > x.shape[-1]:
        padding = zeros(x.shape[:-1] + (length - x.shape[-1],), x.dtype)
        return np.concatenate([x, padding], axis=-1)
    return x


def _hermitian_full(half: OOArray, n: int) -> OOArray:
    """The ``n`` values of the spectrum whose first ``n // 2 + 1`` are ``half``: the rest
    mirrored and conjugated (``X[n - k] = conj(X[k])``), as a real inverse transform reads it."""
    mirrored = np.conjugate(half[..., 1:(n + 1) // 2][..., ::-1])
    return np.concatenate([half, mirrored], axis=-1)


#: The transforms with a four-step form, and whether their output is real (read from a
#: half spectrum) or halved (a real input's half spectrum).
_FOUR_STEP = {np.fft.fft: "", np.fft.ifft: "", np.fft.rfft: "halved", np.fft.ihfft: "halved",
              np.fft.irfft: "real", np.fft.hfft: "real"}


def _long_axis(func: Callable[..., np.ndarray], x: OOArray, n: int | None, axis: int,
               norm: Any) -> OOArray | None:
    """``func`` along an axis too long for one strip, in four steps; None when one strip
    fits (NumPy's own errors are then raised by the strip path).

    ``rfft`` is the complex transform of the real input, cut to its first half; ``irfft``
    the inverse complex transform of the Hermitian-completed spectrum, its real part;
    ``hfft`` and ``ihfft`` are ``irfft`` and ``rfft`` of the conjugate with the direction of
    ``norm`` swapped, as NumPy defines them.
    """
    if x.ndim == 0 or func not in _FOUR_STEP:
        return None
    axis = normalize_axis_index(axis, x.ndim)
    real_output = _FOUR_STEP[func] == "real"
    if n is not None:
        length = operator.index(n)
    else:
        length = 2 * (x.shape[axis] - 1) if real_output else x.shape[axis]
    if length < 1 or _strip_fits(max(length, x.shape[axis])):
        return None
    norm = _check_norm(norm)
    dtype = transform_dtype(func, x.dtype)
    moved = np.moveaxis(x, axis, -1)
    if func in (np.fft.hfft, np.fft.ihfft):
        moved, norm = np.conjugate(moved), _swap_direction(norm)
    moved = moved.astype(np.result_type(moved.dtype, np.complex64), copy=False)
    if real_output:
        full = _hermitian_full(_padded_to(moved, length // 2 + 1), length)
        result = np.real(_four_step(full, length, norm, inverse=True))
    else:
        result = _four_step(_padded_to(moved, length), length, norm,
                            inverse=func is np.fft.ifft)
        if _FOUR_STEP[func] == "halved":
            result = result[..., :length // 2 + 1]
            if func is np.fft.ihfft:
                result = np.conjugate(result)
    return np.moveaxis(result, -1, axis).astype(dtype, copy=False)


def _one_d(func: Callable[..., np.ndarray], halved: bool = False, real: bool = False):
    """The ooarray version of ``numpy.fft.<func>`` (one axis)."""

    def transform(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
                  out: Any = None) -> Any:
        x = asarray(a)
        if real and x.dtype.kind == "c":
            func(np.zeros(2, x.dtype))  # NumPy's TypeError for complex input
        long = _long_axis(func, x, n, axis, norm)
        if long is not None:
            return deliver_out(long, out)
        return deliver_out(_one(func, x, n, axis, norm, halved_output=halved,
                                real_output=func in (np.fft.irfft, np.fft.hfft)), out)

    transform.__name__ = func.__name__
    transform.__qualname__ = func.__name__
    transform.__doc__ = (f"``numpy.fft.{func.__name__}`` out of core: a 1-D transform along "
                         f"``axis``, strip by strip (see :mod:`ooarray.ops.fft`).")
    return transform


fft = implements(np.fft.fft)(_one_d(np.fft.fft))
ifft = implements(np.fft.ifft)(_one_d(np.fft.ifft))
rfft = implements(np.fft.rfft)(_one_d(np.fft.rfft, halved=True, real=True))
irfft = implements(np.fft.irfft)(_one_d(np.fft.irfft))
hfft = implements(np.fft.hfft)(_one_d(np.fft.hfft))
ihfft = implements(np.fft.ihfft)(_one_d(np.fft.ihfft, halved=True, real=True))


def _cooked(x: OOArray, s: Sequence[int] | None, axes: Sequence[int] | None,
            invreal: bool) -> tuple[list[int], list[int]]:
    """NumPy's ``s`` and ``axes`` for an n-D transform (its rules, warnings and errors)."""
    stand_in = np.empty(x.shape, np.dtype([]))
    s, axes = _pocketfft._cook_nd_args(stand_in, s, axes, invreal)
    return [operator.index(n) for n in s], [normalize_axis_index(a, x.ndim) for a in axes]


def _strips_along(x: OOArray, axis: int) -> OOArray:
    """``x`` ready for a pass along ``axis``: as it is when small; otherwise stored strip by
    strip and transposed through the pool onto strips whole along ``axis``."""
    settings = _config.get()
    axis = normalize_axis_index(axis, x.ndim)
    if x.nbytes <= settings.memory_limit * IN_ONE_PASS_SHARE or x.chunks[axis] == \
            (x.shape[axis],):
        return x
    target = settings.chunk_bytes or target_chunk_bytes(settings.memory_limit)
    grid = normalize_chunks(tuple(-1 if i == axis else "auto" for i in range(x.ndim)),
                            x.shape, FFT_COPIES * x.dtype.itemsize, target)
    stored = RechunkStageNode(x.node, x.chunks)
    return OOArray(plan_rechunk(stored, grid, settings.memory_limit))


def _ready(x: OOArray, axis: int, n: int) -> OOArray:
    """``x`` for a pass of length ``n`` along ``axis``: on strips whole along it, unless the
    axis is too long for one strip (the four steps then move the values themselves)."""
    if _strip_fits(max(n, x.shape[axis])):
        return _strips_along(x, axis)
    return x


def _n_d(one: Callable[..., Any], last: Callable[..., Any] | None = None, invreal: bool = False,
         real_first: bool = False):
    """An n-D transform: ``one`` along each axis in NumPy's order; ``last`` (rfftn's rfft,
    irfftn's irfft) along the last of ``axes``."""

    def transform(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
                  norm: str | None = None, out: Any = None) -> Any:
        x = asarray(a)
        lengths, axes_ = _cooked(x, s, axes, invreal)
        if real_first:  # rfftn: the real transform first, on the last axis
            x = last(_ready(x, axes_[-1], lengths[-1]), n=lengths[-1], axis=axes_[-1],
                     norm=norm)
            for n, axis in reversed(list(zip(lengths[:-1], axes_[:-1], strict=True))):
                x = one(_ready(x, axis, n), n=n, axis=axis, norm=norm)
        elif last is not None:  # irfftn: the complex ones first, the real one last
            for n, axis in zip(lengths[:-1], axes_[:-1], strict=True):
                x = one(_ready(x, axis, n), n=n, axis=axis, norm=norm)
            x = last(_ready(x, axes_[-1], lengths[-1]), n=lengths[-1], axis=axes_[-1],
                     norm=norm)
        else:
            for n, axis in reversed(list(zip(lengths, axes_, strict=True))):
                x = one(_ready(x, axis, n), n=n, axis=axis, norm=norm)
        return deliver_out(x, out)

    return transform


fftn = implements(np.fft.fftn)(_n_d(fft))
ifftn = implements(np.fft.ifftn)(_n_d(ifft))
rfftn = implements(np.fft.rfftn)(_n_d(fft, last=rfft, real_first=True))
irfftn = implements(np.fft.irfftn)(_n_d(ifft, last=irfft, invreal=True))


def _two_d(n_d: Callable[..., Any]):
    def transform(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
                  norm: str | None = None, out: Any = None) -> Any:
        return n_d(a, s, axes, norm, out)
    return transform


fft2 = implements(np.fft.fft2)(_two_d(fftn))
ifft2 = implements(np.fft.ifft2)(_two_d(ifftn))
rfft2 = implements(np.fft.rfft2)(_two_d(rfftn))
irfft2 = implements(np.fft.irfft2)(_two_d(irfftn))


def _shift(x: Any, axes: Any, sign: int) -> OOArray:
    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    shifts = [sign * (x.shape[normalize_axis_index(a, x.ndim)] // 2) for a in axes]
    return np.roll(x, shifts, axis=tuple(axes))


@implements(np.fft.fftshift)
def fftshift(x: Any, axes: Any = None) -> OOArray:
    """``numpy.fft.fftshift``: the zero frequency to the centre of ``axes`` (a lazy roll)."""
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x: Any, axes: Any = None) -> OOArray:
    """``numpy.fft.ifftshift``: the inverse of :func:`fftshift`."""
    return _shift(x, axes, -1)
