"""``AUTO_LOGNAME``: a stdout/stderr log file per task, named as Parsl names them."""
from __future__ import annotations

import os
from typing import Callable

#: ``stdout=AUTO_LOGNAME`` / ``stderr=AUTO_LOGNAME``: a log file per task under ``run_dir/task_logs``
AUTO_LOGNAME = -1


def default_std_autopath(run_dir: str, task_record: dict, stream: str) -> str:
    """``run_dir/task_logs/NNNN/task_NNNN_<app>[_<label>].stdout|stderr``."""
    tid, label = task_record["id"], task_record["kwargs"].get("label")
    suffix = "" if label is None else f"_{label}"
    return os.path.join(run_dir, "task_logs", f"{tid // 10000:04d}",
                        f"task_{tid:04d}_{task_record['func_name']}{suffix}.{stream}")


def name_auto_logs(record: dict, name_log: Callable[[dict, str], str]) -> None:
    """Replace ``AUTO_LOGNAME`` stdout/stderr with ``name_log(record, stream)``; the
    generated names are left out of the memoization hash."""
    kwargs = record["kwargs"]
    for stream in ("stdout", "stderr"):
        value = kwargs.get(stream)
        if type(value) is int and value == AUTO_LOGNAME:
            kwargs[stream] = name_log(record, stream)
            record["ignore_for_cache"] = [*record["ignore_for_cache"], stream]
