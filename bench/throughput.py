"""Throughput of dask_parsl apps against raw Dask and Parsl's HighThroughputExecutor.

Run by hand (Parsl lives in its own venv; it is not importable from the project's)::

    python3 -m venv /tmp/pv && /tmp/pv/bin/pip install parsl
    python bench/throughput.py --parsl-venv /tmp/pv [--tasks 5000] [--chain 300] [--repeats 5]
                               [--memory-tasks 100000] [--json figures.json]
    python bench/throughput.py --quick --parsl-venv /tmp/pv      # smoke run: 500 tasks, chain 50, 3 repeats

What is compared, on the same work and with the same idioms:

* raw Dask: ``client.map(make_result, range(n), size=size, pure=False)``;
* dask_parsl: ``[app(i, size=size) for i in range(n)]`` on a ``DaskExecutor`` given the very
  same ``LocalCluster`` object (2 worker processes x 1 thread) as raw Dask. That cluster has
  the TLS of dask_parsl's embedded default (a temporary certificate), unless
  ``DASK_PARSL__ENCRYPTED=false``;
* Parsl: the same apps on a ``HighThroughputExecutor`` with 2 workers (LocalProvider, one
  block), loaded once in a long-lived child process of the Parsl venv that takes commands on
  stdin and answers with JSON lines. Its channel is unencrypted, HTEX's default
  (``--parsl-encrypted`` turns on its CurveZMQ encryption).

Each map is timed from the first call until every result is in, two ways: fetching every
result with Parsl's idiom ``[f.result() for f in futures]``, and only waiting
(``distributed.wait`` for raw Dask, ``concurrent.futures.wait`` for both app layers). Results
are None, 1 KB or 100 KB of bytes. A chain of ``--chain`` dependent calls, each taking the
previous call's future, is timed until its last result is fetched.

The three sides run alternately (raw, dask_parsl, Parsl, raw, ...) so that drift on a shared
machine hits them alike; before each run the scheduler is left to forget the previous run's
tasks and garbage is collected (the Parsl child collects its own before answering). The
table shows medians of ``--repeats`` runs, tasks per second from those medians, and the
medians of the per-repeat ratios: "dp vs raw" = raw time / dask_parsl time and "dp vs parsl"
= Parsl time / dask_parsl time, so >= 1 means dask_parsl is faster. Finally, against a
scheduler in its own process (so the client's own costs show): client memory per finished
no-op task whose future was dropped (RSS), and per one still held (live allocations,
``tracemalloc``); and an app call's CPU time on the calling thread (median over batches of
10,000 calls; garbage collections included).
Figures are printed (and written with ``--json``), never asserted.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, ContextManager, Sequence

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

# Only the standard library is imported at module level: the Parsl child runs this file
# with the Parsl venv's python, where neither Dask nor dask_parsl is installed.

RESULT_SIZES: dict[str, int] = {"None": 0, "1KB": 1_000, "100KB": 100_000}
IDIOMS = ("result", "wait")
SIDES = ("raw", "dask_parsl", "parsl")
PARSL_CHILD_FLAG = "--parsl-child"
COSTS_CHILD_FLAG = "--client-costs-child"
PARSL_WORKERS = 2
FULL_SETTINGS = {"tasks": 5000, "chain": 300, "repeats": 5, "memory_tasks": 100_000}
QUICK_SETTINGS = {"tasks": 500, "chain": 50, "repeats": 3, "memory_tasks": 5000}
WARM_UP_TASKS = 200


# -- the work, identical on every side -------------------------------------------------------
def make_result(i: int, size: int = 0) -> bytes | None:
    """A task's result: None, or ``size`` bytes."""
    return b"x" * size if size else None


def step(previous: Any) -> Any:
    """One no-op link of a chain: hands on what the previous call returned."""
    return previous


def expected_result(size: int) -> bytes | None:
    return make_result(0, size)


