"""Memoization: cache=True apps, hashed by Dask tokens, within a run and across runs."""
import dataclasses
import gc
import threading

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cached_apps import (
    always_fails,
    cached_describe,
    cached_scale,
    cached_square,
    cached_sum,
    cached_zeros,
    runs,
    squares_joined,
    uncached_square,
)
from test_parsl_scripts import SCRIPTS, run

from dask_parsl import BasicMemoizer, File, python_app
from dask_parsl.dataflow.futures import ON_WORKER


@pytest.fixture
def log(tmp_path):
    return str(tmp_path / "runs.log")


def test_identical_calls_in_a_run_reuse_one_result(dfk, log):
    first = cached_square(4, log)
    assert first.result(timeout=60) == 16
    again = [cached_square(4, log) for _ in range(3)]
    assert [f.result(timeout=60) for f in again] == [16, 16, 16]
    assert runs(log) == 1
    assert first.task_status() == "exec_done"
    assert {f.task_status() for f in again} == {"memo_done"}
    assert again[0].task_record["from_memo"] is True
    assert dfk.memoizer.hits["cached_square"] == 3
    assert dfk.memoizer.misses["cached_square"] == 1
    assert cached_square(5, log).result(timeout=60) == 25
    assert runs(log) == 2


@pytest.mark.parametrize("plugin", [True, False])
def test_a_dependency_hashed_on_its_worker_memoizes_its_dependents(load_dfk, log, tmp_path, plugin):
    with dask.config.set({"parsl.scheduler-plugin": plugin}):  # reported with completions, or as events
        load_dfk(checkpoint_mode="task_exit")
    parents = str(tmp_path / "parents.log")
    first = cached_scale(cached_square(5, parents), 2, log)
    assert first.result(timeout=60) == 50
    other_parent = cached_scale(5, 5, parents)  # another call, with the same value: 25
    again = cached_scale(other_parent, 2, log)  # the same call, as the value's token tells: its entry
    assert again.result(timeout=60) == 50
    assert runs(log) == 1 and again.task_status() == "memo_done"


def test_identical_calls_on_a_running_parent_reuse_one_result(dfk, log, tmp_path):
    parent = cached_square(3, str(tmp_path / "parent.log"))
    children = [cached_scale(parent, 2, log) for _ in range(3)]
    assert [f.result(timeout=60) for f in children] == [18, 18, 18]
    assert runs(log) == 1
    assert [f.task_status() for f in children].count("memo_done") == 2


def test_results_are_not_brought_to_the_client_to_be_hashed(load_dfk, log, tmp_path):
    with dask.config.set({"parsl.results.push-max-size": 0}):  # results stay on workers, as large ones do
        load_dfk()
    parent = cached_square(6, str(tmp_path / "parent.log"))
    parent.exception(timeout=60)
    child = cached_scale(parent, 3, log)
    assert child.result(timeout=60) == 108
    assert parent._result is ON_WORKER
    assert child.task_record["hashsum"] == cached_scale(parent, 3, log).task_record["hashsum"]


def test_uncached_apps_run_every_time(dfk, log):
    assert [uncached_square(2, log).result(timeout=60) for _ in range(3)] == [4, 4, 4]
    assert runs(log) == 3


@pytest.mark.parametrize("switch_off", [
    {"app_cache": False},
    {"memoizer": BasicMemoizer(memoize=False)},
])
def test_memoization_can_be_switched_off(load_dfk, log, switch_off):
    load_dfk(**switch_off)
    futures = [cached_square(7, log) for _ in range(3)]
    assert [f.result(timeout=60) for f in futures] == [49] * 3
    assert runs(log) == 3
    assert {f.task_status() for f in futures} == {"exec_done"}


def test_ignore_for_cache_leaves_arguments_out_of_the_hash(dfk, log):
    scale = python_app(cached_scale.func, cache=True, ignore_for_cache=["verbose"])
    assert scale(2, 5, log, verbose=False).result(timeout=60) == 10
    assert scale(2, 5, log, verbose=True).result(timeout=60) == 10
    assert runs(log) == 1
    assert scale(2, 6, log, verbose=True).result(timeout=60) == 12
    assert runs(log) == 2


@dataclasses.dataclass
class Settings:
    name: str
    threshold: float


