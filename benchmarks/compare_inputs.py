"""The inputs ``bench all`` shares between its systems: their sizes and chunks, writing them
once per format, and reading samples of any output.

``a, b, c`` (the elementwise chain and the reductions), ``matmul/a`` and ``matmul/b`` (the
product) and ``sort/v`` (the sort) are written by ooarray within the budget as Zarr and as
``.npy`` with the other benchmarks' seeds, and copied to ``.b2nd`` for Blosc2; every chunk is at
most an eighth of the budget.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import elementwise, matmul
from benchmarks.elementwise_systems import Dataset
from benchmarks.harness import prepare_inputs
from benchmarks.matmul_systems import MatmulDataset

__all__ = ["Inputs", "sizes", "vector_chunks", "prepare", "read_index", "blosc2_cparams"]

#: The matmul operands and the sorted vector are each about this fraction of ``--size``.
SIZE_FRACTION = 4

#: Side of the matrices is a multiple of this (and at least this).
MATMUL_STEP = 256

#: Seed of the vector to sort (``a, b, c`` and A, B are the other benchmarks' seeds).
VECTOR_SEED = 2

#: Largest chunk of the vector, and chunks even a small vector is split into.
VECTOR_CHUNK_BYTES = 32 * 2**20
MIN_VECTOR_CHUNKS = 4


@dataclasses.dataclass(frozen=True)
class Inputs:
    """The inputs of every workload, in one directory, and where outputs go.

    ``a, b, c`` (``shape``) for the elementwise chain and the reductions, ``matmul/a`` and
    ``matmul/b`` (``n`` x ``n``) for the product, ``sort/v`` (``length``) for the sort, each
    stored as ``.zarr``, ``.npy`` and ``.b2nd``.

    Examples
    --------
    >>> i = Inputs(Path("/d"), (8, 4), 4, 16)
    >>> i.elementwise("b2nd").inputs[0].name, i.matrices("npy")[1].name, i.vector("zarr").name
    ('a.b2nd', 'b.npy', 'v.zarr')
    >>> i.output("dask", "matmul", "zarr").name
    'out-matmul-dask.zarr'
    """

    directory: Path
    shape: tuple[int, int]
    n: int
    length: int

    def elementwise(self, fmt: str) -> Dataset:
        """The elementwise benchmark's dataset of ``a, b, c`` in ``fmt``."""
        return Dataset(fmt, self.directory, self.shape)

    def matmul(self) -> MatmulDataset:
        """The matmul benchmark's dataset (Zarr ``a`` and ``b`` under ``matmul/``)."""
        return MatmulDataset(self.directory / "matmul", self.n)

    def matrices(self, fmt: str) -> tuple[Path, Path]:
        """A and B in ``fmt``."""
        a, b = self.matmul().inputs
        return a.with_suffix(f".{fmt}"), b.with_suffix(f".{fmt}")

    def vector(self, fmt: str) -> Path:
        """The vector to sort, in ``fmt``."""
        return self.directory / "sort" / f"v.{fmt}"

    def output(self, system: str, operation: str, fmt: str) -> Path:
        """Where ``system`` writes the result of ``operation``."""
        return self.directory / f"out-{operation}-{system}.{fmt}"

    def all_paths(self, fmt: str) -> list[Path]:
        """Every input stored in ``fmt``."""
        return [*self.elementwise(fmt).inputs, *self.matrices(fmt), self.vector(fmt)]


