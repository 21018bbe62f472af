"""The systems ``bench all`` runs side by side.

Every system does each workload the way a user of that system would, opening the inputs and
writing the output included, on the same values stored once per format
(:class:`benchmarks.compare_inputs.Inputs`): ooarray, NumPy in memory, Dask and Cubed read
Zarr, ``numpy.memmap`` reads ``.npy`` and Blosc2 its own ``.b2nd`` (Blosc LZ4 with shuffle, as
ooarray's Zarr). The elementwise chain, ``sum`` and ``std`` are those of the elementwise
benchmark's systems, ``A @ B`` those of the matmul benchmark's where there is one; sort and
the small-array loop are here. A workload a system has no function for is in
:attr:`Peer.not_applicable` and shows as ``n/a``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.compare_inputs import Inputs, blosc2_cparams
from benchmarks.elementwise_systems import (
    EXPRESSION,
    INPUT_NAMES,
    DaskSystem,
    Dataset,
    MemmapSystem,
    NumpySystem,
    OOArraySystem,
    expression,
)
from benchmarks.elementwise_systems import System as ElementwiseSystem
from benchmarks.harness import create_zarr_like, refuse_unknown_systems
from benchmarks.matmul_systems import DaskMatmul, NumpyMatmul
from ooarray.config import parse_bytes

__all__ = [
    "Peer", "OOArrayAll", "MemmapAll", "DaskAll", "CubedAll", "Blosc2All", "NumpyAll",
    "SYSTEM_NAMES", "OPERATIONS", "make_peers", "small_values", "small_step",
]

#: Systems in the order they run: NumPy in memory last, because it leaves the RSS grown.
SYSTEM_NAMES = ("ooarray", "memmap", "dask", "cubed", "blosc2", "numpy")

#: Operations, in the order every system runs them.
OPERATIONS = ("elementwise", "sum", "std", "matmul", "sort", "small")

#: Elements of the small-array workload's array.
SMALL_ELEMENTS = 1000


def small_values() -> np.ndarray:
    """The small-array workload's input: 1000 float64 values in [0, 1]."""
    return np.linspace(0.0, 1.0, SMALL_ELEMENTS)


def small_step(a: Any) -> Any:
    """One call of the small-array workload: ``(a * 2 + 1).sum()``, not yet a float."""
    return (a * 2 + 1).sum()


class Peer(ElementwiseSystem):
    """A system of ``bench all``: the elementwise benchmark's three operations (on the
    :class:`Dataset` of its format) and ``matmul``, ``sort`` and ``small``.

    Attributes
    ----------
    fmt : str
        The format it reads its inputs from and writes its outputs in.
    not_applicable : dict of str to str
        Operations the system has no function for, and why.
    """

    fmt = "zarr"
    not_applicable: dict[str, str] = {}

    def matmul(self, inputs: Inputs, out: Path) -> None:
        """Write ``A @ B`` to ``out``."""
        raise NotImplementedError(self.not_applicable.get("matmul", "matmul"))

    def sort(self, inputs: Inputs, out: Path) -> None:
        """Write the sorted vector to ``out``."""
        raise NotImplementedError(self.not_applicable.get("sort", "sort"))

    def small(self, scratch: Path, calls: int) -> float:
        """Run :func:`small_step` ``calls`` times on :func:`small_values` and return the
        last value; ``scratch`` is a folder for the system's files."""
        raise NotImplementedError(self.not_applicable.get("small", "small"))

    def describe(self, dataset: Dataset) -> str:
        return f"reads {self.fmt}"


class OOArrayAll(OOArraySystem, Peer):
    """ooarray under ``memory_limit`` (the default policy), counters and pool as in the
    other benchmarks."""

    def matmul(self, inputs: Inputs, out: Path) -> None:
        import ooarray as oa

        with self.session():
            a, b = (oa.open(path) for path in inputs.matrices(self.fmt))
            (a @ b).to_zarr(out, overwrite=True, chunks=a.chunksize)

    def sort(self, inputs: Inputs, out: Path) -> None:
        import ooarray as oa

        with self.session():
            vector = oa.open(inputs.vector(self.fmt))
            np.sort(vector).to_zarr(out, overwrite=True, chunks=vector.chunksize)

    def small(self, scratch: Path, calls: int) -> float:
        import ooarray as oa

        with self.session():
            a = oa.asarray(small_values())
            for _ in range(calls):
                value = float(small_step(a))
        return value