# -- timing shared by every side ------------------------------------------------------------
def time_map(
    submit_all: Callable[[int], Sequence[Any]], n: int, idiom: str, wait_all: Callable[[Sequence[Any]], Any]
) -> tuple[float, Sequence[Any]]:
    """Seconds from submitting ``n`` tasks until all are done; the results (idiom "result")
    or the futures (idiom "wait") for checking after the clock has stopped."""
    started = time.perf_counter()
    futures = submit_all(n)
    if idiom == "result":
        outcome: Sequence[Any] = [f.result() for f in futures]
    else:
        wait_all(futures)
        outcome = futures
    return time.perf_counter() - started, outcome


def check_map(
    outcome: Sequence[Any], n: int, size: int, idiom: str, succeeded: Callable[[Any], bool]
) -> None:
    """Raise if a timed map lost a task or returned a wrong result (never timed)."""
    if len(outcome) != n:
        raise RuntimeError(f"map returned {len(outcome)} outcomes for {n} tasks")
    if idiom == "result":
        expected = expected_result(size)
        if outcome[0] != expected or outcome[-1] != expected:
            raise RuntimeError(f"map of size {size} returned a wrong result")
    elif not all(succeeded(future) for future in outcome):
        raise RuntimeError("map: some tasks did not succeed")


def time_chain(call: Callable[[Any], Any], length: int) -> float:
    """Seconds for ``length`` dependent calls, each taking the previous call's future,
    until the last result is fetched."""
    started = time.perf_counter()
    value = call(0)
    for _ in range(length - 1):
        value = call(value)
    result = value.result()
    elapsed = time.perf_counter() - started
    if result != 0:
        raise RuntimeError(f"chain returned {result!r}")
    return elapsed


def app_succeeded(future: concurrent.futures.Future) -> bool:
    return future.exception() is None


# -- the Parsl child (runs in the Parsl venv) -----------------------------------------------
def parsl_child_main(options: dict[str, Any]) -> None:
    """Load Parsl's HighThroughputExecutor once, then run the measurement commands read from
    stdin (one JSON object a line) and answer each with a JSON line, until "quit" or end of input."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the interchange and workers inherit stdout: keep them off the answer channel
    become_subreaper()
    import parsl

    dfk = parsl.load(parsl_config(options))
    try:
        map_app, step_app = parsl.python_app(make_result), parsl.python_app(step)
        map_app(0).result(timeout=300)  # the workers have connected
        for size in RESULT_SIZES.values():
            parsl_map(map_app, WARM_UP_TASKS, size, "result")
        time_chain(step_app, 10)
        reply(answers, {"ready": True, "parsl_version": parsl.__version__})
        for line in iter(sys.stdin.readline, ""):
            command = json.loads(line)
            if command["op"] == "quit":
                break
            try:
                reply(answers, {"seconds": parsl_measure(command, map_app, step_app)})
            except Exception as error:  # reported to the parent, which raises
                reply(answers, {"error": repr(error)})
    finally:
        dfk.cleanup()
        parsl.clear()


def parsl_config(options: dict[str, Any]) -> Any:
    import parsl
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider

    executor = HighThroughputExecutor(
        label="htex", max_workers_per_node=PARSL_WORKERS, address="127.0.0.1",
        encrypted=options["encrypted"],
        # min_blocks=1: the block is not scaled in while the Dask sides run
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
    )
    return parsl.Config(executors=[executor], run_dir=options["run_dir"])


def parsl_map(map_app: Callable[..., Any], n: int, size: int, idiom: str) -> float:
    elapsed, outcome = time_map(
        lambda count: [map_app(i, size=size) for i in range(count)], n, idiom, concurrent.futures.wait)
    check_map(outcome, n, size, idiom, app_succeeded)
    return elapsed


def parsl_measure(
    command: dict[str, Any], map_app: Callable[..., Any], step_app: Callable[..., Any]
) -> float:
    if command["op"] == "map":
        elapsed = parsl_map(map_app, command["tasks"], command["size"], command["idiom"])
    elif command["op"] == "chain":
        elapsed = time_chain(step_app, command["length"])
    else:
        raise ValueError(f"unknown command {command!r}")
    gc.collect()  # this run's garbage is not collected during the next one
    return elapsed


def reply(answers: IO[str], message: dict[str, Any]) -> None:
    answers.write(json.dumps(message) + "\n")


def become_subreaper() -> None:
    """Adopt orphaned descendants (Parsl's LocalProvider backgrounds the worker pool, which
    would otherwise be re-parented to init), so the parent can find and stop them by PID."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


