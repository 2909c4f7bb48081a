"""Workers apply stored status events in batches: coalesced, in the provider's order, forward only, once."""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, ProviderEvent, utcnow
from drip.services.webhooks.apply_statuses import apply_pending_statuses
from drip.services.webhooks import intake
from tests.support.delivery_rows import make_delivery, make_learner


def _status(delivery_id: int) -> Delivery:
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id)


def test_storing_changes_nothing_until_a_worker_applies_the_batch_coalesced(app, trainer):
    learner = make_learner(trainer)
    first = make_delivery(learner, status="sending", provider_message_id="SMfirst")
    second = make_delivery(
        make_learner(trainer, phone="+15005550007"), status="sending", provider_message_id="SMsecond"
    )
    for sid, reported in (
        ("SMfirst", "sent"),
        ("SMsecond", "delivered"),
        ("SMfirst", "delivered"),
        ("SMsecond", "sent"),
    ):
        assert intake.store_twilio_status({"MessageSid": sid, "MessageStatus": reported}) is True
    assert intake.store_twilio_status({"MessageSid": "SMfirst", "MessageStatus": "sent"}) is False  # a repeat
    assert _status(first.id).status == "sending"  # stored, not applied
    assert apply_pending_statuses() == 4
    for delivery in (first, second):
        row = _status(delivery.id)
        assert row.status == "delivered" and row.sent_at and row.delivered_at
    assert apply_pending_statuses() == 0  # each applied once
    assert all(e.applied_at and e.delivery_id for e in db.session.scalars(select(ProviderEvent)))


def test_sendgrid_events_apply_in_the_providers_order_not_arrival(app, trainer):
    delivery = make_delivery(make_learner(trainer), channel="email", status="sent", provider_message_id="msgA")

    def event(name, stamp):
        return {
            "event": name,
            "sg_event_id": f"{name}-1",
            "timestamp": stamp,
            "delivery_id": str(delivery.id),
            "sg_message_id": "msgA.filter1",
            "email": "lee@example.com",
            "reason": "550 no such user",
        }

    # The bounce arrives first but happened later: the delivery was delivered, then a late bounce
    # report (final either way) cannot take it back.
    assert intake.store_sendgrid_events([event("bounce", 1767225660), event("delivered", 1767225600)]).stored == 2
    apply_pending_statuses()
    assert _status(delivery.id).status == "delivered"


def test_a_bad_event_is_set_aside_and_the_rest_of_its_batch_applied(app, trainer):
    delivery = make_delivery(make_learner(trainer), status="sending", provider_message_id="SMgood")
    intake.store_twilio_status({"MessageSid": "SMgood", "MessageStatus": "delivered"})
    db.session.add(
        ProviderEvent(
            provider="sendgrid", event_id="broken", event="?", payload={"no": "event"}, created_at=utcnow(), attempts=0
        )
    )
    db.session.commit()
    for _ in range(6):  # retried on each claim, then kept with its error
        apply_pending_statuses()
    assert _status(delivery.id).status == "delivered"
    broken = db.session.scalar(select(ProviderEvent).where(ProviderEvent.event_id == "broken"))
    assert broken.applied_at is not None and "KeyError" in broken.error and broken.attempts == 5
