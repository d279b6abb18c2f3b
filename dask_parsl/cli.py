"""The ``dask-parsl`` command."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dask-parsl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a demo workflow on an embedded LocalCluster")
    demo.add_argument("--tasks", type=int, default=400, help="number of app calls (default 400)")
    demo.add_argument("--run-dir", default="runinfo", help="where run directories go")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args.tasks, args.run_dir)
    return 2


if __name__ == "__main__":
    sys.exit(main())