# -- the parent's handle on the Parsl child -------------------------------------------------
class ParslChild:
    """A long-lived child process running Parsl in the venv ``venv``."""

    def __init__(self, venv: str, run_dir: str, encrypted: bool) -> None:
        bin_dir = os.path.join(os.path.abspath(venv), "bin")
        # Parsl finds interchange.py and process_worker_pool.py on PATH
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        options = {"run_dir": os.path.join(run_dir, "runinfo"), "encrypted": encrypted}
        os.makedirs(run_dir, exist_ok=True)
        self.log_path = os.path.join(run_dir, "child.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [os.path.join(bin_dir, "python"), os.path.abspath(__file__), PARSL_CHILD_FLAG,
                 json.dumps(options)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        try:
            self.version: str = self._answer()["parsl_version"]  # loaded, workers connected
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ParslChild:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def measure(self, command: dict[str, Any]) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()["seconds"]

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Parsl child ended; its log:\n{self._log_tail()}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the Parsl child failed: {answer['error']}")
        return answer

    def _log_tail(self, lines: int = 30) -> str:
        with open(self.log_path) as log:
            return "".join(log.readlines()[-lines:])

    def close(self) -> None:
        def ask_to_quit() -> None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        stop_process_tree(self.process, ask_to_quit, grace=60)


def stop_process_tree(process: subprocess.Popen, ask: Callable[[], None], grace: float = 30) -> None:
    """Ask ``process`` to end (``ask``), then end it and any of the descendants it had when
    asked that are still alive, by PID (psutil checks that a PID was not reused)."""
    import psutil

    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    ask()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(descendants, timeout=10)
    for leftover in alive:
        leftover.terminate()
    _, alive = psutil.wait_procs(alive, timeout=10)
    for leftover in alive:
        leftover.kill()


# -- the Dask sides -------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def dask_parsl_apps() -> tuple[Any, Any]:
    """The map and chain apps of dask_parsl (made on first use: dask_parsl is not importable
    in the Parsl child)."""
    import dask_parsl

    return dask_parsl.python_app(make_result), dask_parsl.python_app(step)


def app_map(n: int, size: int = 0, idiom: str = "wait") -> float:
    """Seconds for ``n`` dask_parsl app calls on the loaded DataFlowKernel, until done."""
    map_app, _ = dask_parsl_apps()
    elapsed, outcome = time_map(
        lambda count: [map_app(i, size=size) for i in range(count)], n, idiom, concurrent.futures.wait)
    check_map(outcome, n, size, idiom, app_succeeded)
    return elapsed


def raw_map(client: Client, n: int, size: int = 0, idiom: str = "wait") -> float:
    """Seconds for ``client.map`` of ``n`` tasks, until done."""
    from distributed import wait

    elapsed, outcome = time_map(
        lambda count: client.map(make_result, range(count), size=size, pure=False), n, idiom, wait)
    check_map(outcome, n, size, idiom, lambda future: future.status == "finished")
    return elapsed


def raw_chain(client: Client, length: int) -> float:
    return time_chain(lambda value: client.submit(step, value, pure=False), length)


def app_chain(length: int) -> float:
    _, step_app = dask_parsl_apps()
    return time_chain(step_app, length)


def start_cluster() -> LocalCluster:
    """2 worker processes x 1 thread, with the scheduler settings and the TLS of dask_parsl's
    embedded cluster (a temporary certificate, unless ``parsl.encrypted`` is off)."""
    import dask.config
    from distributed import LocalCluster
    from distributed.security import Security

    saturation = dask.config.get("parsl.local-cluster.worker-saturation", default=None)
    settings = {} if saturation is None else {"distributed.scheduler.worker-saturation": float(saturation)}
    log_length = dask.config.get("parsl.low-level-log-length", default=None)
    if log_length is not None:
        settings["distributed.admin.low-level-log-length"] = int(log_length)
    encrypted = dask.config.get("parsl.encrypted", default=False)
    print(f"LocalCluster: 2 worker processes x 1 thread, worker-saturation={saturation}, "
          f"TLS {'on' if encrypted else 'off'} (both Dask sides)")
    with dask.config.set(settings):
        return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=":0", security=Security.temporary() if encrypted else None)


