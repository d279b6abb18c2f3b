"""An xarray pipeline that holds more data than its workers have memory.

Each day's hourly temperature field (50 MB) is simulated, turned into anomalies from
the daily mean (50 MB more), and summarized as a row of a pandas table. The script keeps
the futures of every field and anomaly, as most workflows do, so the data held adds up
to about 100 MB a day: past the two workers' memory limit, their Dask workers spill the
oldest values to disk and read them back when needed. On the default configuration it
completes, with no setting changed.

    python xarray_pipeline.py [DAYS] [MEMORY_LIMIT_PER_WORKER]
"""
import sys
import time

import numpy as np
import pandas as pd
import xarray as xr

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app

HOURS, LATITUDES, LONGITUDES = 24, 360, 1440  # a 0.5 x 0.25 degree grid: 50 MB of float32 a day


@python_app
def simulate(day: int) -> xr.Dataset:
    rng = np.random.default_rng(day)
    temperature = rng.standard_normal((HOURS, LATITUDES, LONGITUDES), dtype=np.float32)
    temperature *= 10
    temperature += 15
    return xr.Dataset(
        {"temperature": (("hour", "lat", "lon"), temperature)},
        coords={"hour": np.arange(HOURS), "lat": np.linspace(-90, 90, LATITUDES),
                "lon": np.linspace(0, 360, LONGITUDES, endpoint=False)})


@python_app
def anomalies(field: xr.Dataset) -> xr.Dataset:
    return field - field.mean("hour")


@python_app
def summarize(anomaly: xr.Dataset, day: int) -> dict:
    temperature = anomaly["temperature"]
    return {"day": day, "std": float(temperature.std()), "max": float(temperature.max())}


def main(days: int, memory_limit: str) -> None:
    config = Config(executors=[DaskExecutor(n_workers=2, memory_limit=memory_limit)])
    with parsl.load(config):
        started = time.perf_counter()
        fields = [simulate(day) for day in range(days)]
        anomaly_fields = [anomalies(field) for field in fields]
        rows = [summarize(anomaly, day) for day, anomaly in enumerate(anomaly_fields)]
        table = pd.DataFrame([row.result() for row in rows]).set_index("day")
        seconds = time.perf_counter() - started
    held = days * 2 * HOURS * LATITUDES * LONGITUDES * 4
    print(f"{days} days, {held / 2**30:.1f} GiB held by 2 workers of {memory_limit}, in {seconds:.1f} s")
    print(f"anomalies: std {table['std'].mean():.2f}, max {table['max'].max():.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40, sys.argv[2] if len(sys.argv) > 2 else "1GiB")
