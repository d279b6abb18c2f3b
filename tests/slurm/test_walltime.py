"""Jobs near their walltime are retired and replaced, without losing work, on a real Slurm."""
import subprocess

import dask.config
import pytest
from batch_helpers import job_of_this_worker, wait_until
from slurm_helpers import squeue_jobs

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, WalltimeReached, python_app
from dask_parsl.providers import SrunLauncher
from dask_parsl.scheduler import PLUGIN_NAME

pytestmark = pytest.mark.slurm


@python_app
def record_run(path, value):
    with open(path, "a") as runs:
        runs.write("ran\n")
    return value


@python_app
def identity(value):
    return value


def one_job_of_one_minute(queue="debug", **options):
    return DaskExecutor(label="renewing", provider="slurm", cores=1, processes=1, memory="1GB", queue=queue,
                        walltime="00:01:00", jobs=1, **options)


#: jobs of two nodes, in the partition of four nodes (a job and its replacement side by side)
TWO_NODES = {"nodes_per_job": 2, "launcher": SrunLauncher(), "queue": "blocks"}


def job_state(job_id):
    shown = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True).stdout
    return shown.split("JobState=")[1].split()[0]


@pytest.mark.parametrize("strategy, shape", [(None, {}), ("simple", {}), ("simple", TWO_NODES)],
                         ids=["fixed", "adaptive", "adaptive-two-nodes"])
def test_a_job_is_replaced_before_its_walltime(run_dir, tmp_path, strategy, shape):
    runs = tmp_path / "runs.txt"
    executor = one_job_of_one_minute(maximum_jobs=1, **shape)
    with dask.config.set({"parsl.batch.walltime-margin": "25s"}):
        with parsl.load(Config(executors=[executor], run_dir=run_dir, strategy=strategy)):
            held = record_run(str(runs), 42)
            first_job = job_of_this_worker().result(timeout=120)
            tasks = 100 * shape.get("nodes_per_job", 1)  # 50 s of work: the job is renewed meanwhile
            jobs = [f.result(timeout=240) for f in [job_of_this_worker(0.5) for _ in range(tasks)]]
            assert first_job in jobs and len(set(jobs)) == 2
            assert identity(held).result(timeout=120) == 42
            assert runs.read_text() == "ran\n"  # the held result moved to the new job
            assert executor.cluster.scheduler.plugins[PLUGIN_NAME].counts == {}  # no try was charged
            wait_until(lambda: first_job not in squeue_jobs(), 30, "the first job to end")
            assert job_state(first_job) == "COMPLETED"  # it ended before Slurm's time limit


def test_a_task_running_when_its_job_drains_finishes_there(run_dir):
    executor = one_job_of_one_minute()
    with dask.config.set({"parsl.batch.walltime-margin": "20s"}):
        with parsl.load(Config(executors=[executor], run_dir=run_dir, strategy=None)):
            first_job = job_of_this_worker().result(timeout=120)
            # starts at once, and is still running when the job drains, 40 s after it started
            long_task = job_of_this_worker(47)
            assert long_task.result(timeout=120) == first_job  # not restarted on the new job
            wait_until(lambda: first_job not in squeue_jobs(), 30, "the drained job to end")
            assert job_of_this_worker().result(timeout=60) != first_job
            assert executor.cluster.scheduler.plugins[PLUGIN_NAME].counts == {}


def test_a_task_longer_than_any_job_fails_instead_of_restarting_forever(run_dir):
    executor = one_job_of_one_minute()
    with dask.config.set({"parsl.batch.walltime-margin": "20s"}):
        with parsl.load(Config(executors=[executor], run_dir=run_dir, strategy=None)):
            too_long = job_of_this_worker(300)
            with pytest.raises(WalltimeReached, match="needs longer than a job's walltime"):
                too_long.result(timeout=240)  # interrupted near the first job's walltime, then the second's
            assert job_of_this_worker().result(timeout=60)
