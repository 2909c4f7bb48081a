"""The phone simulator (outbox mode): each learner's texts as a phone screen, and replies sent as that phone.

A reply travels through the real webhook: a Twilio-shaped form, signed with the webhook token
(inbound.sms_webhook_token), POSTed to /webhooks/twilio/sms through the app's own test client. That
runs the whole WSGI stack (login wall, CSRF exemption, signature check, routing) in this process, so
it works the same under gunicorn with any number of workers, needs no thread free to answer a
loopback HTTP call, and does not depend on PUBLIC_BASE_URL being reachable from the server itself
(behind a tunnel or proxy it often is not). The signature is still computed over PUBLIC_BASE_URL.
"""
from __future__ import annotations

import secrets
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import func, or_, select
from twilio.request_validator import RequestValidator

from drip.extensions import db
from drip.models import InboundMessage, Learner, OutboxMessage, Trainer, utcnow
from drip.services.inbound.apply import route_now
from drip.services.inbound.receive import sms_webhook_token

WEBHOOK_PATH = "/webhooks/twilio/sms"
DEFAULT_TO = "+15005550006"  # Twilio's magic test number: the "Drip number" when none is configured
MAX_PHONES = 9
MAX_MESSAGES = 60


@dataclass(frozen=True)
class Bubble:
    """One text on the phone screen: received from Drip (incoming) or sent by the learner."""

    at: datetime
    incoming: bool
    body: str


@dataclass(frozen=True)
class Phone:
    """A phone number, whose it is, and its texts oldest first."""

    number: str
    name: str
    learner_id: int | None
    bubbles: list[Bubble]


def drip_number(config) -> str:
    """The number learners text: TWILIO_FROM_NUMBER when set."""
    return config.get("TWILIO_FROM_NUMBER") or DEFAULT_TO


def _bubbles(trainer: Trainer, number: str) -> list[Bubble]:
    received = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "sms", OutboxMessage.to_address == number,
                                    OutboxMessage.trainer_id == trainer.id)
        .order_by(OutboxMessage.created_at.desc()).limit(MAX_MESSAGES)
    ).all()
    sent = db.session.scalars(
        select(InboundMessage).where(InboundMessage.channel == "sms", InboundMessage.from_address == number,
                                     or_(InboundMessage.trainer_id == trainer.id, InboundMessage.trainer_id.is_(None)))
        .order_by(InboundMessage.received_at.desc()).limit(MAX_MESSAGES)
    ).all()
    bubbles = [Bubble(m.created_at, True, m.body) for m in received] + [Bubble(m.received_at, False, m.body) for m in sent]
    return sorted(bubbles, key=lambda bubble: bubble.at)[-MAX_MESSAGES:]


def phones(trainer: Trainer, *, also: str | None = None) -> list[Phone]:
    """The trainer's learners with a phone, most recently texted first (plus one more number if asked)."""
    last_text = (select(OutboxMessage.to_address, func.max(OutboxMessage.created_at).label("at"))
                 .where(OutboxMessage.channel == "sms", OutboxMessage.trainer_id == trainer.id)
                 .group_by(OutboxMessage.to_address).subquery())
    learners = db.session.execute(
        select(Learner).outerjoin(last_text, last_text.c.to_address == Learner.phone)
        .where(Learner.trainer_id == trainer.id, Learner.phone.is_not(None), Learner.phone != "")
        .order_by(last_text.c.at.desc().nulls_last(), Learner.name).limit(MAX_PHONES)
    ).scalars().all()
    shown = [Phone(learner.phone, learner.name, learner.id, _bubbles(trainer, learner.phone)) for learner in learners]
    if also and all(phone.number != also for phone in shown):
        owner = db.session.scalar(select(Learner).where(Learner.trainer_id == trainer.id, Learner.phone == also))
        shown.insert(0, Phone(also, owner.name if owner else "Another phone", owner.id if owner else None,
                              _bubbles(trainer, also)))
    return shown


def signed_form(app: Flask, number: str, body: str) -> tuple[dict[str, str], str]:
    """The form Twilio would POST for this text, and its X-Twilio-Signature."""
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + secrets.token_hex(16),
        "From": number, "To": drip_number(app.config), "Body": body, "NumMedia": "0", "NumSegments": "1",
        "SmsStatus": "received", "ApiVersion": "2010-04-01",
    }
    url = app.config["PUBLIC_BASE_URL"] + WEBHOOK_PATH
    return form, RequestValidator(sms_webhook_token(app.config)).compute_signature(url, form)


def text_as(app: Flask, trainer: Trainer, number: str, body: str) -> list[str]:
    """Send a text as this phone through the real webhook; returns Drip's TwiML answers, shown on the phone."""
    form, signature = signed_form(app, number, body)
    # End our read transaction first: on SQLite a stale snapshot could not write after the webhook did.
    db.session.commit()
    response = app.test_client().post(WEBHOOK_PATH, data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        raise RuntimeError(f"the webhook answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    answers = [message.text or "" for message in ElementTree.fromstring(response.get_data()).iter("Message")]
    # A worker would route the stored text within a second; the simulator does it now, so the phone
    # the next page shows has the text and any answer sent by API (the outbox) on it already.
    route_now()
    for answer in answers:
        # Twilio would text the TwiML answer to the learner: the outbox keeps what it would have sent.
        db.session.add(OutboxMessage(trainer_id=trainer.id, channel="sms", to_address=number, body=answer,
                                     headers={"X-Drip-Source": "twiml-answer"},
                                     provider_message_id="OB" + secrets.token_hex(16), created_at=utcnow()))
    db.session.commit()
    return answers
