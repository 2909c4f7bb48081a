"""Learners' votes on live questions: the one writer of QuestionVote rows and of the LiveQuestion.votes counter.

The counter stands beside the rows so boards and projectors sort and show it without counting rows;
both move here, in the caller's transaction, so they cannot drift apart. Erasing a learner deletes
their rows and leaves the counts (services/learners/personal_data.py): a vote once given stays counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from drip.extensions import db
from drip.models import LiveQuestion, QuestionVote


def toggle(question_id: int, learner_id: int, now: datetime) -> tuple[bool, int]:
    """Give the learner's vote, or take it back if given, moving the counter with it; (voted, votes). Flushes."""
    taken = db.session.execute(
        delete(QuestionVote).where(QuestionVote.question_id == question_id, QuestionVote.learner_id == learner_id)
    ).rowcount
    if not taken:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(QuestionVote).values(question_id=question_id, learner_id=learner_id, created_at=now)
                )
        except IntegrityError:  # a double press raced us: the vote is there, once, and counted by the other
            return True, count(question_id)
    db.session.execute(
        update(LiveQuestion)
        .where(LiveQuestion.id == question_id)
        .values(votes=LiveQuestion.votes + (-1 if taken else 1))
        .execution_options(synchronize_session=False)
    )
    return not taken, count(question_id)


def count(question_id: int) -> int:
    """The question's votes as the counter holds them."""
    return int(db.session.scalar(select(LiveQuestion.votes).where(LiveQuestion.id == question_id)) or 0)
