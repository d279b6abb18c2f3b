"""A data pipeline holding more than its workers' memory completes on the default
configuration: the workers spill to disk, and none is restarted for its memory."""
import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "docs", "examples", "xarray_pipeline.py")


def test_an_xarray_pipeline_larger_than_worker_memory_completes(tmp_path):
    done = subprocess.run([sys.executable, EXAMPLE, "40", "1GiB"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    held, anomalies = done.stdout.splitlines()[-2:]
    assert held.startswith("40 days, 3.7 GiB held by 2 workers of 1GiB, in ")
    assert anomalies.startswith("anomalies: std 9.79, max ")  # 10 * sqrt(23/24): every day computed
    assert "exceeded 95% memory budget" not in done.stderr  # no worker was restarted
