"""transitions.report(): the forward-only rule of provider reports, for every pair of statuses."""

from __future__ import annotations

import itertools

import pytest

from drip.extensions import db
from drip.models import Delivery
from drip.services.delivery.transitions import report
from drip.services.webhooks import intake
from tests.support.delivery_rows import make_delivery, make_learner
from tests.support.webhook_drain import drain

FORWARD = ["queued", "sending", "sent", "delivered"]
FINAL = ["delivered", "undelivered", "failed"]


@pytest.mark.parametrize(
    "start,target",
    list(
        itertools.product(
            ["scheduled", "queued", "sending", "unknown", "sent", "delivered", "undelivered", "failed", "skipped"],
            ["sent", "delivered", "undelivered", "failed"],
        )
    ),
)
def test_report_moves_only_forward(app, trainer, start, target):
    delivery = make_delivery(make_learner(trainer), status=start)
    moved = report(delivery.id, target)
    db.session.commit()
    db.session.expire_all()
    now = db.session.get(Delivery, delivery.id).status
    expected = start in ("scheduled", "queued", "sending", "unknown") or (start == "sent" and target != "sent")
    assert moved is expected
    assert now == (target if expected else start)


def test_report_keeps_the_first_sent_time_and_the_provider_id(app, trainer):
    delivery = make_delivery(make_learner(trainer), status="sending", provider_message_id="SMfirst")
    report(delivery.id, "sent", provider_message_id="SMother")
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Delivery, delivery.id)
    first_sent = row.sent_at
    assert row.provider_message_id == "SMfirst"
    report(delivery.id, "delivered")
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Delivery, delivery.id)
    assert row.sent_at == first_sent and row.delivered_at >= first_sent


def test_unknown_twilio_status_is_recorded_without_a_change(app, trainer):
    delivery = make_delivery(make_learner(trainer), status="sent", provider_message_id="SM1")
    assert intake.store_twilio_status({"MessageSid": "SM1", "MessageStatus": "partially_delivered"}) is True
    assert intake.store_twilio_status({"MessageSid": "SM1", "MessageStatus": "partially_delivered"}) is False
    assert drain() == 1
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == "sent"


def test_callback_for_a_message_drip_does_not_know_is_kept(app):
    assert intake.store_twilio_status({"MessageSid": "SMnobody", "MessageStatus": "delivered"}) is True
    assert drain() == 1
    from drip.models import ProviderEvent

    event = db.session.scalar(db.select(ProviderEvent))
    assert (event.delivery_id, event.event_id) == (None, "SMnobody:delivered")
