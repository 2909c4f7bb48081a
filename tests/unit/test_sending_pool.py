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
    later = pool.at(0.3, _stamp(log, "later"))
    sooner = pool.at(0.1, _stamp(log, "sooner"))
    assert (later.result(DEADLINE), sooner.result(DEADLINE)) == ("later", "sooner")
    times = dict(log)
    assert [name for name, _ in log] == ["sooner", "later"]
    assert times["sooner"] - start >= 0.1 and times["later"] - start >= 0.3
    pool.retire()


def test_waiting_work_holds_no_thread():
    # One thread: what waits for a later time must not keep what is due now from running.
    pool = SendingPool(1)
    waiting = pool.at(2.0, lambda: "later")
    due_now = pool.at(0, lambda: "now")
    assert due_now.result(1.5) == "now" and not waiting.done()
    assert waiting.cancel()
    pool.retire()


def test_cancelled_work_never_runs_and_errors_reach_the_caller():
    pool = SendingPool(2)
    ran = threading.Event()
    cancelled = pool.at(0.2, ran.set)
    assert cancelled.cancel()

    def broken():
        raise ValueError("template")

    with pytest.raises(ValueError, match="template"):
        pool.at(0.05, broken).result(DEADLINE)
    pool.at(0.3, lambda: None).result(DEADLINE)  # released after the cancelled one's time
    assert not ran.is_set()
    pool.retire()


def test_a_retired_pool_finishes_what_waits_and_takes_nothing_new():
    pool = SendingPool(2)
    waiting = pool.at(0.2, lambda: "sent")
    pool.retire()
    with pytest.raises(RuntimeError):
        pool.at(0, lambda: None)
    assert waiting.result(DEADLINE) == "sent"
