"""A small analysis workflow with Parsl's monitoring database, on an embedded LocalCluster.

    python docs/examples/monitored_workflow.py
    dask-parsl monitor summary runinfo
    dask-parsl monitor failures runinfo
    dask-parsl monitor report runinfo -o report.html
"""
import os
import random
import tempfile
import time

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, MonitoringHub, python_app


@python_app
def load(chunk):
    time.sleep(random.uniform(0.2, 0.6))
    return list(range(chunk * 100, chunk * 100 + 100))


@python_app
def clean(values, chunk, glitches):
    time.sleep(random.uniform(0.1, 0.4))
    marker = os.path.join(glitches, str(chunk))
    if chunk % 8 == 3 and not os.path.exists(marker):  # a first try glitches: Config(retries=2)
        open(marker, "w").close()
        raise ValueError(f"sensor glitch in chunk {chunk}")
    return [v for v in values if v % 7]


@python_app
def calibrate(chunk):
    raise RuntimeError(f"no calibration for chunk {chunk}")  # fails: see dask-parsl monitor failures


@python_app
def summarize(*parts):
    time.sleep(0.3)
    return sum(len(part) for part in parts)


config = Config(executors=[DaskExecutor(n_workers=2)], retries=2,
                monitoring=MonitoringHub(workflow_name="sensor-analysis"))
with parsl.load(config):
    glitches = tempfile.mkdtemp()
    cleaned = [clean(load(chunk), chunk, glitches) for chunk in range(24)]
    print("values kept:", summarize(*cleaned).result())
    try:
        calibrate(99).result()
    except RuntimeError as error:
        print("calibration failed:", error)
