"""The command lines of Parsl's multi-node launchers, for the workers of a job of many nodes.

A job of ``nodes`` nodes runs one launch command on its first node; the launcher
(``srun``, ``mpiexec``, ``aprun``, ...) starts one copy of the worker command per
node, as Parsl's launcher of the same name and arguments does. Each copy names its
workers by the index the launcher gives it (``SLURM_PROCID``, the MPI rank, ...),
so every worker of the job has a name of its own. The worker command goes to the
launcher as one quoted argument, so nothing in it is expanded before it reaches
its node, and no command file is needed on a shared file system.
"""
from __future__ import annotations

import shlex
from typing import Any

#: the launchers that start the worker command on one node only (the first of a job)
ONE_NODE_LAUNCHERS = ("SimpleLauncher", "SingleNodeLauncher")
#: the shell expression each multi-node launcher's copies read their index from (a copy
#: that finds none fails, rather than take a name another copy has)
TASK_INDEX = {
    "SrunLauncher": "${SLURM_PROCID:?}",
    "SrunMPILauncher": "${DASK_PARSL_NODE_INDEX:?}",  # one step per node: set by the step's loop
    "MpiExecLauncher": "${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:?no MPI rank}}}",
    "MpiRunLauncher": "${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:?no MPI rank}}}",
    "AprunLauncher": "${ALPS_APP_PE:?}",
    "JsrunLauncher": "${JSM_NAMESPACE_RANK:-${OMPI_COMM_WORLD_RANK:?no jsrun rank}}",
    "GnuParallelLauncher": "$((${PARALLEL_SEQ:?} - 1))",
}
#: each multi-node launcher's command line, for one task on each of ``nodes`` nodes
_LAUNCH_LINES = {
    "SrunLauncher": "srun --ntasks {nodes} -l {overrides} bash",
    "SrunMPILauncher": "srun --exclusive --nodes 1 -l {overrides} bash",
    "MpiExecLauncher": 'mpiexec {bind_cmd} none {overrides} -n {nodes} --hostfile "$HOSTFILE" /usr/bin/sh',
    "MpiRunLauncher": "mpirun -np {nodes} {overrides} {bash_location}",
    "AprunLauncher": "aprun -n {nodes} -N 1 {overrides} /bin/bash",
    "JsrunLauncher": "jsrun -n {nodes} -r 1 {overrides} /bin/bash",
    "GnuParallelLauncher": 'parallel --env _ --joblog /dev/null --sshloginfile "$SSHLOGINFILE" --jobs 1',
}
#: the job's nodes, one line each, for the launchers that take a file of them (PBS's node
#: file, Slurm's node list, LSF's and OAR's host files, else this node); removed at the end
_NODE_FILE = "\n".join([
    "{name}=$(mktemp)",
    "trap 'rm -f \"${name}\"' EXIT",
    'if [ -n "$PBS_NODEFILE" ]; then sort -u "$PBS_NODEFILE"',
    'elif [ -n "$SLURM_JOB_NODELIST" ]; then scontrol show hostnames "$SLURM_JOB_NODELIST"',
    'elif [ -n "$LSB_DJOB_HOSTFILE" ]; then sort -u "$LSB_DJOB_HOSTFILE"',
    'elif [ -n "$OAR_NODEFILE" ]; then sort -u "$OAR_NODEFILE"',
    'else hostname; fi > "${name}"',
])


def is_multi_node(launcher: Any) -> bool:
    """Whether ``launcher`` (ours or Parsl's) starts copies of a command on many nodes."""
    return type(launcher).__name__ in TASK_INDEX


def launch_prefix(launcher: Any, nodes: int) -> str:
    """The launch command before the per-task command, with the arguments Parsl's
    launcher gives it for one task per node (Parsl's HighThroughputExecutor starts one
    worker pool per node, as here one ``dask worker`` group). It ends with the shell
    that runs the per-task command (GNU parallel reads commands from its input)."""
    kind = type(launcher).__name__
    if kind not in _LAUNCH_LINES:
        raise ValueError(f"{kind} is not a multi-node launcher (one of {sorted(_LAUNCH_LINES)})")
    options = {name: getattr(launcher, name, "") for name in ("overrides", "bind_cmd", "bash_location")}
    return _LAUNCH_LINES[kind].format(nodes=nodes, **options)


def launch_script(launcher: Any, command: str, nodes: int) -> str:
    """Shell lines that run ``command`` once on each of ``nodes`` nodes through
    ``launcher``, and wait for them all."""
    kind = type(launcher).__name__
    prefix = launch_prefix(launcher, nodes)
    quoted = shlex.quote(command)
    if kind == "SrunMPILauncher":  # one step per node, as Parsl starts them; a step of one
        # node would inherit the job's task count, and srun would refuse it
        return (f"unset SLURM_NTASKS SLURM_NPROCS\nfor node in $(seq 0 {nodes - 1}); do\n"
                f"    DASK_PARSL_NODE_INDEX=$node {prefix} -c {quoted} &\ndone\nwait")
    if kind == "MpiExecLauncher":
        return f"{_NODE_FILE.format(name='HOSTFILE')}\n{prefix} -c {quoted}"
    if kind == "GnuParallelLauncher":  # parallel reads one command per line
        lines = f"for task in $(seq {nodes}); do echo {quoted}; done"
        return f"{_NODE_FILE.format(name='SSHLOGINFILE')}\n{lines} | {prefix}"
    return f"{prefix} -c {quoted}"


def with_task_name(command: str, name: str, launcher: Any) -> str:
    """``command`` (a ``dask worker`` command line with ``--name name``) naming its workers
    ``name-<task index>`` in each copy the launcher starts."""
    given = f"--name {name} "
    if given not in command + " ":
        raise ValueError(f"the worker command has no {given.strip()!r}: {command}")
    index = TASK_INDEX[type(launcher).__name__]
    return (command + " ").replace(given, f'--name "{name}-{index}" ', 1).rstrip()
