"""A quiz answer: the verdict sent back at once by the same channel, and the re-asks it makes unneeded."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog, quiz
from drip.extensions import db
from drip.models import Learner, Reply, Step, Trainer
from drip.services.inbound import answer_hooks
from drip.services.learning.follow_ons import skip_answered

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
    return None if earlier else quiz.verdict(right, step.explain)


def email_verdict(learner_id: int, text: str) -> None:
    """Send a quiz verdict by email, after the answer is stored; a failure is logged, the answer stays."""
    from drip.channels.base import SendError
    from drip.services.delivery.send import SendRefused, send_one_off

    learner = db.session.get(Learner, learner_id)
    trainer = db.session.get(Trainer, learner.trainer_id) if learner else None
    if learner is None or trainer is None:
        return
    try:
        send_one_off(trainer, learner, "email", text, subject="Your quiz answer")
    except (SendRefused, SendError, ValueError) as error:
        log.warning("quiz verdict to learner %s not sent: %s", learner_id, error)


# Routing's seam: every reply filed against a step comes here, inside the inbound transaction.
for _kind in catalog.learner_reply_kinds():
    answer_hooks.on_answer(_kind)(reply_stored)
