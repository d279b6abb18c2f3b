"""A workflow that runs until it is killed, for test_monitoring.py (which sends SIGKILL to its
process group). No main guard, on purpose: as many Parsl scripts are written.

Usage: python killed_workflow.py RUN_DIR

Prints ``run_id <id>`` once the kernel is loaded, then ``finished <task_id> <time.time()>`` as
each task completes. Monitoring writes to the default database, RUN_DIR/monitoring.db.
"""
import sys
import time

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, MonitoringHub, python_app


@python_app
def nap(i):
    import time

    time.sleep(0.02)
    return i


def report(future):
    print(f"finished {future.tid} {time.time()}", flush=True)


dfk = parsl.load(Config(executors=[DaskExecutor(n_workers=1, dashboard_address=":0")],
                        run_dir=sys.argv[1], monitoring=MonitoringHub()))
print(f"run_id {dfk.run_id}", flush=True)
in_flight = []
deadline = time.monotonic() + 120  # the test kills it within seconds; this only bounds a lost run
i = 0
while time.monotonic() < deadline:
    in_flight = [future for future in in_flight if not future.done()]
    while len(in_flight) < 4:
        future = nap(i)
        future.add_done_callback(report)
        in_flight.append(future)
        i += 1
    time.sleep(0.005)
dfk.cleanup()
