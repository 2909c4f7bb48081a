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
    if _take(question_id, learner_id):
        return False, count(question_id)
    _give(question_id, learner_id, now)
    return True, count(question_id)


def put(question_id: int, learner_id: int, now: datetime, voted: bool) -> tuple[bool, int]:
    """The learner's vote given (voted) or taken back, whatever it was: the same press sent twice changes nothing
    the second time (the page's script says which way it wants the button); (voted, votes). Flushes."""
    if voted:
        _give(question_id, learner_id, now)
    else:
        _take(question_id, learner_id)
    return voted, count(question_id)


def _give(question_id: int, learner_id: int, now: datetime) -> bool:
    """Add the learner's vote and count it; False if it was there already (counted once, by whoever added it)."""
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(QuestionVote).values(question_id=question_id, learner_id=learner_id, created_at=now)
            )
    except IntegrityError:
        return False
    _move(question_id, 1)
    return True


def _take(question_id: int, learner_id: int) -> bool:
    """Remove the learner's vote and uncount it; False if there was none."""
    taken = db.session.execute(
        delete(QuestionVote).where(QuestionVote.question_id == question_id, QuestionVote.learner_id == learner_id)
    ).rowcount
    if taken:
        _move(question_id, -1)
    return bool(taken)


def _move(question_id: int, by: int) -> None:
    db.session.execute(
        update(LiveQuestion)
        .where(LiveQuestion.id == question_id)
        .values(votes=LiveQuestion.votes + by)
        .execution_options(synchronize_session=False)
    )


def count(question_id: int) -> int:
    """The question's votes as the counter holds them."""
    return int(db.session.scalar(select(LiveQuestion.votes).where(LiveQuestion.id == question_id)) or 0)
