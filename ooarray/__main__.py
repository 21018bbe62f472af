"""Command line: ``python -m ooarray demo``,
``python -m ooarray bench elementwise|matmul|npbench``,
``python -m ooarray coverage [--markdown docs/coverage.md]`` and
``python -m ooarray clean [DIR ...]``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ooarray", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="out-of-core demo on a local Zarr store")
    demo.add_argument("--size", default="768MiB",
                      help="size of each of the three input arrays (default 768MiB)")
    demo.add_argument("--memory", default="256MB", help="memory_limit (default 256MB)")
    demo.add_argument("--dir", default=None,
                      help="where to put the Zarr stores (default: a temporary directory)")
    demo.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    _add_bench(commands)
    coverage = commands.add_parser(
        "coverage", help="which NumPy functions run out of core, fall back, or raise")
    coverage.add_argument("--markdown", metavar="PATH", default=None,
                          help="write the report as Markdown to PATH (e.g. docs/coverage.md)")
    clean = commands.add_parser(
        "clean", help="remove partial outputs and temporary files of stopped processes")
    clean.add_argument("directories", nargs="*",
                       help="where to look (default: spill_dir and the current directory)")
    clean.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    clean.add_argument("--unknown", action="store_true",
                       help="also partial outputs named without a process id (older ooarray)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ooarray.diagnostics.demo import run_demo

        return run_demo(args.size, args.memory, args.dir, args.keep)
    if args.command == "bench":
        return _run_bench(args)
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


def _add_bench(commands: argparse._SubParsersAction) -> None:
    from ooarray.bench import elementwise, matmul, npbench

    bench = commands.add_parser("bench", help="benchmarks of ooarray against its peers")
    benchmarks = bench.add_subparsers(dest="benchmark", required=True)
    elementwise.add_arguments(benchmarks.add_parser(
        "elementwise", help="2*a*b + c**2 - a/(b+1), sum and std on Zarr and .npy inputs",
        description=elementwise.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
    matmul.add_arguments(benchmarks.add_parser(
        "matmul", help="C = A @ B on n x n float64 Zarr inputs",
        description=matmul.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
    npbench.add_arguments(benchmarks.add_parser(
        "npbench", help="spcl/npbench's NumPy kernels, unchanged, against NumPy",
        description=npbench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))


def _run_bench(args: argparse.Namespace) -> int:
    if args.benchmark == "elementwise":
        from ooarray.bench.elementwise import run_from_args

        return run_from_args(args)
    if args.benchmark == "matmul":
        from ooarray.bench.matmul import run_from_args as run_matmul

        return run_matmul(args)
    if args.benchmark == "npbench":
        from ooarray.bench.npbench import run_from_args as run_npbench

        return run_npbench(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
