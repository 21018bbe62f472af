"""``python -m ooarray demo``: an out-of-core pipeline on a local Zarr store.

Three random arrays, each several times the memory budget, are written to Zarr chunk by chunk;
then ``np.sqrt(a*a + b*b) / (c + 1)`` is fused into one numexpr pass and reduced, and the
result is checked against NumPy in memory on a slice that fits.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["run_demo"]


def run_demo(size: str = "768MiB", memory: str = "256MB", directory: str | None = None,
             keep: bool = False) -> int:
    """Run the demo; return 0 if ooarray's answers match NumPy's, else 1."""
    import ooarray as oa
    from ooarray.config import parse_bytes
    from ooarray.diagnostics.memory import RSSSampler, peak_rss_bytes
    from ooarray.errors import format_bytes

    limit = parse_bytes(memory)
    columns = 4096
    rows = max(8, parse_bytes(size) // (8 * columns))
    shape = (rows, columns)
    workdir = Path(directory or tempfile.mkdtemp(prefix="ooarray-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    oa.config.set(memory_limit=limit)
    nbytes = rows * columns * 8
    print(f"ooarray {oa.__version__} demo: three float64 arrays of shape {shape} "
          f"({format_bytes(nbytes)} each, {nbytes / limit:.1f}x the budget) in {workdir}")
    print(f"memory_limit = {format_bytes(limit)}, policy = {oa.config.get().policy}, "
          f"threads = {oa.config.get().num_threads}")
    try:
        started = time.perf_counter()
        rng = oa.random.default_rng(2026)
        a = rng.standard_normal(shape).to_zarr(workdir / "a.zarr", overwrite=True)
        b = rng.standard_normal(shape).to_zarr(workdir / "b.zarr", overwrite=True)
        c = rng.random(shape).to_zarr(workdir / "c.zarr", overwrite=True)
        print(f"wrote the inputs in {time.perf_counter() - started:.1f} s "
              f"(chunks {a.chunksize}, Blosc LZ4)")

        a, b, c = (oa.open(workdir / f"{n}.zarr") for n in "abc")
        expression = np.sqrt(a * a + b * b) / (c + 1)
        oa.reset_stats()
        with RSSSampler() as rss, oa.collect_stats() as stats:
            started = time.perf_counter()
            total = float(expression.sum())
            column_means = np.mean(expression, axis=0).compute()
            spread = float(np.std(a))
            seconds = time.perf_counter() - started
        read = stats.bytes_read
        print("\npipeline: z = np.sqrt(a*a + b*b) / (c + 1); z.sum(); z.mean(axis=0); a.std()")
        print(f"  z.sum()              = {total:.6f}")
        print(f"  z.mean(axis=0)[:3]   = {np.array2string(column_means[:3], precision=6)}")
        print(f"  a.std()              = {spread:.6f}")
        print(f"  time                 = {seconds:.2f} s  "
              f"({read / seconds / 1e9:.2f} GB/s read through the pool)")
        print(f"  peak RSS             = {format_bytes(rss.peak)} "
              f"({format_bytes(rss.peak - rss.baseline)} above the "
              f"{format_bytes(rss.baseline)} before the pipeline; process peak "
              f"{format_bytes(peak_rss_bytes())})")
        print(f"  buffer pool          = {stats}")

        # Check against NumPy in memory on a slab that fits easily.
        slab = slice(0, max(1, min(rows, limit // (16 * columns * 8))))
        xa, xb, xc = (np.asarray(x[slab]) for x in (a, b, c))
        expected = np.sqrt(xa * xa + xb * xb) / (xc + 1)
        got = np.asarray(expression[slab].sum(axis=0))
        ok = np.allclose(got, expected.sum(axis=0), rtol=1e-10) and math.isfinite(total)
        print(f"\ncheck against NumPy in memory on rows {slab.start}:{slab.stop}: "
              f"{'OK' if ok else 'MISMATCH'}")
        return 0 if ok else 1
    finally:
        if not keep and directory is None:
            shutil.rmtree(workdir, ignore_errors=True)
