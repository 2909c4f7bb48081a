"""Open polls (a poll without choices): the answers as the board lists them, the words as the projector's cloud shows them."""

from __future__ import annotations

from sqlalchemy import func, select

from drip.domain.cohort import masked
from drip.extensions import db
from drip.models import Reply, Step
from drip.services.board.poll_words import counted, is_open, language_of  # noqa: F401 (callers know them here)

LISTED = 30  # the board lists the latest answers; the API lists them all, and the cloud counts every one


def _of(session_id: int, step_id: int) -> tuple:
    return (
        Reply.session_id == session_id,
        Reply.step_id == step_id,
        Reply.kind == "poll_vote",
        Reply.choice_index.is_(None),
    )


def answers(session_id: int, step_id: int, limit: int | None = LISTED) -> list[tuple[int, str]]:
    """(voter, text) of the poll's answers, latest first; a voter is the learner (or the answer, without one)."""
    rows = db.session.execute(
        select(Reply.learner_id, Reply.id, Reply.body)
        .where(*_of(session_id, step_id))
        .order_by(Reply.created_at.desc(), Reply.id.desc())
        .limit(limit)
    ).all()
    return [(learner_id if learner_id is not None else -reply_id, body or "") for learner_id, reply_id, body in rows]


def voters(session_id: int, step_id: int) -> int:
    """How many answered the poll: each learner once, each answer without a learner once."""
    voter = func.coalesce(Reply.learner_id, -Reply.id)
    return db.session.scalar(select(func.count(func.distinct(voter))).where(*_of(session_id, step_id))) or 0


def chart(session_id: int, step: Step) -> dict:
    """What the board and projector show of an open poll: the latest answers, the word cloud, how many answered."""
    return {
        "open": True,
        "answers": [masked(text) for _, text in answers(session_id, step.id, LISTED) if text.strip()],
        "words": counted(session_id, step.id),
        "voters": voters(session_id, step.id),
    }
