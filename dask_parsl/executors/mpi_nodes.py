"""The nodes of a block that MPI apps hold while they run.

The workers of an MPI executor run on the first node of each block (in the batch
job's own step, as Parsl's MPI mode runs its worker pool; a worker inside an
``srun`` step would hold CPUs that the ranks' own ``srun`` then waits for). Each
worker process runs one app at a time; the block's nodes are shared between them
through a small file on that node, written under a lock, saying which process holds
which node. An app asking for more nodes than are free waits for them; nodes held by
a process that died are free again.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import stat
import subprocess
import tempfile
import time
from typing import Any, Iterator

from distributed import WorkerPlugin

from ..apps.call import run_each_call_in
from .errors import InvalidResourceSpecification
from .mpi import mpi_environment

PLUGIN_NAME = "dask-parsl-mpi-nodes"


def nodes_of_this_job() -> list[str]:
    """The node names of the batch job this process runs in (Slurm, PBS, LSF, OAR), else
    this host."""
    if os.environ.get("SLURM_JOB_NODELIST"):
        listed = subprocess.run(["scontrol", "show", "hostnames", os.environ["SLURM_JOB_NODELIST"]],
                                capture_output=True, text=True, check=True, timeout=30).stdout
        return listed.split()
    for variable in ("PBS_NODEFILE", "LSB_DJOB_HOSTFILE", "OAR_NODEFILE"):  # a line per slot
        if os.environ.get(variable):
            with open(os.environ[variable]) as nodefile:
                return list(dict.fromkeys(line.strip() for line in nodefile if line.strip()))
    return [socket.gethostname()]


def private_directory() -> str:
    """This user's directory for node pools on this node: made with mode 0700, and refused
    if someone else owns it or others can write to it."""
    path = os.path.join(tempfile.gettempdir(), f"dask-parsl-mpi-{os.getuid()}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise PermissionError(f"{path} is not a private directory of this user: remove it")
    return path


class NodePool:
    """The nodes ``nodes`` of one block, shared by the worker processes of its first node."""

    def __init__(self, nodes: list[str], path: str, poll: float = 0.2) -> None:
        self.nodes = nodes
        self.path = path
        self.poll = poll

    @contextlib.contextmanager
    def hold(self, count: int) -> Iterator[list[str]]:
        """``count`` nodes, which no other app is given until the ``with`` block ends."""
        if count > len(self.nodes):
            raise InvalidResourceSpecification(
                {"num_nodes"}, f"The call asks for num_nodes={count}, but this block has "
                f"{len(self.nodes)} node(s) ({', '.join(self.nodes)}).")
        while (taken := self._take(count)) is None:
            time.sleep(self.poll)
        try:
            yield taken
        finally:
            self._give_back(taken)

    def _take(self, count: int) -> list[str] | None:
        with self._locked() as holders:
            free = [node for node in self.nodes if node not in holders]
            if len(free) < count:
                return None
            holders.update(dict.fromkeys(free[:count], os.getpid()))
            return free[:count]

    def _give_back(self, nodes: list[str]) -> None:
        with self._locked() as holders:
            for node in nodes:
                holders.pop(node, None)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, int]]:
        """Which process holds which node, read under the pool's lock and replaced whole
        (a process killed meanwhile leaves the last state); nodes of processes no longer
        running are left out."""
        descriptor = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with open(descriptor) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(self.path) as state:
                    held = json.load(state)
            except FileNotFoundError:
                held = {}
            holders = {node: pid for node, pid in held.items() if _alive(pid)}
            yield holders
            with open(self.path + ".new", "w") as state:
                json.dump(holders, state)
            os.replace(self.path + ".new", self.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MpiNodes(WorkerPlugin):
    """Gives each MPI app call on this worker the nodes it asks for, and Parsl's MPI
    variables in ``os.environ`` while it runs (``launcher``: ``PARSL_MPI_PREFIX``)."""

    name = PLUGIN_NAME

    def __init__(self, launcher: str, pool_name: str) -> None:
        self.launcher = launcher
        self.pool_name = pool_name

    def setup(self, worker: Any) -> None:
        job = os.environ.get("SLURM_JOB_ID") or os.environ.get("PBS_JOBID") or "local"
        path = os.path.join(private_directory(), f"{self.pool_name}-{job}.json")
        self.pool = NodePool(nodes_of_this_job(), path)
        run_each_call_in(self.environment)

    def teardown(self, worker: Any) -> None:
        run_each_call_in(None)

    @contextlib.contextmanager
    def environment(self, kwargs: dict) -> Iterator[None]:
        specification = kwargs.get("parsl_resource_specification")
        if not specification:
            yield
            return
        with self.pool.hold(specification["num_nodes"]) as nodes:
            variables = mpi_environment(self.launcher, specification, nodes)
            before = {name: os.environ.get(name) for name in variables}
            os.environ.update(variables)
            try:
                yield
            finally:
                for name, value in before.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
