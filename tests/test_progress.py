"""``dask_parsl.progress``: bars by app, as text in a terminal (widgets: test_notebooks.py)."""
import subprocess
import sys
import textwrap

import pytest

from dask_parsl import progress, python_app

SCRIPT = textwrap.dedent("""
    import dask_parsl as parsl
    from dask_parsl import python_app

    parsl.load()

    @python_app
    def square(x):
        import time
        time.sleep(0.05)
        return x * x

    @python_app
    def boom(x):
        raise ValueError(x)

    futures = [square(i) for i in range(12)] + [boom(i) for i in range(2)]
    parsl.progress(futures)
    print("after progress:", sum(f.done() for f in futures), "done")
""")


def test_a_script_shows_a_bar_per_app_and_returns_once_all_finished(tmp_path):
    script = tmp_path / "workflow.py"
    script.write_text(SCRIPT)  # no main guard, as Parsl scripts are written
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[-3].startswith("boom") and lines[-3].endswith("] 2/2, 2 failed")
    assert lines[-2] == f"{'square':<24} [{'#' * 30}] 12/12"
    assert lines[-1] == "after progress: 14 done"


@python_app
def slow_double(x):
    import time

    time.sleep(0.2)
    return 2 * x


def test_the_bars_of_a_kernel_count_its_tasks_by_app(dfk, capsys):
    futures = [slow_double(i) for i in range(6)]
    progress(dfk, interval=0.1)  # returns once every task of the kernel has finished
    assert all(f.done() for f in futures)
    assert capsys.readouterr().out.splitlines()[-1] == f"{'slow_double':<24} [{'#' * 30}] 6/6"


def test_progress_names_what_it_cannot_follow(dfk):
    with pytest.raises(TypeError, match=r"takes AppFutures .* not \['int'\]"):
        progress([1, 2])
