"""Record an inbound SMS or email, route it (domain.routing) and store what it became.

Every message is kept as an InboundMessage, whoever sent it. A repeated provider id changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.domain import catalog
from drip.domain.routing import Route, route
from drip.extensions import db
from drip.models.types import MAX_ID
from drip.models import InboundMessage, Learner, LiveQuestion, Reply, TrainingSession, utcnow
from drip.services.inbound import lookup, shared_numbers
from drip.services.learning import quizzes  # noqa: F401  (registers the verdict and follow-up hooks)
from drip.channels.sendgrid_inbound import InboundEmail

REPLY_KINDS = catalog.learner_reply_kinds()  # what routing may file a learner's answer as
SIMULATOR_FIELD = "DripSimulatorTrainer"


class MalformedInbound(ValueError):
    """The webhook body lacks what every inbound message has (an id and a sender)."""


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one inbound message; `answer` is the SMS to send back, if any."""

    kind: str
    duplicate: bool = False
    answer: str | None = None
    inbound_id: int | None = None
    question_id: int | None = None
    reply_id: int | None = None


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


def _already(channel: str, provider_id: str) -> InboundMessage | None:
    return db.session.scalar(
        select(InboundMessage).where(
            InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_id
        )
    )


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
    if (seen := _already("sms", sid)) is not None:
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
        return _store([(message(0), stranger, None)], now)
    return _store([(message(n), r.route, r.learner) for n, r in enumerate(chosen)], now)


def simulated_for(form: Mapping[str, str], config: Mapping) -> int | None:
    """The trainer the phone simulator texts for (its signed form says), so the text stays within their data."""
    value = str(form.get(SIMULATOR_FIELD) or "")
    if config.get("SMS_PROVIDER") != "outbox" or not value.isdigit() or len(value) > 10:
        return None  # only Drip itself signs webhooks in outbox mode; Twilio never sends the field
    return int(value) if 0 < int(value) <= MAX_ID else None


def receive_email(email: InboundEmail, *, now: datetime | None = None) -> InboundOutcome:
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
    if (seen := _already("email", email.message_id)) is not None:
        return InboundOutcome(seen.routed_as, duplicate=True, inbound_id=seen.id)
    delivery = lookup.delivery_by_reply_token(email.to_addresses, current_app.config["INBOUND_EMAIL_DOMAIN"])
    # The secret reply address vouches for the sender; otherwise only SPF/DKIM for the From domain
    # does: anyone can write a From header, or an In-Reply-To naming one of our messages.
    trusted = delivery is not None or email.sender_verified
    delivery = delivery or lookup.delivery_by_message_ids(email.reply_ids)
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
        return _store([(message, _unverified_route(learner, delivery, now), None)], now)
    context = lookup.context_for(learner, now, also_delivery=delivery.id if delivery else None) if learner else None
    decided = route(
        email.text, channel="email", context=context, now=now, replied_delivery_id=delivery.id if delivery else None
    )
    # The reply address named a delivery routing could not use (not sent, or another learner's): keep the link.
    if decided.session_id is None and delivery is not None and decided.kind == "unclassified":
        decided = Route(
            "unclassified", session_id=delivery.session_id, delivery_id=delivery.id, step_id=delivery.step_id
        )
    outcome = _store([(message, decided, learner)], now)
    if outcome.kind == "quiz_answer" and outcome.answer and not outcome.duplicate:
        quizzes.email_verdict(learner.id, outcome.answer)  # by return, the same channel; after the commit
    return outcome


def _unverified_route(claimed: Learner, delivery, now: datetime) -> Route:
    """An email that only claims to come from a learner: unclassified, unattributed, on the session it names."""
    if delivery is not None and delivery.learner_id == claimed.id:
        return Route("unclassified", session_id=delivery.session_id)
    nearest = lookup.nearest_session(now, learner_id=claimed.id)
    return Route("unclassified", session_id=nearest.id if nearest else None)


