"""Recovery: expired sending leases become unknown; queued work whose job is gone is scheduled again."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from rq.job import Job
from sqlalchemy import update

from drip.extensions import db, redis_store
from drip.models import Delivery
from drip.services.delivery import recovery
from drip.services.delivery.dispatch import claim_due, enqueue_batch, new_job_id
from drip.services.programs.enrolment import enrol
from drip.services.delivery.recovery import LEASE_REASON, mark_alive, recover
from drip.services.delivery.batching import record
from drip.services.delivery.lifecycle import MAX_CLAIMS
from drip.services.delivery.transitions import outcome
from drip.services.delivery.send import send_claimed
from drip.services.delivery.in_flight import InFlight, holder_key
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def queued_batch(trainer, count=2, *, at=NOW) -> tuple[list[int], str]:
    ts = make_session(trainer, [make_sequence(trainer, ["PT0S"])], at - timedelta(hours=1))
    enrol(ts, make_learners(trainer, count), now=at - timedelta(days=1))
    job = new_job_id()
    return claim_due(at, 100, job_id=job), job


def test_sending_past_the_lease_becomes_unknown_and_is_never_resent(app, trainer):
    ids, job = queued_batch(trainer)
    db.session.execute(
        update(Delivery).where(Delivery.id == ids[0]).values(status="sending", sending_at=NOW - timedelta(seconds=61))
    )
    db.session.execute(
        update(Delivery).where(Delivery.id == ids[1]).values(status="sending", sending_at=NOW - timedelta(seconds=59))
    )
    db.session.commit()

    assert recover(NOW, lease_seconds=60) == recovery.Recovered(unknown=1, rescheduled=0)

    rows = {d.id: d for d in deliveries()}
    assert (rows[ids[0]].status, rows[ids[0]].error_message) == ("unknown", LEASE_REASON)
    assert rows[ids[1]].status == "sending"
    assert recover(NOW + timedelta(hours=1), lease_seconds=60).rescheduled == 0  # unknown stays unknown


def test_a_late_answer_after_the_lease_still_records_the_truth(app, trainer):
    ids, _ = queued_batch(trainer, 1)
    db.session.execute(update(Delivery).values(status="unknown"))
    db.session.commit()
    record(db.engine, [outcome(ids[0], "sent", provider_message_id="SM1")])
    assert (deliveries()[0].status, deliveries()[0].provider_message_id) == ("sent", "SM1")
    record(db.engine, [outcome(ids[0], "failed", reason="too late")])  # never backwards over a recorded outcome
    assert deliveries()[0].status == "sent"


def test_queued_without_a_job_in_redis_goes_back_to_scheduled_after_a_grace_period(app, trainer):
    ids, job = queued_batch(trainer)  # claimed, but Redis never got the job (or was flushed)
    assert recover(NOW + timedelta(seconds=1)).rescheduled == 0  # the enqueue may still be on its way
    assert recover(NOW + timedelta(seconds=10)).rescheduled == 2
    assert {(d.status, d.job_id, d.queued_at) for d in deliveries()} == {("scheduled", None, None)}
    assert send_claimed(ids, job) == {"not_ours": 2}  # the original job, if it ever ran, sends nothing


def test_queued_with_a_waiting_job_is_left_alone(app, trainer):
    ids, job = queued_batch(trainer)
    enqueue_batch(ids, job)
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 0
    assert {d.status for d in deliveries()} == {"queued"}


def test_queued_for_a_job_taken_from_the_queue_by_a_worker_that_died_before_starting_it_goes_back(app, trainer):
    from drip.queues import send_queue

    ids, job = queued_batch(trainer)
    enqueue_batch(ids, job)
    # RQ moves the job id out of the queue, then marks the job started: a kill in between leaves it
    # `queued` in name, in no queue, and no worker will ever run it.
    redis_store.connection.lmove(send_queue().key, send_queue().key + ":taken", "LEFT", "RIGHT")
    assert redis_store.connection.hget(Job.key_for(job), "status") == b"queued"
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 2


def test_queued_for_a_started_job_depends_on_its_worker_being_alive(app, trainer):
    ids, job = queued_batch(trainer)
    enqueue_batch(ids, job)
    redis_store.connection.hset(Job.key_for(job), mapping={"status": "started", "worker_name": "w1"})
    mark_alive("w1")
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 0
    redis_store.connection.delete(recovery.ALIVE_PREFIX + "w1")  # SIGKILLed: its heartbeat stops
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 2


def test_queued_for_a_failed_job_goes_back(app, trainer):
    ids, job = queued_batch(trainer)
    enqueue_batch(ids, job)
    redis_store.connection.hset(Job.key_for(job), "status", "failed")
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 2


def test_a_send_that_never_reached_the_provider_is_tried_again_then_fails(app, trainer):
    ids, _ = queued_batch(trainer, 1)
    db.session.execute(update(Delivery).values(status="sending", attempts=1))
    db.session.commit()
    record(db.engine, [outcome(ids[0], "scheduled", code="connection", reason="provider unreachable")])
    assert deliveries()[0].status == "scheduled"  # the dispatcher claims it again
    db.session.execute(update(Delivery).values(status="sending", attempts=MAX_CLAIMS))
    db.session.commit()
    record(db.engine, [outcome(ids[0], "scheduled", code="connection", reason="provider unreachable")])
    assert (deliveries()[0].status, deliveries()[0].error_code) == ("failed", "connection")


def test_queued_for_a_batch_a_worker_goes_on_with_after_its_job_depends_on_that_worker_being_alive(app, trainer):
    ids, job = queued_batch(trainer)  # its RQ job has returned and is gone from Redis
    redis_store.connection.set(holder_key(job), "w2")
    mark_alive("w2")
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 0
    redis_store.connection.delete(recovery.ALIVE_PREFIX + "w2")  # SIGKILLed mid-batch
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 2


def test_a_handed_over_batch_is_held_while_it_is_sent_and_released_after(app, trainer, monkeypatch):
    from drip.services.delivery import send

    ids, job = queued_batch(trainer)
    mark_alive("w3")
    in_flight = InFlight(app, "w3")
    sending, finish = threading.Event(), threading.Event()
    real = send.send_claimed

    def held(delivery_ids, claim):
        sending.set()
        assert finish.wait(10)
        return real(delivery_ids, claim)

    monkeypatch.setattr(send, "send_claimed", held)
    in_flight.hand_over(ids, job)  # returns at once: the worker is free for its next job
    assert sending.wait(10)
    assert redis_store.connection.get(holder_key(job)) == b"w3"
    assert recover(NOW + timedelta(minutes=10)).rescheduled == 0  # the job is gone, the batch is not
    finish.set()
    assert in_flight.wait(10) == 0
    assert redis_store.connection.exists(holder_key(job)) == 0
    db.session.expire_all()
    assert {d.status for d in deliveries()} == {"delivered"}  # the outbox took them
