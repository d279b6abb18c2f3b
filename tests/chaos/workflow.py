"""The chaos suite's workflow, and the monkey that kills worker processes while it runs.

Half the calls are cached (checkpointed as each finishes), half are not and depend
on them. Each cached call notes in ``log_dir`` when its body starts and ends, and in
which process, so a test can tell whether a call ran again after its checkpoint
entry was written (by the process that ended it, into its own segment).
"""
import os
import random
import signal
import threading
import time

import psutil

from dask_parsl import python_app
from dask_parsl.memo.store import load_index

CALLS = 1000  # cached calls; as many uncached ones depend on them


def note(log_dir, x, event):
    with open(os.path.join(log_dir, f"cached-{x}"), "a") as log:
        log.write(f"{time.time()} {event} {os.getpid()}\n")


@python_app(cache=True)
def cached_step(x, log_dir):
    note(log_dir, x, "start")
    time.sleep(0.01)
    note(log_dir, x, "end")
    return 3 * x


@python_app
def uncached_step(y):
    time.sleep(0.005)
    return y + 1


def run_workflow(log_dir):
    """The futures of the cached and the uncached calls."""
    cached = [cached_step(x, log_dir) for x in range(CALLS)]
    return cached, [uncached_step(c) for c in cached]


def events(log_dir, x, event):
    """``(time, process id)`` of each ``"start"`` or ``"end"`` of cached call ``x``'s body."""
    with open(os.path.join(log_dir, f"cached-{x}")) as log:
        lines = [line.split() for line in log.read().splitlines()]
    return [(float(when), int(pid)) for when, kind, pid in lines if kind == event]


def starts(log_dir, x):
    """When the body of cached call ``x`` started, each time."""
    return [when for when, _ in events(log_dir, x, "start")]


def bodies_run(log_dir):
    """How many times cached calls started their body."""
    return sum(len(starts(log_dir, x)) for x in range(CALLS))


def bodies_run_after_their_checkpoint(log_dir, cached, checkpoint_dir):
    """How many cached calls started their body again once their checkpoint entry existed:
    the process that wrote an entry (named by its segment) wrote it after its body ended."""
    index = load_index([checkpoint_dir])
    again = 0
    for x, future in enumerate(cached):
        writer = int(os.path.basename(index[future.task_record["hashsum"]].path).split("-")[-2])
        written = min(when for when, pid in events(log_dir, x, "end") if pid == writer)
        again += any(started > written for started in starts(log_dir, x))
    return again


def worker_processes():
    """Dask worker processes on this machine (they retitle themselves "dask worker [address]")."""
    return [process.pid for process in psutil.process_iter(["cmdline"])
            if (process.info["cmdline"] or [""])[0].startswith("dask worker [")]


class ChaosMonkey:
    """SIGKILLs a random worker process every ``low``..``high`` seconds, in a thread."""

    def __init__(self, low=1.5, high=3.0, seed=15):
        self.low, self.high = low, high
        self.random = random.Random(seed)
        self.kills = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-monkey", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(self.random.uniform(self.low, self.high)):
            pids = worker_processes()
            if pids:
                try:
                    os.kill(self.random.choice(pids), signal.SIGKILL)
                    self.kills += 1
                except ProcessLookupError:
                    pass
