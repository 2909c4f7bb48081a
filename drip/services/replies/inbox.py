"""The inbox: what routing could not place (unclassified) and what unknown senders sent, for the trainer to file."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from drip.domain import catalog
from drip.extensions import db
from drip.models import Reply, Trainer, TrainingSession
from drip.services.replies.answers import senders as reply_senders

LIMIT = 200
RECENT_SESSIONS = 20


def _mine(trainer: Trainer):
    return (
        Reply.trainer_id == trainer.id,
        or_(Reply.kind == "unclassified", Reply.learner_id.is_(None)),
        Reply.kind != catalog.TRAINER_REPLY,
    )


def items(trainer: Trainer) -> list[Reply]:
    """The trainer's unclassified replies and replies from unknown senders, newest first."""
    return list(
        db.session.scalars(
            select(Reply)
            .options(selectinload(Reply.learner))
            .where(*_mine(trainer))
            .order_by(Reply.created_at.desc(), Reply.id.desc())
            .limit(LIMIT)
        )
    )


def unreviewed_count(trainer: Trainer) -> int:
    """How many inbox texts the trainer has neither filed nor reviewed."""
    return (
        db.session.scalar(select(func.count()).select_from(Reply).where(*_mine(trainer), Reply.reviewed_at.is_(None)))
        or 0
    )


def senders(replies: list[Reply]) -> dict[int, str]:
    """Who sent each text: the learner's name, or the unknown number or address."""
    return reply_senders(replies)


def sessions_of(trainer: Trainer, replies: list[Reply]) -> dict[int, TrainingSession]:
    """The sessions these texts belong to, and the trainer's latest ones (to file a text tied to none)."""
    ids = {reply.session_id for reply in replies if reply.session_id}
    query = select(TrainingSession).where(TrainingSession.trainer_id == trainer.id)
    latest = db.session.scalars(query.order_by(TrainingSession.starts_at.desc()).limit(RECENT_SESSIONS)).all()
    named = db.session.scalars(query.where(TrainingSession.id.in_(ids))).all() if ids else []
    return {ts.id: ts for ts in [*latest, *named]}