def sizes(size: int) -> tuple[tuple[int, int], int, int]:
    """Return the shape of ``a, b, c``, the side of A and B and the length of the vector for
    inputs of ``size`` bytes.

    Examples
    --------
    >>> sizes(64 * 2**20)
    ((2048, 4096), 1280, 2097152)
    >>> sizes(2**20)
    ((32, 4096), 256, 32768)
    """
    quarter = size // SIZE_FRACTION // 8
    n = max(MATMUL_STEP, math.isqrt(quarter) // MATMUL_STEP * MATMUL_STEP)
    return elementwise.shape_for(size), n, max(MIN_VECTOR_CHUNKS, quarter)


def vector_chunks(length: int, memory_limit: int) -> tuple[int]:
    """Return the chunk of the vector: at most 32 MiB and an eighth of ``memory_limit``, at
    least four chunks.

    Examples
    --------
    >>> vector_chunks(2**21, 16 * 10**6), vector_chunks(100, 10**9)
    ((250000,), (25,))
    """
    most = min(VECTOR_CHUNK_BYTES, memory_limit // elementwise.CHUNKS_PER_BUDGET) // 8
    return (max(1, min(most, -(-length // MIN_VECTOR_CHUNKS))),)


def read_index(path: Path, index: np.ndarray) -> np.ndarray:
    """Return the entries ``index`` along the first axis of a stored array (Zarr, ``.npy``
    or ``.b2nd``), a small sample, as a NumPy array."""
    if path.suffix == ".zarr":
        import zarr

        stored = zarr.open_array(os.fspath(path), mode="r")
        return stored.get_orthogonal_selection((index,) + (slice(None),) * (stored.ndim - 1))
    if path.suffix == ".b2nd":
        import blosc2

        stored = blosc2.open(os.fspath(path))
        return np.stack([np.asarray(stored[int(i)]) for i in index])
    mapped = np.load(path, mmap_mode="r")
    try:
        return np.array(mapped[index])
    finally:
        del mapped


def blosc2_cparams() -> Any:
    """Blosc2's compression parameters of every ``.b2nd`` file: LZ4 level 5 with byte
    shuffle, the codec ooarray writes Zarr with."""
    import blosc2

    return blosc2.CParams(codec=blosc2.Codec.LZ4, clevel=5, filters=[blosc2.Filter.SHUFFLE],
                          typesize=8)


def _to_b2nd(source: Path, target: Path, chunks: tuple[int, ...]) -> bool:
    """Copy the ``.npy`` file ``source`` to ``.b2nd`` in ``chunks`` unless already there;
    return whether it wrote."""
    import blosc2

    mapped = np.load(source, mmap_mode="r")
    if target.exists():
        stored = blosc2.open(os.fspath(target))
        if stored.shape == mapped.shape and tuple(stored.chunks) == tuple(chunks):
            return False
    copy = blosc2.empty(mapped.shape, dtype=mapped.dtype, chunks=chunks,
                        urlpath=os.fspath(target), mode="w", cparams=blosc2_cparams())
    for start in range(0, mapped.shape[0], chunks[0]):
        copy[start:start + chunks[0]] = mapped[start:start + chunks[0]]
    del copy, mapped
    return True


def _copies(path: Path, fmt: str) -> list[Path]:
    """The copies of an input made from its ``fmt`` file (``.npy`` and ``.b2nd`` from Zarr's
    values, ``.b2nd`` from ``.npy``), stale once that file is written again."""
    return [path.with_suffix(".b2nd")] + ([path.with_suffix(".npy")] if fmt == "zarr" else [])


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def prepare(inputs: Inputs, memory_limit: int, formats: Sequence[str]) -> list[str]:
    """Write the inputs in Zarr and in each of ``formats`` (``npy``, ``b2nd``) that are
    missing or stored otherwise, ``.b2nd`` copied from ``.npy``; return what was written.

    ooarray's random values follow the chunks, so an input written again (another budget)
    makes its copies in the other formats stale: they are written again too.
    """
    shape, n, length = inputs.shape, inputs.n, inputs.length
    for folder in (inputs.directory, inputs.matmul().directory, inputs.vector("zarr").parent):
        folder.mkdir(parents=True, exist_ok=True)
    groups = [  # (paths in Zarr, shape, chunks, seed)
        (inputs.elementwise("zarr").inputs, shape, elementwise.input_chunks(shape, memory_limit),
         elementwise.SEED),
        (inputs.matrices("zarr"), (n, n), matmul.input_chunks(n, memory_limit), matmul.SEED),
        ((inputs.vector("zarr"),), (length,), vector_chunks(length, memory_limit), VECTOR_SEED),
    ]
    written = []
    stored = ["zarr", "npy"] if {"npy", "b2nd"} & set(formats) else ["zarr"]
    for fmt in stored:
        for paths, group_shape, chunks, seed in groups:
            targets = [path.with_suffix(f".{fmt}") for path in paths]
            for name in prepare_inputs(targets, fmt, group_shape, chunks, memory_limit, seed):
                path = next(p for p in targets if p.stem == name)
                for copy in _copies(path, fmt):
                    _remove(copy)
                written.append(str(path.relative_to(inputs.directory)))
    if "b2nd" in formats:
        for paths, _, chunks, _ in groups:
            for path in paths:
                source, target = path.with_suffix(".npy"), path.with_suffix(".b2nd")
                if _to_b2nd(source, target, chunks):
                    written.append(str(target.relative_to(inputs.directory)))
    return written
