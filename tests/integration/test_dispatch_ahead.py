"""The dispatcher claims a tick ahead and each send waits for its due time: on time, never early."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, OutboxMessage, utcnow
from drip.services.delivery.dispatch import dispatch_due, lookahead
from drip.services.delivery.send import PREPARE_AHEAD, send_claimed
from tests.support.delivery_rows import make_delivery, make_learner


def test_a_delivery_due_within_a_tick_is_claimed_now_and_sent_at_its_due_time(app, trainer):
    learner = make_learner(trainer)
    due = utcnow() + timedelta(seconds=0.6)
    soon = make_delivery(learner, status="scheduled")
    later = make_delivery(make_learner(trainer, phone="+14155550199"), status="scheduled")
    soon.due_at, later.due_at = due, utcnow() + timedelta(seconds=30)
    db.session.commit()
    assert lookahead() == 1.0  # two ticks of the default 0.5 s
    assert dispatch_due() == 1  # only the one due within the look-ahead
    db.session.expire_all()
    claimed = db.session.get(Delivery, soon.id)
    assert claimed.status == "queued" and db.session.get(Delivery, later.id).status == "scheduled"
    assert send_claimed([soon.id], claimed.job_id)["delivered"] == 1
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.delivery_id == soon.id))
    # Never before its time; late only by what a busy machine takes to get to it (CI runs two suites on
    # two cores: half a second late has been seen there).
    assert due <= sent.created_at <= due + timedelta(seconds=3)
    # Claimed (opt-outs and cancellation read afresh) a moment before, handed over on the dot.
    db.session.expire_all()
    claimed = db.session.get(Delivery, soon.id)
    assert due - timedelta(seconds=PREPARE_AHEAD + 0.5) <= claimed.sending_at <= sent.created_at


def test_an_explicit_now_claims_only_what_is_due_by_then(app, trainer):
    learner, now = make_learner(trainer), utcnow()
    make_delivery(learner, status="scheduled").due_at = now + timedelta(seconds=0.6)
    db.session.commit()
    assert dispatch_due(now) == 0  # however long the machine took to get here
    assert dispatch_due(now + timedelta(seconds=0.6)) == 1
