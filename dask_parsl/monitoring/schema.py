"""Parsl's monitoring schema: its tables, columns and types, so that Parsl's viewer and
the queries users already have read a dask_parsl database unchanged.

Two indexes are added (tasks and tries by ``run_id``) for the ``dask-parsl monitor``
queries; they change nothing for readers that do not use them. Status rows, five or
more per task, get none beyond Parsl's key: each index costs every insert.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()

workflow = Table(
    "workflow", metadata,
    Column("run_id", Text, nullable=False, primary_key=True),
    Column("workflow_name", Text, nullable=True),
    Column("workflow_version", Text, nullable=True),
    Column("time_began", DateTime, nullable=False),
    Column("time_completed", DateTime, nullable=True),
    Column("host", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("rundir", Text, nullable=False),
    Column("tasks_failed_count", Integer, nullable=False),
    Column("tasks_completed_count", Integer, nullable=False),
)

task = Table(
    "task", metadata,
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("task_depends", Text, nullable=True),
    Column("task_func_name", Text, nullable=False),
    Column("task_memoize", Text, nullable=False),
    Column("task_hashsum", Text, nullable=True, index=True),
    Column("task_inputs", Text, nullable=True),
    Column("task_outputs", Text, nullable=True),
    Column("task_stdin", Text, nullable=True),
    Column("task_stdout", Text, nullable=True),
    Column("task_stderr", Text, nullable=True),
    Column("task_time_invoked", DateTime, nullable=True),
    Column("task_time_returned", DateTime, nullable=True),
    Column("task_fail_count", Integer, nullable=False),
    Column("task_fail_cost", Float, nullable=False),
    PrimaryKeyConstraint("task_id", "run_id"),
    Index("ix_task_run_id", "run_id", "task_func_name"),
)

try_ = Table(
    "try", metadata,
    Column("try_id", Integer, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("block_id", Text, nullable=True),
    Column("hostname", Text, nullable=True),
    Column("task_executor", Text, nullable=False),
    Column("task_try_time_launched", DateTime, nullable=True),
    Column("task_try_time_running", DateTime, nullable=True),
    Column("task_try_time_returned", DateTime, nullable=True),
    Column("task_fail_history", Text, nullable=True),
    Column("task_joins", Text, nullable=True),
    PrimaryKeyConstraint("try_id", "task_id", "run_id"),
    Index("ix_try_run_id", "run_id", "task_id"),
)

node = Table(
    "node", metadata,
    Column("id", Integer, nullable=False, primary_key=True, autoincrement=True),
    Column("run_id", Text, nullable=False),
    Column("hostname", Text, nullable=False),
    Column("uid", Text, nullable=False),
    Column("block_id", Text, nullable=False),
    Column("cpu_count", Integer, nullable=False),
    Column("total_memory", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("worker_count", Integer, nullable=False),
    Column("python_v", Text, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("last_heartbeat", DateTime, nullable=False),
)

block = Table(
    "block", metadata,
    Column("run_id", Text, nullable=False),
    Column("executor_label", Text, nullable=False),
    Column("block_id", Text, nullable=False),
    Column("job_id", Text, nullable=True),
    Column("timestamp", DateTime, nullable=False),
    Column("status", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "block_id", "executor_label", "timestamp"),
)

status = Table(
    "status", metadata,
    Column("task_id", Integer, nullable=False),
    Column("task_status_name", Text, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("try_id", Integer, nullable=False),
    PrimaryKeyConstraint("task_id", "run_id", "task_status_name", "timestamp"),
)

resource = Table(
    "resource", metadata,
    Column("try_id", Integer, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("resource_monitoring_interval", Float, nullable=True),
    Column("psutil_process_pid", Integer, nullable=True),
    Column("psutil_process_memory_percent", Float, nullable=True),
    Column("psutil_process_children_count", Float, nullable=True),
    Column("psutil_process_time_user", Float, nullable=True),
    Column("psutil_process_time_system", Float, nullable=True),
    Column("psutil_process_memory_virtual", Float, nullable=True),
    Column("psutil_process_memory_resident", Float, nullable=True),
    Column("psutil_process_disk_read", Float, nullable=True),
    Column("psutil_process_disk_write", Float, nullable=True),
    Column("psutil_process_status", Text, nullable=True),
    Column("psutil_cpu_num", Text, nullable=True),
    Column("psutil_process_num_ctx_switches_voluntary", Float, nullable=True),
    Column("psutil_process_num_ctx_switches_involuntary", Float, nullable=True),
    PrimaryKeyConstraint("try_id", "task_id", "run_id", "timestamp"),
)

#: the states that end a task
FINAL_STATES = ("exec_done", "memo_done", "failed", "dep_fail")
