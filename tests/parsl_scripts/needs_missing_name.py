from parsl.executors import WorkQueueExecutor  # noqa: F401
