"""``python -m ooarray``'s command line: ``--version``, help in plain text, ``bench all`` on tiny
inputs (a missing peer skipped with a message, figures where the user says and nothing in
the repository), ``bench elementwise`` at a small budget, and the rule that no benchmark
writes over a file git tracks."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: The benchmarks are in the repository, not in the installed package: import them from the
#: checkout these tests are in.
REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.append(str(REPOSITORY))

import ooarray  # noqa: E402
import ooarray.__main__ as cli  # noqa: E402
from benchmarks.__main__ import BENCHMARKS  # noqa: E402
from benchmarks.compare_plots import FIGURE_NAMES  # noqa: E402
from benchmarks.compare_systems import SYSTEM_NAMES  # noqa: E402
from benchmarks.outputs import new_results_directory  # noqa: E402

#: reST markup that must not reach a terminal: ``literals``, :roles:`x`, `links <...>`_.
MARKUP = re.compile(r"``|:[a-z]+:`|`_|>`")

IN_CHECKOUT = pytest.mark.skipif(
    cli.BENCHMARKS_FOLDER.parent != REPOSITORY,
    reason="ooarray is imported from an installed copy: python -m ooarray bench finds no "
           "benchmarks beside it")

#: The Python module each peer needs, if any.
PEER_MODULES = {"dask": "dask", "cubed": "cubed", "blosc2": "blosc2"}

#: The peer these tests pretend is not installed (the slowest to run).
MISSING = "cubed"

#: Modules of this change whose examples are tests.
MODULES = ("compare", "compare_inputs", "compare_report", "compare_systems", "compare_plots",
           "outputs", "helptext")


def _exit_output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_version_is_printed(capsys):
    assert _exit_output(["--version"], capsys).strip() == f"ooarray {ooarray.__version__}"


def test_python_m_ooarray_version():
    done = subprocess.run([sys.executable, "-m", "ooarray", "--version"], capture_output=True,
                          text=True, check=True, cwd=REPOSITORY)
    assert done.stdout.strip() == f"ooarray {ooarray.__version__}"


HELPS = [[], ["demo"], ["coverage"], ["clean"]]
BENCH_HELPS = [["bench"], *(["bench", name] for name in BENCHMARKS)]


@pytest.mark.parametrize("argv", HELPS + [pytest.param(a, marks=IN_CHECKOUT)
                                          for a in BENCH_HELPS], ids=" ".join)
def test_help_is_plain_text(argv, capsys):
    text = _exit_output([*argv, "--help"], capsys)
    assert text.startswith(f"usage: python -m ooarray {' '.join(argv)}".rstrip())
    found = MARKUP.search(text)
    assert found is None, f"reST markup {found.group()!r} in the help of {argv}:\n{text}"


def _repository_files() -> set[Path]:
    """What a benchmark could leave in the repository: the benchmark folders and any
    top-level entry named like them (compiled files aside)."""
    found = {p for p in REPOSITORY.iterdir() if p.name.startswith(("bench", "all"))}
    for folder in ("benchmarks", "bench-results", "asv_bench/suite"):
        if (REPOSITORY / folder).is_dir():
            found |= {p for p in (REPOSITORY / folder).rglob("*") if "__pycache__" not in p.parts}
    return found


@IN_CHECKOUT
def test_bench_all_runs_the_installed_peers_and_skips_a_missing_one(tmp_path, monkeypatch,
                                                                    capfd):
    installed = {name for name, module in PEER_MODULES.items()
                 if importlib.util.find_spec(module) is not None}
    monkeypatch.setitem(sys.modules, PEER_MODULES[MISSING], None)  # import raises ImportError
    monkeypatch.chdir(tmp_path)
    before = _repository_files()
    out = tmp_path / "figures"
    status = cli.main(["bench", "all", "--size", "1MiB", "--memory", "2MB",
                       "--dir", str(tmp_path / "data"), "--out", str(out)])
    said = capfd.readouterr().out
    assert status == 0, said
    assert f"{MISSING}: skipped: {MISSING} is not installed" in said
    document = json.loads((out / "all.json").read_text())
    assert document["ok"]
    rows = {(r["system"], r["operation"]): r for r in document["results"]}
    assert {system for system, _ in rows} == set(SYSTEM_NAMES)
    for (system, _), row in rows.items():
        expected = "skipped" if system == MISSING or (system in PEER_MODULES and system
                                                      not in installed) else None
        if expected:
            assert row["status"] == expected, row
        else:
            assert row["status"] in ("ok", "n/a"), row
            assert row["status"] == "ok" or row["note"], row
    ran = {system for (system, _), row in rows.items() if row["status"] == "ok"}
    assert ran == {"ooarray", "numpy", "memmap"} | (installed - {MISSING})
    assert all(c["ok"] for c in document["checks"])
    assert {r["operation"] for r in document["ratios"] if r["system"] == "numpy"} >= \
        {"elementwise", "sum", "std", "matmul", "sort", "small"}
    written = {p.name for p in out.iterdir()}
    assert {"all.json", "all.md"} <= written
    if importlib.util.find_spec("matplotlib") is not None:
        assert {f"{name}.{suffix}" for name in FIGURE_NAMES for suffix in ("png", "svg")} \
            <= written
    assert "| elementwise | ooarray |" in (out / "all.md").read_text()
    assert _repository_files() == before
    assert not (tmp_path / "bench-results").exists()  # --out was followed


def test_the_default_output_is_a_new_folder_git_ignores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = new_results_directory("all"), new_results_directory("all")
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == second.parent == Path("bench-results")
    assert "*" in (first.parent / ".gitignore").read_text().splitlines()


@IN_CHECKOUT
def test_bench_elementwise_runs_at_a_small_budget(tmp_path):
    report = tmp_path / "elementwise.json"
    assert cli.main(["bench", "elementwise", "--size", "2MiB", "--memory", "1MB",
                     "--systems", "ooarray,memmap", "--dir", str(tmp_path / "data"),
                     "--json", str(report), "--plots", ""]) == 0
    document = json.loads(report.read_text())
    rows, columns = document["input_chunks"]
    assert document["ok"] and rows * columns * 8 <= 10**6 // 8


@pytest.fixture
def repository(tmp_path) -> Path:
    """A git repository whose ``figures/`` tracks a benchmark figure and report."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    figures = tmp_path / "repo" / "figures"
    figures.mkdir(parents=True)
    for name in ("all.md", "matmul-time-memory.png"):
        (figures / name).write_text("tracked\n")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path / "repo"), *args], check=True,
                       capture_output=True)

    git("init", "-q")
    git("add", "figures")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "figures")
    return figures


@IN_CHECKOUT
@pytest.mark.parametrize("argv", [["all", "--out"], ["matmul", "--n", "64", "--plots"]],
                         ids=["all", "matmul"])
def test_benchmarks_refuse_to_write_over_tracked_files(repository, argv, capsys):
    assert cli.main(["bench", *argv, str(repository)]) == 2
    said = capsys.readouterr().err
    assert "tracked by git" in said and "--overwrite" in said
    assert (repository / "all.md").read_text() == "tracked\n"
    assert (repository / "matmul-time-memory.png").read_text() == "tracked\n"


@pytest.mark.parametrize("name", MODULES)
def test_doctests_of_the_new_benchmark_modules(name):
    module = importlib.import_module(f"benchmarks.{name}")
    failed, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
