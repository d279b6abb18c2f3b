"""MPI apps: Parsl's resource specification and launch prefixes (compared with the installed
Parsl's), the block's nodes held by one app at a time across worker processes, and an MPI
executor's workflow on the embedded cluster. Real MPI ranks on two nodes run in
tests/slurm/test_mpi_on_slurm.py."""
import os
import signal
import subprocess
import sys

import pytest
from parsl.executors.high_throughput.mpi_prefix_composer import compose_all, validate_resource_spec

import dask_parsl as parsl
from dask_parsl import (
    Config,
    ConfigurationError,
    HighThroughputExecutor,
    InvalidResourceSpecification,
    MPIExecutor,
    bash_app,
    python_app,
)
from dask_parsl.executors.mpi import check_mpi_specification, mpi_environment
from dask_parsl.executors.mpi_nodes import NodePool
from dask_parsl.providers import (
    GridEngineProvider,
    LocalProvider,
    SimpleLauncher,
    SlurmProvider,
    SrunLauncher,
)


@pytest.mark.parametrize("launcher", ["srun", "mpiexec", "aprun"])
@pytest.mark.parametrize("specification", [
    {"num_nodes": 2, "ranks_per_node": 3},
    {"num_nodes": 2, "ranks_per_node": 2, "num_ranks": 4, "launcher_options": "--mpi=pmix"},
])
def test_the_prefixes_and_variables_are_parsls(launcher, specification):
    theirs = dict(specification)
    validate_resource_spec(theirs)
    mine = dict(specification)
    check_mpi_specification(mine, nodes_per_block=4)
    as_text = {key: str(value) for key, value in theirs.items()}
    assert {key: str(value) for key, value in mine.items()} == as_text
    variables = mpi_environment(launcher, mine, ["n1", "n2"])
    prefixes = compose_all(launcher, theirs, ["n1", "n2"])
    assert {name: variables[name] for name in prefixes} == prefixes
    assert variables["PARSL_MPI_NODELIST"] == "n1,n2"
    assert variables["PARSL_NUM_NODES"] == "2" and variables["PARSL_NUM_RANKS"] == as_text["num_ranks"]


def test_ranks_per_node_is_a_whole_number_of_ranks():
    specification = {"num_nodes": 2, "num_ranks": 8}
    check_mpi_specification(specification, nodes_per_block=2)
    assert specification["ranks_per_node"] == 4  # (Parsl 2026.10 writes "4.0", which srun refuses)


@pytest.mark.parametrize("specification, message", [
    ({}, "need parsl_resource_specification"),
    ({"num_nodes": 1, "cores": 4}, "takes only"),
    ({"ranks_per_node": 4}, "needs num_nodes"),
    ({"num_nodes": 3}, "a block of this executor has 2 node"),
    ({"num_nodes": 2, "num_ranks": 3}, "does not divide evenly"),
    ({"num_nodes": "2"}, "whole number above 0"),
])
def test_a_bad_specification_fails_the_call_with_what_to_change(specification, message):
    with pytest.raises(InvalidResourceSpecification, match=message):
        check_mpi_specification(dict(specification), nodes_per_block=2)


HOLD = """
import sys, time
from dask_parsl.executors.mpi_nodes import NodePool
pool = NodePool(["n1", "n2", "n3"], sys.argv[1])
with pool.hold(int(sys.argv[2])) as nodes:
    print(" ".join(nodes), time.time(), flush=True)
    time.sleep(float(sys.argv[3]))
print("released", time.time(), flush=True)
"""


