"""LightFuture: the ``concurrent.futures.Future`` behind AppFuture, on one shared lock."""
import concurrent.futures
import logging
import threading
import time

from dask_parsl.internals import LightFuture


def finish_later(future, value, delay=0.05):
    timer = threading.Timer(delay, future.set_result, (value,))
    timer.start()
    return timer


def test_many_threads_waiting_on_one_future_all_wake():
    future = LightFuture()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        readers = [pool.submit(future.result, 10) for _ in range(8)]
        time.sleep(0.1)  # every reader is asleep in result()
        future.set_result("done")
        assert [reader.result(10) for reader in readers] == ["done"] * 8
    assert future._sleepers is None


def test_threads_waiting_on_different_futures_wake_only_for_their_own():
    first, second = LightFuture(), LightFuture()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        on_first, on_second = pool.submit(first.result, 10), pool.submit(second.result, 10)
        time.sleep(0.1)
        first.set_result(1)
        assert on_first.result(10) == 1
        assert not on_second.done()
        second.set_exception(ValueError("second failed"))
        assert isinstance(on_second.exception(10), ValueError)


def test_a_timed_out_wait_leaves_no_sleeper_behind():
    future = LightFuture()
    started = time.monotonic()
    try:
        future.result(timeout=0.1)
    except concurrent.futures.TimeoutError:
        pass
    else:
        raise AssertionError("result() returned before the future finished")
    assert time.monotonic() - started >= 0.1
    assert future._sleepers is None
    finish_later(future, 3)
    assert future.result(10) == 3


def test_wait_and_as_completed_see_every_future_finish():
    futures = [LightFuture() for _ in range(50)]
    timers = [finish_later(future, index, 0.002 * index) for index, future in enumerate(futures)]
    first, _ = concurrent.futures.wait(futures, timeout=10, return_when=concurrent.futures.FIRST_COMPLETED)
    assert first
    assert sorted(f.result() for f in concurrent.futures.as_completed(futures, timeout=10)) == list(range(50))
    done, not_done = concurrent.futures.wait(futures, timeout=10)
    assert len(done) == 50 and not not_done
    for timer in timers:
        timer.join()


def test_callbacks_run_once_in_order_and_a_failing_one_is_logged(caplog):
    future, calls = LightFuture(), []
    future.add_done_callback(lambda f: calls.append(("first", f.result())))
    future.add_done_callback(lambda f: 1 / 0)
    future.add_done_callback(lambda f: calls.append(("third", f.result())))
    with caplog.at_level(logging.ERROR, logger="concurrent.futures"):
        future.set_result(7)
    assert calls == [("first", 7), ("third", 7)]
    assert "ZeroDivisionError" in caplog.text
    future.add_done_callback(lambda f: calls.append(("late", f.result())))  # runs at once
    assert calls[-1] == ("late", 7)


def test_cancelling_a_pending_future_wakes_its_waiters():
    future = LightFuture()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(future.exception, 10)
        time.sleep(0.1)
        assert future.cancel()
        assert isinstance(waiting.exception(10), concurrent.futures.CancelledError)
