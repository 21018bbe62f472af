"""The elementwise benchmark's whole code path, on tiny arrays, so the script cannot rot."""

from __future__ import annotations

import importlib.util
import json

import pytest

from ooarray.__main__ import main

#: Small enough for a few seconds, split into several chunks by every system.
TINY_SIZE = "4MiB"
#: Below the inputs' total size, so ooarray runs out of core.
TINY_MEMORY = "12MB"

HAS_DASK = importlib.util.find_spec("dask") is not None


def _run(tmp_path, systems: str, *options: str) -> dict:
    report = tmp_path / "bench.json"
    status = main(["bench", "elementwise", "--size", TINY_SIZE, "--memory", TINY_MEMORY,
                   "--dir", str(tmp_path / "data"), "--systems", systems,
                   "--json", str(report), *options])
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


def test_inputs_are_reused_and_repeats_give_the_median(tmp_path, capsys):
    _run(tmp_path, "ooarray")
    document = _run(tmp_path, "ooarray", "--repeat", "3")
    assert "reused a, b, c" in capsys.readouterr().out
    for row in document["results"]:
        assert len(row["walls"]) == 3
        assert sorted(row["walls"])[1] == row["measurement"]["wall"]