class MemmapAll(MemmapSystem, Peer):
    """``numpy.memmap`` of ``.npy`` files: row blocks for the chain and the reductions (of at
    most an eighth of the budget), ``np.matmul(A, B, out=C)`` on mapped files, an in-place
    sort of a mapped copy."""

    fmt = "npy"

    def matmul(self, inputs: Inputs, out: Path) -> None:
        a, b = (np.load(path, mmap_mode="r") for path in inputs.matrices(self.fmt))
        target = np.lib.format.open_memmap(out, mode="w+", dtype=a.dtype,
                                           shape=(a.shape[0], b.shape[1]))
        np.matmul(a, b, out=target)
        target.flush()
        del target, a, b

    def sort(self, inputs: Inputs, out: Path) -> None:
        vector = np.load(inputs.vector(self.fmt), mmap_mode="r")
        target = np.lib.format.open_memmap(out, mode="w+", dtype=vector.dtype,
                                           shape=vector.shape)
        for rows in self._blocks(vector):
            target[rows] = vector[rows]
        target.sort()
        target.flush()
        del target, vector

    def small(self, scratch: Path, calls: int) -> float:
        # A memmap user's small array is a mapped file; its operations are NumPy's.
        path = scratch / "small.npy"
        np.save(path, small_values())
        try:
            a = np.load(path, mmap_mode="r")
            for _ in range(calls):
                value = float(small_step(a))
            del a
        finally:
            path.unlink(missing_ok=True)
        return value

    def describe(self, dataset: Dataset) -> str:
        return f"reads npy; {MemmapSystem.describe(self, dataset)}"


class DaskAll(DaskSystem, Peer):
    """dask.array, threaded scheduler, over the stored chunks (the product in the blocks of
    the matmul benchmark)."""

    not_applicable = {"sort": "dask.array has no sort (only topk and argtopk)"}

    def matmul(self, inputs: Inputs, out: Path) -> None:
        DaskMatmul().matmul(inputs.matmul(), out)

    def small(self, scratch: Path, calls: int) -> float:
        import dask.array as da

        a = da.from_array(small_values())
        for _ in range(calls):
            value = float(small_step(a).compute(scheduler="threads"))
        return value

    def describe(self, dataset: Dataset) -> str:
        return f"reads zarr; {DaskSystem.describe(self, dataset)}"


class CubedAll(Peer):
    """Cubed, its ``allowed_mem`` the budget, the threads executor, its intermediate
    Zarr stores in a work folder beside the inputs (removed after each run).

    Parameters
    ----------
    memory_limit : int or str
        ``allowed_mem`` of Cubed's spec.
    """

    name = "cubed"
    requires = ("cubed",)
    not_applicable = {"sort": "Cubed has no sort"}

    def __init__(self, memory_limit: int | str) -> None:
        super().__init__()
        self.allowed_mem = parse_bytes(memory_limit)
        self.work_dir: Path | None = None

    def _spec(self, directory: Path) -> Any:
        import cubed

        self.work_dir = directory / "cubed-work"
        return cubed.Spec(work_dir=os.fspath(self.work_dir), allowed_mem=self.allowed_mem,
                          executor_name="threads")

    def _open(self, path: Path, spec: Any) -> Any:
        import cubed

        return cubed.from_zarr(os.fspath(path), spec=spec)

    def describe(self, dataset: Dataset) -> str:
        import cubed

        return f"reads zarr; allowed_mem {self.allowed_mem}, threads executor, " \
               f"cubed {cubed.__version__}"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        import cubed

        spec = self._spec(dataset.directory)
        result = expression(*(self._open(path, spec) for path in dataset.inputs))
        cubed.store(result, create_zarr_like(dataset.inputs[0], out))

    def sum(self, dataset: Dataset) -> float:
        import cubed.array_api as xp

        return float(xp.sum(self._open(dataset.inputs[0], self._spec(dataset.directory)))
                     .compute())

    def std(self, dataset: Dataset) -> float:
        import cubed.array_api as xp

        return float(xp.std(self._open(dataset.inputs[0], self._spec(dataset.directory)))
                     .compute())

    def matmul(self, inputs: Inputs, out: Path) -> None:
        import cubed
        import cubed.array_api as xp

        spec = self._spec(inputs.directory)
        a, b = (self._open(path, spec) for path in inputs.matrices(self.fmt))
        cubed.store(xp.matmul(a, b), create_zarr_like(inputs.matrices(self.fmt)[0], out))

    def small(self, scratch: Path, calls: int) -> float:
        import cubed
        import cubed.array_api as xp

        a = cubed.from_array(small_values(), spec=self._spec(scratch))
        for _ in range(calls):  # Cubed's arrays have no methods: the Array API's functions
            value = float(xp.sum(a * 2 + 1).compute())
        return value

    def reset(self) -> None:
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)


