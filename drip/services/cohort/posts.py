"""Posting an answer from the cohort page: stored exactly as a texted or emailed reply to that step."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from drip.domain.words import mark
from drip.domain import cohort
from drip.domain.routing import Route
from drip.extensions import db
from drip.models import InboundMessage, Reply
from drip.services.cohort import room
from drip.services.cohort.links import Visitor
from drip.services.cohort.prompts import learner_delivery_id, sent_prompt_steps
from drip.services.inbound.filing import InboundOutcome, store_routed

POST_LOCKS = 0x44525031  # pg_advisory_xact_lock's first key: the cohort page's posts, one lock per enrolment
REPEAT_WINDOW = timedelta(minutes=10)  # the same text again this soon is a double press, not a second answer


class PostRefused(ValueError):
    """The post cannot be stored: the message says why, in the learner's words (a sentence of the catalog)."""

    def __init__(self, message: str, values: dict | None = None):
        super().__init__(message)
        self.values = values or {}  # the sentence's %(name)s placeholders, filled once it is translated


def post_answer(visitor: Visitor, step_id: int, text: str, now: datetime) -> InboundOutcome:
    """Store the learner's answer to a prompt on their page: routed, approved and followed up as any reply; commits."""
    ts = visitor.training_session
    step = next((s for s in sent_prompt_steps(ts) if s.id == step_id), None)
    kind = cohort.reply_kind_of(step.kind) if step is not None else None
    if kind is None:
        raise PostRefused(mark("This question is not open for answers."))
    text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if problem := cohort.post_problem(text):
        raise PostRefused(*problem)
    return _store_once(visitor, step.id, kind, text, now)


def answer_open_poll(visitor: Visitor, text: str, now: datetime) -> InboundOutcome:
    """Answer the open poll the projector shows, as a text would (routing rule 3); commits, and the cloud redraws."""
    poll = room.open_poll(visitor.training_session, now)
    if poll is None:
        raise PostRefused(mark("The poll is closed."))
    text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if problem := cohort.post_problem(text):
        raise PostRefused(*problem)
    return _store_once(visitor, poll.id, "poll_vote", text, now)


def _store_once(visitor: Visitor, step_id: int, kind: str, text: str, now: datetime) -> InboundOutcome:
    """Store the post, unless the learner sent the same words to the same step just now: a double press, or a
    post sent again after a busy page that could not say whether the first got through. On PostgreSQL a lock of
    this enrolment's posts (held until the commit) makes a copy arriving meanwhile wait for the first and see it;
    a lock of no row, so a text from the same learner applied at that moment never waits on it."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = visitor.enrollment.id % 2**31  # two enrolments sharing a key only wait for each other a moment
        db.session.execute(select(func.pg_advisory_xact_lock(POST_LOCKS, key)))
    repeat = db.session.scalar(
        select(Reply.id).where(
            Reply.learner_id == visitor.learner.id,
            Reply.step_id == step_id,
            Reply.body == text,
            Reply.created_at >= now - REPEAT_WINDOW,
        )
    )
    if repeat is not None:
        return InboundOutcome(kind, duplicate=True, reply_id=repeat)
    return _store(visitor, step_id, kind, text, now)


def _store(visitor: Visitor, step_id: int, kind: str, text: str, now: datetime) -> InboundOutcome:
    message = InboundMessage(
        channel=cohort.CHANNEL,
        provider_message_id=f"cohort:{secrets.token_hex(16)}",
        from_address="",
        to_address="",
        body=text,
        raw={"source": "cohort_page", "step_id": step_id},
        received_at=now,
    )
    delivery_id = learner_delivery_id(visitor.enrollment.id, step_id)
    decided = Route(kind, session_id=visitor.training_session.id, delivery_id=delivery_id, step_id=step_id)
    return store_routed(message, decided, visitor.learner, now)
