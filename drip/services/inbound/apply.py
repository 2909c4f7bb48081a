"""Workers route stored inbound SMS and email (the inbound service decides), then send any answer by API.

Routing stores one InboundMessage per provider id (unique), so a receipt routed twice (its worker
was killed after routing and before marking it applied) is a duplicate the second time: each text
is routed exactly once. An answer is sent after its routing commits and only by the worker that
routed it, so it may be lost with a killed worker, never sent twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from drip.extensions import db
from drip.metrics import observe_applied
from drip.models import InboundMessage, InboundReceipt, utcnow
from drip.channels.sendgrid_inbound import Attachment, InboundEmail
from drip.services.inbound import receive as inbound
from drip.services.webhooks import receipts

_logger = logging.getLogger(__name__)
BATCH = 20  # small: a live question waits for at most the routing of those claimed before it


@dataclass(frozen=True)
class Answer:
    """An SMS routing asked us to send back (a live question's acknowledgement)."""

    to: str
    body: str
    trainer_id: int | None


def _route(receipt: InboundReceipt) -> inbound.InboundOutcome:
    payload = receipt.payload
    if receipt.channel == "sms":
        return inbound.receive_sms(payload, now=receipt.received_at)
    email = InboundEmail(**{**payload, "attachments": [Attachment(**a) for a in payload.get("attachments", [])]})
    return inbound.receive_email(email, now=receipt.received_at)


def _answer(receipt: InboundReceipt, outcome: inbound.InboundOutcome) -> Answer | None:
    if receipt.channel != "sms" or outcome.duplicate or not outcome.answer or outcome.inbound_id is None:
        return None
    message = db.session.get(InboundMessage, outcome.inbound_id)
    return Answer(message.from_address, outcome.answer, message.trainer_id) if message else None


def apply_pending_inbound(limit: int = BATCH, *, now: datetime | None = None) -> tuple[int, list[Answer]]:
    """Claim and route a few stored inbound messages; returns how many were claimed and the answers to send."""
    now = now or utcnow()
    ids = receipts.claim(InboundReceipt, limit)
    answers = []
    for receipt_id in ids:
        receipt = db.session.get(InboundReceipt, receipt_id)
        arrived = receipt.received_at
        try:
            outcome = _route(receipt)  # commits the routed message, then publishes a live question
            answer = _answer(receipt, outcome)
            db.session.execute(
                update(InboundReceipt)
                .where(InboundReceipt.id == receipt_id)
                .values(applied_at=utcnow(), claimed_until=None, error=None)
            )
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - kept with its error, retried, then set aside
            db.session.rollback()
            _logger.exception("inbound receipt %s not routed", receipt_id)
            receipts.set_aside(InboundReceipt, receipt_id, repr(error), utcnow())
            continue
        observe_applied("inbound", [arrived], utcnow())
        if answer is not None:
            answers.append(answer)
    return len(ids), answers


def send_answer(answer: Answer) -> None:
    """Text an answer routing gave (the SMS channel: Twilio's API, or the outbox)."""
    from drip.channels.base import OutgoingMessage, SendError
    from drip.channels.outbox import sending_for
    from drip.channels.registry import channel_for

    try:
        with sending_for(answer.trainer_id):
            channel_for("sms").send(OutgoingMessage(delivery_id=None, channel="sms", to=answer.to, body=answer.body))
    except SendError as error:  # the question is on the board already; its acknowledgement is a courtesy
        _logger.warning("answer to %s not sent: %s", answer.to[-4:], error)


def route_now() -> int:
    """Route every stored inbound message in this thread, answers included (the phone simulator, tests)."""
    total = 0
    while True:
        claimed, answers = apply_pending_inbound()
        for answer in answers:
            send_answer(answer)
        if not claimed:
            return total
        total += claimed


def unrouted(limit: int = 100) -> list[int]:
    """Ids of stored inbound messages not routed yet, oldest first (tests, operators)."""
    return list(
        db.session.scalars(
            select(InboundReceipt.id)
            .where(InboundReceipt.applied_at.is_(None))
            .order_by(InboundReceipt.id)
            .limit(limit)
        )
    )