def settle(client: Client) -> None:
    """Wait until the scheduler has forgotten earlier runs' tasks, then collect garbage,
    so one run's clean-up is never timed as part of the next."""
    deadline = time.monotonic() + 60
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    gc.collect()


# -- measurements ---------------------------------------------------------------------------
@dataclass
class Measurement:
    name: str
    kind: str  # "map" or "chain"
    count: int  # tasks, or calls in the chain
    size: int | None = None
    idiom: str | None = None
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def median(self, side: str) -> float | None:
        runs = self.seconds.get(side)
        return statistics.median(runs) if runs else None

    def per_second(self, side: str) -> float | None:
        median = self.median(side)
        return self.count / median if median else None

    def ratio(self, slower: str, faster: str = "dask_parsl") -> float | None:
        """Median over repeats of ``slower``'s time / ``faster``'s time (>= 1: ``faster`` wins)."""
        if slower not in self.seconds or faster not in self.seconds:
            return None
        return statistics.median(
            a / b for a, b in zip(self.seconds[slower], self.seconds[faster], strict=True))

    def figures(self) -> dict[str, Any]:
        return {**asdict(self),
                "median_seconds": {side: self.median(side) for side in self.seconds},
                "tasks_per_second": {side: self.per_second(side) for side in self.seconds},
                "dask_parsl_vs_raw": self.ratio("raw"), "dask_parsl_vs_parsl": self.ratio("parsl")}


def plan_measurements(tasks: int, chain: int) -> list[Measurement]:
    maps = [Measurement(f"map {label} {idiom}", "map", tasks, size, idiom)
            for label, size in RESULT_SIZES.items() for idiom in IDIOMS]
    return [*maps, Measurement(f"chain {chain}", "chain", chain)]


def side_runners(measurement: Measurement, client: Client, parsl: ParslChild | None
                 ) -> dict[str, Callable[[], float]]:
    """One timed run of ``measurement`` per side, in the order they alternate."""
    n, size, idiom = measurement.count, measurement.size or 0, measurement.idiom or "result"
    if measurement.kind == "map":
        runners = {"raw": lambda: raw_map(client, n, size, idiom),
                   "dask_parsl": lambda: app_map(n, size, idiom)}
        command = {"op": "map", "tasks": n, "size": size, "idiom": idiom}
    else:
        runners = {"raw": lambda: raw_chain(client, n), "dask_parsl": lambda: app_chain(n)}
        command = {"op": "chain", "length": n}
    if parsl is not None:
        runners["parsl"] = lambda: parsl.measure(command)
    return runners


def run_alternately(measurement: Measurement, runners: dict[str, Callable[[], float]], repeats: int,
                    client: Client) -> None:
    measurement.seconds = {side: [] for side in runners}
    for _ in range(repeats):
        for side, run in runners.items():
            settle(client)
            measurement.seconds[side].append(run())
    medians = ", ".join(f"{side} {measurement.median(side):.3f} s" for side in runners)
    print(f"  {measurement.name}: {medians}", flush=True)


def warm_up(client: Client) -> None:
    for size in RESULT_SIZES.values():
        raw_map(client, WARM_UP_TASKS, size, "result")
        app_map(WARM_UP_TASKS, size, "result")
    raw_chain(client, 10)
    app_chain(10)


def compare(settings: argparse.Namespace, work_dir: str) -> tuple[list[Measurement], str | None]:
    """All measurements, the three sides alternating; and Parsl's version (None: not run)."""
    from distributed import Client

    import dask_parsl
    from dask_parsl import Config, DaskExecutor

    measurements = plan_measurements(settings.tasks, settings.chain)
    with start_parsl(settings, work_dir) as parsl, start_cluster() as cluster, Client(cluster) as client:
        client.submit(make_result, 0).result()
        config = Config(executors=[DaskExecutor(cluster=cluster)],
                        run_dir=os.path.join(work_dir, "dask_parsl"))
        with dask_parsl.load(config):
            warm_up(client)
            for measurement in measurements:
                runners = side_runners(measurement, client, parsl)
                run_alternately(measurement, runners, settings.repeats, client)
    return measurements, None if parsl is None else parsl.version


