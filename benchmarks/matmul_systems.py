"""The systems the matmul benchmark compares, one class each.

Every system computes ``C = A @ B`` for two n x n Zarr arrays of a :class:`MatmulDataset`
(float64 or float32: the dataset's dtype, which every system keeps, C included) and writes C
as Zarr with the inputs' chunks, dtype and codecs, the way a user of that system would,
opening the inputs and writing the output included.
"""

from __future__ import annotations

import abc
import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import (Measurement, OOArrayPeer, System, create_zarr_like, measure,
                                refuse_unknown_systems)
from ooarray.errors import format_bytes

__all__ = [
    "MatmulDataset", "MatmulSystem", "OOArrayMatmul", "NumpyMatmul", "DaskMatmul",
    "SYSTEM_NAMES", "POLICIES", "make_systems", "read_sample", "DASK_CHUNK", "DTYPES",
]

#: The dtypes the benchmark runs with (``--dtype``), the default first.
DTYPES = ("float64", "float32")

#: ooarray's eviction policies, each run as its own system: Belady (the default) and LRU.
POLICIES = ("belady", "lru")

#: Systems in the order they run: NumPy in memory last, because it leaves RSS grown.
SYSTEM_NAMES = ("ooarray", "dask", "numpy")

#: Chunk side a Dask user picks for a large matmul (``chunks=4096``: 128 MiB blocks, few
#: enough tasks for the scheduler, large enough for BLAS).
DASK_CHUNK = 4096


@dataclasses.dataclass(frozen=True)
class MatmulDataset:
    """A and B (n x n Zarr of ``dtype``) in one directory, and where each system writes C.

    Examples
    --------
    >>> d = MatmulDataset(Path("/data"), 8)
    >>> [p.name for p in d.inputs], d.output_path("ooarray-lru").name, d.dtype
    (['a.zarr', 'b.zarr'], 'c-ooarray-lru.zarr', dtype('float64'))
    >>> MatmulDataset(Path("/data"), 8, "float32").array_bytes
    256
    """

    directory: Path
    n: int
    dtype: np.dtype = np.dtype(DTYPES[0])

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @property
    def array_bytes(self) -> int:
        """The bytes of one of A, B and C."""
        return self.n * self.n * self.dtype.itemsize

    @property
    def inputs(self) -> tuple[Path, Path]:
        """The paths of A and B."""
        return self.directory / "a.zarr", self.directory / "b.zarr"

    def output_path(self, system: str) -> Path:
        """Return where ``system`` writes C."""
        return self.directory / f"c-{system}.zarr"


