"""The room on the cohort page: approved live questions with votes, the open poll, answered questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError

from drip.domain.cohort import masked
from drip.domain.routing import LIVE_MARGIN
from drip.extensions import db
from drip.models import LiveQuestion, Step, TrainingSession
from drip.services.board import board
from drip.services.cohort import refresh, room_rows, votes


@dataclass(frozen=True)
class RoomQuestion:
    """A live question as learners see it: no name, its votes, whether this learner voted, the answer."""

    id: int
    body: str
    votes: int
    voted: bool = False
    answer: str | None = None


def is_live(ts: TrainingSession | refresh.RoomSession, now: datetime) -> bool:
    """Whether the room is open: from 15 minutes before the start to 15 minutes after the end."""
    return ts.starts_at - LIVE_MARGIN <= now <= ts.ends_at + LIVE_MARGIN


def shown_to_room(ts: TrainingSession | refresh.RoomSession) -> tuple:
    """The conditions of a question the room sees, as on the projector: not hidden, and approved unless moderation is open."""
    mine = (LiveQuestion.session_id == ts.id, LiveQuestion.hidden.is_(False))
    return mine if ts.moderation == "open" else (*mine, LiveQuestion.approved.is_(True))


def shown_and_voted(ts: TrainingSession | refresh.RoomSession, learner_id: int) -> tuple[tuple, frozenset[int]]:
    """The room's questions as every learner gets them ((id, masked body, votes), most voted first; the same
    tuple for all readers until the room changes), and the ids of the session's questions this learner voted for."""
    rows = room_rows.shown_questions(ts, shown_to_room(ts))  # the same for every learner: read twice a second
    return rows, refresh.voted(ts.id, learner_id)  # the session's votes, read once a second for all its learners


def answered_questions(ts: TrainingSession) -> list[RoomQuestion]:
    """After the session: the questions the trainer answered, with the answers, oldest first."""
    rows = db.session.execute(
        select(LiveQuestion.id, LiveQuestion.body, LiveQuestion.votes, LiveQuestion.answer)
        .where(
            LiveQuestion.session_id == ts.id,
            LiveQuestion.hidden.is_(False),
            LiveQuestion.answer.is_not(None),
        )
        .order_by(LiveQuestion.created_at, LiveQuestion.id)
    ).all()
    return [
        RoomQuestion(qid, masked(body), votes, answer=answer)
        for qid, body, votes, answer in rows
        if (answer or "").strip()
    ]


def open_poll(ts: TrainingSession, now: datetime) -> Step | None:
    """The open poll (a poll without choices) the projector shows now, if any."""
    if ts.projector_poll_step_id is None or not is_live(ts, now):
        return None
    step = db.session.get(Step, ts.projector_poll_step_id)
    return step if step is not None and step.kind == "poll" and not step.choices else None


class NotVotable(LookupError):
    """The question is not one the room sees now (unknown, hidden, not approved, or the session is not live)."""


def toggle_vote(
    ts: TrainingSession, learner_id: int, question_id: int, now: datetime, wanted: bool | None = None
) -> tuple[bool, int]:
    """Vote for a question, or take the vote back: as `wanted` says, else the opposite of what it was; commits,
    publishes; (voted, votes).

    The question's row is locked first (FOR NO KEY UPDATE, as the count's own update would): a trainer hiding or
    re-filing it at that moment either goes first, and the vote finds it closed, or waits for the vote."""
    shown = select(LiveQuestion).where(LiveQuestion.id == question_id, *shown_to_room(ts))
    question = db.session.scalar(shown.with_for_update(key_share=True))
    if question is None or not is_live(ts, now):
        raise NotVotable(question_id)
    if wanted is None:
        voted, count = votes.toggle(question_id, learner_id, now)
    else:
        voted, count = votes.put(question_id, learner_id, now, wanted)
    db.session.commit()
    refresh.forget_votes(ts.id)  # the learner's next refresh or page shows their vote
    try:
        db.session.refresh(question)
    except InvalidRequestError:  # re-filed by the trainer since the commit: no board shows it any more
        return voted, count
    board.publish_question(question)  # boards and projectors re-sort within a second
    return voted, count
