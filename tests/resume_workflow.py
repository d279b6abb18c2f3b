"""A 500-task cached workflow, run as a script by test_resume.py (which kills it midway).

Usage: python resume_workflow.py RUN_DIR LOG RESULTS [CHECKPOINT_MODE]
"""
import json
import sys
import time

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app

N = 250  # two stages of N tasks


def log_start(log, name, i):
    with open(log, "a") as file:
        file.write(f"{name} {i}\n")


@python_app(cache=True)
def first_stage(i, log):
    log_start(log, "first", i)
    time.sleep(0.02)
    return {"task": f"first {i}", "value": i * i}


@python_app(cache=True)
def second_stage(earlier, i, log):
    log_start(log, "second", i)
    time.sleep(0.02)
    return {"task": f"second {i}", "value": earlier["value"] + i}


def main(run_dir, log, results_path, checkpoint_mode="task_exit"):
    config = Config(executors=[DaskExecutor(n_workers=2, dashboard_address=":0")],
                    checkpoint_mode=checkpoint_mode, run_dir=run_dir,
                    checkpoint_period="01:00:00" if checkpoint_mode == "periodic" else None)
    with parsl.load(config):
        finals = [second_stage(first_stage(i, log), i, log) for i in range(N)]
        results = [future.result() for future in finals]
    with open(results_path, "w") as file:
        json.dump(results, file)


if __name__ == "__main__":
    main(*sys.argv[1:])
