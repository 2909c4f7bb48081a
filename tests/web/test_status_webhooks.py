"""Status webhooks over HTTP with real signatures: Twilio's RequestValidator and an ECDSA P-256 key."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from drip.extensions import db
from drip.models import Delivery, Learner, OptOutEvent, ProviderEvent
from tests.support.delivery_rows import make_delivery, make_learner, make_session
from tests.support.webhook_drain import drain

AUTH_TOKEN = "status-test-auth-token"
BASE = "https://drip.example.org"
SID = "SM" + "a" * 32


@pytest.fixture()
def signing(app):
    """Configure the app with a Twilio auth token and a fresh SendGrid event key; yield the private key."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    app.config.update(
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_BASE_URL=BASE,
        SENDGRID_EVENT_PUBLIC_KEY=base64.b64encode(public_der).decode(),
    )
    return private_key


def post_twilio(client, params: dict, *, query: str = "", token: str = AUTH_TOKEN, signature: str | None = None):
    """POST a status callback signed the way Twilio signs it (URL + sorted params)."""
    path = "/webhooks/twilio/status" + (f"?{query}" if query else "")
    if signature is None:
        signature = RequestValidator(token).compute_signature(BASE + path, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post(
        path, data=urlencode(params), headers=headers, content_type="application/x-www-form-urlencoded"
    )
    drain()  # what a worker does next
    return response


def post_events(client, private_key, events, *, body: bytes | None = None, timestamp: str = "1767225600"):
    """POST an Event Webhook batch signed over timestamp + body."""
    body = json.dumps(events).encode() if body is None else body
    signature = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }
    response = client.post("/webhooks/sendgrid/events", data=body, headers=headers, content_type="application/json")
    drain()  # what a worker does next
    return response


def _status(delivery_id):
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id).status


def _event_count():
    return db.session.scalar(select(func.count()).select_from(ProviderEvent))


