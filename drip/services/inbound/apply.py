"""Workers route stored inbound SMS and email (the inbound service decides), then send any answer by API.

Routing stores one InboundMessage per provider id (unique), so a receipt routed twice (its worker
was killed after routing and before marking it applied) is a duplicate the second time: each text
is routed exactly once. An answer (a quiz verdict, a live question's acknowledgement) is sent through the SMS API after
its routing commits, only by the worker that routed it and only for the text's first routing, so it
may be lost with a killed worker, never sent twice; nor to a number that said STOP since (routed in
the webhook's request, so a STOP posted before the answer goes out is applied by then).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from drip.batch_statements import in_list
from drip.extensions import db
from drip.metrics import observe_applied
from drip.models import InboundMessage, InboundReceipt, Learner, utcnow
from drip.channels.mime_parts import raw_pictures
from drip.channels.sendgrid_inbound import Attachment, InboundEmail, parse_inbound
from drip.domain.media import ReceivedPicture
from drip.services.inbound import batch_filing, lookup, sender_batch
from drip.services.inbound import receive as inbound
from drip.services.webhooks import intake, receipts

_logger = logging.getLogger(__name__)
BATCH = 100  # a live question waits for at most the routing of those claimed before it (tens of ms)


@dataclass(frozen=True)
class Answer:
    """An SMS routing asked us to send back (a quiz verdict, a live question's acknowledgement)."""

    to: str
    body: str
    trainer_id: int | None
    kind: str = ""  # what the text was routed as: an opt-out's confirmation goes to an opted-out number


def _route(receipt: InboundReceipt) -> inbound.InboundOutcome:
    payload = receipt.payload
    if receipt.channel == "sms":
        return inbound.receive_sms(payload, now=receipt.received_at)
    attachments = [Attachment(**a) for a in payload.get("attachments", [])]
    pictures = [ReceivedPicture.from_stored(entry) for entry in payload.get("pictures", [])]
    if "form" in payload:  # the post as the webhook stored it: parsed here, within a time budget
        email = parse_inbound(payload["form"], attachments, message_id=receipt.provider_message_id)
        pictures = pictures or raw_pictures(payload["form"].get("email", ""))
    else:  # stored parsed by a web process before parsing moved to the workers
        email = InboundEmail(**{**payload, "attachments": attachments})
    return inbound.receive_email(email, now=receipt.received_at, pictures=pictures)


def _answer(receipt: InboundReceipt, outcome: inbound.InboundOutcome) -> Answer | None:
    if receipt.channel != "sms" or outcome.duplicate or not outcome.answer or outcome.inbound_id is None:
        return None
    message = db.session.get(InboundMessage, outcome.inbound_id)
    return Answer(message.from_address, outcome.answer, message.trainer_id, outcome.kind) if message else None


def opted_out(phones: set[str]) -> set[str]:
    """The numbers among these that said STOP (a learner with the number is opted out of SMS)."""
    if not phones:
        return set()
    query = select(Learner.phone).where(in_list(Learner.phone, phones), Learner.sms_opted_out_at.is_not(None))
    return set(db.session.scalars(query))


def still_wanted(answers: list[Answer]) -> list[Answer]:
    """The answers whose number has not opted out since its text came (one query for them all)."""
    blocked = opted_out({answer.to for answer in answers if answer.kind != "opt_out"})
    return [answer for answer in answers if answer.kind == "opt_out" or answer.to not in blocked]


def apply_pending_inbound(limit: int = BATCH, *, now: datetime | None = None) -> tuple[int, list[Answer]]:
    """Claim and route a few stored inbound messages; returns how many were claimed and the answers to send."""
    now = now or utcnow()
    ids = receipts.claim(InboundReceipt, limit)
    if not ids:
        return 0, []
    # Loaded at once and detached: each text's commit would otherwise expire (and reload) them all.
    claimed = list(
        db.session.scalars(select(InboundReceipt).where(in_list(InboundReceipt.id, ids)).order_by(InboundReceipt.id))
    )
    for receipt in claimed:
        db.session.expunge(receipt)
    answers = []
    with _senders(claimed) as batch:
        together, rest = batch_filing.split(claimed, batch)
        filed = batch_filing.file_together(together) if together else []
        if filed is None:  # could not be filed together: one by one, in their order
            together, rest = [], claimed
        answers += [Answer(a.to, a.body, a.trainer_id, a.kind) for a in filed or ()]
        for receipt in rest:
            if receipt.channel != "sms":
                batch.close()  # an email may change what its sender's later texts answer
            answer = _apply_one(receipt)
            if answer is not None:
                answers.append(answer)
    return len(ids), still_wanted(answers)


def _senders(claimed: list[InboundReceipt]):
    """What routing needs about the batch's texts' senders, loaded once (sender_batch)."""
    region = current_app.config["DEFAULT_REGION"]
    texts = [receipt for receipt in claimed if receipt.channel == "sms"]
    phones = [lookup.normalise_sender_phone(receipt.payload.get("From") or "", region) for receipt in texts]
    sids = [receipt.provider_message_id for receipt in texts]
    arrivals = [receipt.received_at for receipt in claimed]
    return sender_batch.routing(phones, sids, min(arrivals), max(arrivals))


def _apply_one(receipt: InboundReceipt) -> Answer | None:
    """Route one stored message and mark it applied, committing; its answer to send, if any."""
    arrived = receipt.received_at
    try:
        outcome = _route(receipt)  # commits the routed message, then publishes a live question
        answer = _answer(receipt, outcome)
        done = {"applied_at": utcnow(), "claimed_until": None, "error": None}
        if "pictures" in receipt.payload:  # kept with the message now: not twice, and erasable
            done["payload"] = {key: value for key, value in receipt.payload.items() if key != "pictures"}
        db.session.execute(update(InboundReceipt).where(InboundReceipt.id == receipt.id).values(**done))
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - kept with its error, retried, then set aside
        db.session.rollback()
        _logger.exception("inbound receipt %s not routed", receipt.id)
        receipts.set_aside(InboundReceipt, receipt.id, repr(error), utcnow())
        return None
    observe_applied("inbound", [arrived], utcnow())
    if outcome.pictures:
        intake.wake("media")  # its pictures were noted with the text: the media lane fetches them
    return answer


def send_answer(answer: Answer) -> None:
    """Text an answer routing gave (the SMS channel: Twilio's API, or the outbox)."""
    from drip.channels.base import OutgoingMessage, SendError
    from drip.channels.outbox import sending_for
    from drip.channels.registry import channel_for

    if not still_wanted([answer]):  # a STOP came between the routing and this send
        return
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
