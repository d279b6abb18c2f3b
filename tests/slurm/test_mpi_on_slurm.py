"""MPI apps on the real two-node Slurm: a bash app runs a real MPI program (Open MPI, launched
by srun through PMIx) across the nodes its resource specification reserves, in a batch job
of two nodes and inside an allocation."""
import os
import shutil
import subprocess
import sys

import pytest

import dask_parsl as parsl
from dask_parsl import Config, MPIExecutor, bash_app
from dask_parsl.providers import SimpleLauncher, SlurmProvider

pytestmark = pytest.mark.slurm

PROGRAM = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "hello_mpi.c")


@pytest.fixture(scope="module")
def hello_mpi(tmp_path_factory):
    if shutil.which("mpicc") is None:
        pytest.fail("mpicc is not installed: ci/start_slurm.sh installs Open MPI")
    binary = str(tmp_path_factory.mktemp("mpi") / "hello_mpi")
    subprocess.run(["mpicc", "-o", binary, PROGRAM], check=True)
    return binary


@bash_app
def run_mpi(program, stdout=None, parsl_resource_specification=None):
    return f'echo "reserved $PARSL_MPI_NODELIST"; $PARSL_MPI_PREFIX {program} && sleep 1'


def ranks_of(path):
    """(reserved nodes, {rank: (ranks, node, sum)}) from an app's output."""
    lines = open(path).read().splitlines()
    reserved = lines[0].split()[1].split(",")
    ranks = {}
    for line in lines[1:]:
        words = line.replace(",", "").split()  # rank R of N on NODE sum S
        ranks[int(words[1])] = (int(words[3]), words[5], int(words[7]))
    return reserved, ranks


def mpi_block():
    provider = SlurmProvider(partition="debug", nodes_per_block=2, cores_per_node=1, mem_per_node=1,
                             init_blocks=1, max_blocks=1, walltime="00:10:00", exclusive=False,
                             launcher=SimpleLauncher())
    return MPIExecutor(label="mpi", provider=provider, mpi_launcher="srun", max_workers_per_block=2)


def test_an_mpi_program_runs_its_ranks_on_the_reserved_nodes(run_dir, tmp_path, hello_mpi):
    spec = {"num_nodes": 2, "ranks_per_node": 1, "launcher_options": "--mpi=pmix"}
    with parsl.load(Config(executors=[mpi_block()], run_dir=run_dir)):
        both = str(tmp_path / "both.out")
        assert run_mpi(hello_mpi, stdout=both, parsl_resource_specification=spec).result(timeout=180) == 0
        reserved, ranks = ranks_of(both)
        assert sorted(reserved) == ["n1", "n2"]
        assert ranks == {0: (2, "n1", 1), 1: (2, "n2", 1)}
        # two apps of one node each share the block: each has a node of its own
        one_node = {"num_nodes": 1, "launcher_options": "--mpi=pmix"}
        outputs = [str(tmp_path / f"single{i}.out") for i in range(2)]
        futures = [run_mpi(hello_mpi, stdout=out, parsl_resource_specification=dict(one_node))
                   for out in outputs]
        assert [f.result(timeout=180) for f in futures] == [0, 0]
        reserved_by_each = []
        for out in outputs:
            reserved, ranks = ranks_of(out)
            assert ranks == {0: (1, reserved[0], 0)}
            reserved_by_each += reserved
        assert sorted(reserved_by_each) == ["n1", "n2"]  # side by side (two workers), never on one node


SCRIPT = """
import sys

import dask_parsl as parsl
from dask_parsl import Config, MPIExecutor, bash_app
from dask_parsl.providers import LocalProvider, SimpleLauncher


@bash_app
def run_mpi(program, stdout=None, parsl_resource_specification=None):
    return f"$PARSL_MPI_PREFIX {program}"


executor = MPIExecutor(label="mpi", mpi_launcher="srun",
                       provider=LocalProvider(nodes_per_block=2, launcher=SimpleLauncher()))
parsl.load(Config(executors=[executor], run_dir=sys.argv[2]))
spec = {"num_nodes": 2, "ranks_per_node": 1, "launcher_options": "--mpi=pmix"}
print("EXIT", run_mpi(sys.argv[1], stdout=sys.argv[3], parsl_resource_specification=spec).result())
"""


def test_an_mpi_app_inside_salloc_runs_across_the_allocations_nodes(tmp_path, hello_mpi):
    script = tmp_path / "workflow.py"
    script.write_text(SCRIPT)
    output = tmp_path / "ranks.out"
    command = [sys.executable, str(script), hello_mpi, str(tmp_path / "runinfo"), str(output)]
    done = subprocess.run(["salloc", "-N", "2", "-n", "2", "--time=10", *command], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and "EXIT 0" in done.stdout, done.stdout + done.stderr
    assert "ParslOptionIgnored" not in done.stderr
    ranks = sorted(open(output).read().splitlines())
    assert ranks == ["rank 0 of 2 on n1, sum 1", "rank 1 of 2 on n2, sum 1"]
