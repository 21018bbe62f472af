"""The asv twin of the matmul benchmark (``python -m benchmarks matmul``), at n = 2048 (32 MiB
per matrix).

Each system of the command is one parameter: ooarray with the Belady and the LRU policy, Dask
and NumPy in memory, all writing ``A @ B`` as Zarr from Zarr inputs: ``time_*`` for wall time,
``peakmem_*`` for the process's peak RSS, ``track_*`` for ooarray's buffer pool. The systems
are the command's own (``benchmarks/`` at the top of the repository), so the two cannot drift
apart. A system that is not
installed is skipped (shown as ``n/a``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.harness import warm_page_cache
from benchmarks.matmul import prepare_dataset
from benchmarks.matmul_systems import SYSTEM_NAMES, MatmulDataset, make_systems
from ooarray.config import parse_bytes

from . import OneCallPerSample

#: Side of A and B: quick, yet four 512 x 512 chunks per side.
N = 2048

#: ooarray's budget, a third of one input: tiles of 512 x 512 (16 of them) and k-steps of 512
#: (four per tile), so the tile walk, prefetch and eviction all run.
MEMORY_LIMIT = "32MB"

SYSTEMS = {system.name: system for system in make_systems(SYSTEM_NAMES, MEMORY_LIMIT)}


class Matmul(OneCallPerSample):
    """``A @ B`` written to Zarr, per system."""

    params = (list(SYSTEMS),)
    param_names = ("system",)
    timeout = 300

    def setup_cache(self) -> str:
        # asv runs this once, in a directory it removes after the benchmarks.
        directory = Path("matmul-inputs").resolve()
        directory.mkdir(exist_ok=True)
        prepare_dataset(MatmulDataset(directory, N), parse_bytes(MEMORY_LIMIT))
        return str(directory)

    def setup(self, directory: str, system: str) -> None:
        self.out: Path | None = None  # asv calls teardown even when setup skips
        self.system = SYSTEMS[system]
        reason = self.system.missing()
        if reason is not None:
            raise NotImplementedError(reason)
        self.dataset = MatmulDataset(Path(directory), N)
        self.out = self.dataset.output_path(system)
        self.system.reset()
        warm_page_cache(self.dataset.inputs)

    def teardown(self, directory: str, system: str) -> None:
        if self.out is not None:
            shutil.rmtree(self.out, ignore_errors=True)

    def time_matmul(self, directory: str, system: str) -> None:
        self.system.matmul(self.dataset, self.out)

    def peakmem_matmul(self, directory: str, system: str) -> None:
        self.system.matmul(self.dataset, self.out)

    def track_pool_bytes_read(self, directory: str, system: str) -> float:
        """Bytes ooarray's pool read from the inputs (Belady should read less than LRU)."""
        self.system.matmul(self.dataset, self.out)
        return float(self.system.extra.get("bytes_read", "nan"))

    track_pool_bytes_read.unit = "bytes"  # type: ignore[attr-defined]

