"""The systems the elementwise benchmark compares, one class each.

Every system does the same three things on the same three arrays ``a, b, c`` of a
:class:`Dataset`: write ``2*a*b + c**2 - a/(b+1)`` in the inputs' format, and return
``a.sum()`` and ``a.std()``. Each does it the way a user of that system would, including
opening the inputs and writing the output, because that is what a user waits for.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numexpr
import numpy as np

from benchmarks.harness import OOArrayPeer, create_zarr_like
from benchmarks.harness import System as BaseSystem

__all__ = [
    "Dataset", "System", "OOArraySystem", "NumpySystem", "MemmapSystem", "DaskSystem",
    "expression", "EXPRESSION", "INPUT_NAMES", "FORMATS", "read_rows", "make_system",
    "SYSTEM_NAMES",
]

#: The elementwise chain, as numexpr reads it; :func:`expression` is the same for arrays.
EXPRESSION = "2*a*b + c**2 - a/(b+1)"

#: Names of the three input arrays, in the order :func:`expression` takes them.
INPUT_NAMES = ("a", "b", "c")

#: Storage formats, by the file suffix the benchmark gives them.
FORMATS = ("zarr", "npy")

#: Systems in the order they run in each format: NumPy in memory last, because it grows RSS.
SYSTEM_NAMES = ("ooarray", "ooarray-nosync", "memmap", "dask", "numpy")

#: Rows per block of the memmap + numexpr loop, in bytes (a few times L2, far below RAM).
MEMMAP_BLOCK_BYTES = 64 * 2**20

#: Blocks the memmap loop splits even a small array into, so the loop itself is exercised.
MEMMAP_MIN_BLOCKS = 4


def expression(a: Any, b: Any, c: Any) -> Any:
    """Return ``2*a*b + c**2 - a/(b+1)`` for NumPy, Dask or ooarray arrays.

    Examples
    --------
    >>> float(expression(1.0, 1.0, 2.0))
    5.5
    """
    return 2 * a * b + c ** 2 - a / (b + 1)


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Three inputs ``a, b, c`` of one format in one directory, and where outputs go.

    Examples
    --------
    >>> d = Dataset("npy", Path("/data"), (8, 4))
    >>> [p.name for p in d.inputs], d.output_path("dask").name
    (['a.npy', 'b.npy', 'c.npy'], 'out-dask.npy')
    """

    fmt: str
    directory: Path
    shape: tuple[int, int]

    def input_path(self, name: str) -> Path:
        """Return the path of input ``name`` (``"a"``, ``"b"`` or ``"c"``)."""
        return self.directory / f"{name}.{self.fmt}"

    @property
    def inputs(self) -> tuple[Path, ...]:
        """The paths of ``a, b, c``."""
        return tuple(self.input_path(name) for name in INPUT_NAMES)

    def output_path(self, system: str) -> Path:
        """Return where ``system`` writes the elementwise result."""
        return self.directory / f"out-{system}.{self.fmt}"


def read_rows(path: Path, fmt: str, rows: np.ndarray) -> np.ndarray:
    """Return the given rows of a stored 2-d array (a small sample) as a NumPy array."""
    if fmt == "zarr":
        import zarr

        return zarr.open_array(os.fspath(path), mode="r").get_orthogonal_selection(
            (rows, slice(None)))
    mapped = np.load(path, mmap_mode="r")
    try:
        return np.array(mapped[rows])
    finally:
        del mapped


@contextlib.contextmanager
def _numexpr_threads(count: int) -> Iterator[None]:
    previous = numexpr.set_num_threads(count)
    try:
        yield
    finally:
        numexpr.set_num_threads(previous)


class System(BaseSystem):
    """One way of doing the benchmark's three operations on a :class:`Dataset` (the common
    part, ``name``, ``extra``, ``missing``, ``unsupported``, ``describe`` and ``reset``, is
    :class:`benchmarks.harness.System`'s)."""

    @abc.abstractmethod
    def elementwise(self, dataset: Dataset, out: Path) -> None:
        """Write :func:`expression` of the inputs to ``out``, in the inputs' format."""

    @abc.abstractmethod
    def sum(self, dataset: Dataset) -> float:
        """Return the sum of every element of ``a``."""

    @abc.abstractmethod
    def std(self, dataset: Dataset) -> float:
        """Return the standard deviation (``ddof=0``) of every element of ``a``."""


