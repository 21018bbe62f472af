"""xarray's chunk manager for OOArrays: ``ds.chunk(chunked_array_type="ooarray")``.

Registered as the entry point ``xarray.chunkmanagers = ooarray`` (setup.cfg), so that xarray
finds it once ooarray is installed. It tells xarray how OOArrays are chunked, makes them from
xarray's lazily indexed backend arrays (read region by region, never whole), computes them,
writes them to ``to_zarr`` targets chunk by chunk, and runs ``apply_ufunc(...,
dask="parallelized")`` / ``map_blocks`` for elementwise functions as a lazy node that calls
the function on each region (or, with core dimensions, on each loop block with its core
dimensions whole). What it does not do (reductions and scans by user functions, blocks that
change shape, several outputs with core dimensions) raises NotImplementedError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.chunks import block_region, iter_blocks, normalize_chunks, target_chunk_bytes
from ooarray.plan.graph import SourceNode
from ooarray.plan.regions import ElementwiseNode
from ooarray.store.generated import GeneratedStore

try:
    from xarray.namedarray.parallelcompat import ChunkManagerEntrypoint
except ImportError:  # xarray is optional: the class still imports, xarray never loads it
    ChunkManagerEntrypoint = object  # type: ignore[assignment,misc]

__all__ = ["OOArrayChunkManager", "from_indexable", "ensure_registered"]

#: A gufunc signature with no core dimensions: "(),()->()".
_LOOP_ONLY = re.compile(r"^\s*(\(\s*\)\s*,?\s*)*->\s*(\(\s*\)\s*,?\s*)*$")


def from_indexable(data: Any, chunks: Any = "auto") -> OOArray:
    """Return an OOArray that reads ``data`` (anything with shape, dtype and basic
    ``__getitem__``: xarray's lazily indexed backend arrays, h5py or zarr arrays) one chunk at
    a time.

    Examples
    --------
    >>> import numpy as np
    >>> from_indexable(np.arange(6).reshape(2, 3), chunks=1).chunks
    ((1, 1), (1, 1, 1))
    """
    if isinstance(data, OOArray):
        return data if chunks in (None, "auto") else data.rechunk(chunks)
    stored = _zarr_array(data)
    if stored is not None:  # read the Zarr chunks into pool buffers, as ooarray.open does
        from ooarray.ops.creation import asarray

        return asarray(stored, chunks=chunks)
    shape, dtype = tuple(data.shape), check_dtype(data.dtype)
    grid = normalize_chunks(chunks, shape, dtype.itemsize,
                            target_chunk_bytes(_config.get().memory_limit))

    def fill(index, region, out):
        out[...] = np.asarray(data[region])

    name = f"{type(data).__name__} read by region"
    return OOArray(SourceNode(GeneratedStore(shape, dtype, grid, fill, name, dtype.itemsize)))


def _zarr_array(data: Any) -> Any:
    """Return the zarr.Array under xarray's adapters of a whole Zarr variable, or None."""
    import zarr

    for _ in range(8):  # ImplicitToExplicit -> CopyOnWrite -> LazilyIndexed -> ZarrArrayWrapper
        if isinstance(data, zarr.Array):
            return data if data.dtype.kind in "biufc" else None
        key = getattr(data, "key", None)
        if key is not None:
            whole = all(isinstance(k, slice) and k == slice(None) for k in
                        getattr(key, "tuple", (None,)))
            if not whole:
                return None
        get_array = getattr(data, "get_array", None)
        data = get_array() if callable(get_array) else getattr(data, "array", None)
        if data is None:
            return None
    return None


class OOArrayChunkManager(ChunkManagerEntrypoint):  # type: ignore[misc,valid-type]
    """xarray's interface to ooarray (``chunked_array_type="ooarray"``)."""

    available = True

    def __init__(self) -> None:
        self.array_cls = OOArray

    def chunks(self, data: OOArray) -> tuple[tuple[int, ...], ...]:
        """Return the chunk lengths along each axis."""
        return data.chunks

    def normalize_chunks(self, chunks: Any, shape: Any = None, limit: int | None = None,
                         dtype: Any = None, previous_chunks: Any = None) -> Any:
        """Return the chunk grid ``chunks`` describes, ooarray's way (``'auto'`` from the
        budget; a dict maps axes to their chunks, other axes keep ``previous_chunks``)."""
        if shape is None:
            return tuple(tuple(c) for c in chunks)
        if isinstance(chunks, dict):
            chunks = tuple(chunks.get(axis, previous_chunks[axis] if previous_chunks else
                                      "auto") for axis in range(len(shape)))
        itemsize = np.dtype(dtype).itemsize if dtype is not None else 8
        target = limit or target_chunk_bytes(_config.get().memory_limit)
        return normalize_chunks(chunks, tuple(shape), itemsize, target)

    def from_array(self, data: Any, chunks: Any, **kwargs: Any) -> OOArray:
        """Return ``data`` as an OOArray on ``chunks``, read region by region."""
        if isinstance(data, np.ndarray):
            from ooarray.ops.creation import asarray

            return asarray(data, chunks=chunks)
        return from_indexable(data, chunks)

    def rechunk(self, data: OOArray, chunks: Any, **kwargs: Any) -> OOArray:
        """Return ``data`` on another chunk grid (lazily)."""
        if isinstance(chunks, dict):
            chunks = tuple(chunks.get(axis, data.chunks[axis]) for axis in range(data.ndim))
        return data.rechunk(chunks)

    def compute(self, *data: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Compute the OOArrays among ``data`` (others pass through)."""
        return tuple(d.compute() if isinstance(d, OOArray) else d for d in data)

    def persist(self, *data: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Return ``data`` unchanged: an OOArray is kept as a plan (re-read when used)."""
        return data

    @property
    def array_api(self) -> Any:
        """The ooarray module (``full_like``, ``zeros_like``... for ``xr.full_like``)."""
        import ooarray

        return ooarray

    def apply_gufunc(self, func: Callable[..., Any], signature: str, *args: Any,
                     axes: Any = None, keepdims: bool = False, output_dtypes: Any = None,
                     vectorize: bool | None = None, **kwargs: Any) -> Any:
        """Apply ``func`` lazily: region by region for loop dimensions only (an elementwise
        function, as ``apply_ufunc(..., dask="parallelized")`` assumes), or loop block by loop
        block with the core dimensions whole (:mod:`ooarray.interop.gufunc`)."""
        if axes is not None or keepdims:
            raise NotImplementedError("ooarray's apply_gufunc takes the core dimensions as the "
                                      "trailing axes; axes= and keepdims= are not supported")
        for dask_only in ("allow_rechunk", "meta", "name"):
            kwargs.pop(dask_only, None)
        output_sizes = kwargs.pop("output_sizes", None)  # new output core dims (interp)
        if not _LOOP_ONLY.match(signature):
            from ooarray.interop.gufunc import apply_gufunc

            return apply_gufunc(func, signature, *args, output_dtypes=output_dtypes,
                                vectorize=vectorize, output_sizes=output_sizes, **kwargs)
        outputs = signature.split("->")[1].count("(")
        if vectorize:
            func = np.vectorize(func, signature=signature)
        return self._elementwise(func, args, output_dtypes, outputs, kwargs)

    def map_blocks(self, func: Callable[..., Any], *args: Any, dtype: Any = None,
                   chunks: Any = None, drop_axis: Any = None, new_axis: Any = None,
                   **kwargs: Any) -> Any:
        """Apply ``func`` region by region, for functions that keep each block's shape."""
        if drop_axis not in (None, [], ()) or new_axis not in (None, [], ()):
            raise NotImplementedError("ooarray's map_blocks keeps each block's shape; "
                                      "drop_axis and new_axis are not supported")
        for dask_only in ("meta", "name", "token", "enforce_ndim"):
            kwargs.pop(dask_only, None)
        return self._elementwise(func, args, None if dtype is None else [dtype], 1, kwargs)

    def _elementwise(self, func: Callable[..., Any], args: Sequence[Any], dtypes: Any,
                     outputs: int, kwargs: dict[str, Any]) -> Any:
        from ooarray.ops._operands import as_operand

        operands = [as_operand(a) for a in args]
        if dtypes is None:
            probe = func(*(np.ones((1,) * np.ndim(a), a.dtype) if hasattr(a, "dtype") else a
                           for a in args), **kwargs)
            probe = probe if isinstance(probe, tuple) else (probe,)
            dtypes = [np.asarray(p).dtype for p in probe]
        dtypes = [check_dtype(d) for d in (dtypes if isinstance(dtypes, (list, tuple))
                                           else [dtypes])]
        results = tuple(OOArray(ElementwiseNode(func, operands, dtypes, output, kwargs))
                        for output in range(outputs))
        return results if outputs > 1 else results[0]

    def store(self, sources: Any, targets: Any, **kwargs: Any) -> Any:
        """Write each OOArray source into its target (``to_zarr``) chunk by chunk."""
        sources = sources if isinstance(sources, (list, tuple)) else [sources]
        targets = targets if isinstance(targets, (list, tuple)) else [targets]
        regions = kwargs.get("regions") or [None] * len(sources)
        for source, target, region in zip(sources, targets, regions, strict=True):
            for index in iter_blocks(source.chunks):
                block = block_region(source.chunks, index)
                place = block if region is None else tuple(
                    slice(r.start + b.start if r.start else b.start,
                          (r.start or 0) + b.stop) for r, b in zip(region, block, strict=True))
                target[place] = source[block].compute()
        return None


def ensure_registered() -> None:
    """Make xarray list the ooarray chunk manager in a source checkout (not installed, so its
    entry point is not visible); installed copies find it through the entry point."""
    from importlib.metadata import EntryPoint

    from xarray.namedarray import parallelcompat

    if "ooarray" in parallelcompat.list_chunkmanagers():
        return
    point = EntryPoint(name="ooarray", value="ooarray.interop.xarray:OOArrayChunkManager",
                       group="xarray.chunkmanagers")
    original = parallelcompat.list_chunkmanagers

    def with_ooarray() -> dict[str, Any]:
        managers = dict(original())
        managers.update(parallelcompat.load_chunkmanagers([point]))
        return managers

    parallelcompat.list_chunkmanagers = with_ooarray