def read_sample(path: Path, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``C[rows, :]`` and ``C[:, cols]`` of the Zarr array at ``path``."""
    import zarr

    stored = zarr.open_array(os.fspath(path), mode="r")
    return (stored.get_orthogonal_selection((rows, slice(None))),
            stored.get_orthogonal_selection((slice(None), cols)))


def _load(path: Path) -> np.ndarray:
    import zarr

    return zarr.open_array(os.fspath(path), mode="r")[...]


class MatmulSystem(System):
    """One way of writing ``A @ B`` to a Zarr store (the common part is
    :class:`benchmarks.harness.System`'s).

    Attributes
    ----------
    phases : dict of str to Measurement
        Parts of the last run measured on their own (NumPy's multiply alone).
    """

    def __init__(self) -> None:
        super().__init__()
        self.phases: dict[str, Measurement] = {}

    @abc.abstractmethod
    def matmul(self, dataset: MatmulDataset, out: Path) -> None:
        """Write ``A @ B`` to ``out`` as Zarr."""


class OOArrayMatmul(OOArrayPeer, MatmulSystem):
    """ooarray under a memory budget with one eviction policy; records the access trace.

    Parameters
    ----------
    memory_limit : int or str
        The budget, e.g. ``"1GB"``.
    policy : str
        ``"belady"`` or ``"lru"``.
    """

    def __init__(self, memory_limit: int | str, policy: str) -> None:
        super().__init__(memory_limit, policy=policy)
        self.policy = policy
        self.name = f"ooarray-{policy}"

    def _product(self, dataset: MatmulDataset) -> Any:
        import ooarray as oa

        a, b = (oa.open(path) for path in dataset.inputs)
        return a, b, a @ b

    def describe(self, dataset: MatmulDataset) -> str:
        with self.config():
            a, _, c = self._product(dataset)
            t = c.node.tiles
        return (f"policy {self.policy}, memory_limit {self.budget}, input chunks "
                f"{a.chunksize}, tiles tm={t.tm} tn={t.tn} tk={t.tk}")

    def matmul(self, dataset: MatmulDataset, out: Path) -> None:
        with self.session(trace=True):
            a, _, c = self._product(dataset)
            # Like the other systems, C is stored in A's chunks (each tile is several of them;
            # ``to_zarr`` would choose them too, it is said for the peers' sake).
            c.to_zarr(out, overwrite=True, chunks=a.chunksize)
        tiles = c.node.tiles
        self.extra = {**self.extra, "policy": self.policy,
                      "tiles": {**dataclasses.asdict(tiles), "io_ratio": tiles.io_ratio}}


class NumpyMatmul(MatmulSystem):
    """NumPy in memory: load A and B whole, ``A @ B`` with BLAS, write C whole.

    The multiply is also measured on its own (``phases["multiply"]``): that is the compute
    limit every out-of-core system is held against.
    """

    name = "numpy"

    def describe(self, dataset: MatmulDataset) -> str:
        return f"whole arrays in RAM ({format_bytes(3 * dataset.array_bytes)} for A, B, C)"

    def matmul(self, dataset: MatmulDataset, out: Path) -> None:
        a, b = (_load(path) for path in dataset.inputs)
        c, self.phases["multiply"] = measure(lambda: a @ b)
        create_zarr_like(dataset.inputs[0], out)[...] = c


class DaskMatmul(MatmulSystem):
    """dask.array: ``da.from_zarr`` with the chunks a user would pick, ``@``, ``da.to_zarr``,
    threaded scheduler, BLAS threads left as they are (what a user gets).

    Parameters
    ----------
    chunk : int
        Side of Dask's blocks (capped at half of n so small runs still have several blocks).
    """

    name = "dask"
    requires = ("dask.array",)

    def __init__(self, chunk: int = DASK_CHUNK) -> None:
        super().__init__()
        self.chunk = chunk

    def _side(self, dataset: MatmulDataset) -> int:
        import zarr

        stored = zarr.open_array(os.fspath(dataset.inputs[0]), mode="r").chunks[0]
        # At most half of n, so that small runs still multiply several blocks, and a multiple
        # of the stored chunk, so that every block writes whole Zarr chunks.
        side = min(self.chunk, max(1, dataset.n // 2))
        return max(stored, side - side % stored)

    def describe(self, dataset: MatmulDataset) -> str:
        side = self._side(dataset)
        return f"chunks ({side}, {side}), threaded scheduler"

    def matmul(self, dataset: MatmulDataset, out: Path) -> None:
        import dask
        import dask.array as da

        side = self._side(dataset)
        a, b = (da.from_zarr(os.fspath(path), chunks=(side, side)) for path in dataset.inputs)
        with dask.config.set(scheduler="threads"):
            da.to_zarr(a @ b, create_zarr_like(dataset.inputs[0], out))


def make_systems(names: list[str] | tuple[str, ...], memory_limit: int | str,
                 dask_chunk: int = DASK_CHUNK) -> list[MatmulSystem]:
    """Return the systems called ``names`` in :data:`SYSTEM_NAMES` order; ``"ooarray"`` is
    one system per policy in :data:`POLICIES`.

    Raises
    ------
    ValueError
        If a name is not known.
    """
    refuse_unknown_systems(names, SYSTEM_NAMES)
    systems: list[MatmulSystem] = []
    for name in SYSTEM_NAMES:
        if name not in names:
            continue
        if name == "ooarray":
            systems += [OOArrayMatmul(memory_limit, policy) for policy in POLICIES]
        elif name == "dask":
            systems.append(DaskMatmul(dask_chunk))
        else:
            systems.append(NumpyMatmul())
    return systems
