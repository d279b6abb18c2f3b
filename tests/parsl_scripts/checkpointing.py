"""Checkpoint at task exit, then resume from every earlier checkpoint: run it twice."""
import os

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer
from parsl.executors.threads import ThreadPoolExecutor
from parsl.utils import get_all_checkpoints

CALLS = os.path.abspath("calls.log")


@python_app(cache=True)
def slow_square(x, calls):
    with open(calls, "a") as log:
        log.write(f"{x}\n")
    return x * x


earlier = get_all_checkpoints()
config = Config(executors=[ThreadPoolExecutor()],
                memoizer=BasicMemoizer(checkpoint_mode="task_exit", checkpoint_files=earlier))
with parsl.load(config):
    print("resumed from", len(earlier), "checkpoint(s)")
    print("squares:", [slow_square(i, CALLS).result() for i in range(5)])
with open(CALLS) as log:
    print("computed so far:", len(log.readlines()))
