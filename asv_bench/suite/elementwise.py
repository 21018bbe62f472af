"""The asv twin of the elementwise benchmark (``python -m benchmarks elementwise``), on three
inputs of 256 MiB.

Each (system, format) pair is one parameter combination, so ``asv`` shows ooarray, memmap +
numexpr, Dask and NumPy in memory side by side for ``2*a*b + c**2 - a/(b+1)`` written back to
the inputs' format, ``a.sum()`` and ``a.std()``: ``time_*`` for wall time, ``peakmem_*`` for
the process's peak RSS. The systems are the command's own (``benchmarks/`` at the top of the
repository), so the two cannot drift apart. Pairs that do not apply (memmap on Zarr) or whose
system is not installed are skipped (shown as ``n/a``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.elementwise import prepare_dataset, shape_for
from benchmarks.elementwise_systems import FORMATS, SYSTEM_NAMES, Dataset, make_system
from benchmarks.harness import warm_page_cache
from ooarray.config import parse_bytes

from . import OneCallPerSample

#: Size of each of the three inputs: small enough for a quick run, several chunks per system.
INPUT_SIZE = "256MiB"

#: ooarray's budget: the three inputs are twice as large. The inputs are stored in the same
#: 32 MiB chunks as the command's, and one task of the chain needs eight of them (256 MiB).
MEMORY_LIMIT = "384MB"

SHAPE = shape_for(parse_bytes(INPUT_SIZE))


def prepare_inputs(name: str, shape: tuple[int, int], memory_limit: str) -> str:
    """Write the elementwise benchmark's inputs of ``shape`` in every format, chunked for
    ``memory_limit``, into the folder ``name`` (made here); return its path."""
    directory = Path(name).resolve()
    directory.mkdir(exist_ok=True)
    for fmt in FORMATS:
        prepare_dataset(Dataset(fmt, directory, shape), parse_bytes(memory_limit))
    return str(directory)


class Elementwise(OneCallPerSample):
    """Elementwise chain, sum and std, per system and storage format."""

    params = (list(SYSTEM_NAMES), list(FORMATS))
    param_names = ("system", "format")
    timeout = 600

    def setup_cache(self) -> str:
        # asv runs this once, in a directory it removes after the benchmarks.
        return prepare_inputs("inputs", SHAPE, MEMORY_LIMIT)

    def setup(self, directory: str, system: str, fmt: str) -> None:
        self.out: Path | None = None  # asv calls teardown even when setup skips
        self.system = make_system(system, MEMORY_LIMIT)
        reason = self.system.missing() or self.system.unsupported(fmt)
        if reason is not None:
            raise NotImplementedError(reason)
        self.dataset = Dataset(fmt, Path(directory), SHAPE)
        self.out = self.dataset.output_path(system)
        warm_page_cache(self.dataset.inputs)

    def teardown(self, directory: str, system: str, fmt: str) -> None:
        if self.out is None:
            return
        if self.out.is_dir():
            shutil.rmtree(self.out, ignore_errors=True)
        else:
            self.out.unlink(missing_ok=True)

    def time_elementwise(self, directory: str, system: str, fmt: str) -> None:
        self.system.elementwise(self.dataset, self.out)

    def time_sum(self, directory: str, system: str, fmt: str) -> None:
        self.system.sum(self.dataset)

    def time_std(self, directory: str, system: str, fmt: str) -> None:
        self.system.std(self.dataset)

    def peakmem_elementwise(self, directory: str, system: str, fmt: str) -> None:
        self.system.elementwise(self.dataset, self.out)

    def peakmem_sum(self, directory: str, system: str, fmt: str) -> None:
        self.system.sum(self.dataset)

    def peakmem_std(self, directory: str, system: str, fmt: str) -> None:
        self.system.std(self.dataset)
