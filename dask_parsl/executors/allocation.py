"""Workers on every node of the allocation a script runs in.

Sites that allow no long-lived process on login nodes have users run the whole
workflow inside one allocation (``salloc``/``sbatch``), with Parsl's
``LocalProvider(nodes_per_block=N, launcher=SrunLauncher())``. dask_parsl does the
same: the scheduler runs in the script's process, and each block is one launcher
step (``srun``) starting a worker group on each of its ``N`` nodes; no batch job is
submitted. Closing the cluster ends the steps, and so do the script's exit and a
lost script (workers give up on a scheduler gone for ``death_timeout``).
"""
from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import weakref
from dataclasses import dataclass, field

from distributed import LocalCluster

logger = logging.getLogger(__name__)

#: the launchers that start workers on the nodes of the allocation (one ``srun`` step)
SRUN_LAUNCHERS = ("SrunLauncher", "SrunMPILauncher")


@dataclass
class AllocationPlan:
    """Blocks of ``nodes`` nodes each, started by ``launcher`` (``srun`` and its options)."""

    launcher: list[str]
    nodes: int
    blocks: int
    workers_per_node: int
    worker_options: list[str] = field(default_factory=list)


def in_slurm_allocation() -> bool:
    """Whether this process runs inside a Slurm allocation (``salloc``, ``sbatch``)."""
    return "SLURM_JOB_ID" in os.environ


def srun_prefix(nodes: int, overrides: str = "") -> list[str]:
    """An ``srun`` step of one task on each of ``nodes`` nodes of the allocation; it may
    share CPUs with the batch step (``--overlap``), which runs the script itself."""
    return ["srun", f"--nodes={nodes}", f"--ntasks={nodes}", "--ntasks-per-node=1", "--overlap",
            "--kill-on-bad-exit=0", *shlex.split(overrides)]


class AllocationCluster(LocalCluster):
    """A scheduler in this process, with the workers of ``allocation``'s launcher steps."""

    def __init__(self, allocation: AllocationPlan, certificate: str | None, log_directory: str,
                 **local_options) -> None:
        self.allocation = allocation
        self.certificate = certificate  # (a file the nodes share: the run directory's)
        self.log_directory = log_directory
        self.steps: list[subprocess.Popen] = []
        self._finalizer = weakref.finalize(self, _stop_steps, self.steps)
        super().__init__(n_workers=0, **local_options)
        for block in range(allocation.blocks):
            self.steps.append(self._start_block(block))

    def worker_command(self, block: int) -> str:
        """The shell command of one node's worker group of ``block``, named by node."""
        tls = []
        if self.certificate:
            tls = [f"--tls-{option}={self.certificate}" for option in ("ca-file", "cert", "key")]
        command = [sys.executable, "-m", "distributed.cli.dask_worker", self.scheduler_address,
                   "--nworkers", str(self.allocation.workers_per_node), "--nthreads", "1",
                   "--death-timeout", "60", *tls, *self.allocation.worker_options]
        name = f"{self.name}-{block}-${{SLURM_NODEID}}"
        return f'exec {shlex.join(command)} --name "{name}"'

    def _start_block(self, block: int) -> subprocess.Popen:
        argv = [*self.allocation.launcher, "bash", "-c", self.worker_command(block)]
        log = os.path.join(self.log_directory, f"block-{block}.log")
        logger.info("Starting block %d on %d nodes (log: %s): %s", block, self.allocation.nodes, log,
                    shlex.join(argv))
        os.makedirs(self.log_directory, exist_ok=True)
        with open(log, "ab") as output:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def close(self, timeout: float | None = None):
        """Close the scheduler, which ends the workers and so the steps; then end any step left."""
        try:
            return super().close(timeout)
        finally:
            _stop_steps(self.steps, grace=10)


def _stop_steps(steps: list[subprocess.Popen], grace: float = 0) -> None:
    """End the launcher steps: those still running after ``grace`` seconds get SIGTERM,
    which srun passes on to every node's task."""
    for step in steps:
        try:
            step.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    for step in steps:
        if step.poll() is None:
            step.send_signal(signal.SIGTERM)
    for step in steps:
        try:
            step.wait(timeout=20)
        except subprocess.TimeoutExpired:
            logger.warning("Launcher step %d did not end after SIGTERM: killing it", step.pid)
            os.killpg(step.pid, signal.SIGKILL)
            step.wait()
