"""Saving OOArrays with NumPy's functions (issue 16, item 6): np.save writes NumPy's bytes,
np.savez/savez_compressed members load back as NumPy's, np.savetxt writes NumPy's text; all
chunk by chunk, within the budget."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import CASES, DTYPES, quiet, sample

import ooarray as oa
from ooarray.errors import BudgetError

pytestmark = pytest.mark.usefixtures("sync_executor")

SMALL_BUDGET = {"memory_limit": "64KB"}


def npy_bytes(x: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, x)
    return buffer.getvalue()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_save_to_a_file_object_writes_numpys_bytes(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    buffer = io.BytesIO()
    assert np.save(buffer, oa.asarray(x, chunks=chunks)) is None
    assert buffer.getvalue() == npy_bytes(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_save_to_a_path_writes_numpys_bytes(tmp_path, dtype, rng):
    x = sample((37, 11), dtype, rng)
    with oa.config.set(**SMALL_BUDGET), quiet():  # x * 1 of complex infinities warns
        np.save(tmp_path / "ours", oa.asarray(x, chunks=(5, 4)) * 1)  # ".npy" appended
        np.save(str(tmp_path / "named.npy"), oa.asarray(x, chunks=(5, 4)))
        np.save(tmp_path / "numpy.npy", x * 1)
    assert sorted(os.listdir(tmp_path)) == ["named.npy", "numpy.npy", "ours.npy"]
    expected = (tmp_path / "numpy.npy").read_bytes()
    assert (tmp_path / "ours.npy").read_bytes() == expected
    assert (tmp_path / "named.npy").read_bytes() == npy_bytes(x)


def test_save_overwrites_and_reports_missing_directories(tmp_path):
    target = tmp_path / "a.npy"
    np.save(target, oa.asarray(np.zeros(3)))
    np.save(target, oa.asarray(np.arange(4)))
    np.testing.assert_array_equal(np.load(target), np.arange(4))
    with pytest.raises(FileNotFoundError):
        np.save(tmp_path / "missing" / "a.npy", oa.asarray(np.arange(4)))


def test_save_of_transposed_and_planned_arrays_is_c_order(rng):
    x = sample((13, 7), np.float64, rng)
    a = oa.asarray(x, chunks=(4, 3))
    for ours, theirs in ((a.T, x.T), (np.sort(a, axis=0)[::-1], np.sort(x, axis=0)[::-1]),
                         (a @ a.T + 1, x @ x.T + 1)):
        buffer = io.BytesIO()
        with oa.config.set(**SMALL_BUDGET):
            np.save(buffer, ours)
        # the bytes of the values it computes to (a blocked matmul rounds unlike BLAS)
        assert buffer.getvalue() == npy_bytes(ours.compute())
        np.testing.assert_allclose(ours.compute(), theirs, rtol=1e-12)


def test_save_refuses_a_row_larger_than_the_budget_before_writing():
    wide = oa.zeros((2, 40_000))  # one row: 320 KB
    buffer = io.BytesIO()
    with oa.config.set(memory_limit="256KB"), pytest.raises(BudgetError):
        np.save(buffer, wide)
    assert buffer.getvalue() == b""


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_savez_members_load_as_numpys(tmp_path, compressed, rng):
    save = np.savez_compressed if compressed else np.savez
    x = sample((23, 6), np.float64, rng)
    y = sample((5,), np.int32, rng)
    z = sample((), np.complex128, rng)
    with oa.config.set(**SMALL_BUDGET):
        save(tmp_path / "out", oa.asarray(x, chunks=(4, 4)), np.arange(3),
             b=oa.asarray(y, chunks=2), c=oa.asarray(z), d=np.ones(2))
        buffer = io.BytesIO()
        save(buffer, oa.asarray(x, chunks=(4, 4)) * 2)
    assert sorted(os.listdir(tmp_path)) == ["out.npz"]
    with np.load(tmp_path / "out.npz") as loaded:
        assert sorted(loaded.files) == ["arr_0", "arr_1", "b", "c", "d"]
        expected = {"arr_0": x, "arr_1": np.arange(3), "b": y, "c": z, "d": np.ones(2)}
        for key, value in expected.items():
            np.testing.assert_array_equal(loaded[key], value, strict=True)
    buffer.seek(0)
    with np.load(buffer) as loaded:
        np.testing.assert_array_equal(loaded["arr_0"], x * 2, strict=True)


def test_savez_name_clash_is_numpys_error(tmp_path):
    with pytest.raises(ValueError):
        np.savez(tmp_path / "x", oa.asarray(np.arange(3)), arr_0=np.ones(2))
    with pytest.raises(BudgetError), oa.config.set(memory_limit="256KB"):
        np.savez(tmp_path / "y", oa.zeros((2, 40_000)))
    assert os.listdir(tmp_path) == []


TEXT_OPTIONS = [
    {},
    {"fmt": "%d", "delimiter": ",", "header": "a,b\nsecond line", "footer": "end"},
    {"fmt": "%.3f", "newline": ";\n", "comments": "// ", "header": "h"},
    {"fmt": ["%.1e", "%g", "%.2f", "%5.1f", "%.0f", "%f", "%e"], "footer": "f"},
]


@pytest.mark.parametrize("options", range(len(TEXT_OPTIONS)))
@pytest.mark.parametrize("shape,chunks", [((0, 7), (2, 3)), ((1, 7), 1), ((41, 7), (6, 4)),
                                          ((30,), 7)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.complex128,
                                   np.bool_], ids=str)
def test_savetxt_writes_numpys_text(options, shape, chunks, dtype, rng):
    kwargs = dict(TEXT_OPTIONS[options])
    if isinstance(kwargs.get("fmt"), list) and (len(shape) == 1 or dtype == np.complex128):
        kwargs["fmt"] = "%.4g"
    x = sample(shape, dtype, rng, special=False)
    expected, ours = io.StringIO(), io.StringIO()
    try:
        np.savetxt(expected, x, **kwargs)
    except Exception as error:  # noqa: BLE001 -- the same type from ooarray
        with pytest.raises(type(error)):
            np.savetxt(ours, oa.asarray(x, chunks=chunks), **kwargs)
        return
    with oa.config.set(memory_limit="32KB"):  # many row blocks
        np.savetxt(ours, oa.asarray(x, chunks=chunks), **kwargs)
    assert ours.getvalue() == expected.getvalue()


def test_savetxt_to_paths_and_binary_files(tmp_path, rng):
    x = sample((50, 3), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=(7, 2))
    with oa.config.set(memory_limit="32KB"):
        np.savetxt(tmp_path / "ours.txt", a, header="x y z", encoding="utf-8")
        np.savetxt(tmp_path / "ours.txt.gz", a)
        binary = io.BytesIO()
        np.savetxt(binary, a, fmt="%.5f")
    np.savetxt(tmp_path / "numpy.txt", x, header="x y z", encoding="utf-8")
    np.savetxt(tmp_path / "numpy.txt.gz", x)
    expected = io.BytesIO()
    np.savetxt(expected, x, fmt="%.5f")
    assert (tmp_path / "ours.txt").read_text() == (tmp_path / "numpy.txt").read_text()
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "ours.txt.gz"), x)
    assert binary.getvalue() == expected.getvalue()


@pytest.mark.parametrize("shape,fmt", [((), "%f"), ((2, 2, 2), "%f"), ((3, 4), ["%f"] * 3),
                                       ((3, 4), "%f %f"), ((3, 4), 7)])
def test_savetxt_errors_are_numpys_and_come_before_writing(shape, fmt):
    x = np.zeros(shape)
    try:
        np.savetxt(io.StringIO(), x, fmt=fmt)
    except Exception as error:  # noqa: BLE001
        expected = type(error)
    ours = io.StringIO()
    with pytest.raises(expected):
        np.savetxt(ours, oa.asarray(x), fmt=fmt)
    assert ours.getvalue() == ""


def test_savetxt_refuses_a_row_that_cannot_be_formatted_in_the_budget():
    with oa.config.set(memory_limit="256KB"), pytest.raises(BudgetError):
        np.savetxt(io.StringIO(), oa.zeros((3, 1000)))


_MEMORY_SCRIPT = textwrap.dedent("""
    import io, json, os, sys, zipfile
    import numpy as np, ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory = sys.argv[1]
    rows, cols = 4096, 512  # 16 MiB of float64: 64 times the budget
    with oa.config.set(memory_limit="256KB", spill_dir=directory):
        a = np.sin(oa.arange(rows * cols, dtype=np.float64).reshape(rows, cols)) * 2 + 1
        a.sum()  # import and warm up everything before measuring
        figures = {}
        for name, write in [
            ("save_path", lambda: np.save(os.path.join(directory, "a.npy"), a)),
            ("save_file", lambda: np.save(open(os.path.join(directory, "b.npy"), "wb"), a)),
            ("savez", lambda: np.savez(os.path.join(directory, "c.npz"), a, b=a)),
            ("savetxt", lambda: np.savetxt(os.path.join(directory, "d.txt"), a[:, :64])),
        ]:
            with RSSSampler(interval=0.002) as rss:
                write()
            figures[name] = rss.peak - rss.baseline
    check = np.load(os.path.join(directory, "a.npy"), mmap_mode="r")
    x = np.sin(np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)) * 2 + 1
    figures["equal"] = bool(np.allclose(check[::97], x[::97]))
    figures["same_file"] = open(os.path.join(directory, "a.npy"), "rb").read(4096) == \\
        open(os.path.join(directory, "b.npy"), "rb").read(4096)
    print(json.dumps(figures))
""")


def test_saving_more_than_the_budget_keeps_rss_near_it(tmp_path):
    """A 16 MiB array saved under memory_limit=256KB, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures.pop("equal") and figures.pop("same_file")
    for name, growth in figures.items():
        # the budget plus interpreter noise (allocator arenas, zipfile and text buffers):
        # far below the 16 MiB being written
        assert growth < 4 * 2**20, f"{name}: RSS grew {growth / 2**20:.1f} MiB"
