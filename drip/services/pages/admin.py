"""Read models of the admin pages: what the dashboard, sessions, sequences, outbox and settings list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from drip.domain import catalog
from drip.domain.routing import LIVE_MARGIN
from drip.extensions import db
from drip.models import ApiToken, Delivery, Enrollment, Learner, OutboxMessage, Sequence, Step, Trainer, TrainingSession


def trainer_sequences(trainer: Trainer, ts: TrainingSession | None = None) -> list[Sequence]:
    """The trainer's sequences by name: those not archived, and those already attached to `ts`."""
    attached = [s.id for s in ts.sequences] if ts else []
    return list(
        db.session.scalars(
            select(Sequence)
            .where(Sequence.trainer_id == trainer.id, or_(Sequence.archived_at.is_(None), Sequence.id.in_(attached)))
            .order_by(Sequence.name, Sequence.id)
        )
    )


def sessions_and_enrolled(trainer: Trainer) -> tuple[list[TrainingSession], dict[int, int]]:
    """The trainer's sessions not archived, by start, and how many learners each has enrolled (not unenrolled)."""
    sessions = list(
        db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.trainer_id == trainer.id, TrainingSession.archived_at.is_(None))
            .order_by(TrainingSession.starts_at)
        )
    )
    counts = dict(
        db.session.execute(
            select(Enrollment.session_id, func.count())
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(TrainingSession.trainer_id == trainer.id, Enrollment.unenrolled_at.is_(None))
            .group_by(Enrollment.session_id)
        ).all()
    )
    return sessions, counts


def pending_due(ts: TrainingSession) -> dict[int, tuple]:
    """Delivery id -> (status, due time) of a session's deliveries not yet handed to a provider."""
    query = select(Delivery.id, Delivery.status, Delivery.due_at).where(
        Delivery.session_id == ts.id, Delivery.status.in_(catalog.statuses_where("pending"))
    )
    return {row.id: (row.status, row.due_at) for row in db.session.execute(query)}


def learners_among(trainer: Trainer, ids: list[int]) -> list[Learner]:
    """The trainer's learners among these ids (another trainer's are left out)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Learner).where(Learner.id.in_(ids), Learner.trainer_id == trainer.id)))


def dashboard(trainer: Trainer, now: datetime) -> tuple[list[TrainingSession], dict[str, int]]:
    """The next ten sessions not over (or still live) nor cancelled nor archived, and how many sequences,
    sessions and learners there are."""
    mine = TrainingSession.trainer_id == trainer.id
    # Live lasts until 15 minutes after the end, as on the sessions page.
    upcoming = list(
        db.session.scalars(
            select(TrainingSession)
            .where(
                mine,
                TrainingSession.ends_at >= now - LIVE_MARGIN,
                TrainingSession.status != "cancelled",
                TrainingSession.archived_at.is_(None),
            )
            .order_by(TrainingSession.starts_at)
            .limit(10)
        )
    )
    counts = {
        "sequences": db.session.scalar(
            select(func.count()).select_from(Sequence).where(Sequence.trainer_id == trainer.id)
        ),
        "sessions": db.session.scalar(select(func.count()).select_from(TrainingSession).where(mine)),
        "learners": db.session.scalar(
            select(func.count()).select_from(Learner).where(Learner.trainer_id == trainer.id)
        ),
    }
    return upcoming, counts


def outbox(trainer: Trainer, *, channel: str | None, before: int | None, limit: int) -> list:
    """The trainer's outbox messages, newest first: (message, learner, step, session's zone) rows."""
    query = (
        select(OutboxMessage, Learner, Step, TrainingSession.timezone)
        .outerjoin(Delivery, Delivery.id == OutboxMessage.delivery_id)
        .outerjoin(TrainingSession, TrainingSession.id == Delivery.session_id)
        .outerjoin(Learner, Learner.id == Delivery.learner_id)
        .outerjoin(Step, Step.id == Delivery.step_id)
        .where(OutboxMessage.trainer_id == trainer.id)
    )
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if before:
        query = query.where(OutboxMessage.id < before)
    return list(db.session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit)).all())


def api_tokens(trainer: Trainer) -> list[ApiToken]:
    """The trainer's API tokens, live ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.trainer_id == trainer.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )
