"""What dask_parsl opens to the network: servers it starts listen on 127.0.0.1 unless told
otherwise (every user of a shared login node can connect to it, and a Dask scheduler runs
what it is sent); the thread pool opens nothing."""
import json
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(__file__), "sockets_script.py")


def run_script(kind, run_dir):
    done = subprocess.run([sys.executable, SCRIPT, kind, run_dir], capture_output=True, text=True,
                          timeout=180, check=True)
    results, sockets = done.stdout.strip().splitlines()[-2:]
    assert results == "[0, 2, 4, 6]"
    return json.loads(sockets)


def test_the_embedded_cluster_listens_on_loopback_only(run_dir):
    listening = [s for s in run_script("default", run_dir) if s["status"] == "LISTEN"]
    # the scheduler and its dashboard in the script; a nanny per worker there, workers in children
    assert {s["process"] for s in listening} == {"script", "child"}
    assert len(listening) >= 4
    assert {s["ip"] for s in listening} == {"127.0.0.1"}, listening


def test_the_thread_pool_opens_no_socket(run_dir):
    assert run_script("threads", run_dir) == []
