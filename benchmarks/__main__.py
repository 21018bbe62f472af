"""Command line of the benchmarks: ``python -m benchmarks all|elementwise|matmul|npbench|cluster``,
run from a checkout of the repository (``python -m ooarray bench ...`` is the same)."""

from __future__ import annotations

import argparse
import sys

from benchmarks import cluster, compare, elementwise, matmul, npbench
from benchmarks.helptext import plain
from benchmarks.outputs import TrackedFileError

__all__ = ["main", "BENCHMARKS", "DESCRIPTION"]

#: Each benchmark: its module (``add_arguments``, ``run_from_args``) and a one-line summary.
BENCHMARKS = {
    "all": (compare, "every workload (elementwise, reduction, matmul, sort, small arrays) "
                     "for ooarray, NumPy, memmap, Dask, Cubed and Blosc2, with ratios and "
                     "figures"),
    "elementwise": (elementwise, "2*a*b + c**2 - a/(b+1), sum and std on Zarr and .npy inputs"),
    "matmul": (matmul, "C = A @ B on n x n float64 (or float32) Zarr inputs"),
    "npbench": (npbench, "spcl/npbench's NumPy kernels, unchanged, against NumPy"),
    "cluster": (cluster, "threads vs a dask.distributed LocalCluster vs dask.array on it"),
}

DESCRIPTION = """\
Benchmarks of ooarray against its peers, run from a checkout of the repository
(pip install -e ".[bench]" installs every peer; a peer that is missing is skipped).
"{prog} BENCHMARK --help" lists a benchmark's options.

examples:
  {prog} all --size 64MiB --memory 16MB --out /tmp/bench
  {prog} elementwise --size 1GiB --memory 256MB
  {prog} matmul --n 4096 --memory 128MB"""


def main(argv: list[str] | None = None, prog: str = "python -m benchmarks") -> int:
    """Run the benchmark named in ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION.format(prog=prog),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, (module, summary) in BENCHMARKS.items():
        module.add_arguments(commands.add_parser(
            name, help=summary, description=plain(module.__doc__),
            formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    try:
        return BENCHMARKS[args.benchmark][0].run_from_args(args)
    except TrackedFileError as error:
        print(f"{prog} {args.benchmark}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
