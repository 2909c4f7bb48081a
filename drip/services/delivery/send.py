"""Sending: a claimed batch of deliveries, SEND_CONCURRENCY at a time, and one-off messages."""

from __future__ import annotations

import logging
import time
from functools import partial

from flask import Flask, current_app

from drip.domain.languages import reading
from drip.channels.base import PermanentSendError, RecipientOptedOut, SendResult, TransientSendError
from drip.channels.outbox import sending_for
from drip.channels.registry import channel_for, sender_key
from drip.channels.retry import send_with_retry
from drip.domain.digests import NothingToShare
from drip.domain.follow_ups import hold_reason
from drip.domain.outgoing import BatchFacts, DeliveryToSend
from drip.domain.templates import TemplateProblem
from drip.extensions import db
from drip.database import database_now
from drip.metrics import observe_send
from drip.models import Learner, Trainer, utcnow
from drip.domain import catalog, messages as compose
from drip.services.delivery.timing import lookahead
from drip.services.delivery import opt_outs
from drip.services.delivery.batch_facts import load_facts
from drip.services.delivery.rate_limit import limiter_for
from drip.services.delivery.batching import OutcomeWriter, load_batch, message_for
from drip.services.delivery.claiming import Claimer
from drip.services.delivery.sending_pool import sending_pool
from drip.services.delivery.transitions import outcome

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4  # one send and three retries: transient failures rarely outlast ~4 s of backoff
FLUSH_SECONDS = 0.2
# How long a batch keeps trying to record its outcomes while the database is away (a restart, a failover).
OUTCOME_PATIENCE = 60.0
# A sending thread takes each delivery this long before it is due: the claim (a database round trip
# that reads opt-outs and cancellation afresh) and the rendering are done by then, and the message
# goes to the provider on the dot. A STOP in these last milliseconds is as late as one during the send.
PREPARE_AHEAD = 0.02


class SendRefused(Exception):
    """A one-off message that must not go out (opted out, no address)."""


def send_claimed(delivery_ids: list[int], claim: str) -> dict[str, int]:
    """Send a claimed batch, each delivery at its due time on the process's sending threads; returns
    how many ended in each outcome."""
    app = current_app._get_current_object()
    db.session.rollback()  # a transaction of its own: the database's now() is its start
    offset = database_now() - utcnow()  # due times are the database's: onto this machine's clock
    batch = load_batch(delivery_ids, claim, offset)
    facts = load_facts(batch, app.config, utcnow())
    writer = OutcomeWriter(db.engine)
    writer.counts["not_ours"] = len(delivery_ids) - len(batch)
    if batch:
        pool = sending_pool(max(1, int(app.config["SEND_CONCURRENCY"])))
        claimer = Claimer(db.engine, claim)
        sending = None
        try:
            sending = pool.batch(
                (release_delay(item), partial(_send_in_thread, app, item, facts, claimer, writer)) for item in batch
            )
            while not sending.wait(FLUSH_SECONDS):
                _flush(writer, patience=0)
        finally:
            if sending is not None:  # stopped early (job timeout, cold shutdown): the rest stays `queued`
                sending.stop()
            claimer.close()
            _flush(writer, patience=OUTCOME_PATIENCE)  # even when stopped
    _flush(writer, patience=OUTCOME_PATIENCE)
    return dict(writer.counts)


def _flush(writer: OutcomeWriter, *, patience: float) -> None:
    """Write the outcomes collected so far, retrying for `patience` seconds while the database is away."""
    # The messages are with the provider: losing their outcomes to a database restart would leave
    # them `sending` until the lease turns them `unknown`. The writer keeps what it could not write.
    deadline = time.monotonic() + patience
    delay = 0.2
    while True:
        try:
            writer.flush()
            return
        except Exception as error:
            if time.monotonic() >= deadline:
                if patience:
                    raise
                log.warning("writing outcomes failed, kept for the next flush: %s", error)
                return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _send_in_thread(
    app: Flask, item: DeliveryToSend, facts: BatchFacts, claimer: Claimer, writer: OutcomeWriter
) -> None:
    """One delivery in a sending thread; one broken delivery must not stop the batch."""
    with app.app_context():
        try:
            send_one(item, facts, claimer, writer)
        except Exception:  # if left `sending`, recovery sees it
            log.exception("sending delivery %s failed unexpectedly", item.delivery_id)
            writer.count("error")
        finally:
            db.session.remove()


def release_delay(item: DeliveryToSend) -> float:
    """Seconds until the delivery's sending thread should start on it: PREPARE_AHEAD before it is due.

    The delay is capped at the lookahead: a delivery due later than that was claimed by a caller with
    its own clock (`flask drip dispatch`, a test's injected now) that has already decided it is due."""
    if item.due_at is None:
        return 0.0
    return min((item.due_at - utcnow()).total_seconds() - PREPARE_AHEAD, lookahead())


def wait_until_due(item: DeliveryToSend) -> None:
    """Sleep out what is left until the due time: nothing is handed to the provider early."""
    if item.due_at is not None:
        left = min((item.due_at - utcnow()).total_seconds(), PREPARE_AHEAD)
        if left > 0:
            time.sleep(left)


