"""Record an inbound SMS or email, route it (domain.routing) and store what it became.

Every message is kept as an InboundMessage, whoever sent it. A repeated provider id changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from flask import current_app

from drip.domain.simulated import SIMULATOR_FIELD, simulated_for  # noqa: F401  (the simulator signs it)
from drip.domain.routing import Route, route
from drip.extensions import db
from drip.models import InboundMessage, Learner, utcnow
from drip.services.inbound import lookup, reply_addresses, sender_batch, shared_numbers
from drip.services.inbound.filing import InboundOutcome, already_stored, file_messages
from drip.services.learning import quizzes  # noqa: F401  (registers the verdict and follow-up hooks)
from drip.channels.sendgrid_inbound import InboundEmail


class MalformedInbound(ValueError):
    """The webhook body lacks what every inbound message has (an id and a sender)."""


def sms_webhook_token(config: Mapping) -> str:
    """The token Twilio webhooks are signed with: TWILIO_AUTH_TOKEN, or in outbox mode one derived from SECRET_KEY."""
    if config.get("TWILIO_AUTH_TOKEN"):
        return config["TWILIO_AUTH_TOKEN"]
    if config.get("SMS_PROVIDER") == "outbox" and config.get("SECRET_KEY"):
        # The simulator signs with it, so the webhook is never open, even without a Twilio account.
        key = str(config["SECRET_KEY"]).encode()
        return hmac.new(key, b"drip simulated twilio auth token", hashlib.sha256).hexdigest()
    return ""


def scrub(value):
    """The value without NUL characters, which PostgreSQL text and JSON columns refuse."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def sms_message_id(form: Mapping[str, str]) -> str:
    """The MessageSid of an inbound SMS form; MalformedInbound without it or without a sender."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not sid or not (form.get("From") or "").strip() or len(sid) > 300:
        raise MalformedInbound("MessageSid and From are required")
    return sid


def receive_sms(form: Mapping[str, str], *, now: datetime | None = None) -> InboundOutcome:
    """Handle one Twilio inbound SMS (its POSTed form): keywords, walk-ins, live questions, replies."""
    now = now or utcnow()
    form = scrub(dict(form))
    sid = sms_message_id(form)
    sender = (form.get("From") or "").strip()
    # A worker's batch knows which of its texts were stored already; a repeat since is refused by the unique key.
    fresh = (batch := sender_batch.current()) is not None and batch.already_stored(sid) is False
    if not fresh and (seen := already_stored("sms", sid)) is not None:
        return InboundOutcome(seen.routed_as, duplicate=True, inbound_id=seen.id)
    body = form.get("Body") or ""
    phone = lookup.normalise_sender_phone(sender, current_app.config["DEFAULT_REGION"])
    scope = simulated_for(form, current_app.config)
    joinable = lookup.joinable_sessions(now, trainer_id=scope)
    chosen = shared_numbers.recipients(body, phone, now, joinable, trainer_id=scope)

    def message(copy: int) -> InboundMessage:
        # Each trainer sharing the number gets their own row; copies carry the sid with a suffix.
        return InboundMessage(
            channel="sms",
            provider_message_id=sid if not copy else f"{sid}#{copy}"[:300],
            from_address=phone[:254],
            to_address=(form.get("To") or "")[:254],
            body=body,
            raw=dict(form),
            received_at=now,
            trainer_id=scope,
        )

    if not chosen:
        stranger = route(body, channel="sms", context=None, now=now, joinable_sessions=joinable)
        return file_messages([(message(0), stranger, None)], now)
    return file_messages([(message(n), r.route, r.learner) for n, r in enumerate(chosen)], now)


def receive_email(email: InboundEmail, *, now: datetime | None = None, pictures=()) -> InboundOutcome:
    """Handle one inbound email: the step through its reply address, else its references, else the learner."""
    now = now or utcnow()
    email = replace(
        email,
        **{
            name: scrub(getattr(email, name))
            for name in (
                "message_id",
                "from_address",
                "to_addresses",
                "subject",
                "text",
                "full_text",
                "reply_ids",
                "raw",
            )
        },
    )
    if (seen := already_stored("email", email.message_id)) is not None:
        return InboundOutcome(seen.routed_as, duplicate=True, inbound_id=seen.id)
    delivery = reply_addresses.delivery_by_reply_token(email.to_addresses, current_app.config["INBOUND_EMAIL_DOMAIN"])
    # The secret reply address vouches for the sender; otherwise only SPF/DKIM for the From domain
    # does: anyone can write a From header, or an In-Reply-To naming one of our messages.
    trusted = delivery is not None or email.sender_verified
    delivery = delivery or reply_addresses.delivery_by_message_ids(email.reply_ids)
    # The reply address names the learner even when they answer from another mailbox.
    learner = (
        db.session.get(Learner, delivery.learner_id) if delivery else lookup.learner_by_email(email.from_address, now)
    )
    message = InboundMessage(
        channel="email",
        provider_message_id=email.message_id,
        from_address=email.from_address[:254],
        to_address=", ".join(email.to_addresses)[:254],
        body=email.text,
        raw=email.raw,
        received_at=now,
        sender_verified=trusted,
    )
    if not trusted and learner is not None:
        return file_messages([(message, _unverified_route(learner, delivery, now), None)], now, pictures)
    context = lookup.context_for(learner, now, also_delivery=delivery.id if delivery else None) if learner else None
    decided = route(
        email.text, channel="email", context=context, now=now, replied_delivery_id=delivery.id if delivery else None
    )
    # The reply address named a delivery routing could not use (not sent, or another learner's): keep the link.
    if decided.session_id is None and delivery is not None and decided.kind == "unclassified":
        decided = Route(
            "unclassified", session_id=delivery.session_id, delivery_id=delivery.id, step_id=delivery.step_id
        )
    outcome = file_messages([(message, decided, learner)], now, pictures)
    if outcome.kind == "quiz_answer" and outcome.answer and not outcome.duplicate:
        quizzes.email_verdict(learner.id, outcome.answer)  # by return, the same channel; after the commit
    return outcome


def _unverified_route(claimed: Learner, delivery, now: datetime) -> Route:
    """An email that only claims to come from a learner: unclassified, unattributed, on the session it names."""
    if delivery is not None and delivery.learner_id == claimed.id:
        return Route("unclassified", session_id=delivery.session_id)
    nearest = lookup.nearest_session(now, learner_id=claimed.id)
    return Route("unclassified", session_id=nearest.id if nearest else None)
