"""The inbound webhooks over HTTP: signatures, secrets, TwiML, repeats and garbage bodies."""

from __future__ import annotations

import base64
import io
import os

import pytest
from sqlalchemy import func, select

from drip.extensions import db
from drip.models import InboundMessage, InboundReceipt, LiveQuestion, OutboxMessage, Reply
from tests.support.inbound_factory import (
    EMAIL_PATH,
    SMS_PATH,
    enrol,
    inbound_parse_form,
    make_learner,
    make_session,
    make_step,
    post_sms,
    sent_delivery,
    sms_form,
    twilio_signature,
)
from tests.support.webhook_drain import drain

SECRET = "inbound-secret-for-tests"


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


def test_a_signed_text_during_a_session_is_stored_then_routed_and_acknowledged_by_api(app, client, trainer):
    ts = make_session(trainer)
    ts.acknowledgement = "Thanks - your question is on the board"
    enrol(ts, make_learner(trainer))
    response = post_sms(client, app, "What about remote teams?", apply=False)
    # Stored and acknowledged: an empty TwiML, nothing routed yet.
    assert response.status_code == 200 and response.get_data(as_text=True).endswith("<Response />")
    assert stored() == 0 and db.session.scalar(select(func.count()).select_from(InboundReceipt)) == 1
    drain()  # what a worker does next
    assert db.session.scalar(select(LiveQuestion.body)) == "What about remote teams?"
    answer = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "+14155550101"))
    assert answer.body == "Thanks - your question is on the board" and answer.trainer_id == trainer.id


def test_help_is_answered_in_the_twiml(app, client, trainer):
    make_learner(trainer)
    response = post_sms(client, app, "HELP", apply=False)
    assert "<Message>" in response.get_data(as_text=True)
    assert stored() == 1  # routed in the request


def test_stop_answers_an_empty_twiml(app, client, trainer):
    make_learner(trainer)
    response = post_sms(client, app, "STOP")
    assert response.get_data(as_text=True).endswith("<Response />")


def test_signature_over_the_public_url_with_its_query(app, client, trainer):
    form = sms_form("hi")
    signature = twilio_signature(app, form, SMS_PATH + "?source=test")
    assert (
        client.post(SMS_PATH + "?source=test", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    )


def test_the_real_twilio_token_is_used_when_configured(app, client, trainer):
    app.config["TWILIO_AUTH_TOKEN"] = "real-twilio-token"
    form = sms_form("hi")
    from twilio.request_validator import RequestValidator

    good = RequestValidator("real-twilio-token").compute_signature(app.config["PUBLIC_BASE_URL"] + SMS_PATH, form)
    assert client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": good}).status_code == 200


def test_twilio_mode_without_a_token_refuses_everything(app, client):
    app.config.update(SMS_PROVIDER="twilio", TWILIO_AUTH_TOKEN="")
    form = sms_form("hi")
    response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})
    assert response.status_code == 403 and stored() == 0


@pytest.mark.parametrize("signature", [None, "", "forged", base64.b64encode(b"x" * 20).decode()])
def test_forged_or_missing_signatures_get_403_and_store_nothing(app, client, trainer, signature):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post(SMS_PATH, data=sms_form("hi"), headers=headers)
    assert response.status_code == 403 and response.is_json and stored() == 0


def test_a_signature_for_another_body_is_refused(app, client):
    form = sms_form("what I signed")
    signature = twilio_signature(app, form)
    response = client.post(SMS_PATH, data=form | {"Body": "what I sent"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403 and stored() == 0


def test_a_signed_but_malformed_form_gets_400(app, client):
    form = {"Body": "no sid, no sender"}
    response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})
    assert response.status_code == 400 and stored() == 0


def test_a_repeated_message_sid_answers_200_and_changes_nothing(app, client, trainer):
    ts = make_session(trainer)
    enrol(ts, make_learner(trainer))
    first = post_sms(client, app, "Once?", sid="SM" + "a" * 32)
    again = post_sms(client, app, "Once?", sid="SM" + "a" * 32)
    assert (first.status_code, again.status_code) == (200, 200)
    assert "<Message>" not in again.get_data(as_text=True)
    assert stored() == 1 and db.session.scalar(select(func.count()).select_from(LiveQuestion)) == 1


GARBAGE = [
    ("application/json", b'{"From": "+1", "Body": "x"}'),
    ("application/x-www-form-urlencoded", b"%%%&&&==\xff\xfe"),
    ("multipart/form-data; boundary=zzz", b"--zzz\r\nbroken"),
    ("multipart/form-data", b"no boundary at all"),
    ("text/plain", os.urandom(2048)),
    ("application/octet-stream", b""),
]


@pytest.mark.parametrize("content_type,body", GARBAGE)
def test_garbage_bodies_never_get_500(app, client, content_type, body):
    for path in (SMS_PATH, EMAIL_PATH + f"?token={SECRET}"):
        app.config["SENDGRID_INBOUND_SECRET"] = SECRET
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code in (400, 403), (path, response.status_code)
    assert stored() == 0


