"""The codec trade-off of the stores ooarray writes: size and single-thread speed.

Run from a checkout: ``python -m benchmarks.codecs``. Each codec encodes and decodes one
32 MiB chunk of four kinds of data (incompressible floats, a smooth field, decimals, counts)
on one thread, best of three; the table gives the encoded size over the raw size and the
encode and decode throughput in GB/s of raw data. ``docs/architecture.md`` (Stores) quotes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numcodecs
import numpy as np
from numcodecs import Blosc, Zstd

__all__ = ["sample_data", "CODECS", "measure", "main"]

ELEMENTS = 4 << 20  # 32 MiB of float64

#: The codecs compared: ooarray's default first.
CODECS = {
    "Blosc LZ4 + shuffle (ooarray)": Blosc("lz4", 5, Blosc.SHUFFLE),
    "Blosc LZ4, no shuffle": Blosc("lz4", 5, Blosc.NOSHUFFLE),
    "Blosc Zstd 1 + shuffle": Blosc("zstd", 1, Blosc.SHUFFLE),
    "Zstd 0 (zarr's default)": Zstd(0),
}


def sample_data(n: int = ELEMENTS) -> dict[str, np.ndarray]:
    """Four arrays of ``n`` elements, from incompressible to very compressible."""
    rng = np.random.default_rng(0)
    return {
        "random normal float64": rng.standard_normal(n),
        "smooth field float64": np.sin(np.linspace(0, 60, n)) * 10 + rng.standard_normal(n) * 1e-3,
        "3-decimal float64": np.round(rng.uniform(0, 100, n), 3),
        "Poisson counts int64": rng.poisson(20, n).astype(np.int64),
    }


def _best(call: Callable[[], object], times: int = 3) -> float:
    spans = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        spans.append(time.perf_counter() - start)
    return min(spans)


def measure(codec: numcodecs.abc.Codec, values: np.ndarray) -> tuple[float, float, float]:
    """Return (encoded size / raw size, encode GB/s, decode GB/s) of ``codec`` on one
    thread; the decoded values are checked."""
    numcodecs.blosc.set_nthreads(1)
    encoded = codec.encode(values)
    out = np.empty_like(values)
    encode = _best(lambda: codec.encode(values))
    decode = _best(lambda: codec.decode(encoded, out=out))
    if not np.array_equal(out, values):
        raise AssertionError(f"{codec} did not give the values back")
    return len(encoded) / values.nbytes, values.nbytes / encode / 1e9, values.nbytes / decode / 1e9


def main() -> None:
    print("| data | codec | size / raw | encode GB/s | decode GB/s |")
    print("| --- | --- | --- | --- | --- |")
    for data, values in sample_data().items():
        for name, codec in CODECS.items():
            ratio, encode, decode = measure(codec, values)
            print(f"| {data} | {name} | {ratio:.3f} | {encode:.2f} | {decode:.2f} |", flush=True)


if __name__ == "__main__":
    main()
