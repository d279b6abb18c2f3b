"""Parsl's memoization extension points: id_for_memo hashers, a cached join app, the
checkpoint period string. Run it twice: the second run answers every call from checkpoints."""
import os
import threading

import parsl
from parsl.app.app import join_app, python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer, id_for_memo
from parsl.executors.threads import ThreadPoolExecutor

CALLS = os.path.abspath("calls.log")


def record_call(what):
    with open(CALLS, "a") as log:
        log.write(f"{what}\n")


class Sample:
    """The same sample whenever it has the same name, whenever it was loaded."""

    def __init__(self, name, loaded_at):
        self.name = name
        self.loaded_at = loaded_at


@id_for_memo.register(Sample)
def _(sample, output_ref=False):
    return id_for_memo(sample.name)


class Opaque:
    pass


class HasherFailed(Exception):
    pass


@id_for_memo.register(Opaque)
def _(value, output_ref=False):
    raise HasherFailed("this hasher always fails")


@python_app(cache=True)
def describe(sample):
    record_call(f"describe {sample.name}")
    return f"sample {sample.name}"


@python_app(cache=True)
def anything(value):
    return "ran"


@python_app(cache=True)
def double(x):
    record_call(f"double {x}")
    return 2 * x


@join_app(cache=True)
def doubles(n):
    record_call(f"doubles {n}")
    return [double(i) for i in range(n)]


memoizer = BasicMemoizer(checkpoint_mode="task_exit", checkpoint_period="00:10:00")
with parsl.load(Config(executors=[ThreadPoolExecutor()], memoizer=memoizer)):
    print("checkpoint_period:", memoizer.checkpoint_period)
    print(describe(Sample("a", 1.0)).result(), describe(Sample("a", 2.0)).result(),
          describe(Sample("b", 3.0)).result())
    for value in (Opaque(), threading.Lock()):
        try:
            anything(value).result()
        except ValueError:
            print("unhashable argument: ValueError")
        except HasherFailed as error:
            print("the hasher's own error:", error)
    print("doubles:", doubles(3).result(), doubles(3).result())
with open(CALLS) as log:
    print("computed so far:", sorted(log.read().splitlines()))
