"""Chaos: the worker is SIGKILLed while it applies stored webhooks, more arrive while none runs, and
Redis is flushed meanwhile; after a restart every status and every reply is applied exactly once."""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from drip.extensions import db, redis_store
from drip.models import Delivery, InboundMessage, InboundReceipt, LiveQuestion, OutboxMessage, ProviderEvent
from tests.support.engine_workers import Workers, wait_for, worker_env
from tests.support.inbound_factory import (
    enrol,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
    sms_form,
    twilio_signature,
)

pytestmark = pytest.mark.slow
AUTH_TOKEN = "chaos-auth-token"
LEARNERS = 30


def _unapplied() -> int:
    db.session.rollback()
    return sum(
        db.session.scalar(select(func.count()).select_from(model).where(model.applied_at.is_(None)))
        for model in (InboundReceipt, ProviderEvent)
    )


def _webhooks(app, sms, emails, phones):
    """Every webhook the providers would post, as (path, body, headers), 10% of them twice, shuffled."""
    base = app.config["PUBLIC_BASE_URL"]
    posts = []
    for delivery in sms:
        for reported in ("sent", "delivered"):
            params = {"MessageSid": delivery.provider_message_id, "MessageStatus": reported, "To": "+1"}
            path = f"/webhooks/twilio/status?d={delivery.id}"
            signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, params)
            posts.append(
                (
                    path,
                    urlencode(params),
                    {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
                )
            )
    for n, phone in enumerate(phones):
        for k in range(2):
            form = sms_form(f"Question {k} from learner {n}: how do I say it kindly?", phone)
            posts.append(
                (
                    "/webhooks/twilio/sms",
                    urlencode(form),
                    {
                        "X-Twilio-Signature": twilio_signature(app, form),
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
            )
    key = ec.generate_private_key(ec.SECP256R1())
    app.config["SENDGRID_EVENT_PUBLIC_KEY"] = base64.b64encode(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    for delivery in emails:
        for n, name in enumerate(("processed", "delivered")):
            body = json.dumps(
                [
                    {
                        "event": name,
                        "sg_event_id": f"{name}-{delivery.id}",
                        "timestamp": 1767225600 + n,
                        "sg_message_id": f"{delivery.provider_message_id}.filter1",
                        "delivery_id": str(delivery.id),
                        "email": "x@example.org",
                    }
                ]
            ).encode()
            signature = base64.b64encode(key.sign(b"1767225600" + body, ec.ECDSA(hashes.SHA256()))).decode()
            posts.append(
                (
                    "/webhooks/sendgrid/events",
                    body,
                    {
                        "X-Twilio-Email-Event-Webhook-Signature": signature,
                        "X-Twilio-Email-Event-Webhook-Timestamp": "1767225600",
                        "Content-Type": "application/json",
                    },
                )
            )
    rng = random.Random(14)
    posts += rng.sample(posts, len(posts) // 10)
    rng.shuffle(posts)
    return posts


def test_a_killed_worker_and_a_flushed_redis_lose_nothing_and_apply_nothing_twice(
    app, client, trainer, app_config, tmp_path
):
    app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    ts = make_session(trainer)
    ts.acknowledgement = "On the board"
    learners = [
        make_learner(trainer, f"Learner {n}", phone=f"+1415555{n:04d}", email=f"l{n}@example.org")
        for n in range(LEARNERS)
    ]
    enrol(ts, *learners)
    reminder, mail = make_step(trainer, "reminder"), make_step(trainer, "reminder", channel="email", subject="Hi")
    sms = [sent_delivery(ts, learner, reminder) for learner in learners]
    emails = [
        sent_delivery(ts, learner, mail, provider_message_id=f"msg{n}") for n, learner in enumerate(learners[:10])
    ]
    posts = _webhooks(app, sms, emails, [learner.phone for learner in learners])
    half = len(posts) // 2

    with Workers(worker_env(app_config, WEBHOOK_LEASE_SECONDS="1"), tmp_path) as workers:
        first = workers.start()[0]
        for path, body, headers in posts[:half]:
            assert client.post(path, data=body, headers=headers).status_code in (200, 204)
        # Once the worker has applied some, kill it: the rest are stored, claimed or mid-transaction.
        wait_for(
            lambda: (
                db.session.rollback()
                or db.session.scalar(
                    select(func.count()).select_from(ProviderEvent).where(ProviderEvent.applied_at.is_not(None))
                )
            ),
            30,
            workers,
        )
        workers.kill(first)
        for path, body, headers in posts[half:]:  # stored, with no worker to apply them
            assert client.post(path, data=body, headers=headers).status_code in (200, 204)
        redis_store.connection.flushdb()  # wake-ups, RQ's state and heartbeats: all gone
        assert _unapplied() > 0  # the chaos really left work behind
        workers.start()
        wait_for(lambda: _unapplied() == 0, 60, workers, "every stored webhook applied")

    db.session.rollback()
    statuses = Counter(db.session.scalars(select(Delivery.status)))
    assert statuses == {"delivered": len(sms) + len(emails)}
    distinct = {(path, body) for path, body, _ in posts}
    texts = sum(1 for path, _ in distinct if path.endswith("/sms"))
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == texts == 2 * LEARNERS
    bodies = Counter(db.session.scalars(select(LiveQuestion.body)))
    assert len(bodies) == texts and set(bodies.values()) == {1}  # each question once on the board
    events = db.session.scalars(select(ProviderEvent)).all()
    assert len(events) == len(distinct) - texts and all(e.applied_at and not e.error for e in events)
    acknowledgements = Counter(db.session.scalars(select(OutboxMessage.to_address)))
    assert all(count <= 2 for count in acknowledgements.values())  # never more than once per question
