"""Command line: ``python -m ooarray demo``,
``python -m ooarray bench all|elementwise|matmul|npbench|cluster`` (from a checkout of the
repository), ``python -m ooarray coverage [--markdown docs/coverage.md]``,
``python -m ooarray clean [DIR ...]`` and ``python -m ooarray --version``.

The help it prints is plain text (:data:`DESCRIPTION`), not this docstring's markup.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "DESCRIPTION"]

#: What ``python -m ooarray --help`` says above the commands (plain text, printed as it is).
DESCRIPTION = """\
ooarray: existing NumPy code on arrays larger than memory, within a memory budget.
"python -m ooarray COMMAND --help" describes a command's options.

examples:
  python -m ooarray demo --size 256MiB --memory 64MB
  python -m ooarray bench all --size 64MiB --memory 16MB --out /tmp/ooarray-bench
  python -m ooarray coverage
  python -m ooarray --version"""


def _version() -> str:
    from ooarray import __version__

    return f"ooarray {__version__}"


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ooarray", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version(),
                        help="print ooarray's version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="out-of-core demo on a local Zarr store",
        description="Three random float64 arrays of --size written to a local Zarr store, "
                    "then sqrt(a*a + b*b) / (c + 1) fused into one pass and reduced under "
                    "--memory, and the result checked against NumPy on a slice that fits.")
    demo.add_argument("--size", default="768MiB",
                      help="size of each of the three input arrays (default 768MiB)")
    demo.add_argument("--memory", default="256MB", help="memory_limit (default 256MB)")
    demo.add_argument("--dir", default=None,
                      help="where to put the Zarr stores (default: a temporary directory)")
    demo.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    _add_bench(commands)
    coverage = commands.add_parser(
        "coverage", help="which NumPy functions run out of core, fall back, or raise",
        description="Classify every NumPy function ooarray overrides: out of core, falls "
                    "back to NumPy in memory when its inputs fit the budget, or raises.")
    coverage.add_argument("--markdown", metavar="PATH", default=None,
                          help="write the report as Markdown to PATH (e.g. docs/coverage.md)")
    clean = commands.add_parser(
        "clean", help="remove partial outputs and temporary files of stopped processes",
        description="Remove the partial outputs and temporary files that ooarray processes "
                    "which have stopped left behind.")
    clean.add_argument("directories", nargs="*",
                       help="where to look (default: spill_dir and the current directory)")
    clean.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    clean.add_argument("--unknown", action="store_true",
                       help="also partial outputs named without a process id (older ooarray)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        return _run_bench(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        from ooarray.diagnostics.demo import run_demo

        return run_demo(args.size, args.memory, args.dir, args.keep)
    if args.command == "coverage":
        return _run_coverage(args.markdown)
    if args.command == "clean":
        return _run_clean(args.directories, args.dry_run, args.unknown)
    return 2


def _run_clean(directories: list[str], dry_run: bool, unknown: bool) -> int:
    from ooarray import config
    from ooarray.errors import format_bytes
    from ooarray.store.leftovers import clean

    found = []
    for directory in directories or [config.get().spill_dir, "."]:
        found += clean(directory, remove=not dry_run, unknown=unknown)
    for leftover in found:
        owner = f"process {leftover.pid}" if leftover.pid else "an unknown process"
        print(f"{'found' if dry_run else 'removed'} {leftover.path} "
              f"({format_bytes(leftover.nbytes)}, {owner}, stopped)")
    print(f"{len(found)} leftovers, {format_bytes(sum(f.nbytes for f in found))}"
          + (" (dry run: nothing removed)" if dry_run else ""))
    return 0


def _run_coverage(markdown: str | None) -> int:
    from ooarray.diagnostics.coverage import (
        FALLBACK,
        OUT_OF_CORE,
        RAISES,
        coverage,
        coverage_markdown,
    )

    report = coverage()
    if markdown is not None:
        with open(markdown, "w", encoding="utf-8") as file:
            file.write(coverage_markdown(report))
    print(f"{len(report.functions)} overridable NumPy functions: "
          f"{report.count(OUT_OF_CORE)} out of core, {report.count(FALLBACK)} fall back to "
          f"NumPy in memory when their inputs fit the budget, {report.count(RAISES)} raise"
          + (f"; written to {markdown}" if markdown else ""))
    return 0


#: The benchmarks are not part of the package: they live in ``benchmarks/`` at the top of the
#: repository, beside the ``ooarray`` folder.
BENCHMARKS_FOLDER = Path(__file__).resolve().parents[1] / "benchmarks"


def _add_bench(commands: argparse._SubParsersAction) -> None:
    # Everything after "bench" goes to the benchmarks' own command line (its --help too).
    commands.add_parser(
        "bench", add_help=False, help="benchmarks of ooarray against its peers "
        "(all, elementwise, matmul, npbench, cluster; from a checkout of the repository)")


def _run_bench(argv: list[str]) -> int:
    """Run ``python -m benchmarks ARGV`` from the ``benchmarks/`` folder beside the package."""
    if not (BENCHMARKS_FOLDER / "__main__.py").is_file():
        print(f"python -m ooarray bench: the benchmarks are not installed with ooarray; they "
              f"are in the benchmarks/ folder of its repository, and {BENCHMARKS_FOLDER} is "
              f"not there. Run them from a checkout: clone the repository, "
              f"pip install -e \".[bench]\" in it, and run python -m ooarray bench "
              f"{' '.join(argv) or '<all|elementwise|matmul|npbench|cluster>'} (or "
              f"python -m benchmarks ...) there.", file=sys.stderr)
        return 2
    root = str(BENCHMARKS_FOLDER.parent)
    if root not in sys.path:
        sys.path.append(root)
    from benchmarks.__main__ import main as run_benchmark

    return run_benchmark(argv, prog="python -m ooarray bench")


if __name__ == "__main__":
    sys.exit(main())
