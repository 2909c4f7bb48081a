"""Sending: a claimed batch of deliveries, each in a thread, and one-off messages."""
from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select, update

from drip.channels.base import PermanentSendError, RecipientOptedOut, SendResult, TransientSendError
from drip.channels.outbox import sending_for
from drip.channels.registry import channel_for, sender_key
from drip.channels.retry import send_with_retry
from drip.domain.templates import TemplateProblem
from drip.extensions import db, redis_store
from drip.models import Delivery, Learner, Step, Trainer, TrainingSession, utcnow
from drip.services import compose, optout
from drip.services.enrolment import CANCELLED, CANCELLED_REASON, learner_zone
from drip.services.rate_limit import SharedRateLimiter

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4  # one send and three retries: transient failures rarely outlast ~4 s of backoff


class SendRefused(Exception):
    """A one-off message that must not go out (opted out, no address)."""


@dataclass(frozen=True)
class Parcel:
    """Everything a sending thread needs about one delivery, loaded with the batch."""

    delivery_id: int
    claim: str
    channel: str
    reply_token: str
    learner_id: int
    learner_name: str
    learner_timezone: str | None
    unsubscribe_token: str
    trainer_id: int
    trainer_name: str
    kind: str
    body: str
    subject: str | None
    choices: list | None
    session_title: str
    starts_at: datetime
    session_timezone: str
    join_url: str


def _load(delivery_ids: list[int], claim: str) -> list[Parcel]:
    query = (
        select(Delivery.id, Delivery.job_id, Delivery.channel, Delivery.reply_token, Learner.id, Learner.name,
               Learner.timezone, Learner.unsubscribe_token, Trainer.id, Trainer.name, Step.kind, Step.body,
               Step.subject, Step.choices, TrainingSession.title, TrainingSession.starts_at,
               TrainingSession.timezone, TrainingSession.join_url)
        .join(Learner, Learner.id == Delivery.learner_id).join(Step, Step.id == Delivery.step_id)
        .join(TrainingSession, TrainingSession.id == Delivery.session_id)
        .join(Trainer, Trainer.id == TrainingSession.trainer_id)
        # Only what this job still owns: a reschedule, a cancel or a STOP may have taken some back.
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "queued", Delivery.job_id == claim)
    )
    parcels = [Parcel(*row) for row in db.session.execute(query)]
    db.session.rollback()  # hand the connection back before the slow part
    return parcels


def _limiter(app: Flask) -> SharedRateLimiter:
    limiter = app.extensions.get("drip_sms_limiter")
    if limiter is None or limiter._redis is not redis_store.connection:
        limiter = SharedRateLimiter(redis_store.connection, float(app.config.get("SMS_RATE") or 0))
        app.extensions["drip_sms_limiter"] = limiter
    return limiter


def send_batch(delivery_ids: list[int], claim: str) -> dict[str, int]:
    """Send a claimed batch, SEND_CONCURRENCY at a time; returns how many ended in each outcome."""
    app = current_app._get_current_object()
    parcels = _load(delivery_ids, claim)
    outcomes: Counter[str] = Counter({"not_ours": len(delivery_ids) - len(parcels)})
    if parcels:
        threads = max(1, min(int(app.config["SEND_CONCURRENCY"]), len(parcels)))
        with ThreadPoolExecutor(threads, thread_name_prefix="drip-send") as pool:
            for outcome in pool.map(lambda parcel: _in_context(app, parcel), parcels):
                outcomes[outcome] += 1
    return dict(outcomes)


def _in_context(app: Flask, parcel: Parcel) -> str:
    with app.app_context():  # its own database session: sessions are scoped per app context
        try:
            return send_parcel(parcel)
        except Exception:  # one broken delivery must not stop the batch; recovery sees it if left sending
            log.exception("sending delivery %s failed unexpectedly", parcel.delivery_id)
            db.session.rollback()
            return "error"


