"""Random numbers generated chunk by chunk, reproducible for a given seed and chunking.

Each chunk draws from its own stream, seeded by ``SeedSequence(seed, spawn_key=(call,
block))``: the result does not depend on which thread makes which chunk, or in what order.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.core.array import OOArray, check_dtype
from ooarray.chunks import normalize_chunks, target_chunk_bytes
from ooarray.plan.graph import SourceNode
from ooarray.store.generated import GeneratedStore

__all__ = ["Generator", "default_rng"]


class Generator:
    """A chunked counterpart of :class:`numpy.random.Generator`.

    Parameters
    ----------
    seed : int, optional
        Entropy for every stream this generator makes; None draws fresh entropy.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._entropy = np.random.SeedSequence(seed).entropy
        self._calls = 0

    def _make(self, size: Any, dtype: np.dtype, chunks: Any, draw, name: str,
              scratch_per_item: int) -> OOArray:
        shape = () if size is None else ((size,) if np.ndim(size) == 0 else tuple(size))
        shape = tuple(operator.index(n) for n in shape)  # TypeError for 2.5, as NumPy
        if any(n < 0 for n in shape):
            raise ValueError(f"negative dimensions are not allowed; got size {size}")
        dtype = check_dtype(dtype)
        grid = normalize_chunks(chunks, shape, dtype.itemsize,
                                target_chunk_bytes(_config.get().memory_limit))
        call = self._calls
        self._calls += 1
        numblocks = tuple(len(c) for c in grid)
        entropy = self._entropy

        def fill(index, region, out):
            block = int(np.ravel_multi_index(index, numblocks)) if numblocks else 0
            rng = np.random.Generator(np.random.PCG64(
                np.random.SeedSequence(entropy, spawn_key=(call, block))))
            draw(rng, out)

        store = GeneratedStore(shape, dtype, grid, fill, f"random.{name}", scratch_per_item)
        return OOArray(SourceNode(store))

    def random(self, size: Any = None, dtype: Any = np.float64, *, chunks: Any = None) -> OOArray:
        """Uniform floats in [0, 1)."""
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise TypeError(f"Unsupported dtype {dtype} for random")
        return self._make(size, dtype, chunks,
                          lambda rng, out: rng.random(out=out, dtype=dtype), "random", 0)

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, *,
                        chunks: Any = None) -> OOArray:
        """Standard normal floats."""
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise TypeError(f"Unsupported dtype {dtype} for standard_normal")
        return self._make(size, dtype, chunks,
                          lambda rng, out: rng.standard_normal(out=out, dtype=dtype),
                          "standard_normal", 0)

    def integers(self, low: int, high: int | None = None, size: Any = None,
                 dtype: Any = np.int64, endpoint: bool = False, *,
                 chunks: Any = None) -> OOArray:
        """Random integers in [low, high) (or [low, high] with ``endpoint``)."""
        if np.ndim(low) or np.ndim(high):
            raise TypeError("ooarray's integers takes scalar low and high; draw each range "
                            "separately and combine the arrays")
        dtype = np.dtype(dtype)
        np.random.default_rng(0).integers(low, high, size=0, dtype=dtype, endpoint=endpoint)

        def draw(rng, out):
            out[...] = rng.integers(low, high, size=out.shape, dtype=dtype, endpoint=endpoint)

        return self._make(size, dtype, chunks, draw, "integers", dtype.itemsize)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None, *,
                chunks: Any = None) -> OOArray:
        """Uniform floats in [low, high)."""
        if np.ndim(low) or np.ndim(high):
            raise TypeError("ooarray's uniform takes scalar low and high")

        def draw(rng, out):
            out[...] = rng.uniform(low, high, size=out.shape)

        return self._make(size, np.float64, chunks, draw, "uniform", 8)


def default_rng(seed: int | None = None) -> Generator:
    """Return a chunked random generator.

    Examples
    --------
    >>> import ooarray as oa
    >>> x = oa.random.default_rng(42).random((1000,), chunks=100)
    >>> bool(0.4 < float(x.mean()) < 0.6)
    True
    """
    return Generator(seed)
