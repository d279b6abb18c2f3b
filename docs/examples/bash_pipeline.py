"""A pipeline of command-line tools and Python, on an embedded LocalCluster.

Bash apps write files (``outputs``); their ``DataFuture``s are the inputs of the
next steps, so each step starts as soon as its files exist. Every command's
stdout and stderr go to a log per task under ``runinfo/NNN/task_logs``.

    python bash_pipeline.py WORK_DIR
"""
import os
import sys

import dask_parsl as parsl
from dask_parsl import AUTO_LOGNAME, File, bash_app, python_app


@bash_app
def generate(first, outputs=(), stdout=AUTO_LOGNAME, stderr=AUTO_LOGNAME):
    return f"seq {first} {first + 9} > {outputs[0]}"


@bash_app
def sort_descending(inputs=(), outputs=(), stdout=AUTO_LOGNAME, stderr=AUTO_LOGNAME):
    return f"sort -rn {inputs[0]} > {outputs[0]} && echo sorted {inputs[0]}"


@python_app
def total(inputs=()):
    return sum(int(line) for file in inputs for line in open(file))


def main(work_dir: str) -> int:
    with parsl.load(parsl.Config(run_dir=os.path.join(work_dir, "runinfo"))):
        sorted_files = []
        for first in range(0, 100, 10):
            numbers = generate(first, outputs=[File(os.path.join(work_dir, f"numbers-{first}.txt"))])
            ordered = sort_descending(inputs=numbers.outputs,
                                      outputs=[File(os.path.join(work_dir, f"sorted-{first}.txt"))])
            sorted_files.extend(ordered.outputs)
        result = total(inputs=sorted_files).result()
        print(f"total of {len(sorted_files)} sorted files: {result}")
        print(f"logs of the last sort: {ordered.stdout}")
    return result


if __name__ == "__main__":
    main(sys.argv[1])
