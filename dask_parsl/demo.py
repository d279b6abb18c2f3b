"""A small workflow to show dask_parsl working: ``dask-parsl demo``."""
from __future__ import annotations

import concurrent.futures
import time

from . import Config, load, python_app


@python_app
def simulate(seed: int) -> float:
    """A stand-in for a simulation: a pseudo-random walk of 2,000 steps, slowed down so
    the dashboard's Workflow page can be watched filling."""
    import random
    import time

    time.sleep(0.05)
    rng = random.Random(seed)
    position = 0.0
    for _ in range(2000):
        position += rng.uniform(-1, 1)
    return position


@python_app
def summarize(inputs=()) -> dict:
    """Combine every simulation's result."""
    values = list(inputs)
    return {"runs": len(values), "mean": sum(values) / len(values), "max": max(values)}


def run_demo(n_tasks: int = 400, run_dir: str = "runinfo", linger: float = 0) -> int:
    """Run the demo workflow; keep the cluster (and its dashboard) up ``linger`` seconds
    after it finished."""
    started = time.perf_counter()
    with load(Config(run_dir=run_dir)) as dfk:
        executor = next(iter(dfk.executors.values()))
        dashboard = executor.dashboard_link
        print(f"dask_parsl demo: {n_tasks} simulations + 1 summary on {executor!r}")
        if dashboard:
            print(f"Workflow page:  {dashboard.replace('/status', '/workflow')}  (open it to watch)")
        print(f"Run directory:  {dfk.run_dir}")
        runs = [simulate(seed) for seed in range(n_tasks)]
        summary = summarize(inputs=runs)
        for done, _ in enumerate(concurrent.futures.as_completed(runs), start=1):
            if done % max(1, n_tasks // 4) == 0 or done == n_tasks:
                print(f"  {done}/{n_tasks} simulations finished")
        result = summary.result()
        if linger > 0:
            print(f"Keeping the cluster and its dashboard up for {linger:g} s (Ctrl-C ends it)")
            try:
                time.sleep(linger)
            except KeyboardInterrupt:
                pass
    print(f"Result: {result['runs']} runs, mean {result['mean']:.3f}, max {result['max']:.3f}")
    print(f"Finished in {time.perf_counter() - started:.1f} s")
    return 0
