"""The elementwise benchmark's whole code path, on tiny arrays, so the script cannot rot; the
doctests of the benchmark modules; and ``python -m ooarray bench``, the thin entry to them."""

from __future__ import annotations

import doctest
import importlib
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

import ooarray.__main__  # noqa: E402
from benchmarks.__main__ import main  # noqa: E402

#: Small enough for a few seconds, split into several chunks by every system.
TINY_SIZE = "4MiB"
#: Below the inputs' total size, so ooarray runs out of core.
TINY_MEMORY = "12MB"

MODULES = ("harness", "elementwise", "elementwise_systems", "matmul", "matmul_systems",
           "npbench", "plots")

HAS_DASK = importlib.util.find_spec("dask") is not None


def _run(tmp_path, systems: str, *options: str, entry=main) -> dict:
    """Run the benchmark through ``python -m benchmarks`` (``entry=main``) or through
    ``python -m ooarray bench`` (``entry=ooarray.__main__.main``)."""
    report = tmp_path / "bench.json"
    command = ["bench"] if entry is ooarray.__main__.main else []
    figures = [] if "--plots" in options else ["--plots", ""]
    status = entry([*command, "elementwise", "--size", TINY_SIZE, "--memory", TINY_MEMORY,
                    "--dir", str(tmp_path / "data"), "--systems", systems,
                    "--json", str(report), *figures, *options])
    document = json.loads(report.read_text())
    assert status == 0, document
    return document


def _assert_all_ran_and_agree(document: dict, systems: set[str]) -> None:
    assert document["ok"] and document["page_cache"] == "warm"
    ran = {(r["system"], r["format"], r["operation"]) for r in document["results"]
           if r["status"] == "ok"}
    expected = {(s, f, op) for s in systems for f in ("zarr", "npy")
                for op in ("elementwise", "sum", "std") if not (s == "memmap" and f == "zarr")}
    assert ran == expected
    checked = {(c["system"], c["format"], c["operation"]) for c in document["checks"]}
    # Every run is checked, against NumPy's answer or (NumPy itself) NumPy on sampled rows.
    assert checked >= {run for run in expected if run[0] != "numpy"}
    assert all(c["ok"] for c in document["checks"])
    for row in document["results"]:
        if row["status"] == "ok":
            cost = row["measurement"]
            assert cost["wall"] > 0 and cost["peak_rss"] >= cost["baseline_rss"] > 0
    memmap_zarr = [r for r in document["results"]
                   if r["system"] == "memmap" and r["format"] == "zarr"]
    assert all(r["status"] == "n/a" for r in memmap_zarr)


def test_numpy_memmap_and_ooarray_agree(tmp_path):
    document = _run(tmp_path, "ooarray,memmap,numpy")
    _assert_all_ran_and_agree(document, {"ooarray", "memmap", "numpy"})
    assert any(r["wall"] > 0 for r in document["ratios"] if r["peer"] == "memmap")


@pytest.mark.skipif(not HAS_DASK, reason="dask is an optional extra (pip install .[bench])")
def test_dask_agrees_with_the_others(tmp_path):
    document = _run(tmp_path, "ooarray,dask,numpy")
    _assert_all_ran_and_agree(document, {"ooarray", "dask", "numpy"})


@pytest.mark.skipif(not HAS_DASK, reason="dask is an optional extra (pip install .[bench])")
def test_ooarray_without_flushing_runs_on_zarr_and_gets_its_own_ratio(tmp_path, capsys):
    document = _run(tmp_path, "ooarray,ooarray-nosync,dask", "--plots", str(tmp_path / "fig"))
    rows = {(r["system"], r["format"], r["operation"]): r for r in document["results"]}
    assert rows[("ooarray-nosync", "zarr", "elementwise")]["status"] == "ok"
    assert rows[("ooarray-nosync", "npy", "elementwise")]["status"] == "n/a"
    assert all(c["ok"] for c in document["checks"])
    assert any(r["subject"] == "ooarray-nosync" and r["peer"] == "dask" and r["wall"] > 0
               for r in document["ratios"])
    assert "without flushing ooarray's Zarr results" in capsys.readouterr().out
    if importlib.util.find_spec("matplotlib") is not None:
        assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == [
            f"elementwise-{name}.{suffix}" for name in ("memory", "time")
            for suffix in ("png", "svg")]


def test_inputs_are_reused_and_repeats_give_the_median(tmp_path, capsys):
    _run(tmp_path, "ooarray")
    document = _run(tmp_path, "ooarray", "--repeat", "3")
    assert "reused a, b, c" in capsys.readouterr().out
    for row in document["results"]:
        assert len(row["walls"]) == 3
        assert sorted(row["walls"])[1] == row["measurement"]["wall"]


def test_input_chunks_follow_a_small_memory_limit(tmp_path):
    # 32 MiB chunks need about 200 MB for the largest task; at 64 MB the inputs are made in
    # 8 MB chunks and every system runs.
    document = _run(tmp_path, "ooarray", "--size", "64MiB", "--memory", "64MB")
    assert document["ok"] and document["input_chunks"][0] * 4096 * 8 <= 64 * 10**6 // 8


@pytest.mark.skipif(ooarray.__main__.BENCHMARKS_FOLDER.parent != REPOSITORY,
                    reason="ooarray is imported from an installed copy, not from this checkout: "
                           "python -m ooarray bench finds no benchmarks beside it")
def test_python_m_ooarray_bench_is_the_same_command(tmp_path):
    document = _run(tmp_path, "ooarray", "--formats", "npy", entry=ooarray.__main__.main)
    assert document["benchmark"] == "elementwise" and document["ok"]


def test_python_m_ooarray_bench_says_where_the_benchmarks_are(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ooarray.__main__, "BENCHMARKS_FOLDER", tmp_path / "benchmarks")
    assert ooarray.__main__.main(["bench", "elementwise", "--size", "4MiB"]) == 2
    said = capsys.readouterr().err
    assert "not installed with ooarray" in said and "checkout" in said


@pytest.mark.parametrize("name", MODULES)
def test_doctests_of_the_benchmark_modules(name):
    module = importlib.import_module(f"benchmarks.{name}")
    failed, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0


def test_the_codec_table_measures_every_codec_on_every_kind_of_data():
    from benchmarks.codecs import CODECS, measure, sample_data

    for name, values in sample_data(1 << 14).items():
        ratios = {codec: measure(CODECS[codec], values)[0] for codec in CODECS}
        assert all(0 < r <= 1.01 for r in ratios.values()), (name, ratios)
    counts = sample_data(1 << 14)["Poisson counts int64"]
    assert measure(CODECS["Blosc LZ4 + shuffle (ooarray)"], counts)[0] < 0.5
