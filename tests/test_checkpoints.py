"""Checkpoints: results saved by workers and reused by later runs."""
import os
import stat
import subprocess
import sys
import time
import warnings

import pytest
from cached_apps import (
    Reading,
    always_fails,
    cached_scale,
    cached_square,
    count_run,
    describe_reading,
    reading_id,
    runs,
    squares_joined,
    take_reading,
    uncached_square,
)
from checkpoint_files import committed, corrupt_every_record, rewrite_in_earlier_layout, segment_files

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, get_all_checkpoints, get_last_checkpoint, python_app
from dask_parsl.memo import CheckpointPythonWarning, UntrustedCheckpointWarning, id_for_memo


@pytest.fixture
def log(tmp_path):
    return str(tmp_path / "runs.log")


@pytest.fixture
def run(cluster, run_dir):
    """``run(workflow, **config)``: one complete run (load, workflow(dfk), cleanup)."""
    def run_once(workflow, **options):
        options.setdefault("run_dir", run_dir)
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], **options)) as dfk:
            return workflow(dfk)

    return run_once


def squares(log, n=3):
    return lambda dfk: [cached_square(i, log).result(timeout=60) for i in range(n)]


def statuses(log, n=3):
    return lambda dfk: [cached_square(i, log).task_status() for i in range(n)]


def test_a_later_run_reuses_checkpointed_results(run, log):
    assert run(squares(log), checkpoint_mode="task_exit") == [0, 1, 4]
    assert run(statuses(log), checkpoint_mode="task_exit") == ["memo_done"] * 3
    assert run(squares(log), checkpoint_mode="task_exit") == [0, 1, 4]
    assert runs(log) == 3


def test_without_checkpoints_a_later_run_computes_again(run, log):
    run(squares(log))
    run(squares(log))
    assert runs(log) == 6


def test_task_exit_commits_each_result_as_its_task_finishes(run, log):
    def workflow(dfk):
        cached_square(2, log).result(timeout=60)
        return committed(dfk.memoizer.checkpoint_dir)

    assert len(run(workflow, checkpoint_mode="task_exit")) == 1


@pytest.mark.parametrize("mode", ["dfk_exit", "manual"])
def test_dfk_exit_and_manual_commit_at_cleanup(run, log, mode):
    def workflow(dfk):
        cached_square(2, log).result(timeout=60)
        assert committed(dfk.memoizer.checkpoint_dir) == []
        return dfk.memoizer.checkpoint_dir

    checkpoint_dir = run(workflow, checkpoint_mode=mode)
    assert len(committed(checkpoint_dir)) == 1
    assert run(statuses(log, 3), checkpoint_mode=mode)[2] == "memo_done"


def test_manual_checkpoint_commits_now(run, log):
    def workflow(dfk):
        cached_square(2, log).result(timeout=60)
        assert dfk.checkpoint() == dfk.memoizer.checkpoint_dir
        return committed(dfk.memoizer.checkpoint_dir)

    assert len(run(workflow, checkpoint_mode="manual")) == 1


def test_periodic_commits_every_period(run, log):
    def workflow(dfk):
        cached_square(2, log).result(timeout=60)
        deadline = time.monotonic() + 20
        while not committed(dfk.memoizer.checkpoint_dir):
            assert time.monotonic() < deadline, "no periodic checkpoint"
            time.sleep(0.2)
        return True

    assert run(workflow, checkpoint_mode="periodic", checkpoint_period="00:00:01")
    assert parsl.BasicMemoizer(checkpoint_period="01:30:00").checkpoint_period == "01:30:00"  # as in Parsl


def test_checkpoint_files_choose_the_runs_to_reuse(run, log, tmp_path):
    other_root = str(tmp_path / "other")
    run(squares(log), checkpoint_mode="task_exit", run_dir=other_root)
    run(squares(log), checkpoint_mode="task_exit", run_dir=other_root)
    assert len(get_all_checkpoints(other_root)) == 2
    assert get_last_checkpoint(other_root) == get_all_checkpoints(other_root)[-1:]
    assert get_all_checkpoints(str(tmp_path / "missing")) == []
    reused = run(statuses(log), checkpoint_files=get_all_checkpoints(other_root))
    assert reused == ["memo_done"] * 3
    assert runs(log) == 3


