"""What re-filing reads: the texts and sessions a trainer may move, and the moves already made."""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import LiveQuestion, Refiling, Reply, Trainer, TrainingSession
from drip.services.ownership import owned


def owned_question(trainer: Trainer, question_id: int) -> LiveQuestion | None:
    """A live question of one of the trainer's sessions, or None."""
    question = db.session.get(LiveQuestion, question_id)
    if question is None or owned_session(trainer, question.session_id) is None:
        return None
    return question


def owned_session(trainer: Trainer, session_id: int) -> TrainingSession | None:
    """The trainer's session with this id, or None."""
    return owned(TrainingSession, session_id, trainer)


def last_moves(replies: list[Reply]) -> dict[int, tuple[Refiling, str]]:
    """The latest move of each of these replies that was re-filed, with the name of who moved it, by reply id."""
    by_message = {reply.inbound_message_id: reply.id for reply in replies if reply.inbound_message_id}
    if not by_message:
        return {}
    rows = db.session.execute(
        select(Refiling, Trainer.name)
        .outerjoin(Trainer, Trainer.id == Refiling.moved_by_id)
        .where(Refiling.inbound_message_id.in_(by_message))
        .order_by(Refiling.moved_at, Refiling.id)
    ).all()
    return {by_message[move.inbound_message_id]: (move, name or "a former trainer") for move, name in rows}
