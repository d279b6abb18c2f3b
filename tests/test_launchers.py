"""Parsl's launchers start a multi-node job's workers with the command line Parsl's own
launcher of the same name and arguments runs (compared with the installed Parsl),
and name each node's workers uniquely; batch systems ask for the block's nodes in one
job. The launch on real nodes runs in tests/slurm/test_multi_node.py."""
import re
import shlex
import warnings

import parsl.launchers
import pytest
from dask_jobqueue import LSFCluster, OARCluster, PBSCluster, SGECluster, SLURMCluster

from dask_parsl import ConfigurationError, ParslOptionIgnored, multi_node_class
from dask_parsl import providers as ours
from dask_parsl.executors.launch_commands import TASK_INDEX, launch_prefix, launch_script
from dask_parsl.executors.provider_mapping import plan_cluster

LAUNCHERS = [
    ("SrunLauncher", {"overrides": "--cpu-bind=cores --gpus-per-task=1"}),
    ("SrunMPILauncher", {"overrides": "--mpi=pmix"}),
    ("MpiExecLauncher", {"bind_cmd": "--bind-to", "overrides": "--ppn 1"}),
    ("MpiExecLauncher", {"bind_cmd": "--cpu-bind", "overrides": ""}),
    ("MpiRunLauncher", {"bash_location": "/usr/bin/bash", "overrides": "-x PATH"}),
    ("AprunLauncher", {"overrides": "-cc depth"}),
    ("JsrunLauncher", {"overrides": "-a 1 -c 42"}),
    ("GnuParallelLauncher", {}),
]
_LAUNCH_PROGRAMS = ("srun", "mpiexec", "mpirun", "aprun", "jsrun", "parallel")
_FILE_OPTIONS = ("--hostfile", "--sshloginfile", "--joblog")


def launch_tokens(line: str, nodes: int) -> list[str]:
    """A launch line's words, up to the shell that runs the per-task command: counts spelled
    out, and the files the launcher reads or writes named by their option only."""
    line = line.replace("$WORKERCOUNT", str(nodes)).replace("$NODES_PER_BLOCK", "1")
    words = shlex.split(line.split("${SCRIPT_DIR")[0].split(" -c ")[0])
    return ["<file>" if i and words[i - 1] in _FILE_OPTIONS else word for i, word in enumerate(words)]


def parsl_launch_line(script: str) -> str:
    """The line of a Parsl launcher's script that runs the launcher for one task per node
    (continuations joined)."""
    joined = script.replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip().startswith(_LAUNCH_PROGRAMS)]
    if len(lines) > 1:  # SrunMPILauncher: one step per node when there are as many tasks as nodes
        lines = [line for line in lines if "--nodes $NODES_PER_BLOCK" in line]
    assert len(lines) == 1, script
    return lines[0]


@pytest.mark.parametrize("nodes", [2, 5])
@pytest.mark.parametrize("kind, options", LAUNCHERS)
def test_the_launch_line_is_parsls_for_the_same_arguments(kind, options, nodes):
    theirs = getattr(parsl.launchers, kind)(**options)
    script = theirs("COMMAND", 1, nodes)  # one worker pool per node, as Parsl's executor asks
    expected = launch_tokens(parsl_launch_line(script), nodes)
    if kind == "GnuParallelLauncher":  # Parsl's commands come from a file, ours from a pipe
        expected = expected[:expected.index("<")]
    mine = getattr(ours, kind)(**options)
    assert launch_tokens(launch_prefix(mine, nodes), nodes) == expected
    assert launch_prefix(mine, nodes) in launch_script(mine, "COMMAND", nodes)
    assert launch_prefix(theirs, nodes) == launch_prefix(mine, nodes)  # Parsl's own object: the same


@pytest.mark.parametrize("kind", sorted(TASK_INDEX))
def test_each_copy_of_the_worker_command_is_named_by_its_task_index(kind):
    cluster_class = multi_node_class(SLURMCluster)
    with cluster_class(nodes_per_job=2, launcher=getattr(ours, kind)(), cores=1, processes=1, memory="1GB",
                       scheduler_options={"dashboard_address": ":0"}) as cluster:
        script = cluster.job_script()
    assert f'--name "dummy-name-{TASK_INDEX[kind]}"' in script
    assert cluster.new_spec["group"] == ["-0", "-1"]


def test_one_node_launchers_give_the_worker_command_as_parsl_does(tmp_path):
    command = "python -m distributed.cli.dask_worker tcp://h:1 --name w --nworkers 2"
    assert parsl.launchers.WrappedLauncher("apptainer exec img.sif")(command, 1, 1) == (
        f"apptainer exec img.sif {command}")
    provider = ours.SlurmProvider(cores_per_node=2, launcher=ours.WrappedLauncher("apptainer exec img.sif"))
    assert plan_cluster(provider).options["python"].startswith("apptainer exec img.sif ")
    assert parsl.launchers.SimpleLauncher()(command, 1, 1) == command
    # SingleNodeLauncher starts tasks_per_node copies; one `dask worker --nworkers` does here
    for launcher in (ours.SingleNodeLauncher(), ours.SimpleLauncher()):
        plan = plan_cluster(ours.SlurmProvider(cores_per_node=2, launcher=launcher))
        assert plan.options["processes"] == 2 and "nodes_per_job" not in plan.options


