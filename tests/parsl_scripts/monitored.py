"""A workflow with every kind of task Parsl's monitoring database records, written to
``runinfo/monitoring.db``: success, failure after a retry, success on the retry,
dependency failure, memo hit, bash app with output files, join app, ``inputs=`` futures.

Task ids (each submit waits where the order could otherwise race):
0 ok(1), 1 boom(), 2 flaky(), 3 after(boom) [dep_fail], 4 cached(7), 5 cached(7) [memo hit],
6 say() [bash], 7 outer(5) [join] -> 8 ok(5) [inner], 9 ok(2), 10 add(inputs=[0, 9]).
"""
import os

import parsl
from parsl import bash_app, join_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub

MARKER = os.path.abspath("flaky.marker")


@python_app
def ok(x):
    return x * 2


@python_app
def boom():
    raise ValueError("boom!")


@python_app
def flaky(path):
    import os
    if not os.path.exists(path):
        open(path, "w").close()
        raise RuntimeError("first try fails")
    return "recovered"


@python_app
def after(x):
    return x + 1


@python_app(cache=True)
def cached(x):
    return x * 10


@bash_app
def say(message, stdout=None, stderr=None):
    return f"echo {message}; echo err-{message} 1>&2"


@join_app
def outer(x):
    return ok(x)


@python_app
def add(inputs=()):
    return sum(inputs)


def outcome(future):
    try:
        return repr(future.result())
    except Exception as error:
        return type(error).__name__


def main():
    if os.path.exists(MARKER):
        os.remove(MARKER)
    parsl.load(Config(executors=[ThreadPoolExecutor(label="threads", max_threads=2)], retries=1,
                      monitoring=MonitoringHub(resource_monitoring_interval=0), run_dir="runinfo"))

    f_ok = ok(1)
    f_boom = boom()
    f_flaky = flaky(MARKER)
    f_dep = after(f_boom)
    f_first = cached(7)
    f_first.result()
    f_memo = cached(7)
    f_memo.result()
    # stdout as an absolute path, stderr relative to the working directory
    f_say = say("hello", stdout=os.path.abspath("say.out"), stderr="say.err")
    f_say.result()
    f_join = outer(5)
    f_join.result()  # its inner ok(5) takes the next id
    f_add = add(inputs=[f_ok, ok(2)])

    futures = [f_ok, f_boom, f_flaky, f_dep, f_first, f_memo, f_say, f_join, f_add]
    print(" ".join(f"{future.tid}:{outcome(future)}" for future in futures))
    parsl.dfk().cleanup()
    print("done")


# Parsl starts its monitoring database process with "spawn", which imports this script again
if __name__ == "__main__":
    main()
