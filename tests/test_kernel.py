"""Kernel lifecycle: run directories, logging, exit modes, garbage collection."""
import os
import time
import uuid

import pytest

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, States, TaskCancelledAtCleanup, python_app


@python_app
def nap(seconds):
    time.sleep(seconds)
    return seconds


@python_app
def double(x):
    return 2 * x


def make_config(cluster, run_dir, **options):
    return Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir, **options)


def test_run_dirs_are_numbered_and_hold_a_log(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir)) as first:
        double(1).result()
    with parsl.load(make_config(cluster, run_dir)) as second:
        pass
    assert os.path.basename(first.run_dir) == "000"
    assert os.path.basename(second.run_dir) == "001"
    with open(os.path.join(first.run_dir, "parsl.log")) as log:
        text = log.read()
    assert "Starting DataFlowKernel" in text and "cleaned up" in text


def test_numbering_continues_after_existing_runs(cluster, run_dir):
    os.makedirs(os.path.join(run_dir, "041"))
    with parsl.load(make_config(cluster, run_dir)) as kernel:
        assert os.path.basename(kernel.run_dir) == "042"


def test_exit_mode_wait_lets_tasks_finish(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir, exit_mode="wait")):
        future = nap(1)
    assert future.done() and future.result() == 1


def test_exit_mode_cleanup_fails_unfinished_tasks(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir, exit_mode="cleanup")):
        future = nap(5)
    with pytest.raises(TaskCancelledAtCleanup, match="had not finished"):
        future.result(timeout=10)


def test_exit_mode_wait_cleans_up_at_once_on_exception(cluster, run_dir):
    started = time.perf_counter()
    with pytest.raises(KeyError):
        with parsl.load(make_config(cluster, run_dir, exit_mode="wait")) as kernel:
            future = nap(5)
            raise KeyError("stop")
    assert kernel.cleanup_called
    assert time.perf_counter() - started < 4.5
    assert isinstance(future.exception(timeout=5), TaskCancelledAtCleanup)


def test_exit_mode_skip_leaves_the_kernel_running(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir, exit_mode="skip")) as kernel:
        pass
    assert parsl.dfk() is kernel
    assert double(4).result() == 8
    kernel.cleanup()
    with pytest.raises(parsl.NoDataFlowKernelError):
        parsl.dfk()


def test_wait_for_current_tasks(dfk):
    futures = [nap(0.2) for _ in range(6)]
    parsl.wait_for_current_tasks()
    assert all(f.done() for f in futures)


def test_garbage_collect_forgets_finished_tasks(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir)) as kernel:
        futures = [double(i) for i in range(20)]
        parsl.wait_for_current_tasks()
        assert kernel.tasks == {}
        assert kernel.task_count == 20
        assert futures[3].result() == 6


def test_without_garbage_collect_tasks_are_kept(cluster, run_dir):
    with parsl.load(make_config(cluster, run_dir, garbage_collect=False)) as kernel:
        futures = [double(i) for i in range(5)]
        parsl.wait_for_current_tasks()
        assert sorted(kernel.tasks) == [f.tid for f in futures]
        assert all(r["status"].name == "exec_done" for r in kernel.tasks.values())


def test_older_config_keywords_are_accepted(cluster, run_dir):
    config = make_config(cluster, run_dir, app_cache=False, checkpoint_mode="task_exit",
                         checkpoint_files=[], checkpoint_period="00:10:00")
    assert config.checkpoint_mode == "task_exit" and config.app_cache is False
    with parsl.load(config):
        assert double(1).result() == 2


def test_explicit_kernel_without_loading(cluster, run_dir):
    kernel = parsl.DataFlowKernel(make_config(cluster, run_dir))
    try:
        @python_app(data_flow_kernel=kernel)
        def local_double(x):
            return 2 * x

        assert local_double(5).result() == 10
        with pytest.raises(parsl.NoDataFlowKernelError):
            parsl.dfk()
    finally:
        kernel.cleanup()


def test_the_kernel_offers_what_parsl_code_reads(cluster, run_dir):
    config = make_config(cluster, run_dir, checkpoint_mode="manual")
    with parsl.load(config) as kernel:
        assert kernel.config is config
        assert kernel.run_dir == os.path.join(run_dir, "000")
        assert str(uuid.UUID(kernel.run_id)) == kernel.run_id
        assert kernel.executors == {"dask": config.executors[0]}
        futures = [double(i) for i in range(4)]
        kernel.wait_for_current_tasks()
        assert all(f.done() for f in futures)
        assert kernel.task_state_counts[States.exec_done] == 4
        kernel.checkpoint()  # nothing cached: nothing to commit
        kernel.log_task_states()
    with open(os.path.join(kernel.run_dir, "parsl.log")) as log:
        lines = log.read().splitlines()
    assert any(line.endswith("Tasks in state States.exec_done: 4") for line in lines)
    assert sum("Tasks in state States." in line for line in lines) == len(States)