def test_garbage_with_a_valid_signature_gets_400(app, client):
    form = {"junk": "\x00" * 10}
    response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})
    assert response.status_code == 400


# SendGrid Inbound Parse


def post_email(client, form, *, token=SECRET, auth=None, files=None):
    data = dict(form)
    for name, (content, filename, mimetype) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename, mimetype)
    path = EMAIL_PATH + (f"?token={token}" if token else "")
    response = client.post(path, data=data, auth=auth, content_type="multipart/form-data")
    drain()  # what a worker does next
    return response


@pytest.fixture()
def email_app(app):
    app.config.update(SENDGRID_INBOUND_SECRET=SECRET, INBOUND_EMAIL_DOMAIN="inbound.example.com")
    return app


def test_no_configured_secret_refuses_everything(app, client):
    app.config["SENDGRID_INBOUND_SECRET"] = ""
    assert post_email(client, inbound_parse_form(), token="").status_code == 403
    assert post_email(client, inbound_parse_form(), token="anything").status_code == 403
    assert stored() == 0


@pytest.mark.parametrize("token,auth", [("wrong", None), ("", None), ("", ("sendgrid", "wrong"))])
def test_a_wrong_or_missing_secret_gets_403(email_app, client, token, auth):
    assert post_email(client, inbound_parse_form(), token=token, auth=auth).status_code == 403
    assert stored() == 0


def test_basic_auth_password_is_accepted(email_app, client, trainer):
    response = post_email(client, inbound_parse_form(), token="", auth=("sendgrid", SECRET))
    assert response.status_code == 200 and stored() == 1


def test_a_gmail_reply_becomes_a_practice_report_without_its_quote(email_app, client, trainer):
    ts = make_session(trainer)
    ts.starts_at, ts.ends_at = ts.starts_at.replace(year=2020), ts.ends_at.replace(year=2020)
    ada = make_learner(trainer, phone=None, email="ada@example.com")
    delivery = sent_delivery(ts, ada, make_step(trainer, "practice", channel="email"))
    form = inbound_parse_form(to=f"reply+{delivery.reply_token}@inbound.example.com")
    files = {"attachment1": (b"%PDF-1.4 notes", "notes.pdf", "application/pdf")}
    response = post_email(client, form | {"attachments": "1"}, files=files)
    assert response.status_code == 200 and response.json == {"stored": True, "duplicate": False}
    reply = db.session.scalar(select(Reply))
    assert reply.body.startswith("Tried the SBI model") and "wrote:" not in reply.body
    raw = db.session.scalar(select(InboundMessage.raw))
    assert raw["attachment_list"] == [{"filename": "notes.pdf", "content_type": "application/pdf", "size": 14}]
    assert "%PDF" not in str(raw)
    again = post_email(client, form)
    assert again.status_code == 200 and again.json["duplicate"] is True and stored() == 1


def test_an_email_without_a_sender_gets_400(email_app, client):
    assert post_email(client, {"text": "hello", "headers": "Subject: x\n"}).status_code == 400
    assert stored() == 0


def test_signed_forms_of_any_shape_never_get_500(app, client, trainer):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    ts = make_session(trainer, join_keyword="SBI")
    enrol(ts, make_learner(trainer))
    text = st.text(max_size=300)
    keys = st.sampled_from(["MessageSid", "From", "Body", "To", "SmsSid", "NumMedia", "Other"])

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(keys, text, max_size=6), st.sampled_from(["", "+14155550101", "x" * 300]))
    def check(form, sender):
        if sender and "From" not in form:
            form["From"] = sender
        response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})
        assert response.status_code in (200, 400), response.get_data(as_text=True)

    check()


def test_email_fields_of_any_shape_never_get_500(email_app, client, trainer):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    fields = st.sampled_from(["from", "to", "text", "html", "headers", "envelope", "subject", "email", "cc"])

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(fields, st.text(max_size=300), max_size=6), st.booleans())
    def check(form, with_sender):
        if with_sender:
            form["from"] = "Ada <ada@example.com>"
        assert post_email(client, form).status_code in (200, 400)

    check()


def test_an_email_stored_parsed_before_parsing_moved_to_the_workers_is_still_routed(email_app, trainer):
    """Receipts a web process stored parsed (before issue 23 moved parsing to the workers) route as before."""
    import dataclasses

    from drip.channels.sendgrid_inbound import parse_inbound

    ts = make_session(trainer)
    ts.starts_at, ts.ends_at = ts.starts_at.replace(year=2020), ts.ends_at.replace(year=2020)
    ada = make_learner(trainer, phone=None, email="ada@example.com")
    delivery = sent_delivery(ts, ada, make_step(trainer, "practice", channel="email"))
    email = parse_inbound(inbound_parse_form(to=f"reply+{delivery.reply_token}@inbound.example.com"))
    db.session.add(
        InboundReceipt(
            channel="email", provider_message_id=email.message_id, payload=dataclasses.asdict(email), attempts=0
        )
    )
    db.session.commit()
    assert drain() == 1
    assert db.session.scalar(select(Reply.body)).startswith("Tried the SBI model")