def test_exceptions_are_never_checkpointed(run, log):
    def fail_once(dfk):
        return type(always_fails(log).exception(timeout=60)).__name__

    assert run(fail_once, checkpoint_mode="task_exit") == "KeyError"
    assert run(fail_once, checkpoint_mode="task_exit") == "KeyError"
    assert runs(log) == 2


def test_entries_are_private_to_their_owner(run, log):
    checkpoint_dir = run(lambda dfk: squares(log)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    for directory in ("", "segments", "pending"):
        assert stat.S_IMODE(os.stat(os.path.join(checkpoint_dir, directory)).st_mode) == 0o700
    assert len(committed(checkpoint_dir)) == 3
    assert all(stat.S_IMODE(os.stat(path).st_mode) == 0o600 for path in segment_files(checkpoint_dir))


def test_entries_are_records_in_one_file_per_worker_process(run, log):
    """Files are what HPC filesystems ration: 20 entries from two worker processes
    are at most two files."""
    def workflow(dfk):
        [cached_square(i, log).result(timeout=60) for i in range(20)]
        return dfk.memoizer.checkpoint_dir

    checkpoint_dir = run(workflow, checkpoint_mode="task_exit")
    assert len(committed(checkpoint_dir)) == 20
    assert 1 <= len(segment_files(checkpoint_dir)) <= 2
    assert sorted(os.listdir(checkpoint_dir)) == ["pending", "python", "segments"]
    assert run(statuses(log, 20), checkpoint_mode="task_exit") == ["memo_done"] * 20
    assert runs(log) == 20


def test_a_segment_cut_short_loses_only_its_last_entry(run, log, caplog):
    """A worker killed as it writes leaves half a record: the records before it load."""
    checkpoint_dir = run(lambda dfk: squares(log, 10)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    segments = segment_files(checkpoint_dir)
    for path in segments:
        with open(path, "r+b") as segment:
            segment.truncate(os.path.getsize(path) - 5)
    assert len(committed(checkpoint_dir)) == 10 - len(segments)
    assert "is cut short" in caplog.text
    def rerun(dfk):
        futures = [cached_square(i, log) for i in range(10)]
        assert [future.result(timeout=60) for future in futures] == [i * i for i in range(10)]
        return [future.task_status() for future in futures]

    assert run(rerun, checkpoint_mode="task_exit").count("memo_done") == 10 - len(segments)
    assert runs(log) == 10 + len(segments)


@pytest.mark.parametrize("tokens_in", ["markers", "tokens file"])
def test_checkpoints_of_the_file_per_entry_layout_still_load(run, log, run_dir, tokens_in):
    """Earlier versions wrote a file per entry, ``entries/<hashsum>``, and named its token
    in an empty file ``index/<hashsum>.<token>`` or a line of a ``.tokens`` file."""
    def chained(dfk):
        scaled = [cached_scale(cached_square(i, log), 10, log) for i in range(3)]
        return [future.result(timeout=60) for future in scaled], [f.task_status() for f in scaled]

    values, _ = run(chained, checkpoint_mode="task_exit")
    rewrite_in_earlier_layout(get_last_checkpoint(run_dir)[0], tokens_in)
    assert run(chained, checkpoint_mode="task_exit") == (values, ["memo_done"] * 3)
    assert values == [0, 10, 40] and runs(log) == 6


def test_damaged_entries_are_recomputed_never_returned(run, log):
    checkpoint_dir = run(lambda dfk: squares(log)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    corrupt_every_record(checkpoint_dir)
    with pytest.warns(RuntimeWarning, match="checksum mismatch.*computing task .* again"):
        assert run(squares(log), checkpoint_mode="task_exit") == [0, 1, 4]
    assert runs(log) == 6


def test_a_damaged_parent_entry_is_recomputed_for_its_dependent(run, log, tmp_path):
    parent_log = str(tmp_path / "parent.log")
    checkpoint_dir = run(lambda dfk: cached_square(5, parent_log).result(timeout=60)
                         and dfk.memoizer.checkpoint_dir, checkpoint_mode="task_exit")
    corrupt_every_record(checkpoint_dir)

    def dependent(dfk):
        return uncached_square(cached_square(5, parent_log), log).result(timeout=60)

    with pytest.warns(RuntimeWarning, match="checksum mismatch"):
        assert run(dependent, checkpoint_mode="task_exit") == 625
    assert runs(parent_log) == 2


def test_workers_look_up_calls_whose_hash_only_they_can_compute(run, log, tmp_path):
    parent_log = str(tmp_path / "parent.log")

    def workflow(dfk):
        child = cached_scale(uncached_square(3, parent_log), 2, log)
        return child.result(timeout=60), child.task_status()

    assert run(workflow, checkpoint_mode="task_exit") == (18, "exec_done")
    assert run(workflow, checkpoint_mode="task_exit") == (18, "memo_done")
    assert runs(log) == 1
    assert runs(parent_log) == 2


def make_step(body):
    """The app ``step`` as defined by a script whose author keeps editing it."""
    namespace = {"__name__": "workflow_under_edit", "count": count_run}
    exec(f"def step(x, log):\n    count(log)\n    return {body}\n", namespace)
    return python_app(namespace["step"], cache=True)


def test_editing_an_app_invalidates_its_entries(run, log):
    def with_body(body):
        return lambda dfk: (make_step(body)(1, log).result(timeout=60),
                            make_step(body)(1, log).task_status())

    assert run(with_body("x + 1"), checkpoint_mode="task_exit") == (2, "memo_done")
    assert run(with_body("x + 1"), checkpoint_mode="task_exit")[1] == "memo_done"
    assert run(with_body("x + 2"), checkpoint_mode="task_exit")[0] == 3
    assert runs(log) == 2


def test_a_cached_join_app_resumes_from_its_checkpoint(run, log):
    def workflow(dfk):
        joined = squares_joined(4, log)
        return joined.result(timeout=60), joined.task_status(), uncached_square(
            cached_scale(joined[3], 2, log + ".scale"), log + ".after").result(timeout=60)

    assert run(workflow, checkpoint_mode="task_exit") == ([0, 1, 4, 9], "exec_done", 324)
    assert run(workflow, checkpoint_mode="task_exit") == ([0, 1, 4, 9], "memo_done", 324)
    assert runs(log) == 1 and runs(log + ".inner") == 4  # the body and its apps ran once


def test_checkpoints_hashed_by_another_python_warn_and_older_ones_load(run, log):
    checkpoint_dir = run(lambda dfk: squares(log)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    tag = os.path.join(checkpoint_dir, "python")
    with open(tag, "w") as file:  # as Python 3.9 writes it: another bytecode magic number
        file.write("cpython 3.9.18 610d0d0a\n")
    with pytest.warns(CheckpointPythonWarning, match="written under cpython 3.9.18.*will not find"):
        run(statuses(log), checkpoint_mode="task_exit")
    for written in get_all_checkpoints(os.path.dirname(os.path.dirname(checkpoint_dir))):
        os.remove(os.path.join(written, "python"))  # as written before the tag existed
    with warnings.catch_warnings():
        warnings.simplefilter("error", CheckpointPythonWarning)
        assert run(statuses(log), checkpoint_mode="task_exit") == ["memo_done"] * 3
    assert runs(log) == 3


def test_hashers_registered_on_the_client_hash_values_on_workers(run, log):
    id_for_memo.register(Reading, reading_id)  # here only: the workers learn it with the tasks

    def workflow(dfk):
        # each reading is taken anew on a worker; readings of one name are the same reading
        first = describe_reading(take_reading("a"), log).result(timeout=60)
        again = describe_reading(take_reading("a"), log)
        return first, again.result(timeout=60), again.task_status()

    assert run(workflow, checkpoint_mode="task_exit") == ("reading a", "reading a", "memo_done")
    assert runs(log) == 1


def test_bad_checkpoint_settings_are_configuration_errors():
    with pytest.raises(parsl.ConfigurationError, match="checkpoint_mode"):
        Config(checkpoint_mode="sometimes")
    with pytest.raises(parsl.ConfigurationError, match="HH:MM:SS"):
        parsl.BasicMemoizer(checkpoint_mode="periodic", checkpoint_period="5 minutes")


def checkpoints_cli(*args):
    done = subprocess.run([sys.executable, "-m", "dask_parsl.cli", "checkpoints", *args],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_checkpoints_command_lists_verifies_and_clears(run, log, run_dir):
    run(squares(log), checkpoint_mode="task_exit")
    checkpoint_dir = run(lambda dfk: cached_square(9, log).result(timeout=60) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    code, output = checkpoints_cli("list", run_dir)
    assert code == 0
    assert "000/checkpoint: 3 entries" in output and "001/checkpoint: 1 entries" in output
    code, output = checkpoints_cli("verify", run_dir)
    assert code == 0 and output.count(", 0 corrupt") == 2
    corrupt_every_record(checkpoint_dir)
    code, output = checkpoints_cli("verify", os.path.dirname(checkpoint_dir))
    assert code == 1
    assert "1 entries" in output and "1 corrupt" in output and "checksum mismatch" in output
    with open(segment_files(checkpoint_dir)[0], "ab") as segment:
        segment.write(b"DPR1 half a rec")
    code, output = checkpoints_cli("verify", os.path.dirname(checkpoint_dir))
    assert code == 1 and "2 corrupt" in output and "is cut short" in output
    code, output = checkpoints_cli("clear", run_dir)
    assert code == 0 and output.count("removed") == 2
    assert not os.path.exists(checkpoint_dir)
    assert checkpoints_cli("list", run_dir) == (1, f"no checkpoints under {run_dir}\n")


def untrust(path, how, elsewhere):
    if how == "writable by anyone":
        os.chmod(path, 0o622)
    elif how == "a symbolic link":
        os.rename(path, elsewhere)
        os.symlink(elsewhere, path)
    elif os.geteuid() == 0:
        os.chown(path, 65534, -1)  # nobody's
    else:
        os.chmod(path, 0o620)  # the group may write it


@pytest.mark.parametrize("how", ["writable by anyone", "a symbolic link", "another user's"])
def test_entries_another_user_could_have_written_are_computed_again(run, log, tmp_path, how):
    checkpoint_dir = run(lambda dfk: squares(log)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    segments = segment_files(checkpoint_dir)
    for number, path in enumerate(segments):
        untrust(path, how, str(tmp_path / f"elsewhere-{number}"))
    with pytest.warns(UntrustedCheckpointWarning, match=r"not loaded.*its entries are computed again"):
        assert run(squares(log), checkpoint_mode="task_exit") == [0, 1, 4]
    assert runs(log) == 6
    code, output = checkpoints_cli("verify", os.path.dirname(checkpoint_dir))
    assert code == 1 and f", 0 corrupt, {len(segments)} untrusted" in output
    expected = {"writable by anyone": "writable by other users (mode -rw--w--w-)",
                "a symbolic link": "is a symbolic link"}
    assert expected.get(how, "not loaded") in output


@pytest.mark.parametrize("given", [False, True])
def test_a_checkpoint_directory_others_could_write_into_is_not_read(run, log, given):
    checkpoint_dir = run(lambda dfk: squares(log)(dfk) and dfk.memoizer.checkpoint_dir,
                         checkpoint_mode="task_exit")
    run_of_it = os.path.dirname(checkpoint_dir)
    os.chmod(run_of_it, 0o777)  # anyone may put another checkpoint directory in its place
    options = {"checkpoint_files": [checkpoint_dir]} if given else {"checkpoint_mode": "task_exit"}
    with pytest.warns(UntrustedCheckpointWarning, match=f"{run_of_it} is writable by other users"):
        assert run(squares(log), **options) == [0, 1, 4]
    assert runs(log) == 6
    code, output = checkpoints_cli("verify", run_of_it)
    assert code == 1 and "untrusted: " in output


def test_checkpoints_load_under_a_group_sharing_umask(run, log, run_dir):
    old = os.umask(0o002)  # usual on HPC project directories: files the group may write
    try:
        assert run(squares(log), checkpoint_mode="task_exit") == [0, 1, 4]
        assert run(statuses(log), checkpoint_mode="task_exit") == ["memo_done"] * 3
    finally:
        os.umask(old)
    assert runs(log) == 3
    assert stat.S_IMODE(os.stat(os.path.join(run_dir, "000")).st_mode) == 0o755