class OOArraySystem(OOArrayPeer, System):
    """ooarray under a memory budget: a fused numexpr pass, chunk by chunk through its pool.

    Parameters
    ----------
    memory_limit : int or str
        The budget, e.g. ``"1GB"``.
    """

    name = "ooarray"

    def _open(self, path: Path) -> Any:
        import ooarray as oa

        return oa.open(path)

    def describe(self, dataset: Dataset) -> str:
        with self.config():
            chunks = self._open(dataset.inputs[0]).chunksize
        return f"memory_limit {self.budget}, chunks {chunks}"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        with self.session():
            result = expression(*(self._open(path) for path in dataset.inputs))
            writer = result.to_zarr if dataset.fmt == "zarr" else result.to_npy
            writer(out, overwrite=True)

    def sum(self, dataset: Dataset) -> float:
        with self.session():
            return float(self._open(dataset.inputs[0]).sum())

    def std(self, dataset: Dataset) -> float:
        with self.session():
            return float(self._open(dataset.inputs[0]).std())


class OOArrayNoSyncSystem(OOArraySystem):
    """ooarray with ``write_through=False``: its Zarr results are left in the page cache, not
    flushed chunk by chunk, as its peers leave theirs (the fair comparison of write speed;
    the default flushes results larger than the budget, inside its timing)."""

    name = "ooarray-nosync"

    def __init__(self, memory_limit: int | str) -> None:
        super().__init__(memory_limit, write_through=False)

    def unsupported(self, fmt: str) -> str | None:
        return None if fmt == "zarr" else ".npy results are never flushed: the same as ooarray"


class NumpySystem(System):
    """NumPy in memory: read whole arrays, compute, write the whole result."""

    name = "numpy"

    @staticmethod
    def _load(path: Path, fmt: str) -> np.ndarray:
        if fmt == "zarr":
            import zarr

            return zarr.open_array(os.fspath(path), mode="r")[...]
        return np.load(path)

    def describe(self, dataset: Dataset) -> str:
        return "whole arrays in RAM"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        result = expression(*(self._load(path, dataset.fmt) for path in dataset.inputs))
        if dataset.fmt == "zarr":
            create_zarr_like(dataset.inputs[0], out)[...] = result
        else:
            np.save(out, result)

    def sum(self, dataset: Dataset) -> float:
        return float(self._load(dataset.inputs[0], dataset.fmt).sum())

    def std(self, dataset: Dataset) -> float:
        return float(self._load(dataset.inputs[0], dataset.fmt).std())


