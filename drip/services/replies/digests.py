"""What a digest or testimonial step quotes: approved answers, answered questions, a consented quote."""

from __future__ import annotations

from sqlalchemy import and_, select

from drip.domain import digests
from drip.extensions import db
from drip.models import Enrollment, Learner, LiveQuestion, Reply


class NothingToShare(Exception):
    """A digest with no approved answer: skipped with that reason, never sent empty."""


def answers(session_id: int, source: str | None, source_step_id: int | None, attribution: str) -> list[dict]:
    """The `answers` of a digest in this session; NothingToShare when nothing may be quoted."""
    if source == "questions":
        rows = db.session.execute(
            select(LiveQuestion.body, LiveQuestion.answer)
            .where(
                LiveQuestion.session_id == session_id, LiveQuestion.answer.is_not(None), LiveQuestion.hidden.is_(False)
            )
            .order_by(LiveQuestion.created_at, LiveQuestion.id)
        ).all()
        found = digests.question_answers((body, answer) for body, answer in rows)
    else:
        found = digests.answers(_candidates(session_id, source_step_id), attribution) if source_step_id else []
    db.session.rollback()  # a sending thread: hold no snapshot while the provider answers
    if not found:
        raise NothingToShare(digests.NOTHING_APPROVED.text)
    return found


def _candidates(session_id: int, step_id: int) -> list[digests.Candidate]:
    query = (
        select(
            Reply.body,
            Reply.shared,
            Learner.name,
            Learner.sms_opted_out_at,
            Learner.email_opted_out_at,
            Enrollment.answers_private,
        )
        .join(Learner, Learner.id == Reply.learner_id)
        .outerjoin(
            Enrollment, and_(Enrollment.session_id == Reply.session_id, Enrollment.learner_id == Reply.learner_id)
        )
        .where(
            Reply.session_id == session_id,
            Reply.step_id == step_id,
            Reply.kind.in_(digests.QUOTABLE),
            Reply.shared.is_(True),
        )
        .order_by(Reply.created_at, Reply.id)
    )
    return [
        digests.Candidate(
            text=body,
            first_name=(name or "").split(" ")[0],
            shared=shared,
            private=bool(private),
            opted_out=sms_out is not None or email_out is not None,
        )
        for body, shared, name, sms_out, email_out, private in db.session.execute(query)
    ]