def send_one(item: DeliveryToSend, facts: BatchFacts, claimer: Claimer, writer: OutcomeWriter) -> str:
    """Claim one delivery (queued→sending), check it may go, build its message, send it when due, record it."""
    kind = catalog.channel(item.channel)
    if kind.rate_limited and current_app.config.get("SMS_RATE"):
        key = sender_key(item.channel)
        if key:  # wait for our slot while still `queued`, so the sending lease measures only the send
            limiter_for(current_app).acquire(key)
    state = claimer.claim(item.delivery_id)
    if state is None:
        writer.count("taken")  # someone else has it, or it was taken back
        return "taken"
    d = item.delivery_id
    if state.status == "cancelled":
        return writer.add(outcome(d, "skipped", code=catalog.CANCELLED.code, reason=catalog.CANCELLED.text))
    if catalog.until_end(item.kind) and item.ends_at is not None and utcnow() > item.ends_at:
        # Workers that were down through the session must not invite questions after it (DESIGN.md).
        return writer.add(outcome(d, "skipped", code=catalog.SESSION_OVER.code, reason=catalog.SESSION_OVER.text))
    if getattr(state, kind.opted_out_field) is not None:
        reason = opt_outs.blocked_reason(db.session.get(Learner, item.learner_id), item.channel)
        db.session.rollback()
        return writer.add(outcome(d, "skipped", code=catalog.OPTED_OUT.code, reason=reason or catalog.OPTED_OUT.text))
    address = getattr(state, kind.address_field)
    if not address:
        return writer.add(outcome(d, "skipped", code=catalog.NO_ADDRESS.code, reason=kind.missing_address))
    if item.purpose != "step":  # a re-ask or follow-up: only if the step went out and is still unanswered
        held = hold_reason(item, facts, utcnow())
        if held is not None:
            return writer.add(outcome(d, "skipped", code=held[0], reason=held[1]))
    try:
        message = message_for(item, address, facts, utcnow())
    except TemplateProblem as problem:
        return writer.add(outcome(d, "failed", code="template", reason=f"template: {problem}"))
    except NothingToShare as empty:
        return writer.add(outcome(d, "skipped", code=catalog.NOTHING_APPROVED.code, reason=str(empty)))
    wait_until_due(item)
    result = _hand_over(item, message, address)
    went = result["o_status"] in ("sent", "delivered", "unknown")  # the testimonial rotation counts what went out
    return writer.add(result, shown=facts.quote_shown(item) if went else None)


def _hand_over(item: DeliveryToSend, message, address: str) -> dict:
    d = item.delivery_id
    try:
        with sending_for(item.trainer_id):
            started = time.perf_counter()
            result = _send(channel_for(item.channel), message)
    except RecipientOptedOut as error:
        opt_outs.provider_reported("sms", address, source="carrier", detail=f"Twilio {error.code}: {error.message}")
        db.session.commit()
        return outcome(
            d, "failed", code=str(error.code), reason=f"learner opted out of SMS at the carrier: {error.message}"
        )
    except PermanentSendError as error:
        return outcome(d, "failed", code=str(error.code), reason=error.message)
    except TransientSendError as error:
        if error.code == "connection" and not error.maybe_sent:  # no attempt reached the provider: try later
            return outcome(d, "scheduled", code=str(error.code), reason=f"provider unreachable: {error.message}")
        if error.in_doubt:  # its answer was lost, then the provider went out of reach: never sent again
            return outcome(
                d,
                "unknown",
                code=str(error.code),
                reason=f"no answer came, then the provider could not be reached; not resent automatically ({error.message})",
            )
        return outcome(
            d, "failed", code=str(error.code), reason=f"gave up after {MAX_ATTEMPTS} attempts: {error.message}"
        )
    except Exception as error:  # an unexpected client error: it may or may not have left
        log.exception("delivery %s: unexpected error while sending", d)
        return outcome(d, "unknown", code="error", reason=f"unexpected error while sending: {error}")
    # Outside the try: a metrics failure must never turn a sent message into an unknown one.
    lateness = (utcnow() - item.due_at).total_seconds() if item.due_at else None
    observe_send(item.channel, time.perf_counter() - started, lateness)
    arrived = "delivered" if result.status == "delivered" else "sent"  # the outbox: arrived, no callback to come
    return outcome(d, arrived, provider_message_id=result.provider_message_id)


def _send(channel, message) -> SendResult:
    # Timeouts are retried like 429s and 5xx (issue 4, "Errors"): the providers offer no idempotency
    # key, so a request that reached them before the timeout could go out twice; we accept that
    # rare duplicate rather than drop messages a slow answer left in doubt.
    return send_with_retry(channel, message, max_attempts=MAX_ATTEMPTS, retry_maybe_sent=True)


def send_one_off(
    trainer: Trainer, learner: Learner, channel: str, body: str, *, subject: str | None = None
) -> SendResult:
    """Send a message that belongs to no step (a test send, a trainer's reply); SendRefused or SendError."""
    if channel not in ("sms", "email"):
        raise ValueError(f"channel must be 'sms' or 'email' (got {channel!r})")
    if not body or not body.strip():
        raise SendRefused("the message is empty")
    if opt_outs.sms_blocked(learner) if channel == "sms" else opt_outs.email_blocked(learner):
        raise SendRefused(opt_outs.blocked_reason(learner, channel) or f"learner opted out of {channel}")
    address = learner.phone if channel == "sms" else learner.email
    if not address:
        raise SendRefused("the learner has no phone number" if channel == "sms" else "the learner has no email address")
    config = current_app.config
    if channel == "sms":
        message = compose.sms_message(delivery_id=None, to=address, text=body, config=config)
        if key := sender_key("sms"):
            limiter_for(current_app).acquire(key)
    else:
        message = compose.email_message(
            delivery_id=None,
            to=address,
            subject=subject or f"A message from {trainer.name or 'your trainer'}",
            text=body,
            unsubscribe_token=learner.unsubscribe_token,
            reply_token=None,
            config=config,
            language=reading(learner.language),
        )
    with sending_for(trainer.id):
        return _send(channel_for(channel), message)
