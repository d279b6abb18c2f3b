"""A workflow that prints every socket its process and the processes it started have open
(run by test_sockets.py). Usage: python sockets_script.py default|threads RUN_DIR"""
import json
import sys

import psutil

import dask_parsl as parsl
from dask_parsl import Config, python_app
from dask_parsl.configs.local_threads import config as local_threads


@python_app
def double(x):
    return 2 * x


def sockets():
    me = psutil.Process()
    return [{"process": "script" if process is me else "child", "status": connection.status,
             "ip": connection.laddr.ip, "port": connection.laddr.port}
            for process in [me, *me.children(recursive=True)]
            for connection in process.net_connections(kind="inet")]


kind, run_dir = sys.argv[1:3]
parsl.load(Config(executors=local_threads.executors, run_dir=run_dir) if kind == "threads"
           else Config(run_dir=run_dir))
print([f.result() for f in [double(x) for x in range(4)]])
print(json.dumps(sockets()))
