"""The ``dask-parsl`` command."""
from __future__ import annotations

import argparse
import os
import runpy
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dask-parsl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a demo workflow on an embedded LocalCluster")
    demo.add_argument("--tasks", type=int, default=400, help="number of app calls (default 400)")
    demo.add_argument("--run-dir", default="runinfo", help="where run directories go")
    demo.add_argument("--linger", type=float, default=0, metavar="SECONDS",
                      help="keep the cluster and its dashboard up this long after the workflow ends")
    checkpoints = commands.add_parser(
        "checkpoints", help="list, verify or clear the checkpoints under a run directory")
    checkpoints.add_argument("action", choices=["list", "verify", "clear"])
    checkpoints.add_argument("run_dir", help="a run root (runinfo), one run (runinfo/003) "
                             "or a checkpoint directory")
    run = commands.add_parser(
        "run", help="run an unmodified Parsl script, its parsl imports answered by dask_parsl")
    run.add_argument("script", help="the script, run as __main__ (as python script.py would)")
    run.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    monitor = commands.add_parser("monitor", help="read a monitoring database (MonitoringHub)")
    monitor.add_argument("action", choices=["summary", "failures", "report"])
    monitor.add_argument("database", nargs="?", default=None,
                         help="a SQLAlchemy URL, a database file, or a run directory (default: runinfo)")
    monitor.add_argument("--workflow", help="a run id (or its start); default: the latest")
    monitor.add_argument("-o", "--output", default="report.html", help="where report writes (report.html)")
    args = parser.parse_args(argv)
    if args.command == "monitor":
        from .monitoring.commands import monitor_command

        return monitor_command(args.action, args.database, args.workflow, args.output)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args.tasks, args.run_dir, args.linger)
    if args.command == "run":
        return run_parsl_script(args.script, args.args)
    return checkpoints_command(args.action, args.run_dir)


def run_parsl_script(script: str, args: list[str]) -> int:
    """Run ``script`` as ``python script args...`` would, with ``import parsl`` and Parsl's
    module paths answered by dask_parsl (``dask_parsl.parsl_aliases``)."""
    from .parsl_aliases import install

    if not os.path.isfile(script):
        print(f"dask-parsl run: no such script: {script}", file=sys.stderr)
        return 2
    install()
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


def checkpoints_command(action: str, run_dir: str) -> int:
    from .memo.admin import clear_store, find_checkpoint_dirs, inspect_store

    stores = find_checkpoint_dirs(run_dir)
    if not stores:
        print(f"no checkpoints under {run_dir}", file=sys.stderr)
        return 1
    if action == "clear":
        for store in stores:
            clear_store(store)
            print(f"removed {store}")
        return 0
    problems = 0
    for store in stores:
        report = inspect_store(store, verify=action == "verify")
        line = f"{store}: {report.entries} entries, {_size(report.bytes)}"
        if report.pending:
            line += f", {report.pending} pending (not committed)"
        if action == "verify":
            line += f", {len(report.corrupt)} corrupt, {len(report.untrusted)} untrusted"
        print(line)
        for problem in report.corrupt:
            print(f"  corrupt: {problem}")
        for problem in report.untrusted:
            print(f"  untrusted: {problem}")
        problems += len(report.corrupt) + len(report.untrusted)
    return 1 if problems else 0


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{count} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


if __name__ == "__main__":
    sys.exit(main())