def send_parcel(parcel: Parcel) -> str:
    """Claim one delivery (queued→sending), check it may still go, send it, record the outcome."""
    if parcel.channel == "sms":
        key = sender_key("sms")
        if key:  # wait for our slot while still `queued`, so the sending lease measures only the send
            _limiter(current_app).acquire(key)
    now = utcnow()
    claimed = db.session.execute(
        update(Delivery).where(Delivery.id == parcel.delivery_id, Delivery.status == "queued",
                               Delivery.job_id == parcel.claim)
        .values(status="sending", sending_at=now, attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return "taken"  # someone else has it, or it was taken back
    # Read at send time, after the claim: a STOP or a cancel that landed since queuing wins.
    state = db.session.execute(
        select(TrainingSession.status, Learner.phone, Learner.email, Learner.sms_opted_out_at,
               Learner.email_opted_out_at)
        .join(Delivery, Delivery.session_id == TrainingSession.id).join(Learner, Learner.id == Delivery.learner_id)
        .where(Delivery.id == parcel.delivery_id)).one()
    db.session.commit()
    if state.status == "cancelled":
        return finish(parcel.delivery_id, "skipped", code=CANCELLED, reason=CANCELLED_REASON)
    if (state.sms_opted_out_at if parcel.channel == "sms" else state.email_opted_out_at) is not None:
        learner = db.session.get(Learner, parcel.learner_id)
        reason = optout.blocked_reason(learner, parcel.channel) or f"learner opted out of {parcel.channel}"
        return finish(parcel.delivery_id, "skipped", code=optout.OPTED_OUT, reason=reason)
    address = state.phone if parcel.channel == "sms" else state.email
    if not address:
        reason = "no phone number" if parcel.channel == "sms" else "no email address"
        return finish(parcel.delivery_id, "skipped", code="no_address", reason=reason)
    try:
        message = _message(parcel, address)
    except TemplateProblem as problem:
        return finish(parcel.delivery_id, "failed", code="template", reason=f"template: {problem}")
    return _hand_over(parcel, message, address)


def _message(parcel: Parcel, address: str):
    tz = learner_zone(parcel.learner_timezone, parcel.session_timezone)
    ctx = compose.context(
        learner_name=parcel.learner_name, session_title=parcel.session_title, starts_at=parcel.starts_at,
        join_url=parcel.join_url, trainer_name=parcel.trainer_name, tz=tz,
        hint=compose.reply_hint(parcel.kind, parcel.channel, parcel.choices))
    text, subject = compose.render_step(parcel.body, parcel.subject, ctx)
    config = current_app.config
    if parcel.channel == "sms":
        return compose.sms_message(delivery_id=parcel.delivery_id, to=address, text=text, config=config)
    return compose.email_message(delivery_id=parcel.delivery_id, to=address, subject=subject, text=text,
                                 unsubscribe_token=parcel.unsubscribe_token, reply_token=parcel.reply_token,
                                 config=config)


def _hand_over(parcel: Parcel, message, address: str) -> str:
    d = parcel.delivery_id
    try:
        with sending_for(parcel.trainer_id):
            result = _send(channel_for(parcel.channel), message)
    except RecipientOptedOut as error:
        optout.opt_out_sms(address, source="carrier", detail=f"Twilio {error.code}: {error.message}")
        return finish(d, "failed", code=str(error.code), reason=f"learner opted out of SMS at the carrier: {error.message}")
    except PermanentSendError as error:
        return finish(d, "failed", code=str(error.code), reason=error.message)
    except TransientSendError as error:
        return finish(d, "failed", code=str(error.code), reason=f"gave up after {MAX_ATTEMPTS} attempts: {error.message}")
    except Exception as error:  # an unexpected client error: it may or may not have left
        log.exception("delivery %s: unexpected error while sending", d)
        return finish(d, "unknown", code="error", reason=f"unexpected error while sending: {error}")
    return finish(d, "sent", provider_message_id=result.provider_message_id)


def _send(channel, message) -> SendResult:
    # Timeouts are retried like 429s and 5xx (issue 4, "Errors"): the providers offer no idempotency
    # key, so a request that reached them before the timeout could go out twice; we accept that
    # rare duplicate rather than drop messages a slow answer left in doubt.
    return send_with_retry(channel, message, max_attempts=MAX_ATTEMPTS, retry_maybe_sent=True)


def finish(delivery_id: int, status: str, *, code: str | None = None, reason: str | None = None,
           provider_message_id: str | None = None) -> str:
    """Record a send's outcome, only over `sending` (or `unknown` from an expired lease), never backwards."""
    now = utcnow()
    values = {"status": status, "error_code": code, "error_message": reason, "updated_at": now}
    if status == "sent":
        values.update(sent_at=now, provider_message_id=provider_message_id)
    result = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(("sending", "unknown")))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1 and status == "sent":
        # A status callback got there first and moved it further on: keep its status, add what we know.
        db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.provider_message_id.is_(None))
            .values(provider_message_id=provider_message_id, sent_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return status


def send_one_off(trainer: Trainer, learner: Learner, channel: str, body: str, *, subject: str | None = None) -> SendResult:
    """Send a message that belongs to no step (a test send, a trainer's reply); SendRefused or SendError."""
    if channel not in ("sms", "email"):
        raise ValueError(f"channel must be 'sms' or 'email' (got {channel!r})")
    if not body or not body.strip():
        raise SendRefused("the message is empty")
    blocked = optout.sms_blocked(learner) if channel == "sms" else optout.email_blocked(learner)
    if blocked:
        raise SendRefused(optout.blocked_reason(learner, channel) or f"learner opted out of {channel}")
    address = learner.phone if channel == "sms" else learner.email
    if not address:
        raise SendRefused("the learner has no phone number" if channel == "sms" else "the learner has no email address")
    config = current_app.config
    if channel == "sms":
        message = compose.sms_message(delivery_id=None, to=address, text=body, config=config)
        key = sender_key("sms")
        if key:
            _limiter(current_app).acquire(key)
    else:
        message = compose.email_message(
            delivery_id=None, to=address, subject=subject or f"A message from {trainer.name or 'your trainer'}",
            text=body, unsubscribe_token=learner.unsubscribe_token, reply_token=None, config=config)
    with sending_for(trainer.id):
        return _send(channel_for(channel), message)
