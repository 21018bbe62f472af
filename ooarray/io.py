"""The entry points that compute and store: ``compute``, ``to_zarr``, ``to_npy``, ``open`` and
``save``.

This module joins the array, the plan, the executors and the stores: ``OOArray.compute``,
``.to_zarr`` and ``.to_npy`` call the functions here through the engine this module installs
in :mod:`ooarray.core.array` when it is imported (so the array layer imports none of them).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ooarray import compute as _compute
from ooarray import config as _config
from ooarray.chunks import Chunks, normalize_chunks, regular_chunk_shape, target_chunk_bytes
from ooarray.compute import ArraySink, StoreSink, run
from ooarray.core import array as _array
from ooarray.core import eager
from ooarray.core.array import OOArray, check_dtype
from ooarray.execute.budget import check_result
from ooarray.ops.creation import asarray
from ooarray.plan.fingerprint import fingerprint
from ooarray.plan.graph import ConstantNode, SourceNode
from ooarray.store.journal import incomplete
from ooarray.store.memmap import NpyStore
from ooarray.store.zarr import ZarrStore

__all__ = ["open", "save", "compute", "to_zarr", "to_npy"]


def open(path: str | os.PathLike, *, chunks: Any = None) -> OOArray:  # noqa: A001
    """Open a Zarr array directory or a ``.npy`` file as an OOArray (nothing is read yet).

    Parameters
    ----------
    path : str or path-like
        A Zarr v2/v3 array directory, or a ``.npy`` file.
    chunks : chunks argument, optional
        For ``.npy``: how to split the file (default: contiguous slabs sized from the
        budget). For Zarr: a chunking to read in (default: the store's).

    Returns
    -------
    OOArray

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ValueError
        If ``path`` is the uncommitted output of a ``to_zarr``/``to_npy`` that did not
        finish (``.NAME.partial-...``).
    TypeError
        If the data is not bool, integer, float or complex.
    """
    target = Path(path)
    if not target.exists():
        raise FileNotFoundError(f"no Zarr array or .npy file at {target}")
    unfinished = incomplete(target)
    if unfinished is not None:
        raise ValueError(unfinished)
    if target.is_file():
        store, fortran = NpyStore.open(target, chunks if chunks is not None else "auto",
                                       target_chunk_bytes(_config.get().memory_limit))
        array = OOArray(SourceNode(store))
        return array.T if fortran else array
    store = ZarrStore.open(target)
    check_dtype(store.dtype, f"{target}")
    array = OOArray(SourceNode(store))
    return array.rechunk(chunks) if chunks is not None else array


def save(path: str | os.PathLike, array: Any, *, overwrite: bool = False,
         resume: bool = False) -> OOArray:
    """Write ``array`` to ``path``: a ``.npy`` file if the name ends so, else a Zarr store.

    Parameters
    ----------
    path : str or path-like
        Where the array appears once every chunk is written.
    array : array_like
        What to write.
    overwrite : bool
        Replace what is at ``path``.
    resume : bool
        Finish the partial that a stopped write of the same computation left (see
        :meth:`OOArray.to_zarr`).

    Returns
    -------
    OOArray
        The saved array, opened from ``path``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    array = asarray(array)
    if os.fspath(path).endswith(".npy"):
        return array.to_npy(path, overwrite=overwrite, resume=resume)
    return array.to_zarr(path, overwrite=overwrite, resume=resume)


def compute(array: OOArray) -> np.ndarray:
    """Compute ``array`` and return it as a NumPy array (``OOArray.compute``).

    Parameters
    ----------
    array : OOArray
        What to compute.

    Returns
    -------
    numpy.ndarray
        The values, the caller's own.

    Raises
    ------
    BudgetError
        If the result alone does not fit in ``memory_limit``; write it to a store with
        :meth:`to_zarr` instead.
    """
    limit = _config.get().memory_limit
    if type(array._node) is ConstantNode and array.nbytes <= eager.eager_limit():
        return np.array(array._node.array)  # the caller's own copy
    check_result(array.nbytes, limit)
    sink = ArraySink(array.shape, array.dtype, array.chunks)
    run(array._node, sink)
    return sink.result


def _store_chunks(array: OOArray, chunks: Any) -> Chunks:
    if chunks is not None:
        return normalize_chunks(chunks, array.shape, array.itemsize,
                                target_chunk_bytes(_config.get().memory_limit))
    return _regular(array._node.store_chunks if array._node.materialized else array.chunks,
                    array)


def _regular(grid: Chunks, array: OOArray) -> Chunks:
    """``grid`` if it is regular, else the regular grid of its largest chunk on each axis.

    Never a grid sized from the result's itemsize ("auto"): what a sink task holds is its
    region's inputs, so a bool comparison of int64 operands in 16 KB output chunks read
    256 KB of operands per task; the array's own largest chunk is a size its plan holds.
    """
    if regular_chunk_shape(grid) is not None:
        return grid
    return normalize_chunks(tuple(max(axis, default=0) for axis in grid), array.shape,
                            array.itemsize)


def to_zarr(array: OOArray, path: str | os.PathLike, *, chunks: Any = None,
            overwrite: bool = False, compressor: Any = "default",
            resume: bool = False) -> OOArray:
    """Compute the array into a Zarr v3 store at ``path`` and return it opened from there.

    The store is written to a hidden partial beside ``path`` (``.NAME.partial-<pid>-...``,
    without ``zarr.json`` until the end) with a journal of the chunks written, and renamed
    to ``path`` once every chunk is written. A write stopped by an error, Ctrl-C, SIGTERM
    or SIGHUP removes its partial; a killed one (SIGKILL, a power cut) leaves it, and
    ``resume=True`` finishes it.

    Parameters
    ----------
    array : OOArray
        What to compute.
    path : str or path-like
        A directory; it appears only once every chunk is written.
    chunks : chunks argument, optional
        The store's chunk shape; by default the array's (made regular if it is not),
        or for a matrix product the operands' chunks rather than its tiles.
    overwrite : bool
        Replace an existing store at ``path``.
    compressor : zarr codec, None or "default"
        ``"default"`` is Blosc LZ4 with byte shuffle; ``None`` stores raw bytes.
    resume : bool
        Continue the partial of ``path`` that an earlier, stopped process left, if its
        journal records the same computation: the same Zarr metadata (shape, dtype,
        chunks, codecs) and the same plan fingerprint
        (:func:`ooarray.plan.fingerprint.fingerprint`: the plan's operations and
        parameters, the bytes of in-memory inputs, the paths, sizes and times of input
        files). Chunks whose files still match the journal's CRC-32 are kept and not
        computed again; the others are written. With no such partial (or a plan that
        cannot be fingerprinted, with a warning) the write starts afresh. Partials of
        running processes are never used.

    Returns
    -------
    OOArray
        The stored array.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false (also with ``resume``: a committed
        store is never resumed).
    """
    grid = _store_chunks(array, chunks)
    return _write(array, ZarrStore.create(path, array.shape, array.dtype,
                                        regular_chunk_shape(grid), overwrite=overwrite,
                                        compressor=compressor,
                                        write_through=_writes_through(array),
                                        resume=resume,
                                        fingerprint=_fingerprint(array, resume)))


def _fingerprint(array: OOArray, resume: bool) -> str | None:
    """The plan's fingerprint for the journal of a write (warns when ``resume`` is asked
    for a plan that has none)."""
    found = fingerprint(array._node)
    if found is None and resume:
        warnings.warn("resume=True: this computation holds something that cannot be "
                      "fingerprinted (see ooarray.plan.fingerprint), so no partial can "
                      "be verified to hold it; writing from the start", stacklevel=3)
    return found


def _writes_through(array: OOArray) -> bool:
    """Whether ``to_zarr`` drops the chunks it writes from the page cache (config
    ``write_through``; by default, for results larger than ``memory_limit``)."""
    settings = _config.get()
    if settings.write_through is not None:
        return settings.write_through
    return array.nbytes > settings.memory_limit


def _write(array: OOArray, store: Any) -> OOArray:
    """Compute into ``store``, commit it, and return the array opened from it; on any
    failure or interruption the store is discarded."""

    sink = StoreSink(store)
    try:
        run(array._node, sink)
    except BaseException:
        store.abort()
        raise
    return OOArray(SourceNode(store))


def to_npy(array: OOArray, path: str | os.PathLike, *, overwrite: bool = False,
           resume: bool = False) -> OOArray:
    """Compute the array into a ``.npy`` file at ``path`` and return it opened from there.

    The file is written to a hidden partial beside ``path`` (its header zero until the
    end) with a journal of the chunks written, and renamed to ``path`` once every chunk
    is written; see :meth:`to_zarr` for what stops and what resumes a write.

    Parameters
    ----------
    array : OOArray
        What to compute.
    path : str or path-like
        The file; it appears only once every chunk is written.
    overwrite : bool
        Replace an existing file at ``path``.
    resume : bool
        Continue the partial of ``path`` that an earlier, stopped process left, if its
        journal records the same shape, dtype, chunks and plan fingerprint (as for
        :meth:`to_zarr`); chunks whose values still match the journal's CRC-32 are kept.

    Returns
    -------
    OOArray
        The stored array.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    grid = _regular(array.chunks, array)
    return _write(array, NpyStore.create(path, array.shape, array.dtype, grid,
                                       overwrite=overwrite, resume=resume,
                                       fingerprint=_fingerprint(array, resume)))


class _Engine:
    """What OOArrays compute with (installed below)."""

    compute = staticmethod(compute)
    to_zarr = staticmethod(to_zarr)
    to_npy = staticmethod(to_npy)
    settle = staticmethod(_compute.settle_checkpoints)


_array.install_engine(_Engine)
