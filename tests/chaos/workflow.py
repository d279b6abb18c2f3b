"""The chaos suite's workflow, and the monkey that kills worker processes while it runs.

Half the calls are cached (checkpointed as each finishes), half are not and depend
on them. Each cached call notes in ``log_dir`` when its body starts, so a test can
tell whether a call ran again after its checkpoint entry was written.
"""
import os
import random
import signal
import threading
import time

import psutil

from dask_parsl import python_app

CALLS = 1000  # cached calls; as many uncached ones depend on them


def note_start(log_dir, x):
    with open(os.path.join(log_dir, f"cached-{x}"), "a") as log:
        log.write(f"{time.time()}\n")


@python_app(cache=True)
def cached_step(x, log_dir):
    note_start(log_dir, x)
    time.sleep(0.01)
    return 3 * x


@python_app
def uncached_step(y):
    time.sleep(0.005)
    return y + 1


def run_workflow(log_dir):
    """The futures of the cached and the uncached calls."""
    cached = [cached_step(x, log_dir) for x in range(CALLS)]
    return cached, [uncached_step(c) for c in cached]


def starts(log_dir, x):
    """When the body of cached call ``x`` started, each time."""
    with open(os.path.join(log_dir, f"cached-{x}")) as log:
        return [float(line) for line in log.read().split()]


def bodies_run(log_dir):
    """How many times cached calls started their body."""
    return sum(len(starts(log_dir, x)) for x in range(CALLS))


def bodies_run_after_their_checkpoint(log_dir, cached, checkpoint_dir):
    """How many cached calls started their body again once their checkpoint entry existed."""
    again = 0
    for x, future in enumerate(cached):
        entry = os.path.join(checkpoint_dir, "entries", future.task_record["hashsum"])
        written = os.stat(entry).st_mtime
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
