"""The sending pool: deliveries wait for their due time in its timer, not in a sending thread."""

from __future__ import annotations

import threading
import time

import pytest

from drip.services.delivery.sending_pool import SendingPool

DEADLINE = 10.0


def _stamp(log: list, name: str):
    def work():
        log.append((name, time.monotonic()))
        return name

    return work


def test_work_runs_at_its_time_not_before_and_in_due_order():
    pool = SendingPool(4)
    log: list = []
    start = time.monotonic()
    # Half a second apart: order is kept even when a loaded machine wakes a thread late.
    batch = pool.batch([(1.0, _stamp(log, "later")), (0.5, _stamp(log, "sooner")), (0, _stamp(log, "now"))])
    assert batch.wait(DEADLINE)
    times = dict(log)
    assert [name for name, _ in log] == ["now", "sooner", "later"]
    assert times["sooner"] - start >= 0.5 and times["later"] - start >= 1.0
    pool.retire()


def test_waiting_work_holds_no_thread():
    # One thread: what waits for a later time must not keep what is due now from running.
    pool = SendingPool(1)
    ran = threading.Event()
    waiting = pool.at(2.0, ran.set)
    assert pool.at(0, lambda: "now").wait(1.5) and not waiting.wait(0)
    waiting.stop()
    assert waiting.wait(DEADLINE) and not ran.is_set()  # passed over at its time, not run
    pool.retire()


def test_a_stopped_batch_runs_nothing_more_and_errors_reach_the_caller():
    pool = SendingPool(2)
    ran = threading.Event()
    stopped = pool.at(0.2, ran.set)
    stopped.stop()

    def broken():
        raise ValueError("template")

    after = threading.Event()
    failing = pool.batch([(0.05, broken), (0.1, after.set)])
    with pytest.raises(ValueError, match="template"):
        failing.wait(DEADLINE)
    assert after.wait(DEADLINE)  # the others still run
    with pytest.raises(ValueError, match="template"):  # and the error stays
        failing.wait(0)
    assert pool.at(0.3, lambda: None).wait(DEADLINE)  # released after the stopped one's time
    assert not ran.is_set()
    pool.retire()


def test_a_retired_pool_finishes_what_waits_and_takes_nothing_new():
    pool = SendingPool(2)
    log: list = []
    waiting = pool.at(0.2, _stamp(log, "sent"))
    pool.retire()
    with pytest.raises(RuntimeError):
        pool.at(0, lambda: None)
    assert waiting.wait(DEADLINE) and [name for name, _ in log] == ["sent"]