def test_twilio_callback_moves_the_delivery_forward(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    response = post_twilio(
        client, {"MessageSid": SID, "MessageStatus": "delivered", "To": "+15005550006"}, query=f"d={delivery.id}"
    )
    assert response.status_code == 204
    assert _status(delivery.id) == "delivered"
    assert db.session.get(Delivery, delivery.id).delivered_at is not None


def test_twilio_callbacks_out_of_order_never_go_backwards(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    for reported in ("delivered", "sent", "queued", "sending"):
        assert (
            post_twilio(client, {"MessageSid": SID, "MessageStatus": reported}, query=f"d={delivery.id}").status_code
            == 204
        )
    assert _status(delivery.id) == "delivered"
    assert _event_count() == 4


def test_twilio_failure_beats_sent_and_records_the_code(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    post_twilio(client, {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    post_twilio(client, {"MessageSid": SID, "MessageStatus": "sent"})
    db.session.expire_all()
    row = db.session.get(Delivery, delivery.id)
    assert (row.status, row.error_code) == ("undelivered", "30003")
    assert "Unreachable" in row.error_message


def test_unknown_delivery_resolves_through_the_d_hint(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), status="unknown", provider_message_id=None)
    post_twilio(client, {"MessageSid": SID, "MessageStatus": "sent"}, query=f"d={delivery.id}")
    db.session.expire_all()
    row = db.session.get(Delivery, delivery.id)
    assert (row.status, row.provider_message_id) == ("sent", SID)
    assert row.sent_at is not None


def test_d_hint_naming_another_message_is_not_trusted(client, trainer, signing):
    learner = make_learner(trainer)
    training_session = make_session(trainer, steps=2)
    mine = make_delivery(learner, training_session, provider_message_id=SID, status="sent")
    other = make_delivery(
        learner, training_session, step_index=1, status="unknown", provider_message_id="SM" + "b" * 32
    )
    post_twilio(client, {"MessageSid": SID, "MessageStatus": "delivered"}, query=f"d={other.id}")
    assert (_status(mine.id), _status(other.id)) == ("sent", "unknown")


def test_error_21610_opts_the_number_out(client, trainer, signing):
    learner = make_learner(trainer)
    delivery = make_delivery(learner, provider_message_id=SID, status="sent")
    post_twilio(client, {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "21610"})
    db.session.expire_all()
    assert _status(delivery.id) == "failed"
    assert db.session.get(Learner, learner.id).sms_opted_out_at is not None
    event = db.session.scalar(select(OptOutEvent))
    assert (event.source, event.detail) == ("carrier", "Twilio error 21610")


def test_replayed_twilio_callback_changes_nothing(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    params = {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "30007"}
    post_twilio(client, params)
    db.session.execute(db.update(Delivery).values(error_message="kept"))  # a marker a replay would overwrite
    db.session.commit()
    assert post_twilio(client, params).status_code == 204
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).error_message == "kept"
    assert _event_count() == 1


@pytest.mark.parametrize("how", ["missing", "forged", "wrong_token", "tampered_query"])
def test_bad_twilio_signature_is_refused_and_changes_nothing(client, trainer, signing, how):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    if how == "missing":
        response = post_twilio(client, params, signature="")
    elif how == "forged":
        response = post_twilio(client, params, signature="bm90IGEgc2lnbmF0dXJl")
    elif how == "wrong_token":
        response = post_twilio(client, params, token="another-token")
    else:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            BASE + f"/webhooks/twilio/status?d={delivery.id}", params
        )
        response = post_twilio(client, params, query="d=999", signature=signature)
    assert response.status_code == 403
    assert response.get_json()["error"] == "Forbidden"
    assert _status(delivery.id) == "sent" and _event_count() == 0


def test_twilio_callback_without_auth_token_configured_is_refused(client, trainer, signing, app):
    app.config["TWILIO_AUTH_TOKEN"] = ""
    assert post_twilio(client, {"MessageSid": SID, "MessageStatus": "sent"}).status_code == 403


def test_malformed_twilio_callback_is_400(client, trainer, signing):
    assert post_twilio(client, {"MessageStatus": "delivered"}).status_code == 400
    assert post_twilio(client, {"MessageSid": SID}).status_code == 400
    assert _event_count() == 0


def _sg(event: str, delivery, **fields):
    base = {
        "event": event,
        "email": "lee@example.com",
        "timestamp": 1767225600,
        "sg_event_id": f"ev-{event}-{delivery.id}",
        "sg_message_id": f"{delivery.provider_message_id}.filter0001",
        "delivery_id": str(delivery.id),
    }
    return {**base, **fields}


def test_sendgrid_events_update_deliveries_and_suppress_addresses(client, trainer, signing):
    learner = make_learner(trainer)
    delivered = make_delivery(learner, channel="email", provider_message_id="msgA", status="sent")
    bounced = make_delivery(learner, channel="email", provider_message_id="msgB", status="sent")
    events = [
        _sg("processed", delivered),
        _sg("delivered", delivered),
        _sg("open", delivered),
        _sg("click", delivered, url="https://example.org"),
        _sg("deferred", bounced, response="try later"),
        _sg("bounce", bounced, reason="550 5.1.1 no such user", status="5.1.1", type="bounce"),
    ]
    response = post_events(client, signing, events)
    assert response.status_code == 200
    assert response.get_json() == {"stored": 6, "duplicates": 0, "errors": 0}
    db.session.expire_all()
    assert _status(delivered.id) == "delivered"
    row = db.session.get(Delivery, bounced.id)
    assert (row.status, row.error_code, row.error_message) == ("undelivered", "5.1.1", "550 5.1.1 no such user")
    assert db.session.get(Learner, learner.id).email_opted_out_at is not None
    assert [e.source for e in db.session.scalars(select(OptOutEvent))] == ["bounce"]


@pytest.mark.parametrize(
    "event,fields,suppressed",
    [
        ("spamreport", {}, True),
        ("unsubscribe", {}, True),
        ("dropped", {"reason": "Bounced Address"}, True),
        ("dropped", {"reason": "Spam Content"}, False),
        ("bounce", {"type": "blocked", "reason": "IP reputation"}, False),
    ],
)
def test_which_events_unsubscribe_the_address(client, trainer, signing, event, fields, suppressed):
    learner = make_learner(trainer)
    delivery = make_delivery(learner, channel="email", provider_message_id="msgA", status="sent")
    assert post_events(client, signing, [_sg(event, delivery, **fields)]).status_code == 200
    db.session.expire_all()
    assert (db.session.get(Learner, learner.id).email_opted_out_at is not None) is suppressed


def test_replayed_sendgrid_events_change_nothing(client, trainer, signing):
    learner = make_learner(trainer)
    delivery = make_delivery(learner, channel="email", provider_message_id="msgA", status="sent")
    events = [_sg("delivered", delivery), _sg("spamreport", delivery)]
    post_events(client, signing, events)
    from drip.services.inbound import optout

    optout.resubscribe_email(db.session.get(Learner, learner.id))
    db.session.commit()
    response = post_events(client, signing, events)
    assert response.get_json() == {"stored": 0, "duplicates": 2, "errors": 0}
    db.session.expire_all()
    assert db.session.get(Learner, learner.id).email_opted_out_at is None  # the replayed report did not re-apply


def test_one_bad_event_does_not_fail_the_batch(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), channel="email", provider_message_id="msgA", status="sent")
    events = ["not an event", {"no": "name"}, _sg("delivered", delivery)]
    response = post_events(client, signing, events)
    assert response.status_code == 200
    assert response.get_json() == {"stored": 1, "duplicates": 0, "errors": 2}
    assert _status(delivery.id) == "delivered"


def test_sendgrid_message_id_mismatch_leaves_the_delivery_alone(client, trainer, signing):
    delivery = make_delivery(make_learner(trainer), channel="email", provider_message_id="msgA", status="sent")
    post_events(client, signing, [_sg("delivered", delivery, sg_message_id="msgZ.filter1")])
    assert _status(delivery.id) == "sent"


def test_sendgrid_event_finds_delivery_by_message_id_and_resolves_unknown(client, trainer, signing):
    learner = make_learner(trainer)
    by_id = make_delivery(learner, channel="email", provider_message_id="msgA", status="sent")
    unknown = make_delivery(learner, channel="email", provider_message_id=None, status="unknown")
    post_events(
        client,
        signing,
        [_sg("delivered", by_id, delivery_id=None), _sg("processed", unknown, sg_message_id="msgU.filter7")],
    )
    db.session.expire_all()
    assert _status(by_id.id) == "delivered"
    row = db.session.get(Delivery, unknown.id)
    assert (row.status, row.provider_message_id) == ("sent", "msgU")


@pytest.mark.parametrize("how", ["missing", "forged", "other_key", "no_key_configured", "tampered"])
def test_bad_sendgrid_signature_is_refused_and_changes_nothing(client, trainer, signing, app, how):
    delivery = make_delivery(make_learner(trainer), channel="email", provider_message_id="msgA", status="sent")
    events = [_sg("bounce", delivery)]
    if how == "missing":
        response = client.post("/webhooks/sendgrid/events", json=events)
    elif how == "forged":
        response = client.post(
            "/webhooks/sendgrid/events",
            json=events,
            headers={
                "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"x" * 70).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": "1767225600",
            },
        )
    elif how == "other_key":
        response = post_events(client, ec.generate_private_key(ec.SECP256R1()), events)
    elif how == "no_key_configured":
        app.config["SENDGRID_EVENT_PUBLIC_KEY"] = ""
        response = post_events(client, signing, events)
    else:
        signed = json.dumps(events).encode()
        signature = signing.sign(b"1767225600" + signed, ec.ECDSA(hashes.SHA256()))
        response = client.post(
            "/webhooks/sendgrid/events",
            data=signed.replace(b"bounce", b"delivered"),
            content_type="application/json",
            headers={
                "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": "1767225600",
            },
        )
    assert response.status_code == 403
    assert _status(delivery.id) == "sent" and _event_count() == 0
    assert db.session.scalar(select(func.count()).select_from(OptOutEvent)) == 0


@pytest.mark.parametrize("body", [b"{not json", b'{"event": "delivered"}', b"\xff\xfe"])
def test_malformed_sendgrid_body_is_400(client, signing, body):
    assert post_events(client, signing, None, body=body).status_code == 400
    assert _event_count() == 0
