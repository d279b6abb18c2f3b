"""Results still held at cleanup come to this process in batches, up to a byte budget;
one past it raises ResultNotKept when read afterwards."""
import dask.config
import pytest

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, ResultNotKept, python_app
from dask_parsl.dataflow import held_results


@python_app
def kilobytes(n):
    return b"x" * (n * 1024)


def test_results_held_at_cleanup_are_kept_up_to_the_budget(cluster, run_dir, monkeypatch):
    batches = []
    fetch = held_results._fetch
    monkeypatch.setattr(held_results, "_fetch", lambda executor, futures: (batches.append(len(futures)),
                                                                         fetch(executor, futures)))
    monkeypatch.setattr(held_results, "FETCH_BATCH_BYTES", 40 * 1024)  # a batch of about 4 results
    with dask.config.set({"parsl.cleanup.keep-results": "100kB",  # about 9 of the 20
                          "parsl.results.push-max-size": 0}):  # all on the workers, as large results are
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            futures = [kilobytes(10) for _ in range(20)]
            for future in futures:
                future.exception(timeout=60)  # finished, results still on the workers
    not_kept = [f for f in futures if f._replacement is not None]
    readable = futures[:len(futures) - len(not_kept)]
    assert 8 <= len(readable) <= 9  # the oldest tasks first, within 100 kB
    assert all(f.result() == b"x" * 10240 for f in readable)
    assert max(batches) <= 4 and sum(batches) == len(readable)  # never all at once
    with pytest.raises(ResultNotKept, match=rf"result of task {futures[-1].tid} \(\d+ bytes\) was not kept "
                                            r"at cleanup.*parsl.cleanup.keep-results \(100000 bytes\)"):
        futures[-1].result()
