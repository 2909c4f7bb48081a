"""Filing a worker's batch of stored texts in a fixed number of statements (issue 28: a room voting at once).

The common text of a storm (a vote, a quiz answer, a live question, a practice report or a
discussion reply, from the one learner with that number, their only text in the batch, without
pictures) is routed on the batch's rows (sender_batch) and filed together with the batch's others:
their messages in one multi-row insert, their replies and questions in one more each, the hooks
after routing in their batch form (answer_hooks.run_many), the receipts marked applied in one
update, one commit. Each text gets the rows filing.file_messages would give it alone.

Everything else is left to be routed one by one, in order, as before: keywords, walk-ins, consent
and privacy words, pictures, numbers several trainers share, strangers, a second text from the same
number (it must see the first's effect), texts after an email in the batch, the phone simulator's.
If filing the batch fails (a repeat stored meanwhile by another worker, the database away), it is
rolled back and its texts are routed one by one too, each with its own error handling.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from drip.batch_statements import in_list, insert_returning
from drip.domain import catalog, consent
from drip.domain.keywords import classify_keyword
from drip.domain.routing import LearnerContext, Route, route
from drip.domain.simulated import simulated_for
from drip.domain.translations import translated_choices
from drip.domain.words import acknowledgement
from drip.extensions import db
from drip.metrics import observe_applied
from drip.models import InboundMessage, InboundReceipt, Learner, LiveQuestion, Reply, TrainingSession, utcnow
from drip.services.inbound import answer_hooks, lookup
from drip.services.inbound.filing import REPLY_KINDS
from drip.services.inbound.receive import MalformedInbound, sms_message_id
from drip.services.inbound.sender_batch import SenderBatch
from drip.services.learners.language import language_for
from drip.services.replies import privacy

_logger = logging.getLogger(__name__)
QUICK_KINDS = frozenset({"poll_vote", "quiz_answer", "live_question", "practice_report", "discussion_reply"})


@dataclass(frozen=True)
class Text:
    """A stored text the batch files: who sent it and where routing put it."""

    receipt: InboundReceipt
    sid: str
    phone: str
    learner: Learner
    decided: Route


@dataclass(frozen=True)
class Answered:
    """An SMS to send back for a text filed with the batch."""

    to: str
    body: str
    trainer_id: int | None
    kind: str


def split(claimed: list[InboundReceipt], batch: SenderBatch) -> tuple[list[Text], list[InboundReceipt]]:
    """The texts filed together, and the rest (routed one by one, in their order, after them)."""
    region, config = current_app.config["DEFAULT_REGION"], current_app.config
    phones = {r.id: lookup.normalise_sender_phone(r.payload.get("From") or "", region) for r in claimed}
    counts = Counter(phones[r.id] for r in claimed if r.channel == "sms")
    together, rest, emailed = [], [], False
    for receipt in claimed:
        emailed = emailed or receipt.channel != "sms"
        text = (
            None if emailed or counts[phones[receipt.id]] != 1 else _routed(receipt, phones[receipt.id], batch, config)
        )
        if text is None:
            rest.append(receipt)
        else:
            together.append(text)
    return together, rest


def _pictures(form: Mapping) -> bool:
    try:
        return int(str(form.get("NumMedia") or "0")) > 0
    except ValueError:
        return True  # whatever it is, the one-by-one path reads it


def _routed(receipt: InboundReceipt, phone: str, batch: SenderBatch, config) -> Text | None:
    """The text routed on the batch's rows, when it is the common case the batch files (see the docstring)."""
    form = receipt.payload
    try:
        sid = sms_message_id(form)
    except MalformedInbound:
        return None
    body = form.get("Body") or ""
    learner = batch.only_learner(phone)
    if (
        learner is None
        or simulated_for(form, config) is not None
        or _pictures(form)
        or batch.already_stored(sid) is not False
        or classify_keyword(body)
        or privacy.is_keyword(body)
        or not batch.answers_for(phone)
    ):
        return None
    now = receipt.received_at
    joinable, parts = batch.joinable(now), batch.context_parts(learner, now, translated_choices)
    if joinable is None or parts is None:
        return None
    context = LearnerContext(learner.id, parts[0], parts[1], sms_opted_out=learner.sms_opted_out_at is not None)
    decided = route(body, channel="sms", context=context, now=now, joinable_sessions=joinable)
    if decided.kind not in QUICK_KINDS or decided.session_id is None:
        return None
    voted = decided.kind in ("poll_vote", "quiz_answer") and decided.choice_index is not None
    if not voted and consent.answer(body, learner.language):
        return None  # perhaps a yes or no to a testimonial question: filing.py decides
    return Text(receipt, sid, phone, learner, decided)