class MemmapSystem(System):
    """``numpy.memmap`` of whole ``.npy`` files, and a loop over row blocks.

    The elementwise chain is one ``numexpr.evaluate`` per block into a memmapped output. The
    reductions sum each block with NumPy (numexpr's ``sum`` is about half NumPy's speed on
    the project's machines); ``std`` combines per-block means and squared deviations (Chan et
    al.), one pass over the file, as stable as NumPy's two passes.

    Parameters
    ----------
    block_bytes : int
        Target size of one row block of one array.
    """

    name = "memmap"

    def __init__(self, block_bytes: int = MEMMAP_BLOCK_BYTES) -> None:
        super().__init__()
        self.block_bytes = block_bytes

    def unsupported(self, fmt: str) -> str | None:
        return None if fmt == "npy" else "memmap needs raw .npy files (Zarr chunks are encoded)"

    def _block_rows(self, shape: tuple[int, ...], itemsize: int) -> int:
        row_bytes = itemsize * int(np.prod(shape[1:]))
        by_size = max(1, self.block_bytes // row_bytes)
        return max(1, min(by_size, -(-shape[0] // MEMMAP_MIN_BLOCKS)))

    def _blocks(self, array: np.ndarray) -> Iterator[slice]:
        step = self._block_rows(array.shape, array.itemsize)
        for start in range(0, array.shape[0], step):
            yield slice(start, min(start + step, array.shape[0]))

    def describe(self, dataset: Dataset) -> str:
        rows = self._block_rows(dataset.shape, np.dtype(np.float64).itemsize)
        return f"blocks of {rows} rows, numexpr threads {os.cpu_count()}"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        a, b, c = (np.load(path, mmap_mode="r") for path in dataset.inputs)
        target = np.lib.format.open_memmap(out, mode="w+", dtype=a.dtype, shape=a.shape)
        with _numexpr_threads(os.cpu_count() or 1):
            for rows in self._blocks(a):
                numexpr.evaluate(EXPRESSION, local_dict={"a": a[rows], "b": b[rows],
                                                         "c": c[rows]}, out=target[rows])
        target.flush()
        del target, a, b, c

    def sum(self, dataset: Dataset) -> float:
        a = np.load(dataset.inputs[0], mmap_mode="r")
        return float(sum(np.sum(a[rows], dtype=np.float64) for rows in self._blocks(a)))

    def std(self, dataset: Dataset) -> float:
        a = np.load(dataset.inputs[0], mmap_mode="r")
        count, mean, squares = 0, 0.0, 0.0
        with _numexpr_threads(os.cpu_count() or 1):
            for rows in self._blocks(a):
                block = a[rows]
                n = block.size
                block_mean = float(np.mean(block, dtype=np.float64))
                block_squares = float(numexpr.evaluate("sum((x - m)**2)",
                                                       local_dict={"x": block, "m": block_mean}))
                delta = block_mean - mean
                total = count + n
                squares += block_squares + delta * delta * count * n / total
                mean += delta * n / total
                count = total
        return float(np.sqrt(squares / count))


class DaskSystem(System):
    """dask.array with the threaded scheduler, over the store's chunks (Zarr) or ``'auto'``
    chunks of a memmap (``.npy``); the ``.npy`` result goes through ``da.store`` into a
    memmapped ``.npy`` file, as ``to_npy_stack`` writes a different format."""

    name = "dask"
    requires = ("dask.array",)

    def _open(self, path: Path, fmt: str) -> Any:
        import dask.array as da

        if fmt == "zarr":
            return da.from_zarr(os.fspath(path))
        return da.from_array(np.load(path, mmap_mode="r"), chunks="auto")

    def describe(self, dataset: Dataset) -> str:
        chunks = self._open(dataset.inputs[0], dataset.fmt).chunksize
        return f"chunks {chunks}, threaded scheduler"

    def elementwise(self, dataset: Dataset, out: Path) -> None:
        import dask
        import dask.array as da

        result = expression(*(self._open(path, dataset.fmt) for path in dataset.inputs))
        with dask.config.set(scheduler="threads"):
            if dataset.fmt == "zarr":
                da.to_zarr(result, create_zarr_like(dataset.inputs[0], out))
                return
            target = np.lib.format.open_memmap(out, mode="w+", dtype=result.dtype,
                                               shape=result.shape)
            da.store(result, target, lock=False)
            target.flush()
            del target

    def sum(self, dataset: Dataset) -> float:
        return float(self._open(dataset.inputs[0], dataset.fmt).sum().compute(
            scheduler="threads"))

    def std(self, dataset: Dataset) -> float:
        return float(self._open(dataset.inputs[0], dataset.fmt).std().compute(
            scheduler="threads"))


def make_system(name: str, memory_limit: int | str) -> System:
    """Return the system called ``name`` (one of :data:`SYSTEM_NAMES`).

    Raises
    ------
    ValueError
        If ``name`` is not a known system.
    """
    if name == "ooarray":
        return OOArraySystem(memory_limit)
    if name == "ooarray-nosync":
        return OOArrayNoSyncSystem(memory_limit)
    classes: dict[str, type[System]] = {"numpy": NumpySystem, "memmap": MemmapSystem,
                                        "dask": DaskSystem}
    if name not in classes:
        raise ValueError(f"system must be one of {', '.join(SYSTEM_NAMES)}; got {name!r}")
    return classes[name]()
