"""The chaos suite's workflow, and the monkey that kills worker processes while it runs.

Half the calls are cached (checkpointed as each finishes), half are not and depend
on them. Each cached call notes in ``log_dir`` when its body starts and ends, so a
test can tell whether a call whose checkpoint was written ever ran again.
"""
import os
import random
import signal
import threading
import time

import psutil

from dask_parsl import python_app

CALLS = 1000  # cached calls; as many uncached ones depend on them


def note(log_dir, x, what):
    with open(os.path.join(log_dir, f"cached-{x}"), "a") as log:
        log.write(f"{what}\n")


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


def bodies_run_after_finishing(log_dir):
    """How many cached calls ran their body again after a run of it had finished (and
    so written its checkpoint)."""
    again = 0
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as log:
            lines = log.read().split()
        finished = lines.index("end") if "end" in lines else len(lines)
        again += "start" in lines[finished + 1:]
    return again


def bodies_run(log_dir):
    """How many times cached calls started their body."""
    total = 0
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as log:
            total += log.read().split().count("start")
    return total


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
