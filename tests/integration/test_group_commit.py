"""Webhooks answered at the same moment share one INSERT, and each still hears its own outcome."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from drip.extensions import db
from drip.models import InboundReceipt, ProviderEvent
from drip.services.webhooks import group_commit, intake
from tests.support.inbound_factory import post_sms

WAITING = 12  # requests that arrive while the first one is writing


def _count_inserts(engine) -> list[int]:
    """INSERT statements sent from now on (each is its own transaction: autocommit)."""
    inserts = [0]

    def seen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT"):
            inserts[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    return inserts


def _wait_for(condition, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _in_threads(app, callables) -> list:
    """Run each callable in its own thread and app context (as concurrent requests are); results in order."""
    results: list = [None] * len(callables)

    def run(index, call):
        with app.app_context():
            try:
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - the test reads what each request heard
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(callables)]
    for thread in threads:
        thread.start()
    return threads, results


def _hold_first_write(monkeypatch):
    """The first batch waits inside its write until released: the others queue behind it meanwhile."""
    release, entered = threading.Event(), threading.Event()
    real_write, calls = group_commit._write, []

    def write(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            entered.set()
            assert release.wait(20)
        return real_write(batch)

    monkeypatch.setattr(group_commit, "_write", write)
    return release, entered, calls


def _status(sid: str, reported: str = "delivered"):
    return lambda: intake.store_twilio_status({"MessageSid": sid, "MessageStatus": reported})


def test_requests_that_arrive_during_a_write_go_out_together_in_the_next_insert(app, monkeypatch):
    release, entered, calls = _hold_first_write(monkeypatch)
    inserts = _count_inserts(db.engine)
    first, first_result = _in_threads(app, [_status("SMfirst")])
    assert entered.wait(20)
    # Twelve more callbacks, two of them the same event twice (a provider retry racing itself).
    waiting = [_status(f"SM{i}") for i in range(WAITING - 2)] + [_status("SMtwice"), _status("SMtwice")]
    others, results = _in_threads(app, waiting)
    _wait_for(lambda: len(group_commit._queue) == WAITING, "the others to queue")
    release.set()
    for thread in first + others:
        thread.join(20)

    assert first_result == [True]
    assert results[: WAITING - 2] == [True] * (WAITING - 2)
    assert sorted(results[WAITING - 2 :]) == [False, True]  # one stored it, the other hears "a repeat"
    assert calls == [1, WAITING]  # the first alone, then everyone who waited, in one batch
    assert inserts[0] == 2
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == WAITING
    assert group_commit._queue == [] and group_commit._leading is False


def test_a_batch_that_cannot_be_committed_fails_every_request_in_it_and_stores_nothing(app, monkeypatch):
    release, entered, calls = _hold_first_write(monkeypatch)
    first, first_result = _in_threads(app, [_status("SMfirst")])
    assert entered.wait(20)
    others, results = _in_threads(app, [_status("SMa"), _status("SMb"), _status("SMc")])
    _wait_for(lambda: len(group_commit._queue) == 3, "the others to queue")

    real_write = group_commit._write

    def broken(batch):
        if len(batch) == 3:
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return real_write(batch)

    monkeypatch.setattr(group_commit, "_write", broken)
    release.set()
    for thread in first + others:
        thread.join(20)

    assert first_result == [True]
    assert all(isinstance(r, (OperationalError, group_commit.IntakeFailed)) for r in results), results
    stored = set(db.session.scalars(select(ProviderEvent.event_id)))
    assert stored == {"SMfirst:delivered"}  # the failed batch left no row behind
    # The lead was laid down: the next webhook is stored at once, by itself.
    monkeypatch.setattr(group_commit, "_write", real_write)
    assert intake.store_twilio_status({"MessageSid": "SMa", "MessageStatus": "delivered"}) is True


def test_a_failed_batch_reaches_the_provider_as_503_retry_later_not_500(app, client, monkeypatch):
    def broken(batch):
        raise OperationalError("INSERT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(group_commit, "_write", broken)
    response = post_sms(client, app, "When is the break?", apply=False)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] and response.is_json
    assert db.session.scalar(select(func.count()).select_from(InboundReceipt)) == 0


@pytest.mark.parametrize("rows", [1, 3])
def test_one_request_at_a_time_is_one_insert(app, rows):
    inserts = _count_inserts(db.engine)
    events = [{"event": "delivered", "sg_event_id": f"e{i}", "timestamp": 1767225600 + i} for i in range(rows)]
    assert intake.store_sendgrid_events(events).stored == rows
    assert intake.store_sendgrid_events(events).duplicates == rows
    assert inserts[0] == 2


def test_a_request_that_gives_up_waiting_leaves_the_queue_and_the_lead_still_passes_on(app, monkeypatch):
    release, entered, calls = _hold_first_write(monkeypatch)
    first, first_result = _in_threads(app, [_status("SMfirst")])
    assert entered.wait(20)
    monkeypatch.setattr(group_commit, "WAIT_SECONDS", 0.2)
    late, late_result = _in_threads(app, [_status("SMlate")])
    late[0].join(20)
    assert isinstance(late_result[0], group_commit.IntakeFailed)  # the provider hears 503 and retries
    assert group_commit._queue == []  # gone from the queue: nobody will hand it the lead
    release.set()
    first[0].join(20)
    assert first_result == [True] and group_commit._leading is False
    assert intake.store_twilio_status({"MessageSid": "SMlate", "MessageStatus": "delivered"}) is True


def test_batches_that_follow_each_other_write_through_one_connection_returned_when_the_lead_is_laid_down(
    app, monkeypatch
):
    checkouts = []
    event.listen(db.engine, "checkout", lambda *args: checkouts.append(1))
    release, entered, calls = _hold_first_write(monkeypatch)
    first, first_result = _in_threads(app, [_status("SMfirst")])
    assert entered.wait(20)
    others, results = _in_threads(app, [_status(f"SM{i}") for i in range(3)])
    _wait_for(lambda: len(group_commit._queue) == 3, "the others to queue")
    release.set()
    for thread in first + others:
        thread.join(20)
    assert first_result == [True] and results == [True] * 3 and calls == [1, 3]
    # The second batch took the lead, and the connection, from the first: one checkout (and ping) for both.
    assert len(checkouts) == 1
    assert group_commit._held is None  # laid down with the lead: back in the pool
    assert intake.store_twilio_status({"MessageSid": "SMnext", "MessageStatus": "delivered"}) is True
    assert len(checkouts) == 2  # a quiet moment's webhook checks one out, as before
