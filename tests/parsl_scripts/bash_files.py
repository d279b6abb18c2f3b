"""Bash apps chained through output files (DataFutures), as in Parsl's tutorial."""
import os

import parsl
from parsl.app.app import bash_app, python_app
from parsl.config import Config
from parsl.data_provider.files import File
from parsl.executors.threads import ThreadPoolExecutor


@bash_app
def generate(limit, outputs=()):
    return f"seq 1 {limit} > {outputs[0]}"


@bash_app
def concatenate(inputs=(), outputs=(), stdout="cat.out", stderr="cat.err"):
    return f"cat {' '.join(str(i) for i in inputs)} > {outputs[0]}; echo done; echo warn >&2"


@python_app
def count_lines(inputs=()):
    with open(inputs[0]) as handle:
        return len(handle.readlines())


@bash_app
def fail():
    return "exit 3"


parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=4)]))
parts = [generate(n, outputs=[File(os.path.abspath(f"part{n}.txt"))]) for n in (3, 4, 5)]
joined = concatenate(inputs=[p.outputs[0] for p in parts], outputs=[File(os.path.abspath("all.txt"))])
print("lines:", count_lines(inputs=[joined.outputs[0]]).result())
print("output file:", os.path.basename(joined.outputs[0].result().filepath))
with open("cat.out") as out, open("cat.err") as err:
    # (the stderr file starts with the command, each in its own words: compare the app's output)
    print("stdout:", out.read().strip(), "stderr ends with:", err.read().split()[-1])
try:
    fail().result()
except parsl.app.errors.BashExitFailure as error:
    print("bash failure exit code:", error.exitcode)
parsl.dfk().cleanup()
