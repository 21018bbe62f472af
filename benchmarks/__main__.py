"""Command line of the benchmarks: ``python -m benchmarks elementwise|matmul|npbench|cluster``,
run from a checkout of the repository (``python -m ooarray bench ...`` is the same)."""

from __future__ import annotations

import argparse
import sys

from benchmarks import cluster, elementwise, matmul, npbench

__all__ = ["main", "BENCHMARKS"]

#: Each benchmark: its module (``add_arguments``, ``run_from_args``) and a one-line summary.
BENCHMARKS = {
    "elementwise": (elementwise, "2*a*b + c**2 - a/(b+1), sum and std on Zarr and .npy inputs"),
    "matmul": (matmul, "C = A @ B on n x n float64 Zarr inputs"),
    "npbench": (npbench, "spcl/npbench's NumPy kernels, unchanged, against NumPy"),
    "cluster": (cluster, "threads vs a dask.distributed LocalCluster vs dask.array on it"),
}


def main(argv: list[str] | None = None, prog: str = "python -m benchmarks") -> int:
    """Run the benchmark named in ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Benchmarks of ooarray against its peers.")
    commands = parser.add_subparsers(dest="benchmark", required=True)
    for name, (module, summary) in BENCHMARKS.items():
        module.add_arguments(commands.add_parser(
            name, help=summary, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    return BENCHMARKS[args.benchmark][0].run_from_args(args)


if __name__ == "__main__":
    sys.exit(main())
