"""A Parsl-interface executor of the script's own beside the thread pool: apps share a lock
and an event (nothing pickled), and a retry handler reads each failed call's arguments."""
import concurrent.futures
import threading

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.utils import RepresentationMixin


class InlineExecutor(ParslExecutor, RepresentationMixin):
    """Runs each call at once, in the thread that submits it, and counts the calls."""

    def __init__(self, label="inline", greeting="hello"):
        super().__init__()
        self.label = label
        self.greeting = greeting
        self.calls = 0

    def start(self):
        self.started_in = self.run_dir

    def submit(self, func, resource_specification, *args, **kwargs):
        self.calls += 1
        future = concurrent.futures.Future()
        try:
            future.set_result(func(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future

    def shutdown(self):
        pass


seen = []


def judge(exception, task_record):
    seen.append(f"{task_record['func_name']}({task_record['args'][0]}) on {task_record['executor']}: "
                f"{exception!r}")
    return 1


@python_app(executors=["threads"])
def guarded(lock, counter, event):
    with lock:
        counter.append(len(counter))
    return event.wait(10)


@python_app(executors=["inline"])
def halve(n):
    if n % 2:
        raise ValueError(f"{n} is odd")
    return n // 2


inline = InlineExecutor(greeting="hi")
parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=4), inline], retries=1, retry_handler=judge))
print(repr(inline))
lock, counter, event = threading.Lock(), [], threading.Event()
futures = [guarded(lock, counter, event) for _ in range(4)]
event.set()
print([f.result() for f in futures], sorted(counter))
print(halve(halve(8)).result())
try:
    halve(3).result()
except ValueError as error:
    print("halve(3) failed:", error)
print(inline.calls, "inline calls; started in the run directory:", inline.started_in == parsl.dfk().run_dir)
parsl.dfk().cleanup()
print("\n".join(seen))