def start_parsl(settings: argparse.Namespace, work_dir: str) -> ContextManager[ParslChild | None]:
    if not settings.parsl_venv:
        return contextlib.nullcontext()
    print("starting Parsl's HighThroughputExecutor in a child process ...", flush=True)
    return ParslChild(settings.parsl_venv, os.path.join(work_dir, "parsl"), settings.parsl_encrypted)


# -- the client's costs per task ------------------------------------------------------------
def client_costs_per_task(n: int, work_dir: str) -> dict[str, float]:
    """Client RSS growth per finished (waited for) dask_parsl no-op task, its future dropped
    and held; the task records the DataFlowKernel still holds after the dropped ones; and
    the thread CPU µs of one call (median of batches). The scheduler runs in its own process."""
    import dask.config
    import psutil
    from distributed import Client

    import dask_parsl
    from dask_parsl import Config, DaskExecutor

    port = 18000 + os.getpid() % 1000
    address = f"tcp://127.0.0.1:{port}"
    saturation = dask.config.get("parsl.local-cluster.worker-saturation", default=None)
    env = dict(os.environ)
    if saturation is not None:
        env["DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION"] = str(saturation)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--dashboard-address", ":0"], env=env, **quiet)
    workers = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2",
         "--nthreads", "1", "--host", "127.0.0.1"], **quiet)
    try:
        with Client(address, timeout=60) as probe:
            probe.wait_for_workers(2, timeout=60)
        config = Config(executors=[DaskExecutor(cluster=address)], run_dir=os.path.join(work_dir, "memory"))
        map_app, _ = dask_parsl_apps()
        process = psutil.Process()
        with dask_parsl.load(config) as dfk:
            app_map(min(n, 2000))  # warm up
            gc.collect()
            before = process.memory_info().rss
            chunk = min(n, 10_000)
            call_seconds = []
            for _ in range(n // chunk):
                started = time.thread_time()
                futures = [map_app(i) for i in range(chunk)]
                call_seconds.append((time.thread_time() - started) / chunk)
                concurrent.futures.wait(futures)
                del futures
            gc.collect()
            dropped = (process.memory_info().rss - before) / (n // chunk * chunk)
            left = len(dfk.tasks)
            tracemalloc.start()  # (live memory: RSS would reuse what the dropped tasks freed)
            held = [map_app(i) for i in range(chunk)]
            concurrent.futures.wait(held)
            time.sleep(1)  # the tiny results' releases reach the scheduler
            gc.collect()
            held_bytes = tracemalloc.get_traced_memory()[0] / len(held)
            tracemalloc.stop()
        return {"dropped_bytes_per_task": dropped, "held_bytes_per_task": held_bytes,
                "task_records_left": left, "call_cpu_us": 1e6 * statistics.median(call_seconds)}
    finally:
        stop_process_tree(workers, workers.terminate)
        stop_process_tree(scheduler, scheduler.terminate)


def client_costs_in_fresh_process(n: int, work_dir: str) -> dict[str, float]:
    """``client_costs_per_task`` in a process of its own: what the comparisons left in this
    one (distributed keeps closed in-process schedulers alive) would make every garbage
    collection, and so every call, cost more."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), COSTS_CHILD_FLAG, str(n), work_dir],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- report ---------------------------------------------------------------------------------
def cell(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def print_table(measurements: list[Measurement], repeats: int) -> None:
    header = (f"{'measurement':<20}{'n':>6} |{'raw s':>9}{'dask_parsl s':>13}{'parsl s':>9} |"
              f"{'raw /s':>9}{'dp /s':>9}{'parsl /s':>9} |{'dp vs raw':>10}{'dp vs parsl':>12}")
    print(f"\nmedians of {repeats} alternating runs; tasks/s from the medians; "
          "ratios = medians of per-repeat time ratios (>= 1: dask_parsl faster)")
    print(header)
    print("-" * len(header))
    for m in measurements:
        print(f"{m.name:<20}{m.count:>6} |{cell(m.median('raw'), 9, 3)}{cell(m.median('dask_parsl'), 13, 3)}"
              f"{cell(m.median('parsl'), 9, 3)} |{cell(m.per_second('raw'), 9, 0)}"
              f"{cell(m.per_second('dask_parsl'), 9, 0)}{cell(m.per_second('parsl'), 9, 0)} |"
              f"{cell(m.ratio('raw'), 10, 2)}{cell(m.ratio('parsl'), 12, 2)}")


def versions(parsl_version: str | None) -> dict[str, str | None]:
    import dask
    import distributed

    import dask_parsl

    return {"python": platform.python_version(), "dask": dask.__version__,
            "distributed": distributed.__version__,
            "dask_parsl": getattr(dask_parsl, "__version__", None), "parsl": parsl_version}


def write_json(path: str, settings: argparse.Namespace, figures: dict[str, Any]) -> None:
    document = {"settings": {key: value for key, value in vars(settings).items() if key != "json"},
                "cpus": os.cpu_count(), **figures}
    with open(path, "w") as out:
        json.dump(document, out, indent=2)
    print(f"figures written to {path}")


# -- command line ---------------------------------------------------------------------------
def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, help=f"tasks per map (default {FULL_SETTINGS['tasks']})")
    parser.add_argument("--chain", type=int, help=f"calls in the chain (default {FULL_SETTINGS['chain']})")
    parser.add_argument("--repeats", "--runs", type=int,
                        help=f"alternating runs per measurement (default {FULL_SETTINGS['repeats']})")
    parser.add_argument("--memory-tasks", type=int,
                        help="tasks for the memory measurement, 0 to skip "
                        f"(default {FULL_SETTINGS['memory_tasks']})")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: " + ", ".join(f"{k} {v}" for k, v in QUICK_SETTINGS.items()))
    parser.add_argument("--parsl-venv", metavar="PATH",
                        help="venv with parsl installed; without it Parsl is skipped")
    parser.add_argument("--parsl-encrypted", action="store_true",
                        help="Parsl's default CurveZMQ encryption (off: plain TCP, like Dask's comms)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    settings = parser.parse_args(argv)
    defaults = QUICK_SETTINGS if settings.quick else FULL_SETTINGS
    for key, value in defaults.items():
        if getattr(settings, key) is None:
            setattr(settings, key, value)
    return settings


def main() -> None:
    settings = parse_arguments()
    started = time.perf_counter()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dask_parsl_bench_") as work_dir:
        measurements, parsl_version = compare(settings, work_dir)
        print_table(measurements, settings.repeats)
        if parsl_version is None:
            print("Parsl skipped: pass --parsl-venv PATH (a venv with parsl installed)")
        memory: dict[str, Any] | None = None
        if settings.memory_tasks:
            costs = client_costs_in_fresh_process(settings.memory_tasks, work_dir)
            memory = {"tasks": settings.memory_tasks, **costs}
            print(f"\n{settings.memory_tasks} dask_parsl no-op tasks, waited for: client memory per task "
                  f"{memory['dropped_bytes_per_task']:.0f} B once its future is dropped "
                  f"({memory['task_records_left']} task records left), "
                  f"{memory['held_bytes_per_task']:.0f} B while held; "
                  f"a call {memory['call_cpu_us']:.1f} µs of CPU on the calling thread")
    elapsed = time.perf_counter() - started
    print(f"versions: {versions(parsl_version)}; load average {load_before[0]:.2f} -> "
          f"{os.getloadavg()[0]:.2f}; bench took {elapsed:.0f} s")
    if settings.json:
        write_json(settings.json, settings, {
            "versions": versions(parsl_version),
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "elapsed_seconds": elapsed, "measurements": [m.figures() for m in measurements],
            "memory": memory})


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == PARSL_CHILD_FLAG:
        parsl_child_main(json.loads(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == COSTS_CHILD_FLAG:
        print(json.dumps(client_costs_per_task(int(sys.argv[2]), sys.argv[3])))
    else:
        main()