def file_together(texts: list[Text]) -> list[Answered] | None:
    """File the texts in one transaction and tell the boards; the answers to send, or None if it failed
    (rolled back: route them one by one)."""
    from drip.services.board import polls, publish

    try:
        answered, events, votes = _file(texts)
        ids = [text.receipt.id for text in texts]
        done = {"applied_at": utcnow(), "claimed_until": None, "error": None}
        db.session.execute(update(InboundReceipt).where(in_list(InboundReceipt.id, ids)).values(**done))
        db.session.commit()
    except Exception:  # noqa: BLE001 - routed one by one instead, each with its own error handling
        db.session.rollback()
        _logger.warning("a batch of %s texts could not be filed together: routed one by one", len(texts), exc_info=True)
        return None
    publish.publish_events(events)
    for vote in votes:
        polls.vote_counted(*vote)  # at most every 250 ms a poll, after the commit (board/redraws.py)
    observe_applied("inbound", [text.receipt.received_at for text in texts], utcnow())
    return answered


def _file(texts: list[Text]):
    """The rows filing.file_messages would add for each text, in one multi-row insert a table; not committed."""
    from drip.services.board import board

    # Only a question's acknowledgement needs its session's settings: a vote or reply needs only its id.
    wanted = {text.decided.session_id for text in texts if text.decided.kind == "live_question"}
    found = db.session.scalars(select(TrainingSession).where(TrainingSession.id.in_(wanted))) if wanted else ()
    sessions = {ts.id: ts for ts in found}
    message_ids = insert_returning(
        InboundMessage, [_message(text) for text in texts], InboundMessage.provider_message_id
    )
    questions, replies, answers = [], [], {}
    for text in texts:
        decided, learner = text.decided, text.learner
        row = {
            "learner_id": learner.id,
            "body": text.receipt.payload.get("Body") or "",
            "inbound_message_id": message_ids[text.sid],
            "created_at": text.receipt.received_at,
        }
        if decided.kind == "live_question":
            ts = sessions[decided.session_id]
            questions.append({**row, "session_id": ts.id, **_QUESTION_DEFAULTS})
            said = catalog.acknowledgement(ts.moderation, ts.acknowledgement)
            answers[row["inbound_message_id"]] = acknowledgement(said, language_for(learner, training_session=ts))
            continue
        kind = decided.kind if decided.kind in REPLY_KINDS else "unclassified"
        replies.append(
            {
                **row,
                "trainer_id": learner.trainer_id,
                "session_id": decided.session_id,
                "step_id": decided.step_id,
                "delivery_id": decided.delivery_id,
                "kind": kind,
                "channel": "sms",
                "choice_index": decided.choice_index,
            }
        )
    question_ids = insert_returning(LiveQuestion, questions, LiveQuestion.inbound_message_id)
    reply_ids = insert_returning(Reply, replies, Reply.inbound_message_id)
    # Transient copies for the hooks and the board (never added to the session: the rows are inserted).
    filed = [Reply(id=reply_ids[row["inbound_message_id"]], **row) for row in replies]
    asked = [LiveQuestion(id=question_ids[row["inbound_message_id"]], **row) for row in questions]
    latest = max(text.receipt.received_at for text in texts)
    for reply, text in zip(filed, answer_hooks.run_many(filed, latest)):
        if text:
            answers[reply.inbound_message_id] = text
    events = [(question.session_id, board.question_event(question, pictures=[])) for question in asked]
    votes = sorted({(r.session_id, r.step_id) for r in filed if r.kind == "poll_vote" and r.step_id})
    answered = [
        Answered(text.phone[:254], answers[message_ids[text.sid]], text.learner.trainer_id, text.decided.kind)
        for text in texts
        if answers.get(message_ids[text.sid])
    ]
    return answered, events, votes


_QUESTION_DEFAULTS = {"answered": False, "starred": False, "hidden": False, "approved": False, "votes": 0}


def _message(text: Text) -> dict:
    form, decided, learner = text.receipt.payload, text.decided, text.learner
    return {
        "channel": "sms",
        "provider_message_id": text.sid,
        "from_address": text.phone[:254],
        "to_address": (form.get("To") or "")[:254],
        "body": form.get("Body") or "",
        "raw": dict(form),
        "received_at": text.receipt.received_at,
        "routed_as": decided.kind,
        "learner_id": learner.id,
        "trainer_id": learner.trainer_id,
        "session_id": decided.session_id,
        "delivery_id": decided.delivery_id,
        "sender_verified": True,
    }
