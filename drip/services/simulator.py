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
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from drip.config import DEFAULT_TO
from drip.domain.keywords import classify_keyword, keyword_language
from drip.extensions import db
from drip.models import InboundMessage, Learner, MediaItem, OutboxMessage, Trainer, utcnow
from drip.services.inbound.apply import route_now
from drip.domain.simulated import SIMULATOR_FIELD
from drip.services.inbound.receive import sms_webhook_token
from drip.services.media import library, pictures, shown

WEBHOOK_PATH = "/webhooks/twilio/sms"
MAX_PHONES = 9  # phone screens drawn at once; every number is listed in the directory
MAX_MESSAGES = 60
# What Twilio itself answers to STOP and START (Drip answers HELP); shown so the simulator tells the truth.
TWILIO_ANSWERS = {
    "opt_out": "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe.",
    "opt_in": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


@dataclass(frozen=True)
class Bubble:
    """One text on the phone screen: received from Drip (incoming) or sent by the learner."""

    at: datetime
    incoming: bool
    body: str
    pictures: tuple[str, ...] = ()  # /m/ addresses: an MMS's picture, sent by Drip or by the learner


@dataclass(frozen=True)
class Phone:
    """A phone number, whose it is, and its texts oldest first."""

    number: str
    name: str
    learner_id: int | None
    bubbles: list[Bubble]
    language: str | None = None  # the learner's tag, so a trainer replies as them in their language


def drip_number(config) -> str:
    """The number learners text: TWILIO_FROM_NUMBER when set."""
    return config.get("TWILIO_FROM_NUMBER") or DEFAULT_TO


def _mms(message: OutboxMessage) -> tuple[str, ...]:
    """The pictures an MMS from Drip carried (the outbox notes their addresses)."""
    return tuple((message.headers or {}).get("X-Drip-Media-Url", "").split())


def _bubbles(trainer: Trainer, number: str) -> list[Bubble]:
    received = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == "sms", OutboxMessage.to_address == number, OutboxMessage.trainer_id == trainer.id
        )
        .order_by(OutboxMessage.created_at.desc())
        .limit(MAX_MESSAGES)
    ).all()
    sent = db.session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.channel == "sms",
            InboundMessage.from_address == number,
            InboundMessage.trainer_id == trainer.id,
        )
        .order_by(InboundMessage.received_at.desc())
        .limit(MAX_MESSAGES)
    ).all()
    kept = shown.pictures_for([m.id for m in sent])
    bubbles = [Bubble(m.created_at, True, m.body, _mms(m)) for m in received] + [
        Bubble(m.received_at, False, m.body, tuple(p.url for p in kept.get(m.id, []) if p.url)) for m in sent
    ]
    return sorted(bubbles, key=lambda bubble: bubble.at)[-MAX_MESSAGES:]


def phones(trainer: Trainer, *, also: str | None = None) -> list[Phone]:
    """The trainer's learners with a phone, most recently texted first (plus one more number if asked)."""
    last_text = (
        select(OutboxMessage.to_address, func.max(OutboxMessage.created_at).label("at"))
        .where(OutboxMessage.channel == "sms", OutboxMessage.trainer_id == trainer.id)
        .group_by(OutboxMessage.to_address)
        .subquery()
    )
    learners = (
        db.session.execute(
            select(Learner)
            .outerjoin(last_text, last_text.c.to_address == Learner.phone)
            .where(Learner.trainer_id == trainer.id, Learner.phone.is_not(None), Learner.phone != "")
            .order_by(last_text.c.at.desc().nulls_last(), Learner.name)
            .limit(MAX_PHONES)
        )
        .scalars()
        .all()
    )
    shown = [
        Phone(learner.phone, learner.name, learner.id, _bubbles(trainer, learner.phone), learner.language)
        for learner in learners
    ]
    if also and all(phone.number != also for phone in shown):
        owner = db.session.scalar(select(Learner).where(Learner.trainer_id == trainer.id, Learner.phone == also))
        shown.insert(
            0,
            Phone(
                also,
                owner.name if owner else "Another phone",
                owner.id if owner else None,
                _bubbles(trainer, also),
                owner.language if owner else None,
            ),
        )
    return shown


def directory(trainer: Trainer) -> list[tuple[str, str]]:
    """Every phone number among the trainer's learners and walk-ins, with its name, by name."""
    rows = db.session.execute(
        select(Learner.phone, Learner.name)
        .where(Learner.trainer_id == trainer.id, Learner.phone.is_not(None), Learner.phone != "")
        .order_by(Learner.name, Learner.phone)
    ).all()
    return list(dict((phone, name) for phone, name in rows).items())


def signed_form(
    app: Flask, number: str, body: str, trainer: Trainer, picture: MediaItem | None = None
) -> tuple[dict[str, str], str]:
    """The form Twilio would POST for this text (an MMS with a picture), scoped to the trainer, and its signature."""
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + secrets.token_hex(16),
        "From": number,
        "To": drip_number(app.config),
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        # Signed with the rest, so only Drip can set it: the text stays within this trainer's data.
        SIMULATOR_FIELD: str(trainer.id),
    }
    if picture is not None:  # Twilio would give its own media URL; ours stands in for it (outbox mode only)
        form.update(
            NumMedia="1",
            MediaUrl0=library.public_url(app.config, picture.token),
            MediaContentType0=picture.content_type,
        )
    url = app.config["PUBLIC_BASE_URL"] + WEBHOOK_PATH
    return form, RequestValidator(sms_webhook_token(app.config)).compute_signature(url, form)


def text_as(app: Flask, trainer: Trainer, number: str, body: str, picture: bytes | None = None) -> list[str]:
    """Send a text (with a picture: an MMS) as this phone through the real webhook; returns the answers the
    phone gets, kept in the outbox.

    Any number: the signed form scopes the text to this trainer's learners and sessions, so it acts on
    no other trainer's data and tells nothing about it. MediaRefused for a file that is no picture.
    """
    kept = pictures.keep_simulated(trainer.id, picture, "simulator-picture") if picture else None
    form, signature = signed_form(app, number, body, trainer, kept)
    # End our read transaction first: on SQLite a stale snapshot could not write after the webhook did.
    db.session.commit()
    response = app.test_client().post(WEBHOOK_PATH, data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        raise RuntimeError(f"the webhook answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    answers = [message.text or "" for message in ElementTree.fromstring(response.get_data()).iter("Message")]
    # A worker would route the stored text within a second; the simulator does it now, so the phone
    # the next page shows has the text and any answer sent by API (the outbox) on it already.
    route_now()
    while pictures.fetch_due():  # and the media lane would keep the picture a moment later
        pass
    # Twilio answers its own (English) keywords; Drip answers the other languages' itself.
    if not answers and classify_keyword(body) in TWILIO_ANSWERS and keyword_language(body) == "en":
        answers = [TWILIO_ANSWERS[classify_keyword(body)]]
    for answer in answers:
        # Twilio would text the TwiML answer to the learner: the outbox keeps what it would have sent.
        db.session.add(
            OutboxMessage(
                trainer_id=trainer.id,
                channel="sms",
                to_address=number,
                body=answer,
                headers={"X-Drip-Source": "twiml-answer"},
                provider_message_id="OB" + secrets.token_hex(16),
                created_at=utcnow(),
            )
        )
    db.session.commit()
    return answers
