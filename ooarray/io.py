"""Opening and saving arrays: Zarr directories and ``.npy`` files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.chunks import target_chunk_bytes
from ooarray.plan.graph import SourceNode

__all__ = ["open", "save"]


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
    from ooarray.store.leftovers import incomplete

    unfinished = incomplete(target)
    if unfinished is not None:
        raise ValueError(unfinished)
    if target.is_file():
        from ooarray.store.memmap import NpyStore

        store, fortran = NpyStore.open(target, chunks if chunks is not None else "auto",
                                       target_chunk_bytes(_config.get().memory_limit))
        array = OOArray(SourceNode(store))
        return array.T if fortran else array
    from ooarray.store.zarr import ZarrStore

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
    from ooarray.ops.creation import asarray

    array = asarray(array)
    if os.fspath(path).endswith(".npy"):
        return array.to_npy(path, overwrite=overwrite, resume=resume)
    return array.to_zarr(path, overwrite=overwrite, resume=resume)
