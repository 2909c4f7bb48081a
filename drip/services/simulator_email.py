"""Answering an email as the learner (outbox mode): the reply takes the path a SendGrid Inbound Parse post takes.

The form is what Inbound Parse would post for a reply to the learner's per-message reply address;
it is parsed and routed by the same functions as the webhook's (parse_inbound, receive_email).
"""

from __future__ import annotations

import json
import secrets

from flask import Flask
from sqlalchemy import select

from drip.channels.sendgrid_inbound import parse_inbound
from drip.extensions import db
from drip.models import Delivery, InboundMessage, OutboxMessage, Trainer
from drip.services.inbound.receive import InboundOutcome, receive_email

RECENT_EMAILS = 20
SIMULATED_DOMAIN = "reply.drip.local"  # reply addresses when DRIP_INBOUND_EMAIL_DOMAIN is unset


class NoSuchEmail(LookupError):
    """Not an email of this trainer's outbox that a learner can answer."""


def answerable(trainer: Trainer) -> list[OutboxMessage]:
    """The trainer's most recent step emails in the outbox, newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.trainer_id == trainer.id,
                OutboxMessage.channel == "email",
                OutboxMessage.delivery_id.is_not(None),
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(RECENT_EMAILS)
        )
    )


def gmail_reply_template(message: OutboxMessage, trainer: Trainer) -> str:
    """The reply box as Gmail fills it: room to write on top, then the attribution and the email quoted with ">"."""
    sent = message.created_at
    when = (
        f"{sent:%a, %b} {sent.day}, {sent.year} at {sent.hour % 12 or 12}:{sent:%M} {'AM' if sent.hour < 12 else 'PM'}"
    )
    sender = trainer.name or trainer.email
    quoted = "\n".join(">" if not line.strip() else f"> {line}" for line in (message.body or "").splitlines())
    return f"\n\nOn {when} {sender} <{trainer.email}> wrote:\n\n{quoted}\n"


def kept_text(trainer: Trainer, inbound_id: int) -> str | None:
    """What Drip kept of an email this trainer's simulator sent (None when it is not theirs)."""
    message = db.session.get(InboundMessage, inbound_id)
    if message is None or message.trainer_id != trainer.id or message.channel != "email":
        return None
    return message.body


def reply_as_learner(app: Flask, trainer: Trainer, outbox_id: int, text: str) -> InboundOutcome:
    """Answer one of the trainer's outbox emails as its recipient; NoSuchEmail when it is not theirs."""
    sent = db.session.get(OutboxMessage, outbox_id)
    if sent is None or sent.trainer_id != trainer.id or sent.channel != "email" or sent.delivery_id is None:
        raise NoSuchEmail(outbox_id)
    delivery = db.session.get(Delivery, sent.delivery_id)
    if delivery is None:
        raise NoSuchEmail(outbox_id)
    domain = app.config.get("INBOUND_EMAIL_DOMAIN") or SIMULATED_DOMAIN
    to = f"reply+{delivery.reply_token}@{domain}"
    subject = "Re: " + (sent.subject or "")
    message_id = f"<{secrets.token_hex(12)}@simulator.drip.local>"
    headers = (
        f"From: {sent.to_address}\nTo: {to}\nSubject: {subject}\nMessage-ID: {message_id}\n"
        f"In-Reply-To: <{sent.provider_message_id}@drip.local>\n"
    )
    form = {
        "headers": headers,
        "from": sent.to_address,
        "to": to,
        "subject": subject,
        "text": text,
        "envelope": json.dumps({"to": [to], "from": sent.to_address}),
        "SPF": "none",
    }
    return receive_email(parse_inbound(form))
