"""Command line: ``python -m ooarray demo``."""

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
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ooarray.diagnostics.demo import run_demo

        return run_demo(args.size, args.memory, args.dir, args.keep)
    return 2


if __name__ == "__main__":
    sys.exit(main())
