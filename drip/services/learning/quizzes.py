"""A quiz answer: the verdict sent back at once by the same channel, and the re-asks it makes unneeded."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog, quiz
from drip.domain.words import say
from drip.extensions import db
from drip.models import Learner, Reply, Step, Trainer
from drip.services.inbound import answer_hooks
from drip.services.learners.language import language_for
from drip.services.learning.unanswered import skip_answered, skip_answered_many

log = logging.getLogger(__name__)


def reply_stored(reply: Reply, now: datetime) -> str | None:
    """After a reply to a step is flushed: skip what it makes unneeded; for a quiz answer, the verdict text.

    Any reply routed to the step ends its follow-up; only a right answer ends its re-asks. Only
    the first answer to each ask gets a verdict, so a learner is never told twice.
    """
    if reply.step_id is None or reply.learner_id is None:
        return None
    step = db.session.get(Step, reply.step_id)
    if step is None:
        return None
    if reply.kind != "quiz_answer" or step.kind != "quiz" or reply.choice_index is None:
        skip_answered(reply, right=False, now=now)
        return None
    earlier = db.session.scalar(
        select(func.count())
        .select_from(Reply)
        .where(Reply.delivery_id == reply.delivery_id, Reply.kind == "quiz_answer", Reply.id != reply.id)
    )
    # Only the first answer to an ask counts: a correction after the verdict neither ends re-asks nor scores.
    right = reply.choice_index == step.answer and not earlier
    skip_answered(reply, right=right, now=now)
    if earlier:
        return None
    language = language_for(db.session.get(Learner, reply.learner_id), step=step)
    explain = ((step.translations or {}).get(language) or {}).get("explain") or step.explain
    return quiz.verdict(right, explain, language)


def replies_stored(replies: list[Reply], now: datetime) -> list[str | None]:
    """reply_stored for a batch of replies (a worker's batch of texts), in a fixed number of statements."""
    placed = [reply for reply in replies if reply.step_id is not None and reply.learner_id is not None]
    if not placed:
        return [None] * len(replies)
    # Only a quiz answer needs its step (the right answer, the explanation); the rest end follow-ups only.
    asked = {r.step_id for r in placed if r.kind == "quiz_answer" and r.choice_index is not None}
    steps = {step.id: step for step in db.session.scalars(select(Step).where(Step.id.in_(asked)))} if asked else {}
    quiz_answers = [
        reply
        for reply in placed
        if reply.kind == "quiz_answer"
        and reply.choice_index is not None
        and reply.step_id in steps
        and steps[reply.step_id].kind == "quiz"
    ]
    asks = {reply.delivery_id for reply in quiz_answers if reply.delivery_id is not None}
    answered: dict[int, list[int]] = {}
    if asks:
        query = select(Reply.delivery_id, Reply.id).where(Reply.delivery_id.in_(asks), Reply.kind == "quiz_answer")
        for delivery_id, reply_id in db.session.execute(query):
            answered.setdefault(delivery_id, []).append(reply_id)
    # As reply_stored: only the first answer to an ask (the lowest id) counts and gets a verdict.
    first = {r.id for r in quiz_answers if not any(i < r.id for i in answered.get(r.delivery_id, ()))}
    right = {r.id for r in quiz_answers if r.id in first and r.choice_index == steps[r.step_id].answer}
    skip_answered_many([reply for reply in placed if reply.id in right], right=True, now=now)
    skip_answered_many([reply for reply in placed if reply.id not in right], right=False, now=now)
    verdicts = {}
    for reply in quiz_answers:
        if reply.id in first:
            step = steps[reply.step_id]
            language = language_for(db.session.get(Learner, reply.learner_id), step=step)
            explain = ((step.translations or {}).get(language) or {}).get("explain") or step.explain
            verdicts[reply.id] = quiz.verdict(reply.id in right, explain, language)
    return [verdicts.get(reply.id) for reply in replies]


def email_verdict(learner_id: int, text: str) -> None:
    """Send a quiz verdict by email, after the answer is stored; a failure is logged, the answer stays."""
    from drip.channels.base import SendError
    from drip.services.delivery.send import SendRefused, send_one_off

    learner = db.session.get(Learner, learner_id)
    trainer = db.session.get(Trainer, learner.trainer_id) if learner else None
    if learner is None or trainer is None:
        return
    try:
        subject = say(language_for(learner), "Your quiz answer")
        send_one_off(trainer, learner, "email", text, subject=subject)
    except (SendRefused, SendError, ValueError) as error:
        log.warning("quiz verdict to learner %s not sent: %s", learner_id, error)


# Routing's seam: every reply filed against a step comes here, inside the inbound transaction.
for _kind in catalog.learner_reply_kinds():
    answer_hooks.on_answer(_kind)(reply_stored)
    answer_hooks.on_answers(_kind, reply_stored)(replies_stored)
