"""A cached workflow of 20 tasks on a scheduler started apart, run by test_reconnects.py
(which kills the scheduler midway). Prints the total, or the error that ended it.

Usage: python reconnect_workflow.py SCHEDULER_ADDRESS RUN_DIR LOG
"""
import sys
import time

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, ExecutorLost, python_app


@python_app(cache=True)
def square(x, log):
    with open(log, "a") as file:
        file.write(f"{x}\n")
    time.sleep(0.5)
    return x * x


address, run_dir, log = sys.argv[1:4]
parsl.load(Config(executors=[DaskExecutor(cluster=address)], run_dir=run_dir, checkpoint_mode="task_exit"))
futures = [square(x, log) for x in range(20)]
try:
    print("done", sum(future.result() for future in futures))
except ExecutorLost as error:
    print(f"ExecutorLost: {error}", flush=True)
    sys.exit(1)
