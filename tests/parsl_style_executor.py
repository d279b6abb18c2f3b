"""An executor a Parsl user might write: apps run in a pool of local processes."""
import concurrent.futures
import multiprocessing

import cloudpickle

from dask_parsl import InvalidResourceSpecification
from dask_parsl.executors import ParslExecutor
from dask_parsl.utils import RepresentationMixin


def run_pickled(call):
    """Unpickle and run one call (in a process of the pool)."""
    func, args, kwargs = cloudpickle.loads(call)
    return func(*args, **kwargs)


class ProcessPoolParslExecutor(ParslExecutor, RepresentationMixin):
    """Runs each call in one of ``max_workers`` spawned processes.

    Calls are pickled with cloudpickle, as Parsl's executors serialize them with
    their own serializer: the plain pickle of a process pool cannot ship an app's
    function, whose module-level name is bound to the app. Apps here take no
    resource specification.
    """

    def __init__(self, label="processes", max_workers=2):
        super().__init__()
        self.label = label
        self.max_workers = max_workers
        self._pool = None

    def start(self):
        """Start the pool of processes (the kernel has set ``run_dir`` and ``run_id``)."""
        self._pool = concurrent.futures.ProcessPoolExecutor(
            self.max_workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, func, resource_specification, *args, **kwargs):
        """The pool's future of ``func(*args, **kwargs)``."""
        if resource_specification:
            raise InvalidResourceSpecification(
                set(resource_specification.keys()),
                f"Executor {self.label!r} takes no resource specification.")
        return self._pool.submit(run_pickled, cloudpickle.dumps((func, args, kwargs)))

    def shutdown(self):
        """Wait for running calls, then stop the processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
