"""Memory is a correctness property: a pipeline over arrays several times the budget keeps the
process's resident memory near the budget (measured with psutil in a fresh subprocess)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr

import ooarray as oa

MiB = 2**20
ARRAY_BYTES = 256 * MiB
ROWS, COLUMNS = ARRAY_BYTES // (8 * 4096), 4096


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("memory")
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(7)
        for name in "abc":
            array = rng.standard_normal((ROWS, COLUMNS))
            array.to_zarr(directory / f"{name}.zarr")
            array.to_npy(directory / f"{name}.npy")
    return directory


MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, suffix = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit="64MB")
    a, b, c = (oa.open(f"{directory}/{name}{suffix}") for name in "abc")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        total = float((np.sqrt(a * a + b * b) / (c + 1)).sum())
        spread = float(a.std())
    print(json.dumps({"total": total, "std": spread, "baseline": rss.baseline,
                      "peak": rss.peak, "pool_peak": stats.peak_bytes,
                      "read": stats.bytes_read}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".zarr", ".npy"])
def test_pipeline_over_3x256MiB_stays_within_64MB_budget(inputs, suffix):
    run = subprocess.run([sys.executable, "-c", MEASURE, str(inputs), suffix],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    a, b, c = (zarr.open_array(str(inputs / f"{name}.zarr"))[...] for name in "abc")
    expected = (np.sqrt(a * a + b * b) / (c + 1)).sum()
    np.testing.assert_allclose(measured["total"], expected, rtol=1e-10)
    np.testing.assert_allclose(measured["std"], a.std(), rtol=1e-10)
    assert measured["read"] >= 4 * ARRAY_BYTES  # it really read the data through the pool
    growth = measured["peak"] - measured["baseline"]
    assert measured["pool_peak"] <= 64_000_000
    assert growth < 128 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over a 64 MB budget"


MATMUL = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit=budget)
    a, b = oa.open(f"{directory}/a.zarr"), oa.open(f"{directory}/b.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        (a @ b).to_zarr(f"{directory}/c.zarr", overwrite=True)
    print(json.dumps({"baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_matmul_of_operands_4x_the_budget_stays_within_it(tmp_path):
    n, budget = 2048, 8 * 2**20  # operands of 32 MiB each, 4x an 8 MiB budget
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(5)
        for name in "ab":
            rng.standard_normal((n, n), chunks=256).to_zarr(tmp_path / f"{name}.zarr")
    run = subprocess.run([sys.executable, "-c", MATMUL, str(tmp_path), str(budget)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    a, b, c = (zarr.open_array(str(tmp_path / f"{name}.zarr"))[...] for name in "abc")
    np.testing.assert_allclose(c, a @ b, rtol=1e-10, atol=1e-10)
    assert measured["pool_peak"] <= budget
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * budget + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 8 MiB"