@pytest.mark.parametrize("same, different", [
    (lambda: np.arange(10), lambda: np.arange(11)),
    (lambda: pd.DataFrame({"a": [1, 2]}), lambda: pd.DataFrame({"a": [1, 3]})),
    (lambda: xr.DataArray(np.ones(3), dims="x"), lambda: xr.DataArray(np.zeros(3), dims="x")),
    (lambda: Settings("a", 0.5), lambda: Settings("a", 0.6)),
    (lambda: File("/data/a.txt"), lambda: File("/data/b.txt")),
], ids=["numpy", "pandas", "xarray", "dataclass", "File"])
def test_data_arguments_hash_by_value(dfk, log, same, different):
    first = cached_describe(same(), log)
    second = cached_describe(same(), log)  # an equal, separate object
    assert first.result(timeout=60) == second.result(timeout=60)
    assert second.task_status() == "memo_done"
    assert cached_describe(different(), log).task_status() != "memo_done"
    cached_describe(different(), log).result(timeout=60)
    assert runs(log) == 2


def test_an_unhashable_argument_fails_the_task_naming_it(dfk, log):
    future = cached_describe(threading.Lock(), log)
    with pytest.raises(ValueError, match=r"positional argument 0 \(lock\).*id_for_memo.register"):
        future.result(timeout=60)
    assert runs(log) == 0


def test_failures_are_memoized_within_a_run(dfk, log):
    with pytest.raises(KeyError):
        always_fails(log).result(timeout=60)
    again = always_fails(log)
    with pytest.raises(KeyError):
        again.result(timeout=60)
    assert runs(log) == 1
    assert again.task_status() == "memo_done"


def test_futures_inside_inputs_are_dependencies_of_the_hash(dfk, log, tmp_path):
    parts = [cached_square(i, str(tmp_path / "parts.log")) for i in range(4)]
    first = cached_sum(log, inputs=parts)
    assert first.result(timeout=60) == 14
    again = [cached_square(i, str(tmp_path / "parts.log")) for i in range(4)]
    assert cached_sum(log, inputs=again).result(timeout=60) == 14
    assert runs(log) == 1
    assert runs(str(tmp_path / "parts.log")) == 4


def test_a_cached_join_app_shares_its_final_value(dfk, log):
    first = squares_joined(3, log)
    assert first.result(timeout=60) == [0, 1, 4]
    again = squares_joined(3, log)
    assert again.result(timeout=60) == [0, 1, 4]
    assert again.task_status() == "memo_done"
    assert runs(log) == 1 and runs(log + ".inner") == 3
    assert squares_joined(2, log).result(timeout=60) == [0, 1]
    assert runs(log) == 2


@pytest.mark.parametrize("checkpoint_mode", [None, "task_exit"])
def test_results_above_the_pin_limit_are_shared_only_while_held(load_dfk, log, tmp_path, checkpoint_mode):
    with dask.config.set({"parsl.memo.pin-limit": "10kB"}):
        load_dfk(checkpoint_mode=checkpoint_mode)
    big = cached_zeros(100_000, log)  # 800 kB
    assert cached_zeros(100_000, log).result(timeout=60).nbytes == 800_000
    assert runs(log) == 1  # shared while `big` is held
    del big
    gc.collect()
    again = cached_zeros(100_000, log)
    again.result(timeout=60)
    # no longer held: computed again, unless its checkpoint entry can be read back
    assert runs(log) == (2 if checkpoint_mode is None else 1)
    assert again.task_status() == ("exec_done" if checkpoint_mode is None else "memo_done")
    small_log = str(tmp_path / "small.log")
    cached_zeros(10, small_log).result(timeout=60)  # 80 bytes: kept for the whole run
    gc.collect()
    assert cached_zeros(10, small_log).result(timeout=60).nbytes == 80
    assert runs(small_log) == 1


def test_id_for_memo_hashers_and_cached_joins_behave_as_in_parsl(tmp_path):
    script = SCRIPTS / "memo_extension_points.py"
    parsl = run("python", tmp_path / "parsl", script, runs=2)
    ours = run("dask-parsl", tmp_path / "dask_parsl", script, runs=2)
    assert [done.stdout for done in ours] == [done.stdout for done in parsl]
    lines = ours[1].stdout.splitlines()
    assert lines[:5] == ["checkpoint_period: 00:10:00", "sample a sample a sample b",
                         "the hasher's own error: this hasher always fails",
                         "unhashable argument: ValueError", "doubles: [0, 2, 4] [0, 2, 4]"]
    # the second run computed nothing: every call, the join's included, came from checkpoints
    assert lines[5] == ("computed so far: ['describe a', 'describe b', 'double 0', 'double 1', "
                        "'double 2', 'doubles 3']")
