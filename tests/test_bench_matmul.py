"""The matmul benchmark's whole code path on a tiny n, so the script cannot rot."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

#: The benchmarks are in the repository, not in the installed package: import them from the
#: checkout these tests are in.
REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.append(str(REPOSITORY))

from benchmarks.__main__ import main  # noqa: E402
from benchmarks.harness import WARM_READ_BYTES, warm_page_cache  # noqa: E402
from benchmarks.plots import FIGURE_NAMES  # noqa: E402
from ooarray.diagnostics.memory import RSSSampler  # noqa: E402

#: Four chunks of 64 per side; the budget holds a few tiles, so ooarray evicts and k-steps.
TINY_N = "256"
TINY_MEMORY = "512KB"

HAS_DASK = importlib.util.find_spec("dask") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def _run(tmp_path, systems: str, *options: str) -> dict:
    report = tmp_path / "bench.json"
    status = main(["matmul", "--n", TINY_N, "--memory", TINY_MEMORY,
                   "--dir", str(tmp_path / "data"), "--systems", systems,
                   "--plots", str(tmp_path / "figures"), "--json", str(report), *options])
    document = json.loads(report.read_text())
    assert status == 0, document
    return document


def _rows(document: dict) -> dict[str, dict]:
    return {r["system"]: r for r in document["results"]}


def test_ooarray_and_numpy_agree_and_belady_reads_no_more_than_lru(tmp_path):
    document = _run(tmp_path, "ooarray,numpy")
    rows = _rows(document)
    assert set(rows) == {"ooarray-belady", "ooarray-lru", "numpy", "numpy (multiply only)"}
    assert all(r["status"] == "ok" and r["measurement"]["wall"] > 0 for r in rows.values())
    assert {c["system"] for c in document["checks"]} == {"ooarray-belady", "ooarray-lru",
                                                         "numpy"}
    assert document["ok"] and all(c["ok"] for c in document["checks"])
    belady, lru = rows["ooarray-belady"]["extra"], rows["ooarray-lru"]["extra"]
    assert 0 < belady["bytes_read"] <= lru["bytes_read"]
    tiles = belady["tiles"]
    assert tiles["tm"] < int(TINY_N) and tiles["tk"] < int(TINY_N)  # out of core, in k-steps
    assert tiles["io_bytes"] >= tiles["lower_bound_bytes"] > 0
    assert belady["peak_bytes"] <= document["memory_limit"]
    assert any(r.get("peer") == "numpy (multiply only)" for r in document["ratios"])


@pytest.mark.skipif(not HAS_DASK, reason="dask is an optional extra (pip install .[bench])")
def test_dask_agrees(tmp_path):
    document = _run(tmp_path, "dask,numpy")
    assert {c["system"] for c in document["checks"]} == {"dask", "numpy"}
    assert all(c["ok"] for c in document["checks"])


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is an optional extra")
def test_figures_are_written(tmp_path):
    document = _run(tmp_path, "ooarray")
    written = {path.rsplit("/", 1)[-1] for path in document["figures"]}
    assert written == {f"{name}.{suffix}" for name in FIGURE_NAMES for suffix in ("png", "svg")}
    assert all((tmp_path / "figures" / name).stat().st_size > 0 for name in written)


def test_inputs_are_reused_and_repeats_give_the_median(tmp_path, capsys):
    _run(tmp_path, "ooarray", "--plots", "")
    document = _run(tmp_path, "ooarray", "--plots", "", "--repeat", "3")
    assert "reused a, b" in capsys.readouterr().out
    for row in document["results"]:
        assert len(row["walls"]) == 3
        assert sorted(row["walls"])[1] == row["measurement"]["wall"]


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is an optional extra")
def test_figures_go_to_an_ignored_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "bench.json"
    assert main(["matmul", "--n", TINY_N, "--memory", TINY_MEMORY, "--systems", "ooarray",
                 "--dir", str(tmp_path / "data"), "--json", str(report)]) == 0
    figures = json.loads(report.read_text())["figures"]
    assert figures and all(path.startswith("bench-results/matmul/") for path in figures)
    assert (tmp_path / "bench-results" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_input_chunks_follow_a_small_memory_limit(tmp_path):
    # n / 4 = 256 would need a 3.4 MiB task; at 2 MB the inputs are made in 128 x 128 chunks.
    report = tmp_path / "bench.json"
    assert main(["matmul", "--n", "1024", "--memory", "2MB", "--systems", "ooarray",
                 "--dir", str(tmp_path / "data"), "--plots", "", "--json", str(report)]) == 0
    document = json.loads(report.read_text())
    assert document["ok"] and document["input_chunks"] == [128, 128]


def test_float32_runs_every_system_in_float32(tmp_path, capsys):
    _run(tmp_path, "ooarray", "--plots", "")  # float64 inputs, then replaced by float32 ones
    systems = "ooarray,dask,numpy" if HAS_DASK else "ooarray,numpy"
    document = _run(tmp_path, systems, "--plots", "", "--dtype", "float32", "--keep")
    assert capsys.readouterr().out.count("inputs: wrote a, b") == 2  # not reused: a dtype
    assert document["dtype"] == "float32" and document["array_bytes"] == int(TINY_N) ** 2 * 4
    assert document["ok"] and all(c["ok"] and c["tolerance"] == 1e-4
                                  for c in document["checks"])
    assert len(document["checks"]) == len(systems.split(",")) + 1  # ooarray has two policies
    import zarr

    data = tmp_path / "data"
    stored = [p for p in data.iterdir() if p.suffix == ".zarr"]
    assert {p.stem for p in stored} >= {"a", "b", "c-ooarray-belady", "c-numpy"}
    assert all(zarr.open_array(str(p), mode="r").dtype == "float32" for p in stored)


def test_limit_is_measured_at_a_smaller_n_and_scaled(tmp_path, capsys):
    document = _run(tmp_path, "ooarray,numpy", "--plots", "", "--limit-n", "128")
    assert "numpy: skipped" in capsys.readouterr().out
    rows = _rows(document)
    assert set(rows) == {"ooarray-belady", "ooarray-lru", "numpy (multiply only)"}
    assert document["skipped_systems"].keys() == {"numpy"}
    limit = rows["numpy (multiply only)"]
    assert limit["status"] == "ok" and "n=128" in limit["note"]
    raw, scaled = limit["measurement"]["wall"], document["compute_limit"]["scaled_wall"]
    assert document["dtype"] == "float64" and document["limit_n"] == 128
    assert document["compute_limit"]["raw_wall"] == raw == limit["extra"]["raw_wall"]
    assert document["compute_limit"]["scale"] == 8
    assert scaled == pytest.approx(raw * 8, rel=1e-12)
    ratio = next(r for r in document["ratios"] if r["peer"] == "numpy (multiply only)")
    belady = rows["ooarray-belady"]["measurement"]["wall"]
    assert ratio["wall"] == pytest.approx(belady / scaled, rel=1e-12)
    assert ratio["limit_n"] == 128 and ratio["peak_rss"] is None
    assert document["ok"] and {c["system"] for c in document["checks"]} == {"ooarray-belady",
                                                                            "ooarray-lru"}


def test_warming_the_page_cache_keeps_rss_small(tmp_path):
    block = b"\x01" * WARM_READ_BYTES
    for number in range(3):
        (tmp_path / f"chunk{number}").write_bytes(block)
    del block
    with RSSSampler(interval=0.002) as rss:
        assert warm_page_cache([tmp_path]) == 3 * WARM_READ_BYTES
    assert rss.peak - rss.baseline < WARM_READ_BYTES + 8 * 2**20  # one buffer, not the files