def _store(entries: list[tuple[InboundMessage, Route, Learner | None]], now: datetime) -> InboundOutcome:
    """Apply each route (the first is the primary), commit once, then tell the boards; a concurrent repeat is a duplicate."""
    from drip.services.board import board, polls

    events, votes, outcome = [], [], None
    try:
        for message, decided, learner in entries:
            message.routed_as = decided.kind
            message.learner_id = learner.id if learner else None
            # A stranger's text keeps the trainer it was simulated for, if any.
            message.trainer_id = learner.trainer_id if learner else message.trainer_id
            message.session_id, message.delivery_id = decided.session_id, decided.delivery_id
            db.session.add(message)
            db.session.flush()
            answer, question, reply = _apply(message, decided, learner, now)
            db.session.flush()
            # Everything the answer and the board need is read now: after the commit each of these
            # attributes would cost a SELECT (expire on commit), on the webhook's hot path.
            if question is not None:
                events.append((question.session_id, board.question_event(question)))
            if reply is not None and reply.kind == "poll_vote" and reply.session_id and reply.step_id:
                votes.append((reply.session_id, reply.step_id))
            outcome = outcome or InboundOutcome(
                message.routed_as,
                answer=answer,
                inbound_id=message.id,
                question_id=question.id if question else None,
                reply_id=reply.id if reply else None,
            )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        first = entries[0][0]
        seen = _already(first.channel, first.provider_message_id)
        if seen is None:
            raise
        return InboundOutcome(seen.routed_as, duplicate=True, inbound_id=seen.id)
    for event in events:
        board.publish_event(*event)
    for vote in votes:
        # Counted after the commit, so the chart includes every vote committed so far.
        polls.publish_poll(*vote)
    return outcome


def _consent_or_privacy(message: InboundMessage, learner: Learner, now: datetime) -> str | None:
    """A YES to a pending testimonial question, or PRIVATE: applied, and the text to answer; else None."""
    from drip.services.replies import privacy, testimonials

    if testimonials.is_consent(message.body) and (pending := testimonials.pending_for(learner.id, now)):
        testimonials.consent(pending, now)
        message.routed_as = "testimonial_consent"
        return testimonials.THANKS
    if privacy.is_keyword(message.body):
        session_id = privacy.latest_answer_session(learner.id, now) or message.session_id
        if session_id and privacy.keep_private(session_id, learner.id):
            message.routed_as, message.session_id = "keep_private", session_id
            return privacy.CONFIRMED
    return None


def _apply(message: InboundMessage, decided: Route, learner: Learner | None, now: datetime):
    """The route's effect: opt-out, help, walk-in, live question or reply. Returns (answer, question, reply)."""
    from drip.services.inbound import answer_hooks, optout, walk_ins

    phone = message.from_address
    if learner is not None and decided.kind != "opt_out" and (answered := _consent_or_privacy(message, learner, now)):
        if decided.kind == "opt_in":  # YES is also the SMS opt-in keyword: still honoured, harmless when opted in
            optout.opt_in_sms(phone, source="sms_keyword", detail=message.body[:200], now=now)
        return answered, None, None
    if decided.kind == "opt_out":
        optout.opt_out_sms(phone, source="sms_keyword", detail=message.body[:200], now=now)
        return None, None, None
    if decided.kind == "opt_in":
        optout.opt_in_sms(phone, source="sms_keyword", detail=message.body[:200], now=now)
        return None, None, None
    if decided.kind == "help":
        return optout.help_text(learner), None, None
    training_session = db.session.get(TrainingSession, decided.session_id) if decided.session_id else None
    if decided.kind == "join" and training_session is not None:
        joined = walk_ins.join(training_session, phone, now=now)
        message.learner_id, message.trainer_id = joined.id, joined.trainer_id
        return (
            (
                f"You're in for {training_session.title}. Text your questions to this number "
                "and they go straight to the board."
            ),
            None,
            None,
        )
    if decided.kind == "live_question" and training_session is not None:
        question = LiveQuestion(
            session_id=training_session.id,
            learner_id=message.learner_id,
            body=message.body,
            inbound_message_id=message.id,
            created_at=now,
        )
        db.session.add(question)
        db.session.flush()
        return (training_session.acknowledgement or "").strip() or None, question, None
    if training_session is None and decided.kind == "unclassified" and message.sender_verified:
        # Kept and shown: on the sender's nearest session, or a stranger's on the session nearest in time.
        # (An unverified email is never placed by guess: it could land on anyone's session.)
        training_session = lookup.nearest_session(
            now, learner_id=learner.id if learner else None, trainer_id=None if learner else message.trainer_id
        )
        message.session_id = training_session.id if training_session else None
    trainer_id = (
        learner.trainer_id if learner else (training_session.trainer_id if training_session else message.trainer_id)
    )
    message.trainer_id = trainer_id
    kind = decided.kind if decided.kind in REPLY_KINDS else "unclassified"
    reply = Reply(
        trainer_id=trainer_id,
        session_id=training_session.id if training_session else None,
        learner_id=message.learner_id,
        step_id=decided.step_id,
        delivery_id=decided.delivery_id,
        kind=kind,
        channel=message.channel,
        body=message.body,
        choice_index=decided.choice_index,
        inbound_message_id=message.id,
        created_at=now,
    )
    db.session.add(reply)
    db.session.flush()
    return answer_hooks.run(reply, now), None, reply
