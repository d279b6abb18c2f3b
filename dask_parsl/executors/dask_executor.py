"""``DaskExecutor``: apps run as tasks on a Dask cluster (embedded, given, or from a batch system)."""
from __future__ import annotations

import concurrent.futures
import logging
import os
import time
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from dask.utils import parse_bytes, parse_timedelta
from distributed import Client

from .. import parsl_aliases, settings
from ..dataflow.errors import ExecutorLost
from ..errors import ConfigurationError, warn_ignored
from ..internals import release_closed_scheduler, scheduler_id, send_to_scheduler
from ..scheduler.events import MEMO_TOPIC, RETRY_DECIDED_OP, SUBSCRIBE_OP, WORKFLOW_STATUS_OP
from ..scheduler.lost_workers import LossWitness
from ..scheduler.plugin import WorkflowPlugin
from ..scheduler.pushed_results import ResultPusher
from ..scheduler.quiet_shutdown import QuietWorkerShutdown
from ..scheduler.task_logs import WorkerTaskLogs
from ..scheduler.worker_streams import IdleWorkersReportAtOnce, WorkerStreams
from .base import Executor, TaskListener
from .batch import ClusterPlan, start_jobs
from .batching import GraphBatcher
from .completions import CompletionListener
from .job_renewal import renew_jobs_before_walltime
from .lost_jobs import LostJobs, watch_for_lost_jobs
from .own_clusters import client_for, start_cluster
from .provider_mapping import plan_cluster
from .reconnects import Reconnection
from .resources import options_for

if TYPE_CHECKING:
    from ..dataflow.events import EventStream

logger = logging.getLogger(__name__)


