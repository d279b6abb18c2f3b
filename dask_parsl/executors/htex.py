"""Parsl's ``HighThroughputExecutor``, as Dask workers in jobs of Parsl's providers."""
from __future__ import annotations

import math
import uuid
from typing import Any, Mapping, Sequence

from ..errors import warn_ignored
from ..providers import LocalProvider
from .accelerators import accelerator_names
from .dask_executor import DaskExecutor
from .htex_options import apply_options, ignored_options
from .mpi import check_mpi_specification, mpi_launcher_named, plan_mpi_cluster
from .mpi_nodes import MpiNodes
from .provider_mapping import nodes_per_block, plan_cluster
from .resources import nothing_offered, options_for


class HighThroughputExecutor(DaskExecutor):
    """Parsl's ``HighThroughputExecutor``, as Dask workers provisioned by ``provider``.

    Takes every parameter of Parsl's executor. Those with a Dask meaning are
    mapped onto the cluster it builds (a LocalCluster for ``LocalProvider``, the
    default; a dask-jobqueue cluster for a batch provider); the others are
    accepted and, given another value than Parsl's default, named in one
    ``dask_parsl.errors.ParslOptionIgnored`` warning. The "Parsl's executor,
    Config, provider and launcher options" page lists each option's mapping.

    Parameters
    ----------
    label, provider, storage_access, working_dir
        As in Parsl (``working_dir``: where staged files go).
    cores_per_worker, mem_per_worker, max_workers_per_node
        Each job (or the LocalCluster) runs ``cores / cores_per_worker``
        single-threaded worker processes, at most ``max_workers_per_node``, and
        no more than the node's memory (GiB) holds at ``mem_per_worker`` GiB
        each; ``mem_per_worker`` is also each worker's Dask memory limit.
    available_accelerators
        Names, or a count N (``"0"`` to ``"N-1"``): one worker per accelerator
        on each node, pinned to it through ``CUDA_VISIBLE_DEVICES``,
        ``ROCR_VISIBLE_DEVICES`` and ``ZE_AFFINITY_MASK``.
    address
        The address workers reach the scheduler on (it listens there).
    worker_port_range, worker_port, interchange_port_range
        Each worker listens on a free port of ``worker_port_range``; the
        scheduler listens on ``worker_port`` (the port workers connect to),
        or else on a free port of ``interchange_port_range``. Unset: any
        free port.
    heartbeat_threshold
        Seconds without news from a worker before the scheduler removes it
        (``distributed.scheduler.worker-ttl``; unset: Dask's 5 minutes), and
        without its scheduler before a worker closes (``death_timeout``).
    worker_debug
        Workers log at DEBUG level.
    worker_logdir_root
        Workers log app task records in ``<worker_logdir_root>/<label>``
        (default ``run_dir/NNN/worker_logs``); batch jobs write their output there.
    address_probe_timeout
        Seconds a worker tries to connect before giving up
        (``distributed.comm.timeouts.connect``).
    encrypted
        ``True``: TLS between client, scheduler and workers, with a temporary
        certificate (addresses are ``tls://``). ``False``: plain TCP. ``None``
        (unset): the ``parsl.encrypted`` setting, true by default (``executors.tls``).
    enable_mpi_mode, mpi_launcher
        Parsl's earlier form of ``MPIExecutor``: apps get nodes of their block, and
        ``$PARSL_MPI_PREFIX`` for ``mpi_launcher`` (``srun``, ``mpiexec``, ``aprun``).

    ``Config(strategy=None)`` keeps ``init_blocks`` jobs; otherwise jobs adapt
    between ``min_blocks`` and ``max_blocks`` every ``Config(strategy_period=...)``
    seconds, and idle ones are released after ``Config(max_idletime=...)`` seconds.

    Examples
    --------
    Parsl's ``parsl/configs/htex_local.py``, with dask_parsl's imports:

    >>> HighThroughputExecutor(label="htex_local", cores_per_worker=1,
    ...                        provider=LocalProvider(init_blocks=1, max_blocks=1))
    <HighThroughputExecutor label='htex_local' not started>
    """

    def __init__(
        self,
        label: str = "HighThroughputExecutor",
        provider: Any = None,
        *,
        launch_cmd: str | None = None,
        interchange_launch_cmd: Sequence[str] | None = None,
        address: str | None = None,
        loopback_address: str = "127.0.0.1",
        worker_port: int | None = None,
        worker_port_range: tuple[int, int] | None = None,
        interchange_port_range: tuple[int, int] | None = None,
        storage_access: list | None = None,
        working_dir: str | None = None,
        worker_debug: bool = False,
        cores_per_worker: float = 1.0,
        mem_per_worker: float | None = None,
        max_workers_per_node: float | None = None,
        cpu_affinity: str = "none",
        available_accelerators: int | Sequence[str] = (),
        prefetch_capacity: int = 0,
        heartbeat_threshold: float | None = None,
        heartbeat_period: float = 30,
        drain_period: float | None = None,
        poll_period: int = 10,
        address_probe_timeout: float | None = None,
        worker_logdir_root: str | None = None,
        manager_selector: Any = None,
        block_error_handler: Any = True,
        encrypted: bool | None = None,
        remote_monitoring_radio: Any = None,
        enable_mpi_mode: bool = False,
        mpi_launcher: str = "mpiexec",
    ) -> None:
        ignored = ignored_options({
            "launch_cmd": launch_cmd, "interchange_launch_cmd": interchange_launch_cmd,
            "loopback_address": loopback_address, "cpu_affinity": cpu_affinity,
            "prefetch_capacity": prefetch_capacity, "heartbeat_period": heartbeat_period,
            "drain_period": drain_period, "poll_period": poll_period, "manager_selector": manager_selector,
            "block_error_handler": block_error_handler, "remote_monitoring_radio": remote_monitoring_radio,
        })
        accelerators = accelerator_names(available_accelerators)
        max_workers = max_workers_per_node or math.inf
        if accelerators:
            max_workers = min(max_workers, len(accelerators))
        provider = provider or LocalProvider()
        self.mpi_nodes: int | None = None  # in MPI mode: the nodes of a block
        if enable_mpi_mode:
            for name, value in (("cores_per_worker", cores_per_worker), ("mem_per_worker", mem_per_worker)):
                if value not in (None, 1.0):
                    ignored[name] = "in MPI mode, max_workers_per_node workers run on a block's first node"
            plan = plan_mpi_cluster(provider, max_workers, ignored)
            self.mpi_nodes = nodes_per_block(provider)
            self.requires_resource_specification = True
            pool_name = f"{label}-{uuid.uuid4().hex}"  # (each run's apps share their nodes' pool)
            plan.worker_plugins.append(MpiNodes(mpi_launcher_named(mpi_launcher), pool_name))
        else:
            plan = plan_cluster(provider, max_workers, cores_per_worker, mem_per_worker, ignored=ignored)
        ignored.update(apply_options(
            plan, label, address=address, worker_port=worker_port, worker_port_range=worker_port_range,
            interchange_port_range=interchange_port_range, heartbeat_threshold=heartbeat_threshold,
            worker_debug=worker_debug, worker_logdir_root=worker_logdir_root, accelerators=accelerators,
            encrypted=encrypted, address_probe_timeout=address_probe_timeout))
        warn_ignored(f"HighThroughputExecutor(label={label!r})", ignored)
        super().__init__(label, provider=plan, storage_access=storage_access, working_dir=working_dir)

    def dask_options(self, specification: Mapping) -> dict | None:
        """``priority`` only (lower runs first), as Parsl's HighThroughputExecutor; in MPI
        mode, Parsl's MPI keys (``num_nodes``, ...), completed here as Parsl does."""
        if self.mpi_nodes is not None:
            check_mpi_specification(specification, self.mpi_nodes)
            return None
        return options_for(self.label, specification, nothing_offered)