def hold_in_a_process(path, count, seconds):
    return subprocess.Popen([sys.executable, "-c", HOLD, path, str(count), str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def test_processes_hold_nodes_one_app_at_a_time_and_a_dead_holders_nodes_come_back(tmp_path):
    path = str(tmp_path / "pool.json")
    first = hold_in_a_process(path, 2, 1.5)
    first_nodes, first_at = first.stdout.readline().rsplit(" ", 1)
    second = hold_in_a_process(path, 2, 0)  # needs one node more than is free: waits
    third = hold_in_a_process(path, 1, 0)   # fits beside the first
    third_nodes, third_at = third.stdout.readline().rsplit(" ", 1)
    assert set(first_nodes.split()).isdisjoint(third_nodes.split())
    released_at = float(first.stdout.readline().split()[1])
    second_nodes, second_at = second.stdout.readline().rsplit(" ", 1)
    assert float(second_at) >= released_at and len(second_nodes.split()) == 2
    for process in (first, second, third):
        assert process.wait(timeout=30) == 0
    killed = hold_in_a_process(path, 3, 60)
    killed.stdout.readline()
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    with NodePool(["n1", "n2", "n3"], path).hold(3) as nodes:  # not the dead process's any more
        assert nodes == ["n1", "n2", "n3"]


@bash_app
def mpi_prefix(stdout=None, parsl_resource_specification=None):
    return 'echo "$PARSL_MPI_PREFIX|$PARSL_MPI_NODELIST|$PARSL_NUM_RANKS|$(date +%s.%N)"; sleep 1'


@python_app
def mpi_variables(parsl_resource_specification=None):
    import os

    return {name: value for name, value in os.environ.items() if name.startswith("PARSL_")}


def test_apps_on_the_embedded_cluster_get_the_node_one_at_a_time(run_dir, tmp_path):
    executor = MPIExecutor(provider=LocalProvider(launcher=SimpleLauncher()), mpi_launcher="srun",
                           max_workers_per_block=2)
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        spec = {"num_nodes": 1, "ranks_per_node": 4}
        outputs = [str(tmp_path / f"app{i}.out") for i in range(2)]
        assert [f.result(timeout=60) for f in [mpi_prefix(stdout=out, parsl_resource_specification=dict(spec))
                                               for out in outputs]] == [0, 0]
        lines = [open(out).read().strip().split("|") for out in outputs]
        host = os.uname().nodename
        assert {tuple(line[:3]) for line in lines} == {
            (f"srun --ntasks 4 --ntasks-per-node 4 --nodelist {host} --nodes 1 ", host, "4")}
        started = sorted(float(line[3]) for line in lines)
        assert started[1] - started[0] >= 1  # the block's one node: one app after the other
        variables = mpi_variables(parsl_resource_specification={"num_nodes": 1}).result(timeout=60)
        assert variables["PARSL_NUM_RANKS"] == "1" and variables["PARSL_MPI_PREFIX"].startswith("srun ")
        left = executor.client.run(lambda: [name for name in os.environ if name.startswith("PARSL_MPI")])
        assert list(left.values()) == [[], []]  # the workers' environment is theirs again
        with pytest.raises(InvalidResourceSpecification, match="a block of this executor has 1 node"):
            mpi_variables(parsl_resource_specification={"num_nodes": 2}).result(timeout=10)
        with pytest.raises(InvalidResourceSpecification, match="need parsl_resource_specification"):
            mpi_variables().result(timeout=10)  # as in Parsl: every app of an MPI executor says what it needs


def test_a_pool_refuses_more_nodes_than_its_block_has(tmp_path):
    expected = r"num_nodes=3, but this block has 2 node\(s\) \(n1, n2\)"
    with pytest.raises(InvalidResourceSpecification, match=expected):
        with NodePool(["n1", "n2"], str(tmp_path / "pool.json")).hold(3):
            pass


def test_an_mpi_block_is_one_job_of_its_nodes_with_workers_on_the_first():
    provider = SlurmProvider(partition="x", nodes_per_block=2, cores_per_node=1, init_blocks=1, max_blocks=3,
                             launcher=SimpleLauncher())
    plan = MPIExecutor(provider=provider, max_workers_per_block=4)._plan
    assert (plan.jobs, plan.maximum_jobs) == (1, 3)
    assert plan.options["nodes_per_job"] == 2 and plan.options["processes"] == 4
    htex_form = HighThroughputExecutor(provider=provider, enable_mpi_mode=True, mpi_launcher="srun",
                                       max_workers_per_node=4)._plan
    assert (htex_form.jobs, htex_form.options) == (plan.jobs, plan.options)
    with pytest.raises(ConfigurationError, match="launcher=SimpleLauncher"):
        MPIExecutor(provider=SlurmProvider(nodes_per_block=2, cores_per_node=1, launcher=SrunLauncher()))
    with pytest.raises(ConfigurationError, match="sge jobs have one node each"):
        MPIExecutor(provider=GridEngineProvider(nodes_per_block=2, launcher=SimpleLauncher()))
    with pytest.raises(ConfigurationError, match="mpi_launcher='mpirun' is not one of"):
        MPIExecutor(provider=provider, mpi_launcher="mpirun")


def test_every_parameter_of_parsls_mpi_executor_is_accepted():
    import inspect

    import parsl.executors

    assert set(inspect.signature(parsl.executors.MPIExecutor).parameters) <= set(
        inspect.signature(MPIExecutor).parameters)
