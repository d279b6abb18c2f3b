"""Blocks of two nodes on the real two-node Slurm: one job per block, whose launcher starts
a worker group on each node; a cancelled two-node job; the dask-jobqueue form."""
import os
import subprocess
import time

import pytest
from batch_helpers import add, job_of_this_worker, wait_until
from dask_jobqueue import SLURMCluster
from slurm_helpers import assert_lost_in_job, squeue_jobs

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, HighThroughputExecutor, multi_node_class
from dask_parsl.executors.batch import worker_names_of_job
from dask_parsl.executors.launch_commands import launch_script, with_task_name
from dask_parsl.providers import MpiExecLauncher, MpiRunLauncher, SlurmProvider, SrunLauncher, SrunMPILauncher

pytestmark = pytest.mark.slurm


def one_two_node_block(launcher):
    return SlurmProvider(partition="debug", cores_per_node=1, mem_per_node=1, nodes_per_block=2,
                         init_blocks=1, max_blocks=1, walltime="00:10:00", exclusive=False, launcher=launcher)


def nodes_of_job(job):
    """(how many nodes job ``job`` has or asks for, their names once it runs)."""
    out = subprocess.run(["squeue", "-h", "-j", job, "-o", "%D %N"], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), " ".join(out[1:])


def node_of_each_worker(client):
    """Worker name -> the Slurm node it runs on."""
    names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
    nodes = client.run(lambda: __import__("os").environ["SLURMD_NODENAME"])
    return {names[address]: node for address, node in nodes.items()}


def connected_names(executor):
    return {info["name"] for info in executor.client.scheduler_info()["workers"].values()}


@pytest.mark.parametrize("launcher", [SrunLauncher(), SrunMPILauncher()], ids=lambda launcher: repr(launcher))
def test_a_block_of_two_nodes_is_one_job_with_workers_on_each_node(run_dir, launcher):
    executor = HighThroughputExecutor(label="blocks", provider=one_two_node_block(launcher))
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        [job] = squeue_jobs()
        assert job_of_this_worker().result(timeout=120) == job
        assert nodes_of_job(job) == (2, "n[1-2]")
        [name] = executor.cluster.worker_spec
        wait_until(lambda: len(connected_names(executor)) == 2, 60, "both nodes' workers")
        assert connected_names(executor) == worker_names_of_job(executor.cluster, name) == {
            f"{name}-0", f"{name}-1"}
        # one worker on each node (which copy gets which index is the launcher's choice: the
        # steps of SrunMPILauncher start in any order)
        assert sorted(node_of_each_worker(executor.client).values()) == ["n1", "n2"]
        total = add(0, 0)
        for i in range(1, 21):  # a chain moving between the nodes
            total = add(total, i, 0.05)
        assert total.result(timeout=120) == 210
    wait_until(lambda: not squeue_jobs(), 60, "cleanup to cancel the job")


def test_a_cancelled_two_node_job_is_replaced_and_the_workflow_finishes(run_dir):
    executor = HighThroughputExecutor(label="blocks", provider=one_two_node_block(SrunLauncher()))
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):  # retries=0
        job_of_this_worker().result(timeout=120)
        futures = [add(i, 1000, 0.25) for i in range(24)]
        time.sleep(1.5)
        [victim] = squeue_jobs()
        cancelled = time.monotonic()
        subprocess.run(["scancel", victim], check=True)
        assert [f.result(timeout=300) for f in futures] == [i + 1000 for i in range(24)]
        print(f"scancel of the two-node job to the workflow finishing: {time.monotonic() - cancelled:.1f} s")
        assert_lost_in_job(futures, victim)
        [replacement] = squeue_jobs()
        assert replacement != victim and nodes_of_job(replacement)[0] == 2


def test_adaptive_scaling_adds_and_releases_whole_blocks(run_dir):
    executor = DaskExecutor(label="blocks", provider="slurm", nodes_per_job=2, launcher=SrunLauncher(),
                            cores=1, processes=1, memory="1GB", queue="blocks", walltime="00:10:00",
                            jobs=0, minimum_jobs=0, maximum_jobs=2)
    with parsl.load(Config(executors=[executor], run_dir=run_dir, max_idletime=2)):
        assert squeue_jobs() == []
        futures = [job_of_this_worker(0.5) for _ in range(40)]
        wait_until(lambda: len(squeue_jobs()) == 2, 60, "two blocks to be submitted")
        blocks = set(squeue_jobs())
        assert [nodes_of_job(job)[0] for job in blocks] == [2, 2]
        wait_until(lambda: len(connected_names(executor)) == 4, 60, "the workers of both blocks")
        assert {f.result(timeout=180) for f in futures} == blocks
        del futures  # a worker holding results still referenced is never released
        wait_until(lambda: not squeue_jobs(), 90, "idle blocks to be released")


def test_the_dask_jobqueue_form_with_two_processes_per_node(run_dir):
    cluster = multi_node_class(SLURMCluster)(
        nodes_per_job=2, launcher=SrunLauncher(), cores=2, processes=2, job_cpu=1, memory="1GB",
        queue="debug", walltime="00:10:00", scheduler_options={"dashboard_address": ":0"})
    with cluster:
        cluster.scale(jobs=1)
        executor = DaskExecutor(cluster=cluster)
        with parsl.load(Config(executors=[executor], run_dir=run_dir)):
            cluster.wait_for_workers(4, timeout=120)
            [name] = cluster.worker_spec
            names = {info["name"] for info in cluster.scheduler_info["workers"].values()}
            assert names == {f"{name}-{node}-{process}" for node in (0, 1) for process in (0, 1)}
            assert node_of_each_worker(executor.client) == {
                f"{name}-{node}-{process}": f"n{node + 1}" for node in (0, 1) for process in (0, 1)}
        cluster.scale(jobs=0)
        wait_until(lambda: not squeue_jobs(), 60, "scaling to zero to cancel the job")


OPEN_MPI_HERE = "--oversubscribe" + (" --allow-run-as-root" if os.geteuid() == 0 else "")


@pytest.mark.parametrize("launcher", [MpiExecLauncher(overrides=OPEN_MPI_HERE),
                                      MpiRunLauncher(overrides=OPEN_MPI_HERE)], ids=repr)
def test_open_mpis_launch_lines_start_one_named_copy_per_node(launcher):
    """The mpiexec and mpirun lines of a job script, run by Open MPI (which ci/start_slurm.sh
    installs) outside any batch job: two copies on this node, each named by its rank."""
    script = launch_script(launcher, with_task_name("echo --name job --and-more", "job", launcher), 2)
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("SLURM", "PBS"))}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=environment,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["--name job-0 --and-more", "--name job-1 --and-more"]
