"""Each worker pinned to one accelerator, as Parsl's ``available_accelerators`` does.

``PinAccelerators`` is a worker plugin: in each worker process it sets
``CUDA_VISIBLE_DEVICES``, ``ROCR_VISIBLE_DEVICES`` and ``ZE_AFFINITY_MASK`` to
the accelerator of the worker's place on its node, before the worker runs any
task, so python apps and the commands of bash apps see only that device. The
place is the number dask-jobqueue appends to the name of each worker of a job
(``<job>-<i>``), or a LocalCluster worker's name (``0``, ``1``, ...).
"""
from __future__ import annotations

import os
import re
from typing import Any, Sequence

from distributed.diagnostics.plugin import WorkerPlugin

#: the variables Parsl's worker pool sets (NVIDIA, AMD, Intel)
DEVICE_VARIABLES = ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK")


def accelerator_names(available: int | Sequence[str]) -> list[str]:
    """Parsl's ``available_accelerators``: names, or a count N meaning ``"0"`` to ``"N-1"``."""
    if isinstance(available, int):
        return [str(index) for index in range(available)]
    return [str(name) for name in available]


class PinAccelerators(WorkerPlugin):
    """Pins each worker to one of ``accelerators``; ``workers_per_node`` is how many
    workers share a node (1: the worker's name carries no place, it takes the first)."""

    name = "dask-parsl-accelerators"

    def __init__(self, accelerators: Sequence[str], workers_per_node: int) -> None:
        self.accelerators = list(accelerators)
        self.workers_per_node = workers_per_node

    def setup(self, worker: Any) -> None:
        device = self.accelerators[self.place(worker.name) % len(self.accelerators)]
        os.environ.update(dict.fromkeys(DEVICE_VARIABLES, device))

    def place(self, name: Any) -> int:
        """The worker's place on its node, from its name."""
        if self.workers_per_node == 1:
            return 0
        if isinstance(name, int):
            return name
        number = re.search(r"(\d+)$", str(name))
        return int(number.group(1)) if number else 0