class Blosc2All(Peer):
    """Blosc2: ``.b2nd`` files in the Zarr inputs' chunks, a lazy expression computed into a
    ``.b2nd`` output, its reductions and ``blosc2.matmul``."""

    name = "blosc2"
    fmt = "b2nd"
    requires = ("blosc2",)
    not_applicable = {"sort": "blosc2.sort sorts 1-d structured arrays only"}

    def describe(self, dataset: Dataset) -> str:
        import blosc2

        return f"reads b2nd; chunks {blosc2.open(os.fspath(dataset.inputs[0])).chunks}, " \
               f"{blosc2.nthreads} threads, blosc2 {blosc2.__version__}"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        import blosc2

        operands = {name: blosc2.open(os.fspath(path))
                    for name, path in zip(INPUT_NAMES, dataset.inputs, strict=True)}
        blosc2.lazyexpr(EXPRESSION, operands=operands).compute(
            urlpath=os.fspath(out), mode="w", cparams=blosc2_cparams())

    def sum(self, dataset: Dataset) -> float:
        import blosc2

        return float(blosc2.open(os.fspath(dataset.inputs[0])).sum())

    def std(self, dataset: Dataset) -> float:
        import blosc2

        return float(blosc2.open(os.fspath(dataset.inputs[0])).std())

    def matmul(self, inputs: Inputs, out: Path) -> None:
        import blosc2

        a, b = (blosc2.open(os.fspath(path)) for path in inputs.matrices(self.fmt))
        blosc2.matmul(a, b, urlpath=os.fspath(out), mode="w", chunks=a.chunks,
                      cparams=blosc2_cparams())

    def small(self, scratch: Path, calls: int) -> float:
        import blosc2

        a = blosc2.asarray(small_values())
        for _ in range(calls):
            value = float(small_step(a))
        return value


class NumpyAll(NumpySystem, Peer):
    """NumPy in memory: whole arrays read from Zarr, computed, written whole."""

    def matmul(self, inputs: Inputs, out: Path) -> None:
        NumpyMatmul().matmul(inputs.matmul(), out)

    def sort(self, inputs: Inputs, out: Path) -> None:
        path = inputs.vector(self.fmt)
        create_zarr_like(path, out)[...] = np.sort(self._load(path, self.fmt))

    def small(self, scratch: Path, calls: int) -> float:
        a = small_values()
        for _ in range(calls):
            value = float(small_step(a))
        return value

    def describe(self, dataset: Dataset) -> str:
        return "reads zarr; whole arrays in RAM"


def make_peers(names: list[str] | tuple[str, ...], memory_limit: int | str) -> list[Peer]:
    """Return the systems called ``names``, in :data:`SYSTEM_NAMES` order.

    ``memory_limit`` is ooarray's budget and Cubed's ``allowed_mem``; memmap's row blocks are
    at most an eighth of it.

    Raises
    ------
    ValueError
        If a name is not known.
    """
    refuse_unknown_systems(names, SYSTEM_NAMES)
    limit = parse_bytes(memory_limit)
    made: dict[str, Any] = {
        "ooarray": lambda: OOArrayAll(limit),
        "memmap": lambda: MemmapAll(min(MemmapAll().block_bytes, max(2**20, limit // 8))),
        "dask": DaskAll, "cubed": lambda: CubedAll(limit), "blosc2": Blosc2All,
        "numpy": NumpyAll,
    }
    return [made[name]() for name in SYSTEM_NAMES if name in names]