def job_script(cluster_class, nodes, launcher, **options):
    with multi_node_class(cluster_class)(nodes_per_job=nodes, launcher=launcher, cores=4, processes=2,
                                         memory="8GB", scheduler_options={"dashboard_address": ":0"},
                                         **options) as cluster:
        assert cluster.new_spec["group"] == [f"-{n}-{p}" for n in range(nodes) for p in range(2)]
        return cluster.job_script()


def test_each_batch_system_asks_for_the_nodes_of_a_block_in_one_job():
    slurm = job_script(SLURMCluster, 3, ours.SrunLauncher())
    assert "#SBATCH --nodes=3\n#SBATCH --ntasks-per-node=1" in slurm and "#SBATCH -n 1\n" not in slurm
    assert "srun --ntasks 3 -l" in slurm
    assert "#PBS -l select=3:ncpus=4" in job_script(PBSCluster, 3, ours.MpiExecLauncher())
    assert "#PBS -l nodes=3:ppn=4" in job_script(PBSCluster, 3, ours.AprunLauncher(),
                                                 resource_spec="nodes=1:ppn=4")
    lsf = job_script(LSFCluster, 3, ours.JsrunLauncher())
    assert "#BSUB -n 12" in lsf and 'span[ptile=4]' in lsf
    lsf = job_script(LSFCluster, 3, ours.JsrunLauncher(), ncpus=8)  # a node's slots, not its workers
    assert "#BSUB -n 24" in lsf and 'span[ptile=8]' in lsf
    oar = job_script(OARCluster, 3, ours.GnuParallelLauncher(), memory_per_core_property_name="memcore")
    assert "/nodes=3/" in oar
    with pytest.raises(ConfigurationError, match="SGECluster jobs have one node each"):
        multi_node_class(SGECluster)
    with pytest.raises(ConfigurationError, match="nodes_per_job needs one of Parsl's launchers"):
        job_script(SLURMCluster, 2, ours.WrappedLauncher("time"))


def test_with_a_simple_launcher_the_workers_run_on_the_first_node_only():
    cluster_class = multi_node_class(SLURMCluster)
    with cluster_class(nodes_per_job=3, launcher=ours.SimpleLauncher(), cores=2, processes=2, memory="2GB",
                       scheduler_options={"dashboard_address": ":0"}) as cluster:
        script = cluster.job_script()
        assert cluster.new_spec["group"] == ["-0", "-1"]
    assert "#SBATCH --nodes=3" in script and "srun" not in script
    assert script.splitlines()[-1].split()[1:3] == ["-m", "distributed.cli.dask_worker"]


def test_the_users_slurm_directives_come_after_the_node_request_and_one_node_changes_nothing():
    slurm = job_script(SLURMCluster, 2, ours.SrunLauncher(), job_extra_directives=["--ntasks-per-node=4"])
    assert slurm.index("--ntasks-per-node=1") < slurm.index("--ntasks-per-node=4")
    for cluster_class in (PBSCluster, LSFCluster, OARCluster, SLURMCluster):
        options = {"cores": 1, "processes": 1, "memory": "1GB",
                   "scheduler_options": {"dashboard_address": ":0"}}
        if cluster_class is OARCluster:
            options["memory_per_core_property_name"] = "memcore"
        with multi_node_class(cluster_class)(nodes_per_job=1, launcher=ours.SimpleLauncher(),
                                             **options) as one_node, cluster_class(**options) as plain:
            assert one_node.job_header == plain.job_header


def test_a_parsl_block_of_several_nodes_is_one_job_with_the_launchers_options():
    warnings.simplefilter("error", ParslOptionIgnored)  # (pytest restores the filters)
    launcher = ours.MpiExecLauncher(bind_cmd="--cpu-bind", overrides="--ppn 1")
    plan = plan_cluster(ours.PBSProProvider(cpus_per_node=4, nodes_per_block=3, init_blocks=2, max_blocks=5,
                                            launcher=launcher))
    assert (plan.jobs, plan.minimum_jobs, plan.maximum_jobs) == (2, 0, 5)
    assert plan.options["nodes_per_job"] == 3 and plan.options["launcher"] is launcher
    theirs = parsl.launchers.SrunLauncher(overrides="--exclusive")  # Parsl's own object
    plan = plan_cluster(ours.SlurmProvider(cores_per_node=1, nodes_per_block=2, launcher=theirs))
    assert plan.options["launcher"] is theirs and plan.jobs == 1


def test_a_block_of_one_job_per_node_where_jobs_have_one_node():
    provider = ours.GridEngineProvider(nodes_per_block=2, max_blocks=2, launcher=ours.MpiRunLauncher())
    with pytest.warns(ParslOptionIgnored, match=re.escape("GridEngineProvider.launcher (MpiRunLauncher)")):
        plan = plan_cluster(provider, max_workers_per_node=2)
    assert (plan.jobs, plan.maximum_jobs) == (2, 4) and "nodes_per_job" not in plan.options