class DaskExecutor(Executor):
    """Runs apps on a Dask cluster.

    ``cluster`` may be a cluster object (``LocalCluster``, any dask-jobqueue
    cluster, anything with a ``scheduler_address``), a scheduler address
    string, a ``distributed.Client``, or ``None`` for an embedded
    ``LocalCluster``: worker processes with one thread each, one per core,
    scheduler and dashboard on 127.0.0.1. Keyword arguments are passed to the
    embedded ``LocalCluster``.

    ``storage_access`` lists the staging providers for ``File`` arguments and
    outputs (default ``DEFAULT_STAGING``: file, http/https, ftp, zip);
    ``working_dir`` is where staged files go (default ``run_dir/NNN/staging``),
    on a filesystem the workers share.
    """

    def __init__(
        self,
        label: str = "dask",
        cluster: Any = None,
        *,
        provider: Any = None,
        jobs: int | None = None,
        minimum_jobs: int | None = None,
        maximum_jobs: int | None = None,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        storage_access: list | None = None,
        working_dir: str | None = None,
        **cluster_kwargs: Any,
    ) -> None:
        if not isinstance(label, str) or not label:
            raise ValueError(f"executor label must be a non-empty string, not {label!r}")
        if cluster is not None and (n_workers is not None or cluster_kwargs or provider is not None):
            raise ValueError(
                "provider, n_workers and cluster keywords only apply when DaskExecutor "
                "starts its own cluster (cluster=None)"
            )
        self.label = label
        self.cluster = cluster
        self._plan = _plan_from(provider, cluster_kwargs, jobs, minimum_jobs, maximum_jobs)
        #: what each worker offers (``resources=``), when this executor starts the workers
        options = self._plan.options if self._plan is not None else cluster_kwargs
        self.declared_resources = dict(options.get("resources") or {})
        self._seen_resources: Mapping[str, float] | None = None  # those of a given cluster's workers
        self._no_workers_until = 0.0
        self.storage_access = storage_access
        self.working_dir = working_dir
        self._working_dir_given = working_dir
        self._local_kwargs = {
            "n_workers": n_workers or os.cpu_count() or 1, "threads_per_worker": threads_per_worker,
            "processes": True, "host": "127.0.0.1",
            **({} if self._plan is not None else cluster_kwargs),
        }
        self.client: Client | None = None
        self._owns_cluster = False
        self._owns_client = False
        self._listener: CompletionListener | None = None
        self._batcher: GraphBatcher | None = None
        self._plugin_registered = False
        self._resource_sampler: str | None = None  # the name of its worker plugin, once monitoring asks
        self._lost_jobs: LostJobs | None = None  # replaces a batch cluster's jobs that end early
        self._subscriptions: list[dict] = []  # what the scheduler's plugin was told about this kernel
        self._reconnect_timeout = 0.0

    # -- lifecycle -------------------------------------------------------
    def _connect(self) -> Client:
        if isinstance(self.cluster, Client):
            return self.cluster
        if self.cluster is None:
            self.cluster = start_cluster(self._plan, self._local_kwargs, self.run_dir, self.label)
            self._owns_cluster = True
        self._owns_client = True
        # the client's own reconnection attempts and calls to its scheduler give up when the kernel does
        return client_for(self.cluster, timeout=max(self._reconnect_timeout, 1.0))

    def start(self, run_dir: str, listener: TaskListener, config: Any = None) -> None:
        """Connect to (or start) the cluster, register ``WorkflowPlugin`` on its
        scheduler, submit the first batch jobs, and begin accepting tasks."""
        self.run_dir = run_dir
        self.working_dir = self._working_dir_given or os.path.join(run_dir, "staging")
        self._reconnect_timeout = parse_timedelta(settings.get("reconnect-timeout"))
        self.client = self._connect()
        for plugin in self._plan.worker_plugins if self._plan is not None else ():
            self.client.register_plugin(plugin)  # before any task runs (accelerator pinning)
        if parsl_aliases.installed():  # under dask-parsl run: functions may refer to parsl.*
            parsl_aliases.register_on(self.client)
        if settings.get("scheduler-plugin"):
            pushed = self._register_plugin()
            self._subscribe({"op": SUBSCRIBE_OP, "results": pushed})  # its tries (and small results)
        if self._owns_cluster and self._plan is not None and self._plan.batch_system is not None:
            self._start_jobs(config)
        self._lost_jobs = watch_for_lost_jobs(self.cluster)
        # what cached calls memoized comes with completions, or as events where the plugin is off
        memo_events = () if self._plugin_registered else (MEMO_TOPIC,)
        self._listener = CompletionListener(self.client, listener, topics=memo_events,
                                            reconnect_timeout=self._reconnect_timeout)
        self._batcher = GraphBatcher(
            self.client,
            self._listener,
            listener.submission_failed,
            interval=parse_timedelta(settings.get("submit.batch-interval")),
            max_wait=parse_timedelta(settings.get("submit.batch-max-wait")),
            max_size=int(settings.get("submit.max-batch-size")),
        )
        Reconnection(self, self.client, self._listener, listener, self._batcher.put, self._subscriptions,
                     plugin=self._plugin_registered)
        logger.info("Executor %s connected to %s; dashboard %s", self.label, self.scheduler_address,
                    self.dashboard_link)

    def _start_jobs(self, config: Any) -> None:
        plan = self._plan
        strategy = getattr(config, "strategy", "simple")
        adaptive = strategy not in (None, "none")
        try:
            start_jobs(self.cluster, plan.jobs,
                       minimum_jobs=plan.minimum_jobs if adaptive else None,
                       maximum_jobs=max(plan.maximum_jobs or plan.jobs, plan.jobs) if adaptive else None,
                       idle_seconds=getattr(config, "max_idletime", None),
                       interval=getattr(config, "strategy_period", None))
            renew_jobs_before_walltime(self.cluster, plan.batch_system, plan.options,
                                       settings.get("batch.walltime-margin"), adaptive)
        except BaseException:
            self.shutdown()
            raise
        logger.info("Executor %s: %d %s job(s) submitted%s", self.label, plan.jobs, plan.batch_system,
                    f", adapting between {plan.minimum_jobs} and {plan.maximum_jobs}" if adaptive else "")

    def follow(self, events: EventStream) -> None:
        """Ask the scheduler's ``WorkflowPlugin`` for run times once a subscriber wants them."""
        if self._plugin_registered:
            events.add_runtime_source(lambda: self._subscribe({"op": SUBSCRIBE_OP, "runtime": True}))

    def _subscribe(self, message: dict) -> None:
        """Tell the scheduler's plugin about this kernel (again after a reconnection)."""
        message["hold"] = self._reconnect_timeout  # how long to keep its tasks if its connection drops
        if message not in self._subscriptions:
            self._subscriptions.append(message)
        send_to_scheduler(self.client, message)

    @property
    def shows_workflow(self) -> bool:
        """Whether the scheduler's dashboard can show the workflow (its plugin is registered)."""
        return self._plugin_registered

    def send_workflow_status(self, status: dict) -> None:
        """Send the workflow's tasks by app and state to the scheduler's Workflow page."""
        if self.client is not None and self.client.status == "running":
            send_to_scheduler(self.client, {"op": WORKFLOW_STATUS_OP, **status})

    def _register_plugin(self) -> bool:
        """Register ``WorkflowPlugin`` and its worker plugins; whether workers push small results."""
        try:
            timeout = parse_timedelta(settings.get("unrunnable-timeout"))
            self.client.register_plugin(WorkflowPlugin(unrunnable_timeout=timeout))
            self.client.register_plugin(WorkerStreams(parse_timedelta(settings.get("worker-streams.interval")),
                                                      int(settings.get("worker-streams.max-workers"))))
            if settings.get("worker-streams.idle-workers-report-at-once"):
                self.client.register_plugin(IdleWorkersReportAtOnce())
            logs = self._plan.log_directory if self._plan is not None else None
            self.client.register_plugin(WorkerTaskLogs(logs or os.path.join(self.run_dir, "worker_logs")))
            self.client.register_plugin(LossWitness())  # what a lost worker had started, and its job
            self.client.register_plugin(QuietWorkerShutdown())
            push_max_size = parse_bytes(settings.get("results.push-max-size"))
            self.client.register_plugin(ResultPusher(push_max_size))  # (and what cached calls memoized)
            self._plugin_registered = True
            return bool(push_max_size)
        except Exception as error:
            address = self.scheduler_address
            self.shutdown()
            raise ConfigurationError(
                f"Executor {self.label!r} could not register dask_parsl's WorkflowPlugin on the "
                f"scheduler at {address}: {error!r}. The scheduler's Python environment needs "
                "dask_parsl installed (the same version as here)."
            ) from error

    def shutdown(self) -> None:
        """Stop submitting, disconnect, and close the cluster if this executor started it."""
        if self._resource_sampler and not self._owns_cluster and self.client.status == "running":
            try:  # a cluster that outlives this kernel stops sampling for it
                self.client.unregister_worker_plugin(self._resource_sampler)
            except Exception:
                logger.warning("Could not remove the resource sampler %s from the workers",
                               self._resource_sampler)
        if self._lost_jobs is not None:
            self._lost_jobs.stop()
        if self._batcher is not None:
            self._batcher.close()
        if self._listener is not None:
            self._listener.close()
        if self._owns_client and self.client is not None:
            self.client.close()
        if self._owns_cluster:
            scheduler = getattr(self.cluster, "scheduler", None)  # (in this process)
            self.cluster.close()
            if scheduler is not None:
                release_closed_scheduler(scheduler)
            self.cluster = None
            self._owns_cluster = False

    # -- used by the DataFlowKernel --------------------------------------
    def dask_options(self, specification: Mapping) -> dict | None:
        """``priority`` and the resources the workers offer; ``InvalidResourceSpecification``
        for any other key, or for more of a resource than any worker has."""
        return options_for(self.label, specification, self._worker_resources)

    def _worker_resources(self, names: Iterable[str]) -> Mapping[str, float] | None:
        """What the workers offer: the resources this executor starts them with (its
        batch jobs' workers too), or else those of the connected workers, asked of the
        scheduler when a name is new; None while no worker is connected (they may come)."""
        if self._owns_cluster:
            return self.declared_resources
        seen = self._seen_resources
        if seen is not None and all(name in seen for name in names):
            return seen
        if seen is None and time.monotonic() < self._no_workers_until:
            return None  # asked less than a second ago
        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        if not workers:
            self._no_workers_until = time.monotonic() + 1
            return None
        offered: dict[str, float] = {}
        for worker in workers:
            for name, amount in (worker.get("resources") or {}).items():
                offered[name] = max(offered.get(name, amount), amount)
        self._seen_resources = offered
        return offered

    def submit(self, key: str, task: Any, app_future: Any, options: dict | None = None) -> None:
        self._batcher.put(key, task, app_future, options)

    def cancel(self, app_future: Any) -> None:
        """Cancel the Dask task of ``app_future``, now or as soon as its batch is sent."""
        if self._batcher is not None:
            self._batcher.cancel(app_future)

    def start_resource_monitoring(self, interval: float) -> None:
        """Have the workers sample their process trees while app tasks run, every
        ``interval`` seconds, and send the samples here (``monitoring.resources``)."""
        from ..monitoring.resources import RESOURCE_TOPIC, ResourceSampler

        self._listener.subscribe(RESOURCE_TOPIC)
        sampler = ResourceSampler(interval, name=f"dask-parsl-resources-{self.client.id}")
        self.client.register_plugin(sampler)
        self._resource_sampler = sampler.name

    def retry_decided(self, key: str, run_id: int | None, retry: bool, exception: bytes | None,
                      fail_cost: float, fail_count: int) -> None:
        """Answer ``WorkflowPlugin`` about the failed try ``run_id`` of ``key``, which it holds
        (``dataflow.remote_retries``)."""
        send_to_scheduler(self.client, {"op": RETRY_DECIDED_OP, "key": key, "run_id": run_id,
                                        "retry": retry, "exception": exception,
                                        "fail_cost": fail_cost, "fail_count": fail_count})

    def gather(self, remote: Any) -> Any:
        return self.client.gather(remote)

    def fetch(self, future: Any) -> Any:
        """The result of ``future``, held by a worker. If the connection to the scheduler
        dropped (before or while fetching), its dask future was cancelled: wait (up to
        ``parsl.reconnect-timeout``) for the reconnection to bind a new one, or to find the
        result gone (``ExecutorLost``)."""
        deadline = time.monotonic() + self._reconnect_timeout
        while True:
            remote = future._remote
            try:
                return self.client.gather(remote)
            except (concurrent.futures.CancelledError, OSError) as error:
                if isinstance(error, OSError) and not self._connection_dropped():
                    raise  # not the scheduler's connection: a worker's
                if future._replacement is not None:  # the scheduler it is on now never had it
                    return future._replacement.result()
                if future._remote is remote and (self.client.status in ("closing", "closed", "failed")
                                                 or time.monotonic() > deadline):
                    raise ExecutorLost(future.tid, self.label) from None
                time.sleep(0.05)

    def _connection_dropped(self, within: float = 1.0) -> bool:
        """Whether the client loses its scheduler within ``within`` seconds (a fetch that
        failed with the connection may see the error before the client does)."""
        deadline = time.monotonic() + within
        while self.client.status == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.client.status != "running"

    def result_sizes(self, remotes: list) -> list[int]:
        """The size in bytes of each finished remote result, as its worker measured it."""
        sizes = self.client.nbytes(keys=[remote.key for remote in remotes], summary=False)
        return [sizes.get(remote.key, 0) for remote in remotes]

    def compute(self, collection: Any) -> Any:
        """Start computing a Dask collection here; returns its dask Future."""
        return self.client.compute(collection)

    def same_scheduler(self, dask_future: Any) -> bool:
        return scheduler_id(dask_future.client) == scheduler_id(self.client)

    @property
    def scheduler_address(self) -> str | None:
        """Where the scheduler listens for other processes (``Client(address, security=...)``)."""
        if isinstance(getattr(self.cluster, "scheduler_address", None), str):  # a cluster object
            return self.cluster.scheduler_address
        return self.client.scheduler.address if self.client else None

    @property
    def dashboard_link(self) -> str | None:
        try:
            if self._owns_cluster:
                return self.cluster.dashboard_link
            return self.client.dashboard_link if self.client else None
        except Exception:  # no dashboard (bokeh missing or disabled)
            return None

    def __repr__(self) -> str:
        where = self.scheduler_address or "not started"
        return f"<{type(self).__name__} label={self.label!r} {where}>"


def _plan_from(provider: Any, options: dict, jobs: int | None, minimum_jobs: int | None,
               maximum_jobs: int | None) -> ClusterPlan | None:
    """The cluster a ``DaskExecutor`` should build: from a batch system name and
    dask-jobqueue options, a ``ClusterPlan``, or a Parsl provider."""
    if provider is None:
        if jobs is not None or minimum_jobs is not None or maximum_jobs is not None:
            raise ValueError("jobs, minimum_jobs and maximum_jobs need provider= (a batch system)")
        return None
    if isinstance(provider, ClusterPlan):
        return provider
    if isinstance(provider, str):
        plan = ClusterPlan(provider, dict(options))
    else:
        ignored: dict[str, str] = {}
        plan = plan_cluster(provider, ignored=ignored)
        warn_ignored(type(provider).__name__, ignored, stacklevel=3)
        plan.options.update(options)
    if jobs is not None:
        plan.jobs = jobs
    if minimum_jobs is not None:
        plan.minimum_jobs = minimum_jobs
    if maximum_jobs is not None:
        plan.maximum_jobs = maximum_jobs
    return plan

