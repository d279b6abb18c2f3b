"""A workflow inside a Slurm allocation, as sites without long-lived login-node processes
run one: Parsl's ``LocalProvider(nodes_per_block=2, launcher=SrunLauncher())`` in a script
run by ``salloc -N 2`` starts workers on both nodes through ``srun``, submits no job, keeps
the scheduler in the script's process and leaves nothing running."""
import os
import subprocess
import sys

import psutil
import pytest
from batch_helpers import wait_until
from slurm_helpers import squeue_jobs

pytestmark = pytest.mark.slurm

SCRIPT = """
import os
import sys

from distributed import Scheduler

import dask_parsl as parsl
from dask_parsl import Config, HighThroughputExecutor, python_app
from dask_parsl.providers import LocalProvider, SrunLauncher


@python_app
def node_and_process():
    import os
    import time

    time.sleep(0.1)
    return os.environ["SLURMD_NODENAME"], os.getpid()


executor = HighThroughputExecutor(label="allocation",
                                  provider=LocalProvider(nodes_per_block=2, launcher=SrunLauncher()))
dfk = parsl.load(Config(executors=[executor], run_dir=sys.argv[1]))
client = executor.client
client.wait_for_workers(2, timeout=120)
print("WORKER_NODES", sorted(set(client.run(lambda: os.environ["SLURMD_NODENAME"]).values())))
print("SCHEDULER_HERE", isinstance(executor.cluster.scheduler, Scheduler))
print("SCHEDULER_ADDRESS", executor.cluster.scheduler_address)
print("JOBS", len(os.popen("squeue -h -o %A").read().split()))
results = [f.result() for f in [node_and_process() for _ in range(20)]]
print("RESULTS", len(results))
print("CERTIFICATE", os.path.join(dfk.run_dir, "tls", "allocation.pem"))
"""


def lines_of(out, prefix):
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(prefix + " ")]


def test_a_workflow_inside_salloc_runs_workers_on_every_node(tmp_path):
    script = tmp_path / "workflow.py"
    script.write_text(SCRIPT)
    done = subprocess.run(["salloc", "-N", "2", "-n", "2", "--time=10", sys.executable, str(script),
                           str(tmp_path / "runinfo")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ParslOptionIgnored" not in done.stderr
    out = done.stdout
    assert lines_of(out, "WORKER_NODES") == ["['n1', 'n2']"], out
    assert lines_of(out, "SCHEDULER_HERE") == ["True"]
    assert "127.0.0.1" not in lines_of(out, "SCHEDULER_ADDRESS")[0]  # other nodes must reach it
    assert lines_of(out, "JOBS") == ["1"], "a job was submitted besides the allocation"
    assert lines_of(out, "RESULTS") == ["20"]
    certificate = lines_of(out, "CERTIFICATE")[0]
    left = [process.pid for process in psutil.process_iter(["cmdline"])
            if any(certificate in part for part in process.info["cmdline"] or [])]
    assert left == [], "worker processes outlived the script"
    assert squeue_jobs() == []
    assert os.path.exists(certificate)


RUNNER_SCRIPT = """
import sys

from dask_jobqueue.slurm import SLURMRunner

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app


@python_app
def node():
    import os

    return os.environ["SLURMD_NODENAME"]


with SLURMRunner(scheduler_file=sys.argv[1] + "/scheduler-{job_id}.json") as runner:
    executor = DaskExecutor(label="runner", cluster=runner)
    with parsl.load(Config(executors=[executor], run_dir=sys.argv[1] + "/runinfo")):
        executor.client.wait_for_workers(2, timeout=120)
        print("NODES", sorted({f.result() for f in [node() for _ in range(40)]}))
"""


def test_dask_jobqueues_slurm_runner_form_runs_a_workflow_across_the_ranks(tmp_path):
    """dask-jobqueue's SLURMRunner: rank 0 the scheduler, rank 1 the script, the rest workers
    (cyclic: ranks 2 and 3 on n1 and n2)."""
    script = tmp_path / "runner.py"
    script.write_text(RUNNER_SCRIPT)
    done = subprocess.run(["srun", "-N", "2", "-n", "4", "--overcommit", "--distribution=cyclic", "--time=10",
                           sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines_of(done.stdout, "NODES") == ["['n1', 'n2']"], done.stdout + done.stderr[-3000:]
    # (srun returns while Slurm may still list the job as completing for a moment)
    wait_until(lambda: squeue_jobs() == [], 30, "the srun job to leave the queue")
